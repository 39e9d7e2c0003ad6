"""Who gets a lead: the routing rules of the policy, as a pure choice.

The first rule whose `when` holds and that has an available rep wins; reps
who are away (or excluded, like the owner an SLA takes a lead from) are
skipped, and a rule with nobody available falls through to the next. The
decision carries its reasons, which go into the `assigned` (or `unrouted`)
event, so "why did Bob get it?" is answered from the log.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from typing import Any

from .policy.model import Routing
from .record import Record


class Decision(Record):
    owner: str | None
    data: dict[str, Any]
    # round robin: (rule key, next position) to store with the assignment
    position: tuple[str, int] | None = None


def rule_key(assign: tuple[str, ...]) -> str:
    return ",".join(assign)


def away_reason(until: str | None) -> str:
    return f"away until {until}" if until else "away"


def choose_rep(
    routing: Routing,
    env: Mapping[str, Any],
    away: Mapping[str, str | None],
    exclude: Collection[str],
    open_counts: Callable[[tuple[str, ...]], dict[str, int]],
    position: Callable[[str], int],
) -> Decision:
    passed_over: list[dict[str, Any]] = []
    for number, rule in enumerate(routing.rules, 1):
        if rule.when is not None and not rule.when.holds(env):
            continue
        skipped: dict[str, str] = {}
        for rep in rule.assign:
            if rep in exclude:
                skipped[rep] = "had it when its SLA ran out"
            elif rep in away:
                skipped[rep] = away_reason(away[rep])
        available = [rep for rep in rule.assign if rep not in skipped]
        base: dict[str, Any] = {
            "rule": number,
            "when": rule.when.source if rule.when is not None else None,
            "strategy": rule.strategy,
            "skipped": skipped,
        }
        if not available:
            passed_over.append(base)
            continue
        if rule.strategy == "least_loaded":
            counts = open_counts(rule.assign)
            # min() keeps the first of equals: ties go to the rep listed first
            owner = min(available, key=lambda rep: counts.get(rep, 0))
            data = {**base, "open_leads": {rep: counts.get(rep, 0) for rep in rule.assign}}
            return Decision(owner, _with_history(data, owner, passed_over))
        key = rule_key(rule.assign)
        start = position(key) % len(rule.assign)
        order = rule.assign[start:] + rule.assign[:start]
        owner = next(rep for rep in order if rep not in skipped)
        next_position = (rule.assign.index(owner) + 1) % len(rule.assign)
        data = {**base, "rotation": list(rule.assign), "position": rule.assign.index(owner)}
        return Decision(owner, _with_history(data, owner, passed_over), (key, next_position))
    reason = "no rep is available in any matching rule" if passed_over else "no routing rule matches this lead"
    return Decision(None, {"reason": reason, "passed_over": passed_over})


def _with_history(data: dict[str, Any], owner: str, passed_over: list[dict[str, Any]]) -> dict[str, Any]:
    data = {"owner": owner, **data}
    if passed_over:
        data["passed_over"] = passed_over
    return data
