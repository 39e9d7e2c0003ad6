"""(a) The chain, as an auditor checks it: seq runs 1, 2, 3 ...; each `prev`
is the hash before; each hash recomputes from its event's content.

The rule for computing a hash is `statemachine/chain.py`'s; this module
checks a stored log against it, event by event (`ChainCheck`) or, for the
links alone, in one question to SQLite (`links_hold`).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..chain import GENESIS, event_hash, hash_of
from ..events import APPROVED, MOVED, POLICY_APPLIED
from ..store import Event, Store
from .read import _SELECT, _UNPARSED, _event, chunks
from .report import Problem


class ChainCheck:
    """The hash chain, one event at a time: seq runs 1, 2, 3 ...; each `prev`
    is the hash before; each hash recomputes from the event's content."""

    def __init__(self) -> None:
        self.prev, self.expected_seq, self.checked = GENESIS, 1, 0

    def check(self, e: Event, data_text: Any) -> Problem | None:
        """None, or where and why the chain breaks at this event."""
        seq = self.expected_seq
        if e.seq != seq:
            if isinstance(e.seq, int) and e.seq > seq:
                return Problem(f"missing (the next event is seq {e.seq})", seq=seq)
            return Problem(f"out of order (seq {e.seq} comes after seq {seq - 1})", seq=seq)
        if e.prev != self.prev:
            return Problem(f"its prev does not match the hash of seq {seq - 1}", seq=seq)
        if not content_matches(e, data_text):
            return Problem("its content does not match its hash (it was changed)", seq=seq)
        self.prev, self.expected_seq, self.checked = e.hash, seq + 1, self.checked + 1
        return None


def content_matches(e: Event, data_text: Any) -> bool:
    """Whether the event's hash recomputes from its content (its `prev` included).
    A column holding what JSON cannot write (a BLOB put there by hand) has no
    canonical form, so no hash of it can match: the event was changed."""
    try:
        return _spliced_hash(e, data_text) == e.hash or _hash(_parsed(e, data_text)) == e.hash
    except (TypeError, ValueError):
        return False


def links_hold(store: Store) -> bool:
    """Whether seq runs 1, 2, 3 ... and each `prev` is the hash stored on the
    event before: the half of the chain that reads no event's content, asked
    of SQLite instead of walked row by row in Python. SQLite compares the
    stored text byte for byte, as Python's `!=` does. With both halves
    holding, the chain holds; `ChainCheck` names where it breaks."""
    db = store.db
    count, first, last = db.execute("SELECT count(*), min(seq), max(seq) FROM events").fetchone()
    if count == 0:
        return True
    if first != 1 or last != count:  # seq is the integer key, so unique: 1 .. count, each once
        return False
    if db.execute("SELECT prev FROM events WHERE seq = 1").fetchone()[0] != GENESIS:
        return False
    relinked = db.execute(
        "SELECT 1 FROM events AS e JOIN events AS p ON p.seq = e.seq - 1 WHERE e.prev IS NOT p.hash LIMIT 1"
    ).fetchone()
    return relinked is None


def _parsed(e: Event, data_text: Any) -> Event:
    """`e` with its data parsed from the stored text, if the walk left it unparsed."""
    if e.data is not _UNPARSED:
        return e
    return _event((e.seq, e.lead, e.at, e.actor, e.event, e.from_, e.to, data_text, e.policy_version, e.prev, e.hash))


def _hash(e: Event) -> str:
    return event_hash(e.seq, e.lead, e.at, e.actor, e.event, e.from_, e.to, e.data, e.policy_version, e.prev)


def _spliced_hash(e: Event, data_text: Any) -> str:
    """The hash with `data` as stored, not parsed and encoded again: the same
    as `_hash` whenever the stored text is canonical (Baton writes it so), and
    a speed-up of the walk. When it differs, `_hash` decides."""
    if not isinstance(data_text, str):
        return ""
    return hash_of(e.seq, e.lead, e.at, e.actor, e.event, e.from_, e.to, data_text, e.policy_version, e.prev)


def verify_chain(store: Store) -> tuple[int, str | None]:
    """(events checked, None) or (events checked, what broke and at which seq)."""
    chain = ChainCheck()
    for chunk, texts in _raw_chunks(store):  # no personal values: the chain never reads them
        for event, text in zip(chunk, texts):
            broken = chain.check(event, text)
            if broken is not None:
                return chain.checked, str(broken)
    return chain.checked, None


def _raw_chunks(store: Store) -> Iterator[tuple[list[Event], list[Any]]]:
    """The events in seq order for the chain walk: `data` is parsed only for
    the events whose content that walk reads (policy_applied, moved, approved)."""
    for rows in chunks(store, f"{_SELECT} ORDER BY seq"):
        events, texts = [], []
        for raw in rows:
            kind = raw[4]
            if kind in (POLICY_APPLIED, MOVED, APPROVED):
                events.append(_event(raw))
            else:
                seq, lead, at, actor, _, from_, to, _, version, prev, digest = raw
                events.append(Event(seq, lead, at, actor, kind, from_, to, _UNPARSED, version, prev, digest))
            texts.append(raw[7])
        yield events, texts


class ContentBroken(Exception):
    """An event read lead by lead does not match its hash: the seq walk must name the first break."""
