"""Checking the log: the hash chain, walked in order without loading it whole."""

from __future__ import annotations

from .chain import GENESIS, event_hash
from .store import Store


def verify_chain(store: Store) -> tuple[int, str | None]:
    """(events checked, None) or (events checked, what broke and at which seq)."""
    prev, expected_seq, checked = GENESIS, 1, 0
    for e in store.events():
        if e.seq != expected_seq:
            return checked, f"seq {expected_seq}: missing (the next event is seq {e.seq})"
        if e.prev != prev:
            return checked, f"seq {e.seq}: its prev does not match the hash of seq {e.seq - 1}"
        if event_hash(e.seq, e.lead, e.at, e.actor, e.event, e.from_, e.to, e.data, e.policy_version, e.prev) != e.hash:
            return checked, f"seq {e.seq}: its content does not match its hash (it was changed)"
        prev, expected_seq, checked = e.hash, e.seq + 1, checked + 1
    return checked, None
