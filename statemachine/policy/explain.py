"""What a trigger or a state means under a policy, as plain data.

`baton policy explain` turns this into sentences (cli/policy_explain.py) or
JSON. Everything is read off the checked `Policy`: who may fire a trigger,
what must hold, the keys it takes, the SLA clocks it starts and stops, the
routing it runs. No rule is judged here, so nothing can drift from the
engine's own judge in machine.py.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..errors import UnknownName
from ..lifecycle import OPTIONAL_KEYS
from .check import _day_minutes
from .explain_settings import SETTINGS, SettingExplained, explain_setting
from .model import OWNER, SYSTEM, Policy, Sla, Transition


@dataclass(frozen=True)
class Party:
    """One name of a `by` or `notify` list: a role with its members, the
    lead's owner (`owner`) or Baton itself (`system`)."""

    name: str
    members: tuple[str, ...] = ()

    @property
    def is_role(self) -> bool:
        return self.name not in (OWNER, SYSTEM)

    def as_json(self) -> dict[str, Any]:
        if not self.is_role:
            return {"who": self.name}
        return {"who": self.name, "members": list(self.members)}


@dataclass(frozen=True)
class Clock:
    """An SLA clock: `within` in the policy's own notation (4h, 2d, 30m)."""

    name: str
    state: str
    within: str
    within_minutes: int
    business: bool
    notify: tuple[Party, ...]
    reassign: bool
    fire: str | None
    reason: str | None

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name, "state": self.state, "within": self.within,
            "within_minutes": self.within_minutes, "business": self.business,
            "notify": [p.as_json() for p in self.notify], "reassign": self.reassign,
            "fire": self.fire, "reason": self.reason,
        }


@dataclass(frozen=True)
class RouteRule:
    when: str | None
    assign: tuple[str, ...]
    strategy: str

    def as_json(self) -> dict[str, Any]:
        return {"when": self.when, "assign": list(self.assign), "strategy": self.strategy}


@dataclass(frozen=True)
class Checklist:
    name: str
    items: tuple[tuple[str, str], ...]  # (label, expression)

    def as_json(self) -> dict[str, Any]:
        return {"name": self.name, "items": [{"label": label, "expr": expr} for label, expr in self.items]}


@dataclass(frozen=True)
class Guard:
    expr: str
    say: str | None

    def as_json(self) -> dict[str, Any]:
        return {"expr": self.expr, "say": self.say}


@dataclass(frozen=True)
class Move:
    """A transition as seen from a state: where from, where to, by whom."""

    trigger: str
    sources: tuple[str, ...]
    dest: str
    by: tuple[Party, ...]

    def as_json(self) -> dict[str, Any]:
        return {"trigger": self.trigger, "from": list(self.sources), "to": self.dest,
                "by": [p.as_json() for p in self.by]}


@dataclass(frozen=True)
class TriggerExplained:
    name: str
    description: str | None
    sources: tuple[str, ...]
    dest: str
    final: bool
    by: tuple[Party, ...]
    guards: tuple[Guard, ...]
    checklists: tuple[Checklist, ...]
    requires: tuple[str, ...]
    optional: tuple[str, ...]
    starts: tuple[Clock, ...]  # the destination's clocks
    stops: tuple[Clock, ...]  # the clocks of the states it leaves
    routing: tuple[RouteRule, ...] | None  # None: no routing on entering the destination
    fired_by: tuple[Clock, ...]  # SLA clocks whose breach fires it
    told: tuple[Party, ...] = ()  # who routing tells of the assignment (`routing.notify`)

    def as_json(self) -> dict[str, Any]:
        return {
            "kind": "trigger", "name": self.name, "description": self.description,
            "from": list(self.sources), "to": self.dest, "final": self.final,
            "by": [p.as_json() for p in self.by],
            "guards": [g.as_json() for g in self.guards],
            "checklists": [c.as_json() for c in self.checklists],
            "requires": list(self.requires), "optional": list(self.optional),
            "starts": [c.as_json() for c in self.starts], "stops": [c.as_json() for c in self.stops],
            "routing": None if self.routing is None else [r.as_json() for r in self.routing],
            "routing_notify": [p.as_json() for p in self.told],
            "fired_by": [c.as_json() for c in self.fired_by],
        }


@dataclass(frozen=True)
class StateExplained:
    name: str
    owner: Party | None
    description: str | None
    initial: bool
    final: bool
    into: tuple[Move, ...]
    out_of: tuple[Move, ...]
    clocks: tuple[Clock, ...]
    routing: tuple[RouteRule, ...] | None
    leads: int | None  # None: explained from a file, with no database to count in
    told: tuple[Party, ...] = ()  # who routing tells of the assignment (`routing.notify`)

    def as_json(self) -> dict[str, Any]:
        return {
            "kind": "state", "name": self.name,
            "owner": None if self.owner is None else self.owner.as_json(),
            "description": self.description, "initial": self.initial, "final": self.final,
            "into": [m.as_json() for m in self.into], "out_of": [m.as_json() for m in self.out_of],
            "clocks": [c.as_json() for c in self.clocks],
            "routing": None if self.routing is None else [r.as_json() for r in self.routing],
            "routing_notify": [p.as_json() for p in self.told],
            "leads": self.leads,
        }


Explained = TriggerExplained | StateExplained | SettingExplained


def explain(policy: Policy, name: str, count_leads: Callable[[str], int] | None = None) -> list[Explained]:
    """The trigger, the state, or both, called `name` (else the setting,
    `explain_settings.py`); `count_leads(state)`
    gives how many leads sit in a state now, when there is a database."""
    found: list[Explained] = []
    if name in policy.transitions:
        found.append(explain_trigger(policy, name))
    if name in policy.states:
        found.append(explain_state(policy, name, count_leads(name) if count_leads else None))
    if not found and name in SETTINGS:
        found.append(explain_setting(policy, name))
    if not found:
        raise UnknownName(name, list(policy.transitions), list(policy.states), list(SETTINGS))
    return found


def explain_trigger(policy: Policy, name: str) -> TriggerExplained:
    t = policy.transitions[name]
    return TriggerExplained(
        name=t.name,
        description=t.description,
        sources=t.sources,
        dest=t.dest,
        final=policy.states[t.dest].final,
        by=_parties(policy, t.by),
        guards=tuple(Guard(g.expr.source, g.say) for g in t.guards),
        checklists=tuple(
            Checklist(c, tuple((label, e.source) for label, e in policy.checklists[c].items)) for c in t.checklists
        ),
        requires=t.requires,
        optional=tuple(k for k in OPTIONAL_KEYS if k not in t.requires),
        starts=_clocks_in(policy, (t.dest,)),
        stops=_clocks_in(policy, t.sources),
        routing=_routing_on(policy, t.dest),
        fired_by=tuple(_clock(policy, s) for s in policy.sla if s.fire == name),
        told=_told_on(policy, t.dest),
    )


def explain_state(policy: Policy, name: str, leads: int | None) -> StateExplained:
    state = policy.states[name]
    moves = policy.transitions.values()
    return StateExplained(
        name=name,
        owner=None if state.owner_role is None else Party(state.owner_role, policy.actors_of(state.owner_role)),
        description=state.description,
        initial=name == policy.initial,
        final=state.final,
        into=tuple(_move(policy, t) for t in moves if t.dest == name),
        out_of=tuple(_move(policy, t) for t in moves if name in t.sources),
        clocks=_clocks_in(policy, (name,)),
        routing=_routing_on(policy, name),
        leads=leads,
        told=_told_on(policy, name),
    )


def _parties(policy: Policy, names: tuple[str, ...]) -> tuple[Party, ...]:
    return tuple(Party(n) if n in (OWNER, SYSTEM) else Party(n, policy.actors_of(n)) for n in names)


def _move(policy: Policy, t: Transition) -> Move:
    return Move(t.name, t.sources, t.dest, _parties(policy, t.by))


def _clocks_in(policy: Policy, states: tuple[str, ...]) -> tuple[Clock, ...]:
    return tuple(_clock(policy, s) for state in states for s in policy.sla if s.state == state)


def _clock(policy: Policy, sla: Sla) -> Clock:
    reason = sla.reason
    if sla.fire and reason is None:
        reason = f"the {sla.name} SLA was breached"  # what the sweep gives when the policy says none
    return Clock(
        sla.name, sla.state, within_notation(sla, _day_minutes(policy.business_hours)), sla.within_minutes,
        sla.business, _parties(policy, sla.notify), sla.reassign, sla.fire, reason,
    )


def within_notation(sla: Sla, day_minutes: int) -> str:
    """Back to the policy's notation: a business day is one day's opening
    hours (so 2d there is 2 x day_minutes), any other day 24 hours."""
    minutes = sla.within_minutes
    day = day_minutes if sla.business else 1440
    if minutes % day == 0:
        return f"{minutes // day}d"
    if minutes % 60 == 0:
        return f"{minutes // 60}h"
    return f"{minutes}m"


def _routing_on(policy: Policy, state: str) -> tuple[RouteRule, ...] | None:
    routing = policy.routing
    if routing is None or state not in routing.on:
        return None
    return tuple(
        RouteRule(r.when.source if r.when is not None else None, r.assign, r.strategy) for r in routing.rules
    )


def _told_on(policy: Policy, state: str) -> tuple[Party, ...]:
    routing = policy.routing
    if routing is None or state not in routing.on:
        return ()
    return _parties(policy, routing.notify)
