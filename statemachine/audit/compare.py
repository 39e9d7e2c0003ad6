"""(c) The projection: the `leads` table read beside the replay, row for
row, and what differs in each.

A lead of one `created` event (a fresh import) has a shortcut: its row is
proven on the stored text of that event and its own `personal` rows
(`_TableRows.created_matches`), so neither needs decoding; anything that
differs is replayed in full, which says what.
"""

from __future__ import annotations

import math
from itertools import groupby
from json.encoder import encode_basestring
from operator import itemgetter
from typing import Any

from ..events import CREATED, UPDATED
from ..machine import Erased
from ..projection import personal_digest
from ..store import BASE_COLUMNS, Event, Store
from .read import _UNPARSED, Chunk, PersonalValues, Row, _event, _personal_digests
from .report import Problem


def _same(table: Any, replayed: Any) -> bool:
    if isinstance(replayed, Erased):
        return True
    if table is None or replayed is None:
        return table is None and replayed is None
    # SQLite gives 1 for true and 2.0 for a number typed 2: equal values.
    return bool(table == replayed) or str(table) == str(replayed)


def _shown(value: Any) -> str:
    return "null" if value is None else repr(value)


def row_differences(table: Row, replayed: Row) -> list[str]:
    """The columns where the `leads` row differs from the replayed row."""
    differences = []
    for column in BASE_COLUMNS:
        if not _same(table.get(column), replayed[column]):
            differences.append(f"{column} {_shown(table.get(column))} (log: {_shown(replayed[column])})")
    fields = replayed["fields"]
    for column in [c for c in table if c not in BASE_COLUMNS] + [f for f in fields if f not in table]:
        if not _same(table.get(column), fields.get(column)):
            differences.append(f"{column} {_shown(table.get(column))} (log: {_shown(fields.get(column))})")
    return differences


class _TableRows:
    """The `leads` table read in id order beside the replay (a merge join)."""

    def __init__(self, store: Store):
        # A row at a time (on PostgreSQL a server-side cursor in verify's
        # snapshot, 200 rows a fetch); `*` is in table_info's order.
        sql = "SELECT * FROM leads ORDER BY id"
        self.rows = ((row for rows in store.stream(sql, (), 200) for row in rows) if store.postgres
                     else iter(store.db.execute(sql).fetchone, None))
        self.names = store.lead_columns()
        self.known = set(self.names)
        self.base = [(name, name in BASE_COLUMNS) for name in self.names]
        self.where_id = self.names.index("id")
        self.pending: tuple[Any, ...] | None = next(self.rows, None)

        # For `created_matches`: where the columns a `created` sets are, and
        # the field columns in the canonical JSON's key order, each with its key.
        self.set_by_created = itemgetter(*(self.names.index(name) for name in BASE_COLUMNS)) \
            if self.known.issuperset(BASE_COLUMNS) else None
        self.keyed = sorted((name, encode_basestring(name) + ":", at)
                            for at, name in enumerate(self.names) if name not in BASE_COLUMNS)

    def next_row(self, lead: str, problems: list[Problem]) -> tuple[Any, ...] | None:
        """The row of `lead` if it is the table's next (the rows before it,
        not in the log, named), not yet taken; None if the table has none."""
        while self.pending is not None and self.pending[self.where_id] < lead:
            problems.append(Problem("in the leads table but not in the log", lead=self.pending[self.where_id]))
            self.pending = next(self.rows, None)
        if self.pending is None or self.pending[self.where_id] != lead:
            return None
        return self.pending

    def take(self) -> None:
        self.pending = next(self.rows, None)

    def created_matches(self, event: Event, text: Any, values: tuple[Any, ...],
                        personal: list[tuple[Any, ...]]) -> bool:
        """Whether replaying a lead's one event, its `created` (its `data` as
        stored, `text`), gives exactly `values`, its `leads` row, with its
        own `personal` rows (lead, digest, field, salt, value) resolving every
        personal value. Proven on the text, so the event's data and personal
        values need no decoding: the canonical JSON of the data that would
        replay to `values` (personal fields marked with the digests of the
        rows whose values they hold) is the stored text exactly, and each of
        those rows' values is its field's canonical JSON and recomputes to
        its digest. False whenever anything differs, or a value is of a kind
        this does not write: the whole replay then decides."""
        if self.set_by_created is None:
            return False  # a column missing: the full comparison names it
        lead, at = event.lead, event.at
        id_, state, owner, attempts, since, created, updated = self.set_by_created(values)
        if not (id_ == lead and state == event.to and owner is None and attempts == 0
                and since == at and created == at and updated == at):
            return False
        marked: dict[Any, tuple[Any, Any, Any]] = {}
        for _, digest, name, salt, value in personal:
            if name in marked:
                return False  # two values for one field (an update's): decided by the replay
            marked[name] = (digest, salt, value)
        parts = []
        for name, key, at_ in self.keyed:
            value = values[at_]
            if value is None:
                continue
            kind = type(value)
            if kind is str:
                written = encode_basestring(value)
            elif kind is int:
                written = int.__repr__(value)
            elif kind is float and math.isfinite(value):
                written = float.__repr__(value)
            else:
                return False
            sealed = marked.pop(name, None)
            if sealed is not None:
                digest, salt, stored = sealed
                if stored != written or type(digest) is not str or type(salt) is not str \
                        or personal_digest(salt, stored) != digest:
                    return False
                written = '{"personal":' + encode_basestring(digest) + "}"
            parts.append(key + written)
        return not marked and text == '{"fields":{' + ",".join(parts) + "}}"

    def compare(self, lead: str, replayed: Row, problems: list[Problem]) -> None:
        if self.next_row(lead, problems) is None:
            problems.append(Problem("in the log but missing from the leads table", lead=lead))
            return
        values, self.pending = self.pending, next(self.rows, None)
        assert values is not None
        fields = replayed["fields"]
        expected = tuple(replayed[name] if is_base else fields.get(name) for name, is_base in self.base)
        if values == expected and fields.keys() <= self.known:
            return  # the common case, without looking column by column
        differences = row_differences(dict(zip(self.names, values)), replayed)
        if differences:
            problems.append(Problem("the leads table does not match the log: " + ", ".join(differences), lead=lead))

    def rest(self, problems: list[Problem]) -> None:
        while self.pending is not None:
            problems.append(Problem("in the leads table but not in the log", lead=self.pending[self.where_id]))
            self.pending = next(self.rows, None)


def _lone_created(raws: list[tuple[Any, ...]]) -> set[Any]:
    """The leads of a chunk read in lead order that have one event, a
    `created`: a freshly imported lead. The chunk's first and last lead are
    left out, as their other events may be in the chunks beside it."""
    lone = set()
    for at in range(1, len(raws) - 1):
        lead = raws[at][1]
        if raws[at][4] == CREATED and raws[at - 1][1] != lead and raws[at + 1][1] != lead:
            lone.add(lead)
    return lone


def _own_personal(store: Store, raws: list[tuple[Any, ...]], lone: set[Any]) -> dict[Any, list[tuple[Any, ...]]]:
    """lead -> its rows of the `personal` table (lead, digest, field, salt, value),
    for the `lone` leads of a chunk: one scan of the range of the table's key
    they lie in (SQLite ordered the chunk, so the range holds them), not a
    look-up per value. A lead's values are its own rows, as the key says."""
    first = next(raw[1] for raw in raws if raw[1] in lone)
    last = next(raw[1] for raw in reversed(raws) if raw[1] in lone)
    rows = store.db.execute("SELECT lead, digest, field, salt, value FROM personal WHERE lead BETWEEN ? AND ? "
                            "ORDER BY lead", (first, last)).fetchall()
    return {lead: list(group) for lead, group in groupby(rows, _first) if lead in lone}


_first = itemgetter(0)


def _decode_chunk(store: Store, raws: list[tuple[Any, ...]], lone: set[Any]) -> tuple[Chunk, PersonalValues]:
    """The events of a chunk as `read_chunks` gives them, but those of the
    `lone` leads with their data left unparsed (and their personal values
    not looked up): `created_matches` reads the stored text instead."""
    chunk: Chunk = []
    keys: list[tuple[str, str]] = []
    for raw in raws:
        if raw[1] in lone:
            seq, lead, at, actor, kind, from_, to, _, version, prev, digest = raw
            chunk.append((Event(seq, lead, at, actor, kind, from_, to, _UNPARSED, version, prev, digest), raw[7]))
            continue
        event = _event(raw)
        chunk.append((event, raw[7]))
        if event.event in (CREATED, UPDATED) and event.lead is not None:
            for digest in _personal_digests(event.data):
                keys.append((event.lead, digest))
    return chunk, PersonalValues(store.personal_entries(keys) if keys else {})
