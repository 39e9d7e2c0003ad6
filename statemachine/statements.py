"""SQL built from column names, once per set of columns: bulk inserts and
the statements that write a lead row. Plain SQL that both stores take (see
`store.py`'s docstring)."""

from __future__ import annotations

import functools
import sqlite3
from collections.abc import Sequence
from typing import Any


def insert_many(db: sqlite3.Connection, table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
    """INSERT `rows` (values in `columns` order) with one executemany,
    naming only the columns that some row fills.

    The sqlite3 module binds None through its adapter look-up (it raises and
    clears an AttributeError for each one), which costs as much as binding
    thirty numbers; a lead row holds a NULL for every field its file does not
    have. A column left out is NULL all the same: Baton's tables declare no
    DEFAULT."""
    if not rows:
        return
    by_column = list(zip(*rows))
    filled = [i for i, values in enumerate(by_column) if values.count(None) != len(values)]
    sql = _insert(table, tuple(columns[i] for i in filled))
    db.executemany(sql, zip(*(by_column[i] for i in filled)))


@functools.lru_cache(maxsize=16)
def _insert(table: str, names: tuple[str, ...]) -> str:
    quoted = ", ".join(f'"{n}"' for n in names)
    return f'INSERT INTO "{table}" ({quoted}) VALUES ({", ".join("?" for _ in names)})'


@functools.lru_cache(maxsize=8)
def upsert_lead_sql(names: tuple[str, ...]) -> str:
    """The INSERT ... ON CONFLICT for a lead row of these columns (the same
    columns every time under one policy, so built once)."""
    quoted = ", ".join(f'"{n}"' for n in names)
    marks = ", ".join("?" for _ in names)
    updates = ", ".join(f'"{n}" = excluded."{n}"' for n in names if n != "id")
    return f"INSERT INTO leads ({quoted}) VALUES ({marks}) ON CONFLICT(id) DO UPDATE SET {updates}"


@functools.lru_cache(maxsize=64)
def update_lead_sql(names: tuple[str, ...]) -> str:
    """The UPDATE of these columns of one lead (a trigger changes a few, and
    the same few each time it fires)."""
    sets = ", ".join(f'"{n}" = ?' for n in names)
    return f"UPDATE leads SET {sets} WHERE id = ?"
