"""`sla sweep`: act on every clock that is due, once.

Each lead with due clocks is handled in its own transaction: the clock is
re-read inside it (so a second sweep, or one running at the same time, finds
it already breached), the `sla_breach` event is recorded with the actions
taken, and the actions run as `system`: `notify` writes an outbox row,
`reassign` routes again without the current owner (the clock restarts, and
the new rep is told as routing tells one: `assigned_notice`),
`fire` fires the trigger with its reason. A refused fire stays recorded in
the breach, and the sweep goes on.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .assigned_notice import recipients as notice_recipients
from .events import SLA_BREACH
from .lifecycle import (
    Recorder,
    decide_route,
    fire_trigger,
    read_row,
    record_route,
    view,
)
from .policy.model import SYSTEM, Policy, Sla
from .sla import Clock, due_clocks, due_leads
from .workspace import Workspace


@dataclass
class SweepReport:
    breaches: list[dict[str, Any]] = field(default_factory=list)


def recipients(policy: Policy, sla: Sla, owner: str | None) -> list[str]:
    """Actors to notify: `owner` is the owner when the clock breached."""
    return notice_recipients(policy, sla.notify, owner)


def notice_text(lead: str, clock: Clock, owner: str | None) -> str:
    holder = f"owned by {owner}" if owner else "with no owner"
    return f"Lead {lead} missed its '{clock.name}' deadline in {clock.state} (due {clock.due_at}), {holder}."


def sweep(ws: Workspace, should_stop: Callable[[], bool] | None = None) -> SweepReport:
    """`should_stop` is asked between leads: `serve` stops between transactions."""
    report = SweepReport()
    for lead in due_leads(ws.store, ws.at):
        if should_stop is not None and should_stop():
            break
        with ws.store.transaction():
            report.breaches.extend(breach_lead(ws, lead))
    return report


def breach_lead(ws: Workspace, lead: str) -> list[dict[str, Any]]:
    """Inside a transaction: breach every due clock of `lead`, in due order."""
    policy, store = ws.policy, ws.store
    recorder = Recorder(ws, read_row(store, policy, lead))
    done = []
    while clocks := due_clocks(store, lead, ws.at):
        clock = clocks[0]
        row = recorder.row
        assert row is not None
        owner, state = row["owner"], row["state"]
        sla = next((s for s in policy.sla if s.name == clock.name and s.state == state), None)
        actions: dict[str, Any] = {}
        decision = None
        reason = None
        if sla is not None:
            if sla.notify:
                actions["notify"] = recipients(policy, sla, owner)
            if sla.reassign and policy.routing is not None:
                decision = decide_route(ws, row, (owner,) if owner else ())
                actions["reassign"] = decision.owner or f"nobody else is available; {owner or 'nobody'} keeps it"
            if sla.fire:
                reason = sla.reason or f"the {sla.name} SLA was breached"
                actions["fire"] = sla.fire
                refusal = ws.machine.refusal(policy.transitions[sla.fire], view(row), SYSTEM, {"reason": reason}, ws.now)
                if refusal is not None:
                    actions["refused"] = str(refusal)
        else:
            actions["note"] = "this clock is no longer in the policy; nothing else was done"
        data = {"sla": clock.name, "due": clock.due_at, "owner": owner, "actions": actions}
        breach = recorder.record(lead, SLA_BREACH, state, state, data, SYSTEM)
        if "notify" in actions:
            store.db.execute(
                "INSERT INTO outbox(lead, kind, sla, due, owner, recipients, text, created_at, breach_seq, "
                "status, tries, next_try_at, delivered) VALUES (?, 'sla_breach', ?, ?, ?, ?, ?, ?, ?, 'pending', 0, ?, '[]')",
                (lead, clock.name, clock.due_at, owner, json.dumps(actions["notify"]),
                 notice_text(lead, clock, owner), ws.at, breach.seq, ws.at),
            )
        if decision is not None and decision.owner is not None:
            record_route(recorder, decision, {"sla": clock.name}, SYSTEM)
        if sla is not None and sla.fire and "refused" not in actions:
            # the refusal was checked above, on the same rows, inside this transaction
            fire_trigger(recorder, sla.fire, SYSTEM, {"reason": reason or ""})
        done.append({"lead": lead, "seq": breach.seq, **data})
    recorder.save()
    return done
