"""The hash chain rule of the event log (SPEC, "audit log --json").

hash = SHA-256 of the canonical JSON of exactly these keys of an event:
seq, lead, at, actor, event, from, to, data, policy_version, prev.
Canonical JSON: keys sorted, separators `,` and `:`, UTF-8 without escapes.
The first event's `prev` is 64 zeros.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

GENESIS = "0" * 64
HASHED_KEYS = ("seq", "lead", "at", "actor", "event", "from", "to", "data", "policy_version", "prev")

_encode = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode


def canonical(value: Any) -> str:
    return _encode(value)


def event_hash(seq: int, lead: str | None, at: str, actor: str, event: str, from_: str | None,
               to: str | None, data: dict[str, Any], policy_version: int | None, prev: str) -> str:
    return hash_of(seq, lead, at, actor, event, from_, to, _encode(data), policy_version, prev)


def hash_of(seq: int, lead: str | None, at: str, actor: str, event: str, from_: str | None,
            to: str | None, data_text: str, policy_version: int | None, prev: str) -> str:
    """`event_hash` for an event whose `data` is already canonical JSON text.

    The body is the canonical JSON of the hashed keys, written out in their
    sorted order, so `data` is encoded once for both the hash and the row."""
    body = (
        f'{{"actor":{_encode(actor)},"at":{_encode(at)},"data":{data_text},"event":{_encode(event)},'
        f'"from":{_encode(from_)},"lead":{_encode(lead)},"policy_version":{_encode(policy_version)},'
        f'"prev":{_encode(prev)},"seq":{_encode(seq)},"to":{_encode(to)}}}'
    )
    return hashlib.sha256(body.encode("utf-8")).hexdigest()
