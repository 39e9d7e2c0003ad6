"""Reading a CRM export: the file as records, each with the line it starts on.

`ExportFile` opens the file and tells its format when it is made, raising
`ImportRefused` when the file as a whole cannot be read, then streams its
records in file order without reading the file into memory. It judges no
value: `check` says what each record's cells mean.

The format is JSON lines for a `.jsonl`, `.ndjson` or `.json` file or one
whose first non-blank character is `{`; anything else is read as CSV, its
dialect (delimiter `,` `;` tab or `|`, quoting) sniffed from the first 64 KiB.
Text is UTF-8, with or without a byte order mark.

Line numbers are physical lines, the first line (a CSV header) being 1; a
record that spans several lines (a quoted value with line breaks) is named by
the line it starts on. A record with a NUL byte or bytes that are not UTF-8
is a `BadRow`, as is a CSV record that cannot be parsed and a JSON line that
is not one object; reading goes on with the next record. Blank lines are
skipped.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO, Any

from ..errors import ImportRefused
from ..limits import MAX_VALUE_BYTES

SNIFF_BYTES = 64 * 1024
# csv.Sniffer's quote detection takes time quadratic in its sample (0.3 s
# for 64 KiB of quoted cells); the first 16 KiB hold a hundred lines or more.
SNIFF_DIALECT_CHARS = 16 * 1024
JSON_SUFFIXES = (".jsonl", ".ndjson", ".json")
DELIMITERS = ",;\t|"

# The csv module refuses a cell over 128 KiB with an error that names neither
# the cell nor the reason; it may read far larger ones, so that `check` can
# name the field over MAX_VALUE_BYTES. Beyond this even csv stops, and the
# record is a bad row that says both things it can be.
CSV_CELL_CHARS = 64 * MAX_VALUE_BYTES
csv.field_size_limit(max(csv.field_size_limit(), CSV_CELL_CHARS))

BAD_UTF8 = "contains bytes that are not valid UTF-8 (save the file as UTF-8)"
HAS_NUL = "contains a NUL byte"
ONE_OBJECT_A_LINE = 'each line must be one object, like {"email": "jane@example.com"}'


@dataclass(frozen=True)
class BadRow:
    line: int
    reason: str


def line_problem(line: str) -> str | None:
    """Why a line decoded with surrogateescape cannot be imported, or None."""
    if "\x00" in line:
        return HAS_NUL
    if not line.isascii():
        try:
            line.encode("utf-8")
        except UnicodeEncodeError:
            return BAD_UTF8
    return None


def _sniff_dialect(sample: str) -> type[csv.Dialect]:
    """The CSV dialect, from the first lines of the file."""
    if len(sample) > SNIFF_DIALECT_CHARS:
        cut = max(sample.rfind("\n", 0, SNIFF_DIALECT_CHARS), sample.rfind("\r", 0, SNIFF_DIALECT_CHARS))
        sample = sample[: cut + 1] if cut > 0 else sample
    first_line = next((ln for ln in sample.splitlines() if ln.strip()), "")
    delimiter, quotechar, skipinitialspace = ",", '"', False
    try:
        sniffed = csv.Sniffer().sniff(sample, delimiters=DELIMITERS)
    except csv.Error:
        sniffed = None
    if sniffed is not None:
        delimiter = sniffed.delimiter
        quotechar = sniffed.quotechar or '"'
        skipinitialspace = sniffed.skipinitialspace
    if sniffed is None or delimiter not in first_line:
        # The header names every column, so it holds the most delimiters.
        counts = {d: first_line.count(d) for d in DELIMITERS}
        best = max(counts, key=lambda d: counts[d])
        if counts[best]:
            delimiter = best

    class Sniffed(csv.Dialect):
        lineterminator = "\r\n"
        quoting = csv.QUOTE_MINIMAL
        escapechar = None
        # Sniffer says doublequote=False whenever its sample has no "" in it,
        # and a later "" would then be misread: doubled quotes are standard.
        doublequote = True
        strict = False

    Sniffed.delimiter = delimiter
    Sniffed.quotechar = quotechar
    Sniffed.skipinitialspace = skipinitialspace
    return Sniffed


class ExportFile:
    """A CRM export as records: CSV (any common dialect) or JSON lines.

    Making one reads the first 64 KiB: the format, and for CSV the dialect
    and the header (`header_line`, `columns`). `problems` are what the first
    lines of JSON lines show to be wrong with the whole file, for the caller
    to refuse it with its own. Each call of `csv_records` or `json_objects`
    reads the file again from the start and closes it at the end; `size` and
    `bytes_read` measure progress for a progress bar."""

    def __init__(self, path: str | os.PathLike[str]):
        self.path = os.fspath(path)
        self._stream: IO[bytes] | None = None
        self._bytes_done = 0
        self.problems: list[str] = []
        self.header_line = 0  # CSV: the line of the header, and the names it gives
        self.columns: list[str] = []
        sample = self._read_sample()
        self.format = self._detect_format(sample)
        text = sample.decode("utf-8", "surrogateescape").removeprefix("\ufeff")
        if len(sample) == SNIFF_BYTES:  # keep whole lines only
            text = text[: max(text.rfind("\n"), text.rfind("\r")) + 1]
        self._sample_lines = text.split("\n")
        if self.format == "csv":
            self.dialect = _sniff_dialect(text)
            with self._reading() as lines:
                self.header_line, self.columns = self._read_header(lines)
            self._bytes_done = 0
        elif next((ln.strip() for ln in self._sample_lines if ln.strip()), "") == "{":
            self.problems.append(
                f"{self.path} is one JSON object spread over several lines, "
                f"not JSON lines ({ONE_OBJECT_A_LINE})"
            )

    @property
    def size(self) -> int:
        """The file's size in bytes."""
        return self._size

    @property
    def bytes_read(self) -> int:
        """How far the current (or last) pass has read, in bytes."""
        if self._stream is not None and not self._stream.closed:
            return self._stream.tell()
        return self._bytes_done

    def follow(self, bytes_read: int) -> None:
        """How far another process reading this file has read it, so that
        `bytes_read` here says."""
        self._bytes_done = bytes_read

    # --- the whole file --------------------------------------------------------

    def _cannot_read(self, error: OSError) -> ImportRefused:
        if isinstance(error, FileNotFoundError):
            why = "there is no such file"
        elif isinstance(error, IsADirectoryError):
            why = "it is a folder, not a file"
        elif isinstance(error, PermissionError):
            why = "permission denied"
        else:
            why = error.strerror or str(error)
        return ImportRefused(f"cannot read {self.path}: {why}")

    def _read_sample(self) -> bytes:
        try:
            with open(self.path, "rb") as f:
                self._size = os.fstat(f.fileno()).st_size
                return f.read(SNIFF_BYTES)
        except OSError as e:
            raise self._cannot_read(e) from None

    @contextmanager
    def _reading(self) -> Iterator[io.TextIOWrapper]:
        """The file as text, for one pass; `bytes_read` follows it."""
        try:
            stream = open(self.path, "rb")
        except OSError as e:
            raise self._cannot_read(e) from None
        self._stream = stream
        # newline="": the csv module sees line breaks inside quoted values as
        # written, and \r, \n and \r\n all end a physical line.
        text = io.TextIOWrapper(
            stream, encoding="utf-8-sig", errors="surrogateescape", newline=""
        )
        try:
            yield text
        finally:
            self._bytes_done = stream.tell()
            self._stream = None
            text.close()

    def _detect_format(self, sample: bytes) -> str:
        if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            raise ImportRefused(
                f"{self.path} is saved as UTF-16 text; save it as CSV UTF-8 "
                "(or as JSON lines) and import it again"
            )
        if sample.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
            raise ImportRefused(
                f"{self.path} is a spreadsheet workbook, not a CSV file; "
                "save it as CSV UTF-8 and import it again"
            )
        start = sample.removeprefix(codecs.BOM_UTF8).lstrip()
        if not start:
            raise ImportRefused(
                f"{self.path} is empty; it needs a header row naming the columns, "
                "then one lead a line"
            )
        if start.startswith(b"{"):
            return "jsonl"
        if start.startswith(b"["):
            raise ImportRefused(
                f"{self.path} is a JSON array, not JSON lines ({ONE_OBJECT_A_LINE})"
            )
        if self.path.lower().endswith(JSON_SUFFIXES):
            raise ImportRefused(
                f"{self.path} is not JSON lines: it does not start with an object "
                f"({ONE_OBJECT_A_LINE})"
            )
        return "csv"

    # --- CSV -------------------------------------------------------------------

    def _read_header(self, lines: io.TextIOWrapper) -> tuple[int, list[str]]:
        """(the header's line, the column names, stripped)."""
        reader = csv.reader(lines, self.dialect)
        before = 0
        for record in reader:
            if any(cell.strip() for cell in record):
                line, columns = before + 1, [cell.strip() for cell in record]
                break
            before = reader.line_num
        else:
            raise ImportRefused(
                f"{self.path} has no header row; its first line must name the columns, "
                "like email,phone,source"
            )
        problem = line_problem("".join(columns))
        if problem == HAS_NUL:
            raise ImportRefused(
                f"{self.path} is not a CSV or JSON lines file (its first line has a NUL byte)"
            )
        if problem is not None:
            raise ImportRefused(f"the header row of {self.path} (line {line}) {BAD_UTF8}")
        return line, columns

    def csv_records(self) -> Iterator[tuple[int, list[str]] | BadRow]:
        """(line, cells) for each record after the header, or a BadRow for
        one that cannot be read."""
        line_problems: list[str] = []  # found in the lines of the current record

        def checked(lines: Iterator[str]) -> Iterator[str]:
            for line in lines:
                if line.isascii() and "\x00" not in line:
                    yield line
                    continue
                problem = line_problem(line)
                if problem is not None:
                    line_problems.append(problem)
                    line = line.replace("\x00", "")  # the row is bad; keep csv reading
                yield line

        header_line = self.header_line
        with self._reading() as text:
            reader = csv.reader(checked(text), self.dialect)
            before = 0
            while True:
                try:
                    record = next(reader)
                except StopIteration:
                    break
                except csv.Error as e:
                    line_problems.clear()
                    start, before = before + 1, reader.line_num
                    if "field larger than field limit" in str(e):
                        yield BadRow(start, f"has a cell of more than {CSV_CELL_CHARS:,} characters, far over the "
                                            f"limit of 1 MB for one value ({MAX_VALUE_BYTES:,} bytes of UTF-8); "
                                            "shorten it, or check for a quote that is not closed")
                        continue
                    yield BadRow(
                        start, f"cannot be read as CSV ({e}); check for a quote that is not closed"
                    )
                    continue
                start, before = before + 1, reader.line_num
                if start <= header_line:
                    line_problems.clear()
                    continue
                if line_problems:
                    reason = line_problems[0]
                    line_problems.clear()
                    yield BadRow(start, reason)
                    continue
                yield start, record

    # --- JSON lines ------------------------------------------------------------

    def sample_objects(self) -> Iterator[dict[str, Any]]:
        """The objects on the first lines (the whole lines of the first 64
        KiB), for keys to be checked before the rest is read; lines that are
        not objects are left to `json_objects` to name."""
        for line in self._sample_lines:
            if not line.strip() or line_problem(line) is not None:
                continue
            try:
                obj = json.loads(line)
            except ValueError:
                continue
            if isinstance(obj, dict):
                yield obj

    def json_objects(self) -> Iterator[tuple[int, dict[str, Any]] | BadRow]:
        """(line, object) for each non-blank line, or a BadRow for a line
        that is not one JSON object."""
        with self._reading() as text:
            number = 0
            for line in text:
                number += 1
                if not line.isascii() or "\x00" in line:
                    problem = line_problem(line)
                    if problem is not None:
                        yield BadRow(number, problem)
                        continue
                if not line.strip():
                    continue
                try:
                    obj = json.loads(line)
                except ValueError:
                    yield BadRow(number, f"is not valid JSON ({ONE_OBJECT_A_LINE})")
                    continue
                if not isinstance(obj, dict):
                    yield BadRow(number, f"is not a JSON object ({ONE_OBJECT_A_LINE})")
                    continue
                yield number, obj
