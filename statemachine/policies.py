"""Putting a policy in force: its exact text, hash and compiled form are
stored, and a `policy_applied` event records the change."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from .clock import iso, now_utc, parse_time
from .policy.model import Policy, to_plain
from .store import Store


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def store_policy(store: Store, text: str, policy: Policy, actor: str, at: str) -> dict[str, Any]:
    """Inside a transaction: record `policy` as the one in force."""
    digest = text_hash(text)
    store.db.execute(
        "INSERT INTO policies(version, name, hash, text, applied_at, compiled) VALUES (?, ?, ?, ?, ?, ?)",
        (policy.version, policy.name, digest, text, at, json.dumps(to_plain(policy))),
    )
    store.set_meta("policy_version", str(policy.version))
    data = {"policy": policy.name, "version": policy.version, "hash": digest}
    store.append(None, at, actor, "policy_applied", None, None, data, policy.version)
    return data


def command_time(now: str | None, policy: Policy) -> str:
    return iso(parse_time(now, policy.timezone) if now else now_utc())
