"""How an event changes a lead: the one rule for the `leads` projection.

Commands build their event, then apply it here to get the new row, and an
audit replay applies the same events the same way, so the live table and a
rebuild from the log cannot drift apart.

Personal values appear in events as `{"personal": DIGEST}`; `resolve` turns a
digest back into its value (None once erased).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from . import chain
from .chain import canonical
from .events import ASSIGNED, ATTEMPT, CREATED, LIFECYCLE_EVENTS, MOVED, UNROUTED, UPDATED, Event

Resolve = Callable[[str], Any]


def is_personal(value: Any) -> bool:
    return isinstance(value, dict) and "personal" in value


SALT_BYTES = 16


def seal(value: Any) -> tuple[dict[str, str], str]:
    """A personal value -> (its marker for the log, the salt). A fresh random
    salt per value means an erased digest cannot be guessed back."""
    digest, salt = seal_text(canonical(value))
    return {"personal": digest}, salt


def seal_text(text: str) -> tuple[str, str]:
    """`seal` of a value already in canonical JSON: (digest, salt)."""
    salt = os.urandom(SALT_BYTES).hex()
    return personal_digest(salt, text), salt


def fresh_salts(count: int) -> list[str]:
    """`count` salts as `seal_text` makes them (16 random bytes, in hex), from
    one call to the OS: a bulk import seals hundreds of thousands of values,
    and one os.urandom call each would be a fifth of its sealing time."""
    pool = os.urandom(SALT_BYTES * count).hex()
    width = 2 * SALT_BYTES
    return [pool[start : start + width] for start in range(0, len(pool), width)]


def personal_digest(salt: str, text: str) -> str:
    """What the log holds for a personal value: SHA-256 of salt + its canonical JSON."""
    return chain.sha256((salt + text).encode("utf-8")).hexdigest()


def resolve_fields(fields: dict[str, Any], resolve: Resolve) -> dict[str, Any]:
    return {k: (resolve(v["personal"]) if is_personal(v) else v) for k, v in fields.items()}


def apply(row: dict[str, Any] | None, event: Event, resolve: Resolve) -> dict[str, Any]:
    """The lead row after `event` (row is None before `created`)."""
    data = event.data
    if event.event == CREATED:
        return {
            "id": event.lead, "state": event.to, "owner": None, "attempts": 0,
            "state_since": event.at, "created_at": event.at, "updated_at": event.at,
            "fields": resolve_fields(data.get("fields", {}), resolve),
        }
    assert row is not None, f"event {event.seq} for {event.lead} before it was created"
    row = {**row, "updated_at": event.at}
    kind = event.event
    if kind == UPDATED:
        row["fields"] = {**row["fields"], **resolve_fields(data.get("fields", {}), resolve)}
    elif kind == ASSIGNED:
        row["owner"] = data.get("owner")
    elif kind == UNROUTED:
        row["owner"] = None
    elif kind == ATTEMPT:
        row["attempts"] += 1
    elif kind == MOVED:
        row["state"] = event.to
    elif kind not in LIFECYCLE_EVENTS and event.to is not None:
        # a transition: a new state starts its attempts and time afresh
        row["state"], row["attempts"], row["state_since"] = event.to, 0, event.at
        if "released" in data:
            row["owner"] = None
    return row
