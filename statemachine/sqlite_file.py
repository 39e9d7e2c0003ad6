"""Opening a Baton database file with SQLite: refuse anything that is not
one (missing, a folder, not SQLite, damaged, read-only for a write),
touching nothing.

The file's header is read only while this process has no connection to the
file: closing any other descriptor of it drops every POSIX lock the process
holds on it, and a connection that lost its shared lock lets another process
checkpoint and delete the WAL under it (`serve --http` holds two
connections, and opens more for the reports page). `Store` counts its open
connections per file in `open_files`.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable
from urllib.parse import quote

from .errors import DatabaseProblem

SQLITE_HEADER = b"SQLite format 3\x00"

# real path -> how many Stores of this process have it open
open_files: dict[str, int] = {}


def connect_file(path: str, *, write: bool, timeout_ms: int,
                 locked: Callable[[str], Exception]) -> tuple[sqlite3.Connection, set[str]]:
    """A connection to the Baton file at `path`, and the names of its tables."""
    if not os.path.exists(path):
        raise DatabaseProblem(
            f"no Baton database at {path}; create one with `baton init --policy policies/default.yaml`, "
            "or point --db (or BATON_DB) at yours"
        )
    if os.path.isdir(path):
        raise DatabaseProblem(f"{path} is a folder, not a Baton database; point --db at the database file")
    if open_files.get(os.path.realpath(path), 0) == 0:
        try:
            with open(path, "rb") as handle:
                header = handle.read(16)
        except OSError as error:
            raise DatabaseProblem(f"cannot read {path}: {error.strerror}") from None
        if header != SQLITE_HEADER:
            raise DatabaseProblem(f"{path} is not a Baton database (not an SQLite file); check --db")
    writable = os.access(path, os.W_OK) and os.stat(path).st_mode & 0o222 != 0
    if write and not writable:
        raise DatabaseProblem(f"{path} is read-only; make it writable (chmod u+w) or work on a copy")
    mode = "rw" if writable else "ro"
    try:
        db = sqlite3.connect(
            f"file:{quote(os.path.abspath(path))}?mode={mode}", uri=True,
            isolation_level=None, timeout=timeout_ms / 1000, check_same_thread=False,
        )
        names = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    except sqlite3.OperationalError as error:
        if "locked" in str(error):
            raise locked(path) from None
        raise DatabaseProblem(f"cannot open {path}: {error}") from None
    except sqlite3.DatabaseError:
        raise DatabaseProblem(f"{path} is not a Baton database (the SQLite file is damaged); check --db") from None
    return db, names
