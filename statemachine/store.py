"""A Baton database, on SQLite or PostgreSQL: opening it, one write
transaction per command, the chain.

The hot path uses the standard `sqlite3` module only; sqlite-utils (slow to
import) builds the schema when a database is created. Every command that
changes anything runs inside `Store.transaction()` (BEGIN IMMEDIATE), reads
the state it depends on inside it, and appends its events there, so the event
and the state change commit together or not at all.

With --db postgresql://..., `store.db` is a `pg.PgConnection` standing in for
the sqlite3 one (psycopg is imported only then). SQL that runs on both:
- SQLite's dialect, `?` placeholders, through `store.db`; `pg.translate`
  rewrites the few SQLite-only forms (listed in `pg.py`). Anything else
  SQLite-only: a rule in `pg._REWRITES`, or a Store method asking `postgres`.
- A total ORDER BY wherever the order reaches output or events (ties too:
  `..., rowid`; `leads` and `clocks` have one on both): PostgreSQL keeps no
  order of its own. In `DO UPDATE SET` name the table (`t.col + excluded.col`).
- Double-quote policy names (fields); `sum()` is a Decimal on PostgreSQL.
- Transactions only through `transaction()` / `snapshot()`; a new table in
  `schema.py` and `pg_schema.py`. Errors on PostgreSQL: `DatabaseProblem`.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, cast

from .chain import GENESIS, canonical, event_hash
from .dburl import is_postgres, other_url
from .errors import BadArgument, DatabaseBusy, DatabaseProblem
from .events import EVENT_COLUMNS as EVENT_COLUMNS  # the store reads and writes events: re-exported
from .events import Event as Event
from .oplog import log
from .sqlite_file import connect_file, open_files
from .statements import insert_many, update_lead_sql, upsert_lead_sql

BASE_COLUMNS = ("id", "state", "owner", "attempts", "state_since", "created_at", "updated_at")
TABLES = ("events", "leads", "policies", "personal", "reps", "meta", "clocks", "outbox", "rep_load")
CORE_TABLES = frozenset({"events", "policies", "meta"})  # every Baton database has had these, from the first version
PERSONAL_INSERT = "INSERT INTO personal(digest, lead, field, salt, value) VALUES (?, ?, ?, ?, ?)"


def busy_timeout_ms() -> int:
    """How long a command waits for another one's write lock (BATON_BUSY_TIMEOUT_MS)."""
    raw = os.environ.get("BATON_BUSY_TIMEOUT_MS", "5000")
    try:
        value = int(raw)
    except ValueError:
        value = -1
    if value < 0:
        raise BadArgument(f"BATON_BUSY_TIMEOUT_MS={raw!r} is not a number of milliseconds; set it like 5000, or unset it")
    return value


def _locked(path: str) -> DatabaseBusy:
    log("info", "database locked", db=path, busy_timeout_ms=busy_timeout_ms())
    return DatabaseBusy(f"{path} is locked by another Baton command or program; try again in a moment")


class Store:
    """An open Baton database."""

    # The wall-clock time every event of this command records, when its
    # --now is far from it (`clock.write_clock`); None: nothing to record.
    recorded_at: str | None = None
    _file: str | None = None  # the real path, while this Store counts in `open_files`
    api_tables_ready = False  # the HTTP API's tables are known to be there (`schema.ensure_api_tables`)
    # The level of the `committed` line each commit logs: `info` for a command
    # and the sweep; the API's requests say it at `debug` (`api.backend`).
    commit_log_level = "info"

    def __init__(self, path: str, db: sqlite3.Connection):
        self.path = path
        self.db = db
        self._tail: tuple[int, str] | None = None

    # -- opening ----------------------------------------------------------------
    @property
    def postgres(self) -> bool:
        """Whether this is a PostgreSQL database (`pg.PgConnection` standing in for sqlite3's)."""
        return not isinstance(self.db, sqlite3.Connection)

    @classmethod
    def open(cls, path: str, *, write: bool) -> Store:
        """Open an existing Baton database; refuse anything else, touching nothing."""
        if refused := other_url(path):
            raise DatabaseProblem(refused)
        if is_postgres(path):
            return cls._open_postgres(path)
        db, names = connect_file(path, write=write, timeout_ms=busy_timeout_ms(), locked=_locked)
        _check_tables(path, "an SQLite file", names, db.close)
        # Zero what a write frees or rewrites, whatever SQLite's build default:
        # an old value left in free space would survive its erasure (`lead forget`).
        db.execute("PRAGMA secure_delete = ON")
        store = cls(path, db)
        store._file = os.path.realpath(path)
        open_files[store._file] = open_files.get(store._file, 0) + 1
        return store

    @classmethod
    def _open_postgres(cls, url: str) -> Store:
        from .pg import connect
        from .pg_schema import refuse_no_schema, table_names

        db = connect(url, busy_timeout_ms())
        try:
            names = table_names(db)
            if not names:
                refuse_no_schema(db)
            _check_tables(db.shown, "a PostgreSQL database", names, db.close)
        except BaseException:
            db.close()
            raise
        return cls(db.shown, cast(sqlite3.Connection, db))

    def close(self) -> None:
        self.db.close()
        if self._file is not None:
            open_files[self._file] -= 1
            self._file = None

    def login(self) -> str | None:
        """The database login acting (PostgreSQL's session_user); None on SQLite, a file."""
        return str(self.db.execute("SELECT session_user").fetchone()[0]) if self.postgres else None

    # -- transactions -----------------------------------------------------------
    @contextmanager
    def transaction(self) -> Iterator[Store]:
        """One write transaction: BEGIN IMMEDIATE takes the write lock first, so
        what the command reads inside cannot change before it commits."""
        try:
            self.db.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as error:
            if "locked" in str(error) or "busy" in str(error):
                raise _locked(self.path) from None
            if "readonly" in str(error):
                raise DatabaseProblem(f"{self.path} is read-only; make it writable or work on a copy") from None
            raise
        self._tail = None
        last_seq = None
        try:
            yield self
            if self._tail is not None:
                last_seq = self._tail[0]
            self.db.execute("COMMIT")
        except BaseException as error:
            # SQLite rolls back by itself on some errors (a full disk, an I/O
            # error); a second ROLLBACK would fail and hide the real reason.
            if self.db.in_transaction:
                self.db.execute("ROLLBACK")
            if isinstance(error, sqlite3.OperationalError) and "locked" in str(error):
                raise _locked(self.path) from None
            raise
        finally:
            self._tail = None
        if last_seq is not None:
            log(self.commit_log_level, "committed", db=self.path, last_seq=last_seq)

    @contextmanager
    def snapshot(self) -> Iterator[Store]:
        """One read transaction: every query inside sees the same committed
        database, whatever other commands commit meanwhile (WAL readers never
        block writers). Inside a transaction already, that one is the snapshot."""
        if self.db.in_transaction:
            yield self
            return
        self.db.execute("BEGIN")
        try:
            yield self
        finally:
            if self.db.in_transaction:
                self.db.execute("ROLLBACK")

    # -- the event log ----------------------------------------------------------
    def append(self, lead: str | None, at: str, actor: str, event: str, from_: str | None,
               to: str | None, data: dict[str, Any], policy_version: int | None) -> Event:
        seq, prev = self.chain_tail()
        seq += 1
        if self.recorded_at is not None:
            data = {**data, "recorded_at": self.recorded_at}
        digest = event_hash(seq, lead, at, actor, event, from_, to, data, policy_version, prev)
        self.db.execute(
            "INSERT INTO events VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            (seq, lead, at, actor, event, from_, to, canonical(data), policy_version, prev, digest),
        )
        self._tail = (seq, digest)
        return Event(seq, lead, at, actor, event, from_, to, data, policy_version, prev, digest)

    def chain_tail(self) -> tuple[int, str]:
        """(seq, hash) of the last event, inside a transaction."""
        if self._tail is None:
            row = self.db.execute("SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1").fetchone()
            self._tail = (row[0], row[1]) if row else (0, GENESIS)
        return self._tail

    def append_hashed(self, rows: list[tuple[Any, ...]]) -> None:
        """Insert events already chained on from `chain_tail()`, as rows in
        EVENT_COLUMNS order (`data` as its canonical JSON), in one go."""
        insert_many(self.db, "events", EVENT_COLUMNS, rows)
        self._tail = (rows[-1][0], rows[-1][-1])

    def events(self, where: str = "", params: tuple[Any, ...] = ()) -> Iterator[Event]:
        cols = ", ".join(f'"{c}"' for c in EVENT_COLUMNS)
        sql = f"SELECT {cols} FROM events {where} ORDER BY seq"
        for row in self.db.execute(sql, params):
            yield Event.from_row(row)

    # -- meta, policies ---------------------------------------------------------
    def meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        self.db.execute(
            "INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    def policy_row(self, version: int | None = None) -> tuple[int, str, str, str | None] | None:
        """(version, text, hash, compiled JSON) of the active or a given version."""
        if version is None:
            active = self.meta("policy_version")
            if active is None:
                return None
            version = int(active)
        row = self.db.execute(
            "SELECT version, text, hash, compiled FROM policies WHERE version = ?", (version,)
        ).fetchone()
        return tuple(row) if row else None

    def cache_compiled(self, version: int, compiled: str) -> None:
        if self.postgres and self.db.in_transaction:
            return  # a failed write would abort the whole PostgreSQL transaction; the cache can wait
        try:
            self.db.execute("UPDATE policies SET compiled = ? WHERE version = ?", (compiled, version))
        except (sqlite3.OperationalError, DatabaseProblem):
            pass  # a read-only or busy database simply keeps no cache

    # -- the leads projection ---------------------------------------------------
    def lead_columns(self) -> list[str]:
        return [r[1] for r in self.db.execute("PRAGMA table_info(leads)")]

    def add_field_columns(self, names: list[str], types: Mapping[str, str] | None = None) -> None:
        """Add these fields' columns that `leads` lacks. SQLite's are untyped
        (each value keeps its own type); PostgreSQL's take the field's type
        from `types` (name -> policy field type), text when not given."""
        have = set(self.lead_columns())
        for name in names:
            if name not in have:
                declared = ""
                if self.postgres:
                    from .pg_schema import column_type

                    declared = " " + column_type((types or {}).get(name, "text"))
                self.db.execute(f'ALTER TABLE leads ADD COLUMN "{name}"{declared}')

    def stream(self, sql: str, params: Sequence[Any] = (), size: int = 2000) -> Iterator[list[Any]]:
        """The rows of a SELECT, `size` at a time, never all at once: flat
        memory on both stores (on PostgreSQL a server-side cursor, so call it
        inside a `snapshot()` or `transaction()`)."""
        if self.postgres:
            yield from cast(Any, self.db).stream(sql, params, size)
            return
        cursor = self.db.execute(sql, params)
        while rows := cursor.fetchmany(size):
            yield rows

    def lead_row(self, lead: str) -> dict[str, Any] | None:
        cursor = self.db.execute("SELECT * FROM leads WHERE id = ?", (lead,))
        row = cursor.fetchone()
        if row is None:
            return None
        return dict(zip([d[0] for d in cursor.description], row))

    def leads_in_state(self, state: str) -> list[str]:
        return [lead for (lead,) in self.db.execute("SELECT id FROM leads WHERE state = ? ORDER BY rowid", (state,))]

    def lead_exists(self, lead: str) -> bool:
        return self.db.execute("SELECT 1 FROM leads WHERE id = ?", (lead,)).fetchone() is not None

    def existing_leads(self, leads: list[str]) -> set[str]:
        """Those of `leads` that exist, in one query however many they are."""
        rows = self.db.execute(
            "SELECT id FROM leads WHERE id IN (SELECT value FROM json_each(?))", (json.dumps(leads),)
        )
        return {lead for (lead,) in rows}

    def write_lead(self, columns: dict[str, Any]) -> None:
        self.db.execute(upsert_lead_sql(tuple(columns)), tuple(columns.values()))

    def update_lead(self, lead: str, changed: dict[str, Any]) -> None:
        """Set only the columns that changed: SQLite then rewrites only the
        indexes over those columns."""
        if changed:
            self.db.execute(update_lead_sql(tuple(changed)), (*changed.values(), lead))

    def open_lead_counts(self, reps: tuple[str, ...]) -> dict[str, int]:
        """Open leads each rep owns, kept as a running count (see Recorder.save)
        so routing costs the same with a thousand leads or a million."""
        counts = dict.fromkeys(reps, 0)
        if reps:
            sql = f"SELECT rep, open_leads FROM rep_load WHERE rep IN ({','.join('?' * len(reps))})"
            counts.update(dict(self.db.execute(sql, reps).fetchall()))
        return counts

    def adjust_load(self, rep: str, delta: int) -> None:
        self.db.execute(
            "INSERT INTO rep_load(rep, open_leads) VALUES (?, ?) "
            "ON CONFLICT(rep) DO UPDATE SET open_leads = rep_load.open_leads + excluded.open_leads",
            (rep, delta),
        )

    def rep_loads(self) -> dict[str, int]:
        """Every rep's running count as stored (reps without a row have none)."""
        return {rep: count for rep, count in self.db.execute("SELECT rep, open_leads FROM rep_load")}

    def recount_load(self, open_states: tuple[str, ...]) -> None:
        """Count the load again from the leads table (after a rebuild or a new
        policy, which may move leads or change which states are final)."""
        self.db.execute("DELETE FROM rep_load")
        self.db.execute(
            "INSERT INTO rep_load(rep, open_leads) SELECT owner, count(*) FROM leads "
            f"WHERE owner IS NOT NULL AND state IN ({','.join('?' * len(open_states))}) GROUP BY owner",
            open_states,
        )

    # -- personal data ----------------------------------------------------------
    def put_personal(self, digest: str, lead: str, field: str, salt: str, value: Any) -> None:
        self.db.execute(PERSONAL_INSERT, (digest, lead, field, salt, canonical(value)))

    def personal_values(self, keys: list[tuple[str, str]]) -> dict[str, Any]:
        """digest -> value, for (lead, digest) pairs; an erased one is missing."""
        return {digest: json.loads(value) for digest, (_, value) in self.personal_entries(keys).items()}

    def personal_entries(self, keys: list[tuple[str, str]]) -> dict[str, tuple[Any, Any]]:
        """digest -> (salt, value as stored JSON text), for (lead, digest)
        pairs: the table's key, so each is one look-up. Written as a join
        from the pairs: SQLite plans `(lead, digest) IN (VALUES ...)` as a
        scan of the whole table per call, which made `audit verify` grow
        with leads x chunks; CROSS JOIN keeps SQLite from reordering it."""
        found: dict[str, tuple[Any, Any]] = {}
        keys = list(dict.fromkeys(keys))
        for start in range(0, len(keys), 400):
            chunk = keys[start : start + 400]
            pairs = ",".join("(?,?)" for _ in chunk)
            sql = ("SELECT p.digest, p.salt, p.value "
                   f"FROM (VALUES {pairs}) AS k CROSS JOIN personal AS p ON p.lead = k.column1 AND p.digest = k.column2")
            for digest, salt, value in self.db.execute(sql, [part for key in chunk for part in key]):
                found[digest] = (salt, value)
        return found

    # -- reps and routing positions ---------------------------------------------
    def reps_away(self) -> dict[str, str | None]:
        """rep -> the time they are back (None: until they say so)."""
        return {name: until for name, until in self.db.execute("SELECT name, until FROM reps WHERE away = 1")}

    def set_away(self, rep: str, away: bool, until: str | None) -> None:
        self.db.execute(
            "INSERT INTO reps(name, away, until) VALUES (?, ?, ?) "
            "ON CONFLICT(name) DO UPDATE SET away = excluded.away, until = excluded.until",
            (rep, int(away), until),
        )

    def rr_position(self, key: str) -> int:
        value = self.meta(f"round_robin:{key}")
        return int(value) if value is not None else 0

    def set_rr_position(self, key: str, position: int) -> None:
        self.set_meta(f"round_robin:{key}", str(position))


def _check_tables(shown: str, what: str, names: set[str], close: Callable[[], object]) -> None:
    missing = [t for t in TABLES if t not in names]
    if CORE_TABLES - names:  # another program's tables, if any, named as Baton's
        close()
        raise DatabaseProblem(f"{shown} is {what} but not a Baton database; check --db")
    if missing:
        close()
        raise DatabaseProblem(
            f"{shown} was made by another version of Baton (it has no {', '.join(missing)} table); "
            "use the Baton that made it"
        )
