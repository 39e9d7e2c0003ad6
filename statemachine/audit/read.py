"""Reading the log: events a chunk at a time, with the personal values each
chunk holds, decoded as fast as `json` allows.

Everything streams: the walks of `verify`, `replay` and `rebuild` hold a
chunk of events (`CHUNK`) at a time, never the log. Personal values are
looked up in the `personal` table a chunk at a time; a value erased since
counts as present (`ERASED`), so an erasure never makes history look illegal.
"""

from __future__ import annotations

import json
import json.scanner
from collections.abc import Iterator
from typing import Any, cast

from ..events import CREATED, UPDATED
from ..machine import ERASED
from ..projection import is_personal, personal_digest
from ..store import EVENT_COLUMNS, Event, Store

Row = dict[str, Any]
CHUNK = 2000

_SELECT = "SELECT " + ", ".join(f'"{c}"' for c in EVENT_COLUMNS) + " FROM events"
# Stands in for the data the chain walk does not read; ChainCheck parses the
# text itself when the stored text is not canonical.
_UNPARSED: dict[str, Any] = {}


def chunks(store: Store, sql: str, params: tuple[Any, ...] = ()) -> Iterator[list[Any]]:
    """The rows of `sql`, `CHUNK` at a time: every walk reads the log
    through here, so one setting (a test's, say) sizes them all. Streamed
    on both stores (`Store.stream`): a log of millions never sits in memory."""
    yield from store.stream(sql, params, CHUNK)


def _personal_digests(data: dict[str, Any]) -> list[str]:
    fields = data.get("fields")
    if not isinstance(fields, dict):
        return []
    return [value["personal"] for value in fields.values()
            if is_personal(value) and isinstance(value["personal"], str)]


Chunk = list[tuple[Event, Any]]  # each event with its `data` as stored (JSON text)


class PersonalValues:
    """The personal values a chunk of events holds, by digest. A value counts
    only if its salted digest recomputes to the one in the log; one that does
    not (the `personal` table was edited) is `forged` and, like an erased one,
    resolves as unknown, so it never reaches a replay or a rebuild."""

    def __init__(self, entries: dict[str, tuple[Any, Any]]):
        self.values: dict[str, Any] = {}
        self.forged: set[str] = set()
        for digest, (salt, text) in entries.items():
            if text is None:
                continue  # erased in place: as if the row were gone
            try:
                if personal_digest(salt, text) != digest:
                    raise ValueError(digest)
                self.values[digest] = json.loads(text)
            except (TypeError, ValueError):
                self.forged.add(digest)

    def __call__(self, digest: str) -> Any:
        return self.values.get(digest, ERASED)


def read_chunks(store: Store, where: str = "", params: tuple[Any, ...] = (), order: str = "seq") -> Iterator[
        tuple[Chunk, PersonalValues]]:
    """The events in seq order (or `order`, like "lead, seq"), a chunk at a
    time, with a resolver for the personal values that chunk holds."""
    for rows in chunks(store, f"{_SELECT} {where} ORDER BY {order}", params):
        chunk = []
        keys: list[tuple[str, str]] = []
        for raw in rows:
            event = _event(raw)
            chunk.append((event, raw[7]))
            if event.event in (CREATED, UPDATED) and event.lead is not None:
                for digest in _personal_digests(event.data):
                    keys.append((event.lead, digest))
        yield chunk, PersonalValues(store.personal_entries(keys) if keys else {})


def _event(raw: tuple[Any, ...]) -> Event:
    seq, lead, at, actor, kind, from_, to, data, version, prev, digest = raw
    try:
        parsed = _decoded(data)
    except (TypeError, ValueError):
        parsed = None
    if not isinstance(parsed, dict):
        # Damaged data: keep the text, so the hash check reports the event.
        parsed = {"unreadable": data}
    return Event(seq, lead, at, actor, kind, from_, to, parsed, version, prev, digest)


# What json.loads runs, without its checks. (typeshed wants a scanner as the
# context, where json itself passes the decoder whose settings it reads.)
_scan = json.scanner.make_scanner(cast(Any, json.JSONDecoder()))


def _decoded(text: Any) -> Any:
    """`json.loads(text)`, by the decoder's scanner alone when `text` is one
    JSON value with nothing around it, as Baton writes `data`: the checks
    `loads` wraps around it cost as much again, on every event. Anything
    else goes to `json.loads`, which decodes it or says why not."""
    if type(text) is str:
        try:
            value, end = _scan(text, 0)
        except (StopIteration, ValueError):
            return json.loads(text)
        if end == len(text):
            return value
    return json.loads(text)


def event_count(store: Store) -> int:
    row = store.db.execute("SELECT max(seq) FROM events").fetchone()
    return int(row[0] or 0)

