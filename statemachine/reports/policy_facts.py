"""What the reports read from one policy version: the main path, which
transitions recycle a lead, the SLA clocks each state starts, the final
states. Worked out once per version, so each event is judged under the
version recorded on it.

The goal is the first final state the policy lists (`won` in the default).
A recycle state is one with a transition back to the initial state and no
way on to the goal but through the initial state (`recycled` in the
default: leads wait there to go back to marketing); a transition into one
is a recycle, and its `reason` is what `report recycle` ranks. The main
path is the way a lead is meant to go: the longest way from the initial
state to the goal that passes through no recycle state.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..policy.model import Policy, Sla
from ..store import Store
from ..workspace import compiled_policy

# A policy's graph is small; this bounds the search for the main path all the same.
_MAX_PATHS = 100_000


@dataclass(frozen=True)
class PolicyFacts:
    policy: Policy
    main_path: tuple[str, ...]
    # state -> the next state on the main path (acceptance: the routed state's next)
    next_on_path: dict[str, str]
    recycle_states: frozenset[str]
    recycle_triggers: frozenset[str]
    clocks: dict[str, tuple[Sla, ...]]
    finals: frozenset[str]
    goal: str | None  # the main path's final state (`won`), where recycled leads may end

    @property
    def version(self) -> int:
        return self.policy.version


def facts_of(policy: Policy) -> PolicyFacts:
    finals = [name for name, state in policy.states.items() if state.final]
    goal = finals[0] if finals else None
    back = recycle_states(policy, goal)
    path = main_path(policy, back, goal)
    clocks: dict[str, tuple[Sla, ...]] = {}
    for sla in policy.sla:
        clocks[sla.state] = (*clocks.get(sla.state, ()), sla)
    return PolicyFacts(
        policy=policy,
        main_path=path,
        next_on_path={path[i]: path[i + 1] for i in range(len(path) - 1)},
        recycle_states=back,
        recycle_triggers=frozenset(t.name for t in policy.transitions.values() if t.dest in back),
        clocks=clocks,
        finals=frozenset(finals),
        goal=path[-1] if path[-1] == goal else None,
    )


def recycle_states(policy: Policy, goal: str | None) -> frozenset[str]:
    """States, besides the initial one, with a transition back to the
    initial state and no way on to `goal` but through it: where leads wait
    to go back. (A state with a way back and a way on, like SAL with a
    `reject` to MQL beside `qualify`, is on the way, not a recycle.)"""
    onward: dict[str, set[str]] = {}
    for t in policy.transitions.values():
        for source in t.sources:
            onward.setdefault(source, set()).add(t.dest)

    def reaches_goal(start: str) -> bool:
        seen, todo = {start}, [start]
        while todo:
            for dest in onward.get(todo.pop(), ()):
                if dest == goal:
                    return True
                if dest != policy.initial and dest not in seen:
                    seen.add(dest)
                    todo.append(dest)
        return False

    return frozenset(
        state for state, dests in onward.items()
        if state != policy.initial and policy.initial in dests and not reaches_goal(state)
    )


def main_path(policy: Policy, avoid: frozenset[str], goal: str | None) -> tuple[str, ...]:
    """The longest way from the initial state to `goal` (the first final
    state), avoiding `avoid`; ties go to the transitions listed first."""
    if goal is None:
        return (policy.initial,)
    onward: dict[str, list[str]] = {}
    for t in policy.transitions.values():
        for source in t.sources:
            if t.dest not in avoid and t.dest != source:
                onward.setdefault(source, []).append(t.dest)
    best: tuple[str, ...] = (policy.initial,)
    explored = 0
    stack: list[tuple[str, ...]] = [(policy.initial,)]
    while stack and explored < _MAX_PATHS:
        path = stack.pop()
        explored += 1
        if path[-1] == goal:
            if len(path) > len(best) or best[-1] != goal:
                best = path
            continue
        # reversed, so the first listed transition is explored first
        for dest in reversed(onward.get(path[-1], [])):
            if dest not in path:
                stack.append((*path, dest))
    return best


class VersionFacts:
    """`PolicyFacts` of each version, loaded from the database once."""

    def __init__(self, store: Store):
        self.store = store
        self.known: dict[int, PolicyFacts] = {}

    def __getitem__(self, version: int) -> PolicyFacts:
        facts = self.known.get(version)
        if facts is None:
            facts = self.known[version] = facts_of(compiled_policy(self.store, version)[0])
        return facts
