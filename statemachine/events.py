"""The event type, and the names of the events Baton itself writes: one vocabulary.

A transition's event is named for its trigger, so these names are reserved:
`policy check` refuses a transition (or a state or checklist, which people
read beside them) that takes one, and `audit verify` names an event whose
name is neither one of these nor a trigger of its policy version.
"""

from __future__ import annotations

import json
from typing import Any, NamedTuple

# The columns of the `events` table, in order: what is hashed, and `hash`.
EVENT_COLUMNS = ("seq", "lead", "at", "actor", "event", "from", "to", "data", "policy_version", "prev", "hash")


class Event(NamedTuple):
    """One event of the log. A named tuple rather than a frozen dataclass:
    reading the log builds one per event, and a tuple is built four times
    as fast (`audit verify` reads a million)."""

    seq: int
    lead: str | None
    at: str
    actor: str
    event: str
    from_: str | None
    to: str | None
    data: dict[str, Any]
    policy_version: int | None
    prev: str
    hash: str

    def as_json(self) -> dict[str, Any]:
        return {
            "seq": self.seq, "lead": self.lead, "at": self.at, "actor": self.actor,
            "event": self.event, "from": self.from_, "to": self.to, "data": self.data,
            "policy_version": self.policy_version, "prev": self.prev, "hash": self.hash,
        }

    @classmethod
    def from_row(cls, row: tuple[Any, ...]) -> Event:
        seq, lead, at, actor, event, from_, to, data, version, prev, digest = row
        return cls(seq, lead, at, actor, event, from_, to, json.loads(data), version, prev, digest)


CREATED = "created"
UPDATED = "updated"
ASSIGNED = "assigned"
UNROUTED = "unrouted"
ATTEMPT = "attempt"
SLA_BREACH = "sla_breach"
POLICY_APPLIED = "policy_applied"
MOVED = "moved"
APPROVED = "approved"
ERASED = "erased"
REP_AWAY = "rep_away"
REP_BACK = "rep_back"

BATON_EVENTS = (CREATED, UPDATED, ASSIGNED, UNROUTED, ATTEMPT, SLA_BREACH, POLICY_APPLIED, MOVED, APPROVED,
                ERASED, REP_AWAY, REP_BACK)
# A lead's events that are not transitions: they never move it by a trigger.
LIFECYCLE_EVENTS = frozenset({CREATED, UPDATED, ASSIGNED, UNROUTED, ATTEMPT, SLA_BREACH, MOVED, ERASED})
# Events a lead's history may hold besides its transitions; each says the
# state the lead was in (`from`, when it has one) and never changes it.
IN_STATE_EVENTS = frozenset({ASSIGNED, UNROUTED, ATTEMPT, SLA_BREACH})
