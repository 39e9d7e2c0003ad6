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
    body = {
        "seq": seq, "lead": lead, "at": at, "actor": actor, "event": event, "from": from_,
        "to": to, "data": data, "policy_version": policy_version, "prev": prev,
    }
    return hashlib.sha256(_encode(body).encode("utf-8")).hexdigest()
