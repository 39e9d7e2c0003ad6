"""The running totals a report keeps while the log streams past: one small
record per state and group, SLA and group, recycle reason and rep, never
one per lead or per event (times go into bounded `Durations`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .durations import Durations

# The group of a lead that has no value for the --by field (or no owner).
NO_GROUP = "(none)"


@dataclass(slots=True)
class StateLine:
    """Stays in one state (and group) that began in the window."""

    entered: int = 0
    left: int = 0
    to: dict[str, int] = field(default_factory=dict)
    times: Durations = field(default_factory=Durations)


@dataclass(slots=True)
class SlaLine:
    """Clock runs of one SLA (and group) that started in the window."""

    started: int = 0
    met: int = 0
    breached: int = 0
    running: int = 0
    to_stop: Durations = field(default_factory=Durations)


@dataclass(slots=True)
class RecycleLine:
    count: int = 0
    attempts: dict[int, int] = field(default_factory=dict)  # attempts -> recycles
    came_back: int = 0
    won_after: int = 0


@dataclass(slots=True)
class RepLine:
    assigned: int = 0
    by_rule: dict[str, int] = field(default_factory=dict)
    open: int = 0
    to_accept: Durations = field(default_factory=Durations)
    breaches: int = 0


class Tally:
    def __init__(self) -> None:
        self.states: dict[tuple[str, str | None], StateLine] = {}
        self.states_seen: dict[str, None] = {}  # in the order met, for states no version in force lists
        self.sla: dict[tuple[str, str | None], SlaLine] = {}
        self.weekly: dict[tuple[str, str], list[int]] = {}  # (sla, week) -> [met, breached]
        self.by_hour: dict[tuple[str, int, int], int] = {}  # (sla, weekday, hour) -> breaches
        self.recycle: dict[str, RecycleLine] = {}
        self.reps: dict[str, RepLine] = {}
        self.cohort: dict[str | None, dict[int, int]] = {}  # group -> furthest main-path index -> leads

    def state(self, state: str, group: str | None) -> StateLine:
        line = self.states.get((state, group))
        if line is None:
            line = self.states[(state, group)] = StateLine()
            self.states_seen.setdefault(state)
        return line

    def sla_line(self, name: str, group: str | None) -> SlaLine:
        line = self.sla.get((name, group))
        if line is None:
            line = self.sla[(name, group)] = SlaLine()
        return line

    def week(self, name: str, week: str) -> list[int]:
        cell = self.weekly.get((name, week))
        if cell is None:
            cell = self.weekly[(name, week)] = [0, 0]
        return cell

    def recycled(self, reason: str) -> RecycleLine:
        line = self.recycle.get(reason)
        if line is None:
            line = self.recycle[reason] = RecycleLine()
        return line

    def rep(self, name: str) -> RepLine:
        line = self.reps.get(name)
        if line is None:
            line = self.reps[name] = RepLine()
        return line


def bump(counts: dict[str, int], key: str) -> None:
    counts[key] = counts.get(key, 0) + 1
