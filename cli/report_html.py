"""`baton report html FILE`: every report on one page a head can open from an
email attachment, or print."""

from __future__ import annotations

import contextlib
import os

import click

from statemachine.errors import BadArgument

from .app import App


@click.command()
@click.argument("file", metavar="FILE")
@click.option("--since", metavar="TIME", help="Only events at or after this time (ISO 8601).")
@click.option("--until", metavar="TIME", help="Only events at or before this time (ISO 8601).")
@click.option("--as-of", "as_of", metavar="TIME", help="The figures as they stood then (default: now).")
@click.pass_obj
def html(app: App, file: str, since: str | None, until: str | None, as_of: str | None) -> None:
    """Write every report to one page, FILE.

    The page holds its charts and styles itself: it opens in any browser
    without a network, and prints on A4."""
    from statemachine.reports import compute
    from statemachine.reports.page import render
    from statemachine.times import for_people, iso, parse_time

    check_writable(file)
    ws = app.workspace(write=False)
    zone = ws.policy.timezone

    def moment(value: str | None, option: str) -> str | None:
        return None if value is None else iso(parse_time(value, zone, option))

    figures = compute(ws.store, since=moment(since, "--since"), until=moment(until, "--until"),
                      as_of=moment(as_of, "--as-of") or ws.at)
    shown = figures.as_json()
    write_page(file, render(shown))
    if app.as_json:
        app.emit({"file": file, "as_of": shown["window"]["as_of"]})
        return
    click.echo(f"Wrote the reports as of {for_people(shown['window']['as_of'], zone)} to {file}; open it in a browser.")


def check_writable(path: str) -> None:
    """Refuse a page Baton could not write before the figures are computed."""
    folder = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path):
        raise BadArgument(f"{path} is a folder; name the page's file, like {os.path.join(path, 'reports.html')}")
    if not os.path.isdir(folder):
        raise BadArgument(f"cannot write {path}: the folder {folder} does not exist; create it or pick another file")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise BadArgument(f"cannot write {path}: the folder {folder} is not writable by you; pick another file")
    if os.path.exists(path) and not os.access(path, os.W_OK):
        raise BadArgument(f"cannot write {path}: the file is read-only; pick another file or make it writable")


def write_page(path: str, text: str) -> None:
    """Write the page whole or not at all: into a temporary file beside it,
    then renamed over FILE, so a reader never opens half a page and a failed
    write leaves FILE as it was."""
    import tempfile

    check_writable(path)
    folder = os.path.dirname(os.path.abspath(path))
    try:
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=f".{os.path.basename(path)}.", suffix=".tmp")
    except OSError as error:
        raise BadArgument(f"cannot write {path}: {error.strerror}; pick another file") from None
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        # mkstemp makes the file readable by its owner alone; a page is for sharing.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)
        os.replace(temporary, path)
    except OSError as error:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise BadArgument(f"cannot write {path}: {error.strerror}; nothing was written") from None
