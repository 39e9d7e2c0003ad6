"""The figures of every report, as the totals give them: `Figures.as_json()`
is the dict the page and `baton report ... --json` print (see README,
"Reports"). Rates are rounded to 4 decimals, hours to 2.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

from .policy_facts import PolicyFacts
from .tally import NO_GROUP, Tally


@dataclass
class Figures:
    window: dict[str, Any]
    states: list[str]
    main_path: list[str]
    funnel: list[dict[str, Any]] = field(default_factory=list)
    conversion: list[dict[str, Any]] = field(default_factory=list)
    sla: list[dict[str, Any]] = field(default_factory=list)
    sla_weekly: list[dict[str, Any]] = field(default_factory=list)
    breaches_by_hour: list[dict[str, Any]] = field(default_factory=list)
    recycle: list[dict[str, Any]] = field(default_factory=list)
    reps: list[dict[str, Any]] = field(default_factory=list)
    # `report funnel --cohort`: of the leads created in the window, how many
    # reached each state of the main path (kept out of `as_json`, whose keys
    # the page reads).
    cohort: list[dict[str, Any]] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "window": self.window, "states": self.states, "main_path": self.main_path,
            "funnel": self.funnel, "conversion": self.conversion, "sla": self.sla,
            "sla_weekly": self.sla_weekly, "breaches_by_hour": self.breaches_by_hour,
            "recycle": self.recycle, "reps": self.reps,
        }


def rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _groups(keys: Any) -> list[str | None]:
    """Groups in a stable order: values sorted as text, the lead without one last."""
    found = {group for _, group in keys}
    return sorted(found, key=lambda g: (g == NO_GROUP, str(g).lower(), str(g)))


def build(tally: Tally, window: dict[str, Any], facts: PolicyFacts) -> Figures:
    policy = facts.policy
    states = list(policy.states)
    path = list(facts.main_path)
    figures = Figures(window, states, path)
    shown = states + [s for s in tally.states_seen if s not in policy.states]
    groups = _groups(tally.states)
    if tally.states:
        for state in shown:
            for group in groups:
                line = tally.states.get((state, group))
                if line is None and group is not None:
                    continue  # split by group: only the groups that entered the state
                if line is None:
                    figures.funnel.append({"state": state, "group": group, "entered": 0, "left": 0, "to": {},
                                           "median_hours": None, "p90_hours": None})
                    continue
                to = {s: line.to[s] for s in shown + sorted(line.to) if s in line.to}
                figures.funnel.append({
                    "state": state, "group": group, "entered": line.entered, "left": line.left, "to": to,
                    "median_hours": line.times.hours(0.5), "p90_hours": line.times.hours(0.9),
                })
        for before, after in pairwise(path):
            for group in groups:
                line = tally.states.get((before, group))
                if line is None and group is not None:
                    continue
                entered = line.entered if line else 0
                reached = line.to.get(after, 0) if line else 0
                figures.conversion.append({"from": before, "to": after, "group": group, "entered": entered,
                                           "reached": reached, "rate": rate(reached, entered)})
    names = list(dict.fromkeys([s.name for s in policy.sla] + [name for name, _ in tally.sla]))
    if tally.sla:
        for name in names:
            for group in _groups(tally.sla):
                sla = tally.sla.get((name, group))
                if sla is None and group is not None:
                    continue
                if sla is None:
                    figures.sla.append({"sla": name, "group": group, "started": 0, "met": 0, "breached": 0,
                                        "running": 0, "compliance": None, "median_hours_to_stop": None})
                    continue
                figures.sla.append({
                    "sla": name, "group": group, "started": sla.started, "met": sla.met, "breached": sla.breached,
                    "running": sla.running, "compliance": rate(sla.met, sla.met + sla.breached),
                    "median_hours_to_stop": sla.to_stop.hours(0.5),
                })
    for (name, week), (met, breached) in sorted(tally.weekly.items(), key=lambda kv: (names.index(kv[0][0]), kv[0][1])):
        figures.sla_weekly.append({"sla": name, "week": week, "met": met, "breached": breached,
                                   "compliance": rate(met, met + breached)})
    for (name, weekday, hour), count in sorted(tally.by_hour.items(), key=lambda kv: (names.index(kv[0][0]), kv[0][1:])):
        figures.breaches_by_hour.append({"sla": name, "weekday": weekday, "hour": hour, "breaches": count})
    for reason, recycled in sorted(tally.recycle.items(), key=lambda kv: (-kv[1].count, kv[0])):
        figures.recycle.append({
            "reason": reason, "count": recycled.count, "median_attempts": _median(recycled.attempts),
            "came_back": recycled.came_back, "won_after": recycled.won_after,
        })
    figures.reps = _reps(tally, policy)
    figures.cohort = _cohort(tally, path)
    return figures


def _median(counts: dict[int, int]) -> float | None:
    """The median of whole numbers given as value -> how many."""
    total = sum(counts.values())
    if not total:
        return None
    ranks = (total - 1) // 2, total // 2
    found: list[int] = []
    seen = 0
    for value in sorted(counts):
        seen += counts[value]
        while len(found) < 2 and ranks[len(found)] < seen:
            found.append(value)
    return (found[0] + found[1]) / 2


def _reps(tally: Tally, policy: Any) -> list[dict[str, Any]]:
    if not tally.reps:
        return []
    routed = [rep for rule in (policy.routing.rules if policy.routing else ()) for rep in rule.assign]
    order = list(dict.fromkeys(routed + sorted(tally.reps)))
    shown = []
    for name in order:
        rep = tally.reps.get(name)
        if rep is None:
            shown.append({"rep": name, "assigned": 0, "by_rule": {}, "open": 0, "median_hours_to_accept": None,
                          "breaches": 0})
            continue
        shown.append({
            "rep": name, "assigned": rep.assigned, "by_rule": dict(sorted(rep.by_rule.items(), key=_rule_order)),
            "open": rep.open, "median_hours_to_accept": rep.to_accept.hours(0.5), "breaches": rep.breaches,
        })
    return shown


def _rule_order(item: tuple[str, int]) -> tuple[int, str]:
    rule = item[0]
    return (int(rule), "") if rule.isdigit() else (1 << 30, rule)


def _cohort(tally: Tally, path: list[str]) -> list[dict[str, Any]]:
    lines = []
    for group in _groups((None, g) for g in tally.cohort):
        furthest = tally.cohort[group]
        created = sum(furthest.values())
        for index, state in enumerate(path):
            reached = sum(count for at, count in furthest.items() if at >= index)
            lines.append({"state": state, "group": group, "reached": reached, "rate": rate(reached, created)})
    return lines
