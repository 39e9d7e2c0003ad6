"""`baton db copy FROM TO`: a whole Baton database into a new one, SQLite or
PostgreSQL either way, the chain intact.

The source is read in one snapshot, every table a chunk at a time (memory
stays flat however long the log); the target is created and filled in one
transaction (a failed copy leaves no file, no table). Rows go across as
they are stored, so every event keeps its text and its hash: `audit
verify` on the target gives the source's head.

The HTTP API's tables go across too: `api_tokens`, so the integrations'
tokens keep working after a move (only their hashes are stored, as in the
source), and `api_answers`, so a request retried with its Idempotency-Key
during the move still gets its first answer (they are kept a day anyway).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from .audit.head import log_head
from .audit.report import Head
from .dburl import is_postgres, masked
from .errors import DatabaseProblem
from .schema import API_TABLE_NAMES, api_tables_exist, create_database
from .statements import insert_many
from .store import BASE_COLUMNS, TABLES, Store
from .workspace import compiled_policy

# Each table's rows in the order that keeps what order means: the log by
# seq, leads and clocks by insertion (ties in `lead list` and the sweep stay in order), the
# outbox by id (its ids are copied, and new ones follow them).
_ORDER = {"events": "seq", "leads": "rowid", "clocks": "rowid", "outbox": "id"}
# Column types as SQLite and PostgreSQL declare them -> the policy field type.
_DECLARED = {"integer": "integer", "bigint": "integer", "float": "number", "real": "number",
             "double precision": "number"}
CHUNK = 5000


@dataclass
class Copied:
    rows: dict[str, int] = field(default_factory=dict)
    head: Head | None = None


def copy_database(source_path: str, target_path: str) -> Copied:
    """Copy every Baton table of `source_path` into a new database at
    `target_path` (a file that does not exist, or a PostgreSQL database
    without Baton's tables)."""
    source = Store.open(source_path, write=False)
    try:
        copied = Copied()
        with source.snapshot():
            # The target's leads table as the source's: made under the first
            # version (its columns, in order), then the fields later ones added.
            (first,) = source.db.execute("SELECT min(version) FROM policies").fetchone()
            policy, _ = compiled_policy(source, first)
            in_force, _ = compiled_policy(source)
            copied.head = log_head(source)

            def fill(target: Store) -> None:
                _add_lead_columns(source, target, {n: s.type for n, s in in_force.fields.items()})
                for table in TABLES:
                    copied.rows[table] = _copy_table(source, target, table)
                with_api = api_tables_exist(source)  # a database made before the API has none (the target has)
                for table in API_TABLE_NAMES:
                    copied.rows[table] = _copy_table(source, target, table) if with_api else 0
                if target.postgres:
                    target.db.execute("SELECT setval(pg_get_serial_sequence('outbox', 'id'), "
                                      "coalesce(max(id), 0) + 1, false) FROM outbox")

            create_database(target_path, policy, fill)
        return copied
    finally:
        source.close()


def _add_lead_columns(source: Store, target: Store, types: dict[str, str]) -> None:
    """The fields later policy versions added to the source's leads table,
    each with its type (the policy's, else the type its column declares)."""
    declared = {name: kind.lower() for _, name, kind, *_ in source.db.execute("PRAGMA table_info(leads)")}
    fields = [name for name in declared if name not in BASE_COLUMNS]
    for name in fields:
        types.setdefault(name, _DECLARED.get(declared[name], "text"))
    target.add_field_columns(fields, types)


def _copy_table(source: Store, target: Store, table: str) -> int:
    columns = [name for _, name, *_ in source.db.execute(f"PRAGMA table_info({table})")]
    have = {name for _, name, *_ in target.db.execute(f"PRAGMA table_info({table})")}
    missing = [name for name in columns if name not in have]
    if missing:
        raise DatabaseProblem(
            f"{source.path}'s {table} table has columns this Baton does not know ({', '.join(missing)}); "
            "copy it with the Baton that made it"
        )
    quoted = ", ".join(f'"{name}"' for name in columns)
    order = f" ORDER BY {_ORDER[table]}" if table in _ORDER else ""
    count = 0
    for rows in source.stream(f'SELECT {quoted} FROM "{table}"{order}', (), CHUNK):
        insert_many(target.db, table, columns, [tuple(row) for row in rows])
        count += len(rows)
    return count


def refuse_into(source_path: str, target_path: str) -> None:
    """Refuse a copy into FROM itself or into a database that is not empty."""
    if source_path == target_path or (
            not is_postgres(source_path) and not is_postgres(target_path)
            and os.path.abspath(source_path) == os.path.abspath(target_path)):
        raise DatabaseProblem(f"FROM and TO are both {masked(source_path)}; copy into a new database")
    if not is_postgres(target_path):
        if os.path.exists(target_path):
            raise DatabaseProblem(
                f"{target_path} already exists and db copy never writes over a file; give TO a new file"
            )
        return
    from .pg import connect
    from .pg_schema import refuse_no_schema, refuse_others_tables, table_names
    from .store import busy_timeout_ms

    db = connect(target_path, busy_timeout_ms())
    try:
        refuse_no_schema(db)
        names = table_names(db)
        refuse_others_tables(db, names)
        there = names & set(TABLES)
    finally:
        db.close()
    if there:
        raise DatabaseProblem(
            f"{masked(target_path)} already holds Baton tables ({', '.join(sorted(there))}); db copy writes "
            "only into a database (or schema) without them"
        )
