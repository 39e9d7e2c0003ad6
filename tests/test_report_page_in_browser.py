"""The reports page in a real browser, as a head opens it from an email
attachment: headless Chromium (Debian's chromium package) logs no console
message, builds every chart, and draws a screenshot that is not blank.
Without the browser these tests skip, saying how to install it."""

from __future__ import annotations

import os
import struct
import subprocess
import zlib
from collections import Counter
from pathlib import Path

import pytest
from report_sample import CHARTS, SECTIONS, Page, empty_figures, sample_figures

from cli.report_html import write_page
from statemachine.reports.page import render

CHROMIUM = "/usr/bin/chromium"

pytestmark = pytest.mark.skipif(
    not os.access(CHROMIUM, os.X_OK),
    reason=f"no browser at {CHROMIUM}: install Debian's chromium package: apt-get install -y chromium",
)


def open_in_chromium(page_file: Path, screenshot: Path) -> tuple[str, list[str]]:
    """Open `page_file` in headless Chromium as a head would from a laptop:
    the DOM it built, and the console lines it logged (any message, error or
    not, is `INFO:CONSOLE` on stderr with --enable-logging=stderr)."""
    profile = screenshot.parent / "chromium-profile"  # its own, so a browser already running cannot interfere
    done = subprocess.run(
        [CHROMIUM, "--headless", "--disable-gpu", "--no-sandbox", "--disable-dev-shm-usage", "--hide-scrollbars",
         f"--user-data-dir={profile}", "--enable-logging=stderr", "--v=0", f"--screenshot={screenshot}",
         "--window-size=1280,2400", "--dump-dom", page_file.as_uri()],
        capture_output=True, text=True, timeout=120, check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout, [line for line in done.stderr.splitlines() if ":CONSOLE" in line]


def png_colours(path: Path) -> Counter[tuple[int, int, int]]:
    """How many pixels of each colour an 8-bit RGB(A) PNG holds, decoded with
    the standard library alone (zlib, and the five PNG row filters)."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    position, compressed = 8, b""
    while position < len(data):
        length, kind = struct.unpack(">I4s", data[position:position + 8])
        body = data[position + 8:position + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour_type, _, _, interlace = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            compressed += body
        position += 12 + length
    assert depth == 8 and colour_type in (2, 6) and interlace == 0
    step = 3 if colour_type == 2 else 4
    raw, stride = zlib.decompress(compressed), width * step
    above, colours = bytearray(stride), Counter[tuple[int, int, int]]()
    for y in range(height):
        start = y * (stride + 1)
        kind, row = raw[start], bytearray(raw[start + 1:start + 1 + stride])
        if kind == 1:
            for i in range(step, stride):
                row[i] = (row[i] + row[i - step]) & 255
        elif kind == 2:  # most rows of a page: done for the whole row at once
            row = _add_bytewise(row, above)
        elif kind == 3:
            for i in range(stride):
                row[i] = (row[i] + (((row[i - step] if i >= step else 0) + above[i]) >> 1)) & 255
        elif kind == 4:
            for i in range(stride):
                a, b, c = (row[i - step], above[i], above[i - step]) if i >= step else (0, above[i], 0)
                pa, pb, pc = abs(b - c), abs(a - c), abs(a + b - c - c)
                row[i] = (row[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        colours.update(zip(row[0::step], row[1::step], row[2::step]))
        above = row
    return colours


def test_the_page_opens_in_chromium_with_no_console_message_every_chart_drawn_and_a_screenshot_not_blank(
        tmp_path: Path) -> None:
    page_file, screenshot = tmp_path / "reports.html", tmp_path / "reports.png"
    write_page(str(page_file), render(sample_figures()))
    dom, console = open_in_chromium(page_file, screenshot)
    assert console == []
    built = Page(dom)
    assert list(built.sections) == SECTIONS
    assert {section: built.sections[section]["svgs"] for section in CHARTS} == dict.fromkeys(CHARTS, 1)
    colours = png_colours(screenshot)
    pixels = sum(colours.values())
    assert pixels == 1280 * 2400
    background, most = colours.most_common(1)[0]
    assert pixels - most > pixels // 10, f"nine in ten pixels are {background}: the page looks blank"
    # The funnel's and the time in state's bars, in their own colours, are on screen.
    assert colours[(0x2F, 0x6D, 0xB5)] > 20_000
    assert colours[(0x9D, 0xBC, 0xE3)] > 5_000


def test_the_page_with_no_figures_opens_in_chromium_with_no_console_message(tmp_path: Path) -> None:
    page_file, screenshot = tmp_path / "reports.html", tmp_path / "reports.png"
    write_page(str(page_file), render(empty_figures()))
    dom, console = open_in_chromium(page_file, screenshot)
    assert console == []
    assert list(Page(dom).sections) == SECTIONS


def test_the_browser_check_hears_a_page_that_logs_an_error(tmp_path: Path) -> None:
    """The console check above would pass on a browser that logs nothing; a
    page that fails must be heard."""
    page_file = tmp_path / "broken.html"
    page_file.write_text('<!DOCTYPE html><p>x</p><script>console.error("drawn wrong"); missing();</script>')
    _, console = open_in_chromium(page_file, tmp_path / "broken.png")
    assert len(console) == 2
    assert '"drawn wrong"' in console[0]
    assert '"Uncaught ReferenceError: missing is not defined"' in console[1]


def _add_bytewise(one: bytearray, other: bytearray) -> bytearray:
    """Each byte of `one` plus the same byte of `other`, modulo 256: the low
    seven bits of every byte added as one big number (no carry crosses a
    byte), the top bits put back by exclusive or."""
    low, top = int.from_bytes(b"\x7f" * len(one), "big"), int.from_bytes(b"\x80" * len(one), "big")
    a, b = int.from_bytes(one, "big"), int.from_bytes(other, "big")
    return bytearray((((a & low) + (b & low)) ^ ((a ^ b) & top)).to_bytes(len(one), "big"))
