"""The `assigned` notification: the rep is told at once that a lead is theirs.

With `routing: {notify: [owner, ROLE...]}`, each assignment (routing on
entering a state, or an SLA reassign) queues one outbox row of kind
`assigned`, in the assignment's own transaction, so a refused or failed
command queues nothing. Its body carries the handover context a rep needs
for the first call: the lead's fields (personal values included, since the
rep must be able to reach the person) and when the first clock of the state
runs out. `notify send` delivers it like any other row.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from .events import ASSIGNED, Event
from .machine import Erased
from .policy.model import OWNER, Policy
from .schema import ensure_outbox_fields
from .times import for_people
from .workspace import Workspace

KIND = ASSIGNED
OUTBOX_INSERT = (
    "INSERT INTO outbox(lead, kind, sla, due, owner, recipients, text, created_at, "
    "status, tries, next_try_at, delivered, fields) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending', 0, ?, '[]', ?)"
)


def recipients(policy: Policy, names: Iterable[str], owner: str | None) -> list[str]:
    """The actors `names` (roles, or `owner` for `owner`) stand for, each once."""
    people: list[str] = []
    for who in names:
        for actor in ([owner] if who == OWNER and owner else policy.actors_of(who)):
            if actor not in people:
                people.append(actor)
    return people


def handover_fields(policy: Policy, fields: Mapping[str, Any]) -> dict[str, Any]:
    """The lead's fields that have a value, in the policy's order. A value
    erased on the person's request is left out: the rep is not handed it."""
    return {
        name: fields[name] for name in policy.fields
        if fields.get(name) is not None and not isinstance(fields[name], Erased)
    }


def summary(policy: Policy, fields: Mapping[str, Any]) -> str:
    """Who the lead is, in a few words: its short text fields (type
    `string`) in the policy's order, like `Ana Ortiz, Northwind, CFO`.
    Personal ones next to each other (first and last name) read as one."""
    parts: list[str] = []
    previous_personal = False
    for name, spec in policy.fields.items():
        value = fields.get(name)
        if spec.type != "string" or value in (None, ""):
            previous_personal = False
            continue
        if spec.personal and previous_personal:
            parts[-1] = f"{parts[-1]} {value}"
        else:
            parts.append(str(value))
        previous_personal = spec.personal
    return ", ".join(parts)


def notice_text(lead: str, about: str, owner: str, told: list[str], clock: tuple[str, str] | None, zone: str,
                taken_from: tuple[str | None, str] | None = None) -> str:
    """The one plain sentence: `L-7 (Ana Ortiz, Northwind) is yours: acknowledge by 2026-11-23 13:00 GMT.`
    `clock` is the first deadline (name, due); `taken_from` the rep the lead
    was passed on from and the deadline they missed, for an SLA reassign."""
    who = f"{lead} ({about})" if about else lead
    whose = "yours" if told == [owner] else f"now {owner}'s"
    how = ""
    if taken_from is not None:
        before, missed = taken_from
        how = f", passed on {f'from {before} ' if before else ''}when its {missed} deadline ran out"
    deadline = f": {clock[0].replace('_', ' ')} by {for_people(clock[1], zone)}" if clock else ""
    return f"{who} is {whose}{how}{deadline}."


def first_clock(ws: Workspace, lead: str, state: str) -> tuple[str, str] | None:
    """(name, due) of the running clock of `state` that runs out first."""
    row = ws.store.db.execute(
        "SELECT name, due_at FROM clocks WHERE lead = ? AND state = ? AND breached_at IS NULL "
        "ORDER BY due_at, name LIMIT 1",
        (lead, state),
    ).fetchone()
    return None if row is None else (row[0], row[1])


def queue_assigned(ws: Workspace, row: Mapping[str, Any], assigned: Event, notify: tuple[str, ...],
                   before: str | None) -> list[str]:
    """Inside the assignment's transaction: one `assigned` outbox row for
    the lead `row` (as it stands after the `assigned` event), to the people
    `notify` names; `before` is the owner it had. Returns the recipients."""
    policy = ws.policy
    owner = assigned.data["owner"]
    told = recipients(policy, notify, owner)
    if not told:
        return told
    lead, state = row["id"], row["state"]
    clock = first_clock(ws, lead, state)
    missed = assigned.data.get("sla")
    taken_from = (before, missed) if isinstance(missed, str) else None
    fields = handover_fields(policy, row["fields"])
    text = notice_text(lead, summary(policy, fields), owner, told, clock, policy.timezone, taken_from)
    ensure_outbox_fields(ws.store)
    ws.store.db.execute(OUTBOX_INSERT, (
        lead, KIND, clock[0] if clock else None, clock[1] if clock else None, owner, json.dumps(told), text,
        ws.at, ws.at, json.dumps(fields, ensure_ascii=False),
    ))
    return told
