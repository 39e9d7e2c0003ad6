"""Creating a Baton database: tables, indexes and WAL mode, with sqlite-utils.

`create_database` builds the whole file under a temporary name and links it
into place only when everything succeeded, so a failed `baton init` leaves
no file behind, and two at once make one database.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable
from typing import Any, cast

from .dburl import is_postgres, other_url
from .errors import DatabaseProblem
from .policy.model import Policy
from .store import Store


def _create_tables(db: sqlite3.Connection, policy: Policy) -> None:
    import sqlite_utils

    sdb = sqlite_utils.Database(db)
    sdb.table("events").create(
        {
            "seq": int, "lead": str, "at": str, "actor": str, "event": str, "from": str, "to": str,
            "data": str, "policy_version": int, "prev": str, "hash": str,
        },
        pk="seq",
        not_null={"at", "actor", "event", "data", "prev", "hash"},
    )
    sdb.table("events").create_index(["lead", "seq"], index_name="events_by_lead")
    columns: dict[str, type] = {
        "id": str, "state": str, "owner": str, "attempts": int,
        "state_since": str, "created_at": str, "updated_at": str,
    }
    sqlite_types = {"integer": int, "number": float, "boolean": int}
    for name, spec in policy.fields.items():
        columns[name] = sqlite_types.get(spec.type, str)
    sdb.table("leads").create(columns, pk="id", not_null={"state", "attempts"})
    sdb.table("leads").create_index(["state"], index_name="leads_by_state")
    # A rep's leads. Not keyed by state as well: firing a trigger then
    # rewrites one index instead of two, a page or two less for each commit
    # to sync. Leads nobody owns (most of an import) are left out; unassigned
    # leads are found through their state.
    db.execute("CREATE INDEX leads_by_owner ON leads(owner) WHERE owner IS NOT NULL")
    sdb.table("policies").create(
        {"version": int, "name": str, "hash": str, "text": str, "applied_at": str, "compiled": str},
        pk="version",
    )
    # Personal values live apart from the log; the log holds only their salted
    # digests, so erasing a row here never breaks the chain.
    # Keyed by lead, then digest: a lead's values sit together (one look-up
    # each, and erasure by lead), and an import appends rather than scattering
    # rows over an index of random digests.
    db.execute(
        "CREATE TABLE personal (digest TEXT NOT NULL, lead TEXT NOT NULL, field TEXT, salt TEXT, value TEXT, "
        "PRIMARY KEY (lead, digest)) WITHOUT ROWID"
    )
    sdb.table("reps").create({"name": str, "away": int, "until": str}, pk="name")
    # Open leads per rep, kept up to date with the leads table, for least_loaded.
    sdb.table("rep_load").create({"rep": str, "open_leads": int}, pk="rep", not_null={"open_leads"})
    # SLA clocks: one row per running (or breached) clock of a lead's current
    # state; its due time is computed once, when it starts.
    sdb.table("clocks").create(
        {"lead": str, "name": str, "state": str, "started_at": str, "due_at": str, "breached_at": str},
        pk=("lead", "name"),
        not_null={"state", "started_at", "due_at"},
    )
    # The sweep looks up the clocks not yet breached by due time; `lead list
    # --overdue` every running clock, breached or not.
    db.execute("CREATE INDEX clocks_due ON clocks(due_at) WHERE breached_at IS NULL")
    db.execute("CREATE INDEX clocks_by_due ON clocks(due_at)")
    # Notifications wait here until delivered; written with their breach or
    # assignment. `fields` (JSON) is the lead's fields an `assigned` row carries.
    sdb.table("outbox").create(
        {
            "id": int, "lead": str, "kind": str, "sla": str, "due": str, "owner": str,
            "recipients": str, "text": str, "created_at": str, "breach_seq": int,
            "status": str, "tries": int, "next_try_at": str, "delivered": str,
            "sent_at": str, "last_error": str, "fields": str,
        },
        pk="id",
        not_null={"kind", "recipients", "text", "created_at", "status", "tries", "next_try_at", "delivered"},
    )
    db.execute("CREATE INDEX outbox_pending ON outbox(next_try_at) WHERE status = 'pending'")
    sdb.table("meta").create({"key": str, "value": str}, pk="key")
    for statement in API_TABLES:
        db.execute(statement)
    sdb.enable_wal()


# The HTTP API's tables (`baton serve --http`, `baton token`); PostgreSQL's
# are in `pg_schema.API_TABLES`, the same columns. `api_tokens`: one row a
# token, keyed by the SHA-256 of the token (the token itself is never
# stored); revoked ones stay, with who revoked them and when. `api_answers`:
# the answer to a POST that carried an Idempotency-Key, keyed by the token's
# actor and the key, with the SHA-256 of the request it answered and the lead
# it concerns (so `lead forget` can delete answers holding personal values).
API_TABLES = (
    "CREATE TABLE IF NOT EXISTS api_tokens (hash TEXT PRIMARY KEY, actor TEXT NOT NULL, "
    "created_at TEXT NOT NULL, created_by TEXT NOT NULL, revoked_at TEXT, revoked_by TEXT)",
    "CREATE INDEX IF NOT EXISTS api_tokens_by_actor ON api_tokens(actor)",
    "CREATE TABLE IF NOT EXISTS api_answers (actor TEXT NOT NULL, key TEXT NOT NULL, request TEXT NOT NULL, "
    "status INTEGER NOT NULL, body TEXT NOT NULL, lead TEXT, created_at TEXT NOT NULL, PRIMARY KEY (actor, key))",
    "CREATE INDEX IF NOT EXISTS api_answers_by_lead ON api_answers(lead)",
    "CREATE INDEX IF NOT EXISTS api_answers_by_age ON api_answers(created_at)",
)


API_TABLE_NAMES = ("api_tokens", "api_answers")


def api_tables_exist(store: Store) -> bool:
    """Whether the database has the HTTP API's tables (one made before them has not)."""
    if store.postgres:
        from .pg_schema import table_names

        return set(API_TABLE_NAMES) <= table_names(cast(Any, store.db))
    found = store.db.execute(
        f"SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN {API_TABLE_NAMES!r}"
    ).fetchone()
    return int(found[0]) == len(API_TABLE_NAMES)


def ensure_api_tables(store: Store) -> None:
    """Give a database made before the HTTP API its tables, on first use
    (`CREATE TABLE IF NOT EXISTS`, so running it again changes nothing).
    Inside the caller's transaction when there is one, else in one of its own.
    Once they are there the Store remembers it, so a long-running `serve`
    and a `lead forget` of many leads never ask again."""
    if store.api_tables_ready:
        return
    if api_tables_exist(store):
        store.api_tables_ready = True
        return
    if store.postgres:
        from .pg_schema import API_TABLES as statements
    else:
        statements = API_TABLES
    if store.db.in_transaction:
        for statement in statements:
            store.db.execute(statement)
        return  # not remembered: the caller's transaction may yet be rolled back
    with store.transaction():
        for statement in statements:
            store.db.execute(statement)
    store.api_tables_ready = True


def ensure_outbox_fields(store: Store) -> None:
    """Give a database made before `assigned` notifications its
    `outbox.fields` column, on first use. Adding a nullable column keeps
    every row as it was (a breach row has no fields), and the Baton that made
    the file still reads and writes it, since its statements name their
    columns. Inside the caller's transaction when there is one (a command
    that fails takes the change back with the rest), else in one of its own."""
    def has_fields() -> bool:
        return any(row[1] == "fields" for row in store.db.execute("PRAGMA table_info(outbox)"))

    if has_fields():
        return
    if store.db.in_transaction:
        store.db.execute("ALTER TABLE outbox ADD COLUMN fields TEXT")
        return
    with store.transaction():
        if not has_fields():  # another command may have added it meanwhile
            store.db.execute("ALTER TABLE outbox ADD COLUMN fields TEXT")


def _already_exists(path: str) -> DatabaseProblem:
    return DatabaseProblem(f"{path} already exists and init never overwrites a file; pick another --db")


def _publish(temporary: str, path: str) -> None:
    """Give the finished file its name, never replacing a file that appeared
    meanwhile (another `baton init` racing this one): a hard link fails when
    the name is taken, where a rename would silently overwrite it. The caller
    removes the temporary name."""
    try:
        os.link(temporary, path)
    except FileExistsError:
        raise _already_exists(path) from None
    except OSError:
        # A file system without hard links: check, then rename (a narrow race).
        if os.path.lexists(path):
            raise _already_exists(path) from None
        os.replace(temporary, path)


def create_database(path: str, policy: Policy, fill: Callable[[Store], object]) -> None:
    """Create `path` with the schema, then run `fill` in one transaction
    (on PostgreSQL: the tables in the existing database the URL names)."""
    if refused := other_url(path):
        raise DatabaseProblem(refused)
    if is_postgres(path):
        from .pg_schema import create_database as create_on_postgres
        from .store import busy_timeout_ms

        create_on_postgres(path, policy, cast(Callable[[object], object], fill), busy_timeout_ms())
        return
    if os.path.exists(path):
        raise _already_exists(path)
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise DatabaseProblem(f"cannot create {path}: the folder {folder} does not exist")
    temporary = f"{path}.init-{os.getpid()}"
    try:
        db = sqlite3.connect(temporary, isolation_level=None)
        try:
            db.execute("PRAGMA secure_delete = ON")  # as `Store.open` does
            _create_tables(db, policy)
            store = Store(path, db)
            with store.transaction():
                fill(store)
        finally:
            db.close()
        _publish(temporary, path)
    except OSError as error:
        raise DatabaseProblem(f"cannot create {path}: {error.strerror}") from None
    except sqlite3.Error as error:
        raise DatabaseProblem(f"cannot create {path}: {error}") from None
    finally:
        for leftover in (temporary, f"{temporary}-wal", f"{temporary}-shm"):
            if os.path.exists(leftover):
                os.remove(leftover)
