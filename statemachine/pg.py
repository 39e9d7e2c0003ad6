"""PostgreSQL: the connection Baton's SQL runs on when --db is a postgresql:// URL.

`PgConnection` offers what Baton uses of an `sqlite3.Connection`
(`execute`, `executemany`, `in_transaction`, `close`; cursors with
`fetchone`, `fetchmany`, `fetchall`, iteration and `description`), so the
modules that run SQL on `store.db` run unchanged on both stores. It
translates each statement once (cached) from the SQLite dialect Baton's SQL
is written in; the rules for writing SQL that runs on both are in
`statemachine/store.py`'s docstring.

Transactions mirror SQLite's: the connection is in autocommit mode, and
`BEGIN IMMEDIATE` (a command's write transaction) becomes BEGIN plus a
transaction-level advisory lock per Baton database (database and schema),
the serialization point for the chain head and every row a command reads
then writes; plain `BEGIN` (a read snapshot) is REPEATABLE READ. A lock not
granted within BATON_BUSY_TIMEOUT_MS is Baton's plain "locked" refusal.

Rewritten for PostgreSQL: `?` -> `%s`, `INSERT OR IGNORE`, `x IS NOT y`
(y not NULL), `INDEXED BY`, `instr`, `json_type(col, '$.key')`,
`json_each(?)`, `CROSS JOIN t AS a ON`, empty `IN ()`, `SELECT * FROM
leads` / `l.*` (without the hidden `rowid`), `DELETE FROM leads` (the
rebuild: the rowid count restarts), `PRAGMA table_info(t)` and the other
PRAGMAs Baton sends.

Values bind loosely, as SQLite takes them: numbers go as untyped literals
that PostgreSQL reads as the type of the column they meet, and text columns
compare byte by byte (COLLATE "C"), as SQLite's do.
"""

from __future__ import annotations

import functools
import itertools
import os
import re
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg import errors as pg_errors
from psycopg.adapt import Dumper
from psycopg.pq import TransactionStatus

from .dburl import masked, scrubbed, unencoded
from .errors import AlreadyServing, DatabaseBusy, DatabaseProblem
from .oplog import log

# The write lock: one a Baton database (database and schema), held to commit.
WRITE_LOCK = "SELECT pg_advisory_xact_lock(hashtext('baton:' || current_database() || ':' || current_schema()))"
_CURSORS = itertools.count(1)
# The leads projection's stand-in for SQLite's rowid (insertion order); never shown.
ROWID = "rowid"


class _LooseNumber(Dumper):
    """A number sent untyped, like a string literal: PostgreSQL gives it the
    type of whatever it meets (a text column, a bigint key), as SQLite's
    type affinity does, instead of refusing `text = bigint`."""

    oid = 0

    def dump(self, obj: Any) -> bytes:
        if isinstance(obj, bool):
            return b"1" if obj else b"0"
        if isinstance(obj, float):
            return repr(obj).encode()
        return str(int(obj)).encode()

    def quote(self, obj: Any) -> bytes:
        """A number as an SQL literal (psycopg's own FETCH sizes are formatted so)."""
        text = self.dump(obj)
        return b" " + text if text.startswith(b"-") else text


def connect(url: str, busy_timeout_ms: int) -> PgConnection:
    """Open `url`; a refused connection or a missing database is one plain sentence."""
    return PgConnection(_open(url, busy_timeout_ms), masked(url), url, busy_timeout_ms)


def _open(url: str, busy_timeout_ms: int) -> psycopg.Connection[Any]:
    odd = unencoded(url)
    if odd:
        raise DatabaseProblem(odd)
    try:
        conn = psycopg.connect(url, autocommit=True, connect_timeout=10)
    except psycopg.Error as error:
        raise DatabaseProblem(scrubbed(_connect_problem(masked(url), error), url)) from None
    for kind in (int, bool, float):
        conn.adapters.register_dumper(kind, _LooseNumber)
    conn.execute(f"SET lock_timeout = {int(busy_timeout_ms)}")
    return conn


_SERVE_KEY = "SELECT hashtext('baton-serve:' || current_database() || ':' || current_schema())::bigint"
_SERVE_NAME = "baton serve pid "


@contextmanager
def serving_lock(url: str, busy_timeout_ms: int) -> Iterator[str]:
    """Hold the database's one-`serve` lock: a session advisory lock on a
    connection of its own, held as long as serve runs (and freed by the
    server if serve's machine dies); the holder's pid is in its
    application_name, so a second serve names it."""
    db = connect(url, busy_timeout_ms)
    try:
        key = int(_one(db, _SERVE_KEY))
        if not _one(db, "SELECT pg_try_advisory_lock(?)", (key,)):
            raise AlreadyServing(db.shown, _serving_pid(db, key))
        db.execute("SELECT set_config('application_name', ?, false)", (f"{_SERVE_NAME}{os.getpid()}",))
        yield db.shown
    finally:
        db.close()


def _one(db: PgConnection, sql: str, params: Sequence[Any] = ()) -> Any:
    row = db.execute(sql, params).fetchone()
    return row[0] if row else None


def _serving_pid(db: PgConnection, key: int) -> int | None:
    """The pid of the serve holding lock `key` (in its application_name)."""
    row = db.execute(
        "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
        "WHERE l.locktype = 'advisory' AND l.granted AND l.database = (SELECT oid FROM pg_database "
        "WHERE datname = current_database()) AND l.classid::bigint = ? AND l.objid::bigint = ? LIMIT 1",
        ((key >> 32) & 0xFFFFFFFF, key & 0xFFFFFFFF),
    ).fetchone()
    text = str(row[0]) if row else ""
    return int(text[len(_SERVE_NAME):]) if text.startswith(_SERVE_NAME) and text[len(_SERVE_NAME):].isdigit() else None


def _connect_problem(shown: str, error: psycopg.Error) -> str:
    text = _first_line(error)
    found = re.search(r'database "([^"]+)" does not exist', text)
    if found:
        return (f"there is no database {found.group(1)} on the PostgreSQL server of {shown}; "
                f"create it (createdb {found.group(1)}) or check --db")
    if "password authentication failed" in text or "no password supplied" in text or re.search(
            r'role "[^"]*" does not exist', text):
        return f"PostgreSQL refused the login of {shown}: {text}; check the user and password"
    if "permission denied for database" in text or "pg_hba.conf" in text:
        return (f"PostgreSQL refused the login of {shown}: {text}; have its administrator let this login "
                "connect (GRANT CONNECT ON DATABASE, or a line in pg_hba.conf)")
    if re.search(r"^(connection is bad: )?invalid |missing \"=\"", text):
        return (f"cannot connect to PostgreSQL at {shown}: {re.sub('^connection is bad: ', '', text)}; "
                "the URL is not one PostgreSQL reads: fix it (another schema: ?options=-csearch_path%3DSCHEMA "
                "at its end, a % in a password as %25)")
    return f"cannot connect to PostgreSQL at {shown}: {text}; check the server is running and --db is right"


def _first_line(error: BaseException) -> str:
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    text = lines[0] if lines else type(error).__name__
    return re.sub(r"^connection failed: ", "", text)


class PgConnection:
    """A psycopg connection that takes Baton's SQL as an sqlite3 one would."""

    def __init__(self, conn: psycopg.Connection[Any], shown: str, url: str, busy_timeout_ms: int):
        self.conn = conn
        self.shown = shown
        self._reopen = (url, busy_timeout_ms)
        self._began = False  # a transaction was begun and not yet ended
        self._lead_columns: list[str] | None = None

    @property
    def in_transaction(self) -> bool:
        """As sqlite3's. A transaction whose connection broke is over: the
        caller asks this on its way out (Store.transaction), and from then
        on a new statement may reconnect."""
        if self.conn.broken:
            self._began = False
            return False
        return self.conn.info.transaction_status in (TransactionStatus.INTRANS, TransactionStatus.INERROR)

    def close(self) -> None:
        self.conn.close()

    def execute(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> psycopg.Cursor[Any]:
        word = sql.strip().upper()
        special = _SPECIAL.get(word)
        if special is not None:
            begins = word.startswith("BEGIN")
            try:
                cursor = self._run(special[0], special[1], fresh=begins)
            except DatabaseProblem:
                if begins and self.in_transaction:
                    self.conn.execute("ROLLBACK")  # the lock was not granted: no transaction was begun
                raise
            self._began = self._began or begins
            return cursor
        waits = _PRAGMA_BUSY.match(sql)
        if waits:
            # SQLite's busy_timeout 0 waits not at all; PostgreSQL's lock_timeout 0 would wait forever.
            return self._run(f"SET lock_timeout = {max(int(waits.group(1)), 1)}", ())
        if word in ("COMMIT", "ROLLBACK"):
            self._began = False
        pragma = _PRAGMA_TABLE.match(sql)
        if pragma:
            return self._run(_TABLE_INFO, (pragma.group(1),))
        return self._run(self._text(sql), params)

    def _text(self, sql: str) -> str:
        text = translate(sql)
        if "\x00LEADCOLS" in text:
            text = text.replace("\x00LEADCOLS\x00", self.lead_star("")).replace("\x00LEADCOLS_L\x00", self.lead_star("l."))
        if text.startswith("ALTER TABLE leads"):
            self._lead_columns = None
        return text

    def stream(self, sql: str, params: Sequence[Any], size: int) -> Iterator[list[Any]]:
        """A SELECT's rows `size` at a time: through a server-side cursor
        inside a transaction; outside one (autocommit) the rows come at once."""
        if not self.in_transaction:
            cursor = self.execute(sql, params)
            while rows := cursor.fetchmany(size):
                yield rows
            return
        try:
            with self.conn.cursor(name=f"baton_stream_{next(_CURSORS)}") as cursor:
                cursor.execute(self._text(sql), params)
                while rows := cursor.fetchmany(size):
                    yield rows
        except psycopg.Error as error:
            raise self.problem(error) from None

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        """A plain INSERT of many rows goes by COPY (several times faster than
        one INSERT each: `lead import`, `db copy`); anything else row by row."""
        plain = _PLAIN_INSERT.match(sql)
        try:
            with self.conn.cursor() as cursor:
                if plain is None:
                    cursor.executemany(translate(sql), rows)
                    return
                with cursor.copy(f"COPY {plain.group(1)} ({plain.group(2)}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
        except psycopg.Error as error:
            raise self.problem(error) from None

    def _run(self, texts: str | tuple[str, ...], params: Sequence[Any] | dict[str, Any],
             fresh: bool = False) -> psycopg.Cursor[Any]:
        if self.conn.broken:
            # The server went away. Inside a transaction that is its end (the
            # rest must not go on elsewhere, committed bit by bit); a new
            # transaction or a lone read starts on a new connection, so a
            # long-running `serve` goes on with its next round.
            if self._began and not fresh:
                raise DatabaseProblem(f"lost the connection to PostgreSQL at {self.shown}; "
                                      "this command's changes were not saved, run it again")
            self.conn = _open(*self._reopen)
            self._began = False
        try:
            return self._send(texts, params)
        except psycopg.OperationalError as error:
            if not (fresh and self.conn.broken):
                raise self.problem(error) from None
        except psycopg.Error as error:
            raise self.problem(error) from None
        # A transaction about to begin found its idle connection dropped (a
        # server restart): nothing was done on it, so begin on a new one.
        self.conn = _open(*self._reopen)
        try:
            return self._send(texts, params)
        except psycopg.Error as error:
            raise self.problem(error) from None

    def _send(self, texts: str | tuple[str, ...], params: Sequence[Any] | dict[str, Any]) -> psycopg.Cursor[Any]:
        if isinstance(texts, tuple):
            for text in texts[:-1]:
                self.conn.execute(text)
            texts = texts[-1]
        return self.conn.execute(texts, params)

    def lead_star(self, prefix: str) -> str:
        """The leads table's columns but the rowid stand-in, for `SELECT *`."""
        if self._lead_columns is None:
            self._lead_columns = [name for (_, name, *_) in self._run(_TABLE_INFO, ("leads",)).fetchall()]
        return ", ".join(f'{prefix}"{name}"' for name in self._lead_columns)

    def problem(self, error: psycopg.Error) -> DatabaseProblem:
        """A PostgreSQL error as Baton's one plain sentence (the URL masked)."""
        text = scrubbed(_first_line(error), self._reopen[0])
        if isinstance(error, (pg_errors.LockNotAvailable, pg_errors.QueryCanceled)):
            log("info", "database locked", db=self.shown)
            return DatabaseBusy(f"{self.shown} is locked by another Baton command or program; try again in a moment")
        if isinstance(error, pg_errors.UndefinedTable):
            return DatabaseProblem(f"{self.shown} is not a Baton database ({text}); check --db")
        if isinstance(error, pg_errors.InsufficientPrivilege):
            return DatabaseProblem(
                f"{self.shown}: PostgreSQL refused login {self.conn.info.user} ({text}); have the owner grant it "
                "USAGE and CREATE on the schema (init, db copy) and SELECT, INSERT, UPDATE, DELETE on Baton's tables"
            )
        if isinstance(error, pg_errors.ReadOnlySqlTransaction):
            return DatabaseProblem(f"{self.shown}: this command only reads, yet it tried to write ({text})")
        if isinstance(error, psycopg.OperationalError) or self.conn.closed or self.conn.broken:
            return DatabaseProblem(
                f"lost the connection to PostgreSQL at {self.shown} ({text}); "
                "this command's changes were not saved, run it again"
            )
        return DatabaseProblem(f"{self.shown}: database error: {text}")


_UNVACUUMED = (
    "SELECT (NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) "
    "AND NOT pg_has_role((SELECT datdba FROM pg_database WHERE datname = current_database()), 'USAGE') "
    "AND EXISTS (SELECT 1 FROM pg_class WHERE oid IN ('personal'::regclass, 'leads'::regclass, 'outbox'::regclass) "
    "AND NOT pg_has_role(relowner, 'USAGE')))::int, 0, 0"
)
_SPECIAL: dict[str, tuple[str | tuple[str, ...], tuple[Any, ...]]] = {
    "BEGIN IMMEDIATE": (("BEGIN", WRITE_LOCK), ()),
    "BEGIN": ("BEGIN ISOLATION LEVEL REPEATABLE READ", ()),
    # Erasure: SQLite zeroes what it frees and empties its WAL; on PostgreSQL
    # the rows an erasure replaced are vacuumed after its commit, so their
    # space is reused (the server's WAL and backups are outside Baton's reach).
    "PRAGMA SECURE_DELETE = ON": ("SELECT 1", ()),
    # PostgreSQL skips, with a mere notice, a table the login may not vacuum:
    # then the first column says so, as SQLite's says a reader kept the WAL.
    "PRAGMA WAL_CHECKPOINT(TRUNCATE)": (("VACUUM personal, leads, outbox", _UNVACUUMED), ()),
    "PRAGMA QUERY_ONLY = ON": ("SET default_transaction_read_only = on", ()),
    # Emptied, SQLite's leads number their rows from 1 again (the rebuild);
    # TRUNCATE restarts the stand-in's count the same way, and rolls back.
    "DELETE FROM LEADS": ("TRUNCATE leads RESTART IDENTITY", ()),
}
_PLAIN_INSERT = re.compile(r'\s*INSERT INTO ("?\w+"?)\s*\(([^)]*)\)\s*VALUES\s*\((?:\s*\?\s*,)*\s*\?\s*\)\s*$', re.IGNORECASE)
_PRAGMA_BUSY = re.compile(r"\s*PRAGMA busy_timeout\s*=\s*(\d+)\s*$", re.IGNORECASE)
_PRAGMA_TABLE = re.compile(r"\s*PRAGMA table_info\((\w+)\)\s*$", re.IGNORECASE)
# PRAGMA table_info's row shape: (cid, name, type, notnull, default, pk).
_TABLE_INFO = (
    "SELECT ordinal_position - 1, column_name::text, data_type::text, (is_nullable = 'NO')::int, "
    "column_default::text, 0 FROM information_schema.columns "
    f"WHERE table_schema = current_schema() AND table_name = %s AND column_name <> '{ROWID}' ORDER BY ordinal_position"
)

_REWRITES = [
    (re.compile(r"INSERT OR IGNORE INTO (.*)$", re.DOTALL), r"INSERT INTO \1 ON CONFLICT DO NOTHING"),
    (re.compile(r"\bIS NOT (?!NULL\b)", re.IGNORECASE), "IS DISTINCT FROM "),
    (re.compile(r" INDEXED BY \w+"), ""),
    # SQLite takes an empty list (`x IN ()` is false, `x NOT IN ()` true); PostgreSQL an empty query.
    (re.compile(r"\bIN \(\)"), "IN (SELECT NULL WHERE false)"),
    (re.compile(r"\binstr\("), "strpos("),
    (re.compile(r"json_type\((\w+), '\$\.(\w+)'\)"), r"(\1::jsonb -> '\2')"),
    (re.compile(r"json_each\(\?\)"), "json_array_elements_text(?::json)"),
    (re.compile(r"CROSS JOIN (\w+ AS \w+) ON"), r"JOIN \1 ON"),
    (re.compile(r"SELECT \* FROM leads\b"), "SELECT \x00LEADCOLS\x00 FROM leads"),
]


@functools.lru_cache(maxsize=1024)
def translate(sql: str) -> str:
    """Baton's SQL (SQLite's dialect, `?` placeholders) as PostgreSQL reads it."""
    for pattern, replacement in _REWRITES:
        sql = pattern.sub(replacement, sql)
    sql = re.sub(r"\bl\.\*", "\x00LEADCOLS_L\x00", sql)
    return _placeholders(sql)


def _placeholders(sql: str) -> str:
    """`?` -> `%s` and `%` -> `%%`, outside quoted text and names."""
    out: list[str] = []
    quote = ""
    for char in sql:
        if quote:
            if char == quote:
                quote = ""
            out.append("%%" if char == "%" else char)
        elif char in "'\"":
            quote = char
            out.append(char)
        elif char == "?":
            out.append("%s")
        elif char == "%":
            out.append("%%")
        else:
            out.append(char)
    return "".join(out)
