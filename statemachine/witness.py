"""The witness: with `audit: {witness: daily}`, `baton serve` sends the log's
head once a day through the notify channels, so the head also lives outside
the database, where someone who rewrites the database cannot reach it.

The head goes out as an outbox row of kind `witness` (about no lead), which
`notify send` delivers like any other. It is told to every person the
policy's email channel names under `to` (the webhook and the file carry it
whatever its recipients). The day it was queued for, in the policy's zone,
is kept in `meta` (`witness_day`) in the same transaction as the row, so a
round that repeats the day queues nothing. No event is written: the witness
must not change the log it witnesses.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from zoneinfo import ZoneInfo

from .audit.head import log_head
from .audit.report import Head
from .dburl import is_postgres
from .policy.model import Policy
from .store import Store
from .times import iso

WITNESS = "witness"
DAY_KEY = "witness_day"


def witness_text(head: Head, day: str, db_path: str) -> str:
    """One sentence a person can keep, with the full hash `verify --expect` needs."""
    name = db_path if is_postgres(db_path) else os.path.basename(db_path)  # a URL's password is masked already
    return (f"Baton's log head of {name} on {day}: seq {head.seq}, hash {head.hash}; "
            f"check it later with `baton audit verify --expect {head.seq}:{head.hash}`.")


def witness_recipients(policy: Policy) -> list[str]:
    """Every person with an address in the email channel, in the policy's order."""
    email = (policy.notify or {}).get("email") or {}
    return [str(person) for person in (email.get("to") or {})]


def queue_witness(store: Store, policy: Policy, now: dt.datetime) -> Head | None:
    """Queue today's witness when the policy asks for one and none was queued
    today; the head it queued, or None."""
    if policy.witness != "daily":
        return None
    day = now.astimezone(ZoneInfo(policy.timezone)).date().isoformat()
    if store.meta(DAY_KEY) == day:
        return None  # the usual round: read without taking the write lock
    with store.transaction():
        if store.meta(DAY_KEY) == day:  # another round queued it meanwhile
            return None
        head = log_head(store)
        if head is None:
            return None  # an empty log has no head to keep
        at = iso(now)
        store.db.execute(
            "INSERT INTO outbox(lead, kind, sla, due, owner, recipients, text, created_at, "
            "status, tries, next_try_at, delivered) VALUES (NULL, ?, NULL, NULL, NULL, ?, ?, ?, 'pending', 0, ?, '[]')",
            (WITNESS, json.dumps(witness_recipients(policy)), witness_text(head, day, store.path), at, at),
        )
        store.set_meta(DAY_KEY, day)
    return head
