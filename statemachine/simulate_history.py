"""`policy simulate --history`: every transition in the log judged again under
a candidate policy, on each lead as the log had it at that moment.

The log is replayed lead by lead exactly as `audit verify` replays it (the
same rows, personal values erased since counting as present), and the
candidate's machine is asked whether each transition would have been allowed.
The history itself is not re-written: a transition the candidate would have
refused is counted, and the lead goes on as it really did.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .audit import read_chunks
from .chain import canonical
from .errors import WrongState
from .events import BATON_EVENTS, CREATED
from .lifecycle import view
from .machine import LeadMachine
from .policy.model import Policy
from .projection import apply
from .simulate import reasons
from .store import Store
from .times import from_iso


@dataclass
class TriggerHistory:
    """One trigger's transitions in the log, and what the candidate says of them."""

    fired: int = 0
    refused: int = 0
    why: Counter[str] = field(default_factory=Counter)

    def as_json(self, trigger: str) -> dict[str, Any]:
        return {"trigger": trigger, "fired": self.fired, "refused": self.refused,
                "reasons": [{"reason": reason, "count": n} for reason, n in self.why.most_common()]}


def rejudge(store: Store, candidate: Policy, window: tuple[str | None, str | None] = (None, None),
            maps: dict[str, str] | None = None,
            progress: Callable[[int], None] | None = None) -> dict[str, TriggerHistory]:
    """trigger -> how many times it fired and how many the candidate would
    refuse, of the transitions whose time is inside `window` (ISO, inclusive;
    every lead is still replayed from its start). A lead in a state the
    candidate renames is judged in the state `maps` sends it to, as `policy
    apply --map` would have moved it."""
    since, until = window
    machine = LeadMachine(candidate)
    found: dict[str, TriggerHistory] = {}
    lead: str | None = None
    row: dict[str, Any] | None = None
    with store.snapshot():
        for chunk, resolve in read_chunks(store, "WHERE lead IS NOT NULL", (), order="lead, seq"):
            for event, _ in chunk:
                if event.lead != lead:
                    lead, row = event.lead, None
                if row is None:
                    if event.event == CREATED:
                        row = apply(None, event, resolve)
                    continue  # an event before its lead was created: `audit verify` names it
                if (event.event not in BATON_EVENTS and event.to is not None
                        and (since is None or event.at >= since) and (until is None or event.at <= until)):
                    tally = found.setdefault(event.event, TriggerHistory())
                    tally.fired += 1
                    state = row["state"] if row["state"] in candidate.states else (maps or {}).get(row["state"])
                    judged = row if state in (None, row["state"]) else {**row, "state": state}
                    why = _refusal(machine, event.event, judged, event.actor, event.data, event.at)
                    if why:
                        tally.refused += 1
                        tally.why.update(why)
                row = apply(row, event, resolve)
            if progress is not None:
                progress(len(chunk))
    return found


def _refusal(machine: LeadMachine, trigger: str, row: dict[str, Any], actor: str, data: dict[str, Any],
             at: str) -> list[str]:
    """Why the candidate would have refused this transition (empty: it would not)."""
    transition = machine.policy.transitions.get(trigger)
    if transition is None:
        return [f"the candidate has no transition '{trigger}'"]
    if row["state"] not in transition.sources:
        return reasons(WrongState(row["id"], trigger, row["state"], list(transition.sources)), trigger, row["state"])
    args = {k: v if isinstance(v, str) else canonical(v) for k, v in data.items() if v is not None}
    refusal = machine.refusal(transition, view(row), actor, args, from_iso(at))
    return [] if refusal is None else reasons(refusal, trigger, row["state"])
