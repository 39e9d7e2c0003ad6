"""What a candidate policy would change for the open leads, before it is applied.

`simulate` reads the database as it is and writes nothing. For each open lead
it asks the machine of the policy in force and the machine of the candidate
(`LeadMachine`, the one judge) the same questions and keeps the answers that
differ: a trigger that becomes allowed or refused for the people who may fire
it, a checklist item that becomes met or missing, an SLA clock whose due time
moves, stops or starts (by the rule `policy apply` follows, `sla.retimed_due`),
the rep routing would now pick, and a state the candidate removes.

It is a diff of two policies run over the leads: a trigger whose whole
definition (sources, destination, who, guards, checklist items, requires,
the members of its roles) is the same in both is never judged, and a lead
in a state where nothing can differ is never read.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from .errors import BatonError, MissingKeys, NotAllowed, Refused, WrongState
from .lifecycle import columns_to_row, view
from .machine import LeadMachine, LeadView
from .policy.model import OWNER, SYSTEM, Policy, Routing, Transition
from .routing import choose_rep
from .sla import due_at, retimed_due, same_timing
from .store import Store
from .times import iso

Change = dict[str, Any]


@dataclass
class LeadChanges:
    lead: str
    state: str
    owner: str | None
    changes: list[Change]

    def as_json(self) -> dict[str, Any]:
        return {"lead": self.lead, "state": self.state, "owner": self.owner, "changes": self.changes}


@dataclass
class Totals:
    """Counts a head reads at the end; bounded by the size of the policy, not the leads."""

    open_leads: int = 0
    judged: int = 0
    changed: int = 0
    counts: Counter[tuple[Any, ...]] = field(default_factory=Counter)
    overdue: Counter[tuple[Any, ...]] = field(default_factory=Counter)


def transition_terms(policy: Policy, t: Transition) -> tuple[Any, ...]:
    """Everything that decides whether `t` may fire; equal terms judge alike."""
    items = tuple((name, tuple((label, e.source) for label, e in policy.checklists[name].items))
                  for name in t.checklists)
    return (t.sources, t.dest, t.by, tuple((g.expr.source, g.say) for g in t.guards), items, t.requires,
            tuple(policy.roles.get(role, ()) for role in t.by))


def routing_terms(routing: Routing | None) -> Any:
    if routing is None:
        return None
    return routing.on, tuple((r.assign, r.strategy, r.when.source if r.when else None) for r in routing.rules)


class Simulation:
    def __init__(self, store: Store, current: Policy, candidate: Policy, maps: dict[str, str],
                 actor: str, now: dt.datetime, machine: LeadMachine | None = None):
        self.store, self.old, self.new, self.maps = store, current, candidate, maps
        self.actor, self.now, self.at = actor, now, iso(now)
        self.old_machine = machine or LeadMachine(current)
        self.new_machine = LeadMachine(candidate)
        self.totals = Totals()
        old_terms = {name: transition_terms(current, t) for name, t in current.transitions.items()}
        new_terms = {name: transition_terms(candidate, t) for name, t in candidate.transitions.items()}
        self.changed = [name for name in dict.fromkeys([*old_terms, *new_terms])
                        if old_terms.get(name) != new_terms.get(name)]
        self.routing_changed = routing_terms(current.routing) != routing_terms(candidate.routing)
        self.sla_changed = self._sla_changed()
        self.added_sla = {
            (sla.name, sla.state): sla for sla in candidate.sla
            if not any(s.name == sla.name and s.state == sla.state for s in current.sla)
        }
        self.interesting = {state for state in current.open_states if self._may_change(state)}

    # -- which leads can change at all ---------------------------------------------
    def _sla_changed(self) -> bool:
        for sla in self.old.sla:
            after = next((s for s in self.new_machine.on_enter(sla.state).clocks if s.name == sla.name), None)
            if after is None or not same_timing(self.old, self.new, sla, after):
                return True
        return bool(self.maps)

    def target(self, state: str) -> str | None:
        """Where a lead in `state` sits under the candidate (None: removed, unmapped)."""
        return state if state in self.new.states else self.maps.get(state)

    def triggers(self, state: str, target: str) -> list[str]:
        old, new = self.old.transitions, self.new.transitions
        return [name for name in self.changed
                if (name in old and state in old[name].sources) or (name in new and target in new[name].sources)]

    def routed_soon(self, policy: Policy, state: str) -> bool:
        """Whether a lead in `state` is routed on entering it, or one move away from it."""
        if policy.routing is None:
            return False
        on = policy.routing.on
        return state in on or any(state in t.sources and t.dest in on for t in policy.transitions.values())

    def _may_change(self, state: str) -> bool:
        target = self.target(state)
        if target is None or target != state:
            return True
        if self.triggers(state, target) or self.sla_changed or any(s == target for _, s in self.added_sla):
            return True
        return self.routing_changed and (self.routed_soon(self.old, state) or self.routed_soon(self.new, target))

    # -- the walk ------------------------------------------------------------------
    def run(self) -> Iterator[LeadChanges]:
        """Each open lead with something that changes, in the table's order."""
        store, totals = self.store, self.totals
        open_states = list(self.old.open_states)
        marks = ",".join("?" * len(open_states)) or "NULL"
        totals.open_leads = store.db.execute(
            f"SELECT count(*) FROM leads WHERE state IN ({marks})", open_states).fetchone()[0]
        states = [s for s in open_states if s in self.interesting]
        if not states:
            return
        marks = ",".join("?" * len(states))
        with_clocks = self.sla_changed or bool(self.added_sla)
        clock_columns = ", c.name, c.started_at, c.due_at, c.breached_at" if with_clocks else ""
        join = " LEFT JOIN clocks c ON c.lead = l.id" if with_clocks else ""
        # SQLite reads through leads_by_state: states in order, then rowid, a
        # lead's clocks by their key; PostgreSQL is asked for that order.
        order = f" ORDER BY l.state, l.rowid{', c.name' if with_clocks else ''}" if store.postgres else ""
        cursor = store.db.execute(f"SELECT l.*{clock_columns} FROM leads l{join} WHERE l.state IN ({marks}){order}",
                                  states)
        names = [d[0] for d in cursor.description]
        width = len(names) - (4 if with_clocks else 0)
        lead_names = names[:width]
        current: dict[str, Any] | None = None
        clocks: list[tuple[Any, ...]] = []
        for values in cursor:
            if current is None or values[0] != current["id"]:
                if current is not None:
                    found = self.judge(current, clocks)
                    if found is not None:
                        yield found
                current, clocks = dict(zip(lead_names, values[:width])), []
            if with_clocks and values[width] is not None:
                clocks.append(values[width:])
        if current is not None:
            found = self.judge(current, clocks)
            if found is not None:
                yield found

    def judge(self, columns: dict[str, Any], clocks: list[tuple[Any, ...]]) -> LeadChanges | None:
        self.totals.judged += 1
        row = columns_to_row(self.old, columns)
        state = row["state"]
        target = self.target(state)
        changes: list[Change] = []
        if target is None:
            changes.append({"kind": "state_removed", "state": state})
            self.totals.counts["state_removed", state] += 1
        else:
            lead = view(row)
            moved = lead if target == state else view({**row, "state": target})
            self._triggers(lead, moved, state, target, changes)
            self._clocks(target, clocks, changes)
            if self.routing_changed:
                self._routing(row, lead, moved, changes)
        if not changes:
            return None
        self.totals.changed += 1
        return LeadChanges(row["id"], state, row["owner"], changes)

    # -- triggers and checklists ---------------------------------------------------
    def _people(self, name: str, lead: LeadView) -> tuple[str, ...]:
        people: list[str] = []
        for policy in (self.old, self.new):
            t = policy.transitions.get(name)
            for who in t.by if t else ():
                if who == OWNER:
                    people.extend([lead.owner] if lead.owner else [])
                elif who == SYSTEM:
                    people.append(SYSTEM)
                else:
                    people.extend(policy.roles.get(who, ()))
        return tuple(dict.fromkeys(people))

    def _verdicts(self, machine: LeadMachine, name: str, lead: LeadView,
                  people: tuple[str, ...]) -> dict[str, BatonError | None]:
        t = machine.policy.transitions.get(name)
        if t is None or lead.state not in t.sources:
            return {}
        return machine.who_may(t, lead, people, self.now)

    def _triggers(self, lead: LeadView, moved: LeadView, state: str, target: str, changes: list[Change]) -> None:
        items: dict[tuple[str, str], str] = {}
        for name in self.triggers(state, target):
            people = self._people(name, lead)
            before = self._verdicts(self.old_machine, name, lead, people)
            after = self._verdicts(self.new_machine, name, moved, people)
            was = [p for p in people if p in before and before[p] is None]
            now = [p for p in people if p in after and after[p] is None]
            gained, lost = [p for p in now if p not in was], [p for p in was if p not in now]
            if gained:
                changes.append({"kind": "allowed", "trigger": name, "actors": gained,
                                "was": reasons(before.get(gained[0]), name, state)})
                self.totals.counts["allowed", target, name] += 1
            if lost:
                changes.append({"kind": "refused", "trigger": name, "actors": lost,
                                "why": reasons(after.get(lost[0]), name, target)})
                self.totals.counts["refused", target, name] += 1
            self._items(name, lead, moved, items)
        for (checklist, label), kind in items.items():
            changes.append({"kind": kind, "checklist": checklist, "item": label})
            self.totals.counts[kind, checklist, label] += 1

    def _items(self, name: str, lead: LeadView, moved: LeadView, items: dict[tuple[str, str], str]) -> None:
        """Checklist items of `name` that become met or missing for this lead."""
        old_t, new_t = self.old.transitions.get(name), self.new.transitions.get(name)
        if old_t is None or new_t is None or lead.state not in old_t.sources or moved.state not in new_t.sources:
            return
        before = self.old_machine.missing_items(lead, old_t.checklists, lead.env(self.actor, self.now))
        after = self.new_machine.missing_items(moved, new_t.checklists, moved.env(self.actor, self.now))
        asked_after = {(c, label) for c in new_t.checklists for label, _ in self.new.checklists[c].items}
        missing_before = {(c, label) for c, labels in before.items() for label in labels}
        missing_after = {(c, label) for c, labels in after.items() for label in labels}
        for key in missing_after - missing_before:
            items.setdefault(key, "item_missing")
        for key in missing_before - missing_after:
            items.setdefault(key, "item_met" if key in asked_after else "item_dropped")

    # -- SLA clocks ----------------------------------------------------------------
    def _clocks(self, target: str, clocks: list[tuple[Any, ...]], changes: list[Change]) -> None:
        held = set()
        for name, started_at, due, breached_at in clocks:
            held.add(name)
            if breached_at is not None:
                continue
            timed = retimed_due(self.old, self.new_machine, name, target, started_at)
            if timed is None:
                changes.append({"kind": "sla_stopped", "sla": name, "due": due})
                self.totals.counts["sla_stopped", name] += 1
            elif timed not in ("keep", due):
                changes.append(self._moved_clock(name, due, timed))
        for (name, state), sla in self.added_sla.items():
            if state == target and name not in held:
                changes.append({"kind": "sla_started", "sla": name, "due": due_at(self.new, sla, self.at)})
                self.totals.counts["sla_started", name] += 1

    def _moved_clock(self, name: str, due: str, timed: str) -> Change:
        before = next(s for s in self.old.sla if s.name == name)
        after = next(s for s in self.new.sla if s.name == name)
        same_calendar = (self.old.business_hours, self.old.timezone) == (self.new.business_hours, self.new.timezone)
        if before.business == after.business and (same_calendar or not after.business):
            # the same start and the same kind of time: it moves by the change in length
            minutes: int | None = after.within_minutes - before.within_minutes
        else:
            minutes = None  # another calendar: each clock moves by its own amount
        business = after.business
        overdue = timed <= self.at
        key = ("sla_due", name, minutes, business)
        self.totals.counts[key] += 1
        self.totals.overdue[key] += overdue
        return {"kind": "sla_due", "sla": name, "old": due, "new": timed, "minutes": minutes,
                "business": business, "overdue": overdue}

    # -- routing -------------------------------------------------------------------
    def _routing(self, row: dict[str, Any], lead: LeadView, moved: LeadView, changes: list[Change]) -> None:
        before = self._pick(self.old, row, lead)
        after = self._pick(self.new, row, moved)
        if before != after:
            changes.append({"kind": "route", "old": before[0], "new": after[0], "rule": after[1]})
            self.totals.counts["route", moved.state] += 1

    def _pick(self, policy: Policy, row: dict[str, Any], lead: LeadView) -> tuple[str | None, int | None]:
        """The rep the next routing of this lead would pick under `policy`."""
        routing = policy.routing
        if routing is None or not self.routed_soon(policy, lead.state):
            return None, None
        if lead.state in routing.on and row["owner"] is not None:
            return None, None  # routed already: routing runs again only on entering
        into = [t.dest for t in policy.transitions.values() if lead.state in t.sources and t.dest in routing.on]
        state = lead.state if lead.state in routing.on else into[0]
        store = self.store
        away = {rep: until for rep, until in store.reps_away().items() if until is None or until > self.at}
        env = {**lead.env(self.actor, self.now), "state": state}
        decision = choose_rep(routing, env, away, (), store.open_lead_counts, store.rr_position)
        return decision.owner, decision.data.get("rule")


def reasons(refusal: BatonError | None, trigger: str, state: str) -> list[str]:
    """What stands in the way, item by item; the same refusal in other words is the same list."""
    if refusal is None:
        return [f"'{trigger}' does not move a lead out of {state}"]
    if isinstance(refusal, Refused):
        return [*([f"needs {', '.join(refusal.keys)}"] if refusal.keys else []),
                *(f"{checklist} checklist: {label}" for checklist, labels in refusal.missing.items()
                  for label in labels), *refusal.failed]
    if isinstance(refusal, NotAllowed):
        return ["not in a role that may fire it"]
    if isinstance(refusal, WrongState):
        return [f"'{trigger}' does not move a lead out of {refusal.state}"]
    if isinstance(refusal, MissingKeys):
        return [f"needs {', '.join(refusal.keys)}"]
    return [str(refusal)]
