"""One lead's events, in seq order, turned into the report's totals.

`LeadWalk` holds what the reports need of the lead being read and nothing
more: its state and when it entered it, its owner, its attempts in the
state, the SLA clocks running, a rep's assignment waiting for acceptance,
its recycles waiting to see whether it comes back. Each event is judged
under the policy version recorded on it (`PolicyFacts`), and what it ends
(a stay in a state, a clock, an assignment) is added to the `Tally` at
once, so nothing of a lead outlives it.

Every figure counts what began in the window (a stay, a clock, an
assignment, a recycle) and follows it to the report's as-of time: a lead
that entered SQL in the window and left after it counts as having left.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any
from zoneinfo import ZoneInfo

from ..events import ASSIGNED, ATTEMPT, CREATED, LIFECYCLE_EVENTS, MOVED, SLA_BREACH, UNROUTED, UPDATED
from ..policy.model import Policy, Sla
from ..sla import due_at, same_timing
from .policy_facts import PolicyFacts, VersionFacts
from .tally import NO_GROUP, Tally, bump

# The group of a stay or clock whose owner is not known yet: routing gives
# the lead its rep just after it enters the state, in the same command.
PENDING = "\x00pending"
OWNER = "owner"


class Window:
    """The window and as-of time as ISO text (UTC, to the second: they sort
    as the log's `at` does), the zone weeks and hours are read in, and the
    --by grouping."""

    def __init__(self, since: str | None, until: str | None, zone: str, by: str | None):
        self.since = since or ""
        self.until = until or "\U0010ffff"
        self.zone = ZoneInfo(zone)
        self.by = by
        self._weeks: dict[int, str] = {}  # the ordinal of a Monday -> its date, as text

    def holds(self, at: str) -> bool:
        return self.since <= at <= self.until

    def week_of(self, seconds: int) -> str:
        """The Monday starting the week of a moment (seconds since the epoch), in the zone."""
        day = dt.datetime.fromtimestamp(seconds, self.zone).date()
        monday = day.toordinal() - day.weekday()
        week = self._weeks.get(monday)
        if week is None:
            week = self._weeks[monday] = dt.date.fromordinal(monday).isoformat()
        return week

    def hour_of_week(self, at: str) -> tuple[int, int]:
        local = dt.datetime.fromisoformat(at).astimezone(self.zone)
        return local.weekday(), local.hour


class Run:
    """One run of an SLA clock: from the lead entering the state (or an SLA
    reassign restarting it) to the lead leaving, a restart, or the end."""

    __slots__ = ("breached", "counted", "done", "due", "group", "policy", "sla", "start", "start_s", "state")

    def __init__(self, sla: Sla, policy: Policy, state: str, start: str, start_s: int, counted: bool, group: str | None):
        self.sla, self.policy, self.state = sla, policy, state
        self.start, self.start_s, self.group = start, start_s, group
        self.counted = counted  # it started in the window
        self.due: str | None = None
        self.breached = False
        self.done = False  # its outcome is in the tally

    def met_by(self, at: str, at_s: int) -> bool:
        """Whether stopping at `at` is before the due time. Business hours
        only make a clock longer, so one stopped within its length of wall
        time is met without working out the due time."""
        if self.due is None:
            if at_s - self.start_s < self.sla.within_minutes * 60:
                return True
            self.due = due_at(self.policy, self.sla, self.start)
        return at < self.due

    def due_time(self) -> str:
        if self.due is None:
            self.due = due_at(self.policy, self.sla, self.start)
        return self.due


class LeadWalk:
    __slots__ = ("as_of_finals", "attempts", "by_field", "by_owner", "cohort", "first_owner", "furthest", "group",
                 "grouped", "hi", "in_cohort", "last_at", "last_s", "lo", "owner", "path_index", "recycles", "runs",
                 "since", "since_s", "state", "stay_counted", "tally", "value", "versions", "waiting", "window")

    def __init__(self, tally: Tally, window: Window, versions: VersionFacts, as_of: PolicyFacts):
        self.tally, self.window, self.versions = tally, window, versions
        self.lo, self.hi = window.since, window.until
        self.path_index = {state: i for i, state in enumerate(as_of.main_path)}
        self.as_of_finals = as_of.finals
        self.by_field = window.by if window.by not in (None, OWNER) else None
        self.by_owner = window.by == OWNER
        self.grouped = window.by is not None
        self.last_at, self.last_s = "", 0
        self.start()

    def start(self) -> None:
        self.state: str | None = None
        self.since, self.since_s, self.stay_counted = "", 0, False
        self.group: str | None = None  # the stay's group
        self.owner: str | None = None
        self.first_owner: str | None = None
        self.value: Any = None  # the --by field's value
        self.attempts = 0
        self.runs: list[Run] = []
        self.waiting: tuple[str, int, bool, str] | None = None  # (rep, assigned at, counted, in state)
        self.recycles: list[list[Any]] = []  # [RecycleLine, came back]
        self.in_cohort = False  # created in the window
        self.cohort: str | None = None  # its group
        self.furthest = 0

    def seconds(self, at: str) -> int:
        """`at` in seconds since the epoch; the events of one command share their `at`."""
        if at != self.last_at:
            self.last_at, self.last_s = at, int(dt.datetime.fromisoformat(at).timestamp())
        return self.last_s

    def feed(self, kind: str, at: str, to: str | None, data: str, facts: PolicyFacts) -> None:
        """One event of the lead, under its policy version's `facts`."""
        if kind == ATTEMPT:
            self.attempts += 1
        elif kind not in LIFECYCLE_EVENTS:
            if to is not None:
                self.transition(kind, at, to, data, facts)
        elif kind == ASSIGNED:
            self.assigned(at, data)
        elif kind == UPDATED:
            if self.by_field is not None:
                self.updated(data)
        elif kind == SLA_BREACH:
            self.breach(data)
        elif kind == MOVED and to is not None:
            self.moved(at, to)
        elif kind == UNROUTED:
            self.owner = None
        elif kind == CREATED:  # a second `created` of one lead: `audit verify` names it; read it as the first
            self.start()
            self.created(at, to or facts.policy.initial, data, facts)

    # -- groups ----------------------------------------------------------------------
    def group_now(self) -> str | None:
        if self.by_owner:
            return self.owner or PENDING
        if self.by_field is None:
            return None
        value = self.value
        if value is None:
            return NO_GROUP
        return ("true" if value else "false") if isinstance(value, bool) else str(value)

    @staticmethod
    def settled(group: str | None) -> str | None:
        return NO_GROUP if group == PENDING else group

    # -- events ----------------------------------------------------------------------
    def created(self, at: str, to: str, data: str, facts: PolicyFacts) -> None:
        if self.by_field is not None:
            fields = json.loads(data).get("fields", {})
            self.value = fields.get(self.by_field) if isinstance(fields, dict) else None
        if self.lo <= at <= self.hi:
            self.in_cohort, self.cohort = True, self.group_now()
        self.enter(to, at, self.seconds(at), facts)

    def updated(self, data: str) -> None:
        if self.by_field is not None and f'"{self.by_field}"' in data:
            fields = json.loads(data).get("fields", {})
            if isinstance(fields, dict) and self.by_field in fields:
                self.value = fields[self.by_field]

    def transition(self, trigger: str, at: str, to: str, data: str, facts: PolicyFacts) -> None:
        now_s = self.seconds(at)
        waiting = self.waiting
        if waiting is not None:
            if waiting[3] == self.state and waiting[2] and facts.next_on_path.get(waiting[3]) == to:
                self.tally.rep(waiting[0]).to_accept.add(now_s - waiting[1])
            self.waiting = None
        if trigger in facts.recycle_triggers:
            self.recycle(at, data)
        elif to == facts.policy.initial:
            for pending in self.recycles:
                if not pending[1]:
                    pending[1] = True
                    pending[0].came_back += 1
        if to == facts.goal and self.recycles:
            for line, came_back in self.recycles:
                if came_back:
                    line.won_after += 1
            self.recycles = []
        if self.stay_counted:
            self.leave(to, now_s)
        for run in self.runs:
            if run.counted:
                self.stop(run, at, now_s)
        if '"released"' in data:
            self.owner = None
        self.attempts = 0
        self.enter(to, at, now_s, facts)

    def recycle(self, at: str, data: str) -> None:
        if not self.window.holds(at):
            return
        reason = json.loads(data).get("reason")
        line = self.tally.recycled(reason if isinstance(reason, str) and reason.strip() else NO_GROUP)
        line.count += 1
        line.attempts[self.attempts] = line.attempts.get(self.attempts, 0) + 1
        self.recycles.append([line, False])

    def moved(self, at: str, to: str) -> None:
        """`policy apply --map` moved the lead out of a state the new version
        removed: it leaves one state for the other, and keeps its clocks."""
        now_s = self.seconds(at)
        if self.stay_counted:
            self.leave(to, now_s)
        self.state = to
        self.since, self.since_s, self.stay_counted = at, now_s, self.lo <= at <= self.hi
        self.group = self.group_now() if self.grouped else None
        self.furthest = max(self.furthest, self.path_index.get(to, 0))
        for run in self.runs:
            run.state = to

    def assigned(self, at: str, data: str) -> None:
        parsed = json.loads(data)
        rep = parsed.get("owner")
        if not isinstance(rep, str):
            return
        self.owner = rep
        self.first_owner = self.first_owner or rep
        counted = self.window.holds(at)
        if counted:
            line = self.tally.rep(rep)
            line.assigned += 1
            bump(line.by_rule, str(parsed.get("rule")))
        assert self.state is not None
        self.waiting = (rep, self.seconds(at), counted, self.state)
        if self.group == PENDING:
            self.group = rep
        restarted = parsed.get("sla")
        for index, run in enumerate(self.runs):
            if run.group == PENDING:
                run.group = rep
            if run.sla.name == restarted:
                # an SLA reassign gives the new rep the clock afresh: the old run ends here
                self.end(run)
                self.runs[index] = Run(run.sla, run.policy, run.state, at, self.seconds(at), counted, self.group_now())

    def breach(self, data: str) -> None:
        parsed = json.loads(data)
        run = next((r for r in self.runs if r.sla.name == parsed.get("sla") and not r.breached), None)
        if run is None:
            return
        run.breached = True
        due = parsed.get("due")
        if isinstance(due, str):
            run.due = due
        owner = parsed.get("owner")
        self.breached(run, owner if isinstance(owner, str) else None)

    # -- what events end ------------------------------------------------------------
    def enter(self, state: str, at: str, now_s: int, facts: PolicyFacts) -> None:
        self.state = state
        counted = self.stay_counted = self.lo <= at <= self.hi
        self.since, self.since_s = at, now_s
        group = self.group = self.group_now() if self.grouped else None
        at_path = self.path_index.get(state, 0)
        if at_path > self.furthest:
            self.furthest = at_path
        clocks = facts.clocks.get(state)
        self.runs = [Run(sla, facts.policy, state, at, now_s, counted, group) for sla in clocks] if clocks else []

    def leave(self, to: str, now_s: int) -> None:
        """The stay, counted in the window, ends: the lead goes to `to`."""
        assert self.state is not None
        group = self.group
        line = self.tally.state(self.state, NO_GROUP if group == PENDING else group)
        line.entered += 1
        line.left += 1
        line.to[to] = line.to.get(to, 0) + 1
        line.times.add(now_s - self.since_s)

    def stop(self, run: Run, at: str, now_s: int) -> None:
        """The lead left the clock's state: met if before its due time."""
        if not run.counted:
            return
        run.group = self.settled(run.group)
        self.tally.sla_line(run.sla.name, run.group).to_stop.add(now_s - run.start_s)
        if run.done:
            return
        if run.met_by(at, now_s):
            run.done = True
            line = self.tally.sla_line(run.sla.name, run.group)
            line.started += 1
            line.met += 1
            self.tally.week(run.sla.name, self.window.week_of(run.start_s))[0] += 1
        else:  # stopped late, before any sweep recorded the breach
            self.breached(run, self.owner)

    def breached(self, run: Run, owner: str | None) -> None:
        if not run.counted or run.done:
            return
        run.done = True
        run.group = self.settled(run.group)
        line = self.tally.sla_line(run.sla.name, run.group)
        line.started += 1
        line.breached += 1
        tally, name = self.tally, run.sla.name
        tally.week(name, self.window.week_of(run.start_s))[1] += 1
        weekday, hour = self.window.hour_of_week(run.due_time())
        tally.by_hour[(name, weekday, hour)] = tally.by_hour.get((name, weekday, hour), 0) + 1
        if owner:
            tally.rep(owner).breaches += 1

    def end(self, run: Run) -> None:
        """A run ended by a restart or the end of the log: still running, or
        already counted as breached."""
        if run.counted and not run.done:
            run.done = True
            line = self.tally.sla_line(run.sla.name, self.settled(run.group))
            line.started += 1
            line.running += 1

    # -- a new policy version --------------------------------------------------------
    def policy_change(self, at: str, old: PolicyFacts, new: PolicyFacts, maps: dict[str, str]) -> None:
        """As `policy apply` re-times the clocks (`sla.retime_clocks`): a clock
        the new version keeps on the state keeps its start and takes the new
        length; one it drops is withdrawn (neither met nor breached: it no
        longer counts); one it adds starts now for the leads already there."""
        kept = []
        for run in self.runs:
            if run.breached:
                kept.append(run)
                continue
            target = maps.get(run.state, run.state)
            after = next((s for s in new.clocks.get(target, ()) if s.name == run.sla.name), None)
            if after is None:
                continue
            if not same_timing(old.policy, new.policy, run.sla, after):
                run.due = due_at(new.policy, after, run.start)
            run.sla = after
            kept.append(run)
        self.runs = kept
        if self.state is None or self.state not in old.policy.states:
            return
        for sla in new.policy.sla:
            if any(s.name == sla.name and s.state == sla.state for s in old.policy.sla):
                continue
            if (self.state == sla.state or maps.get(self.state) == sla.state) and not any(
                    r.sla.name == sla.name for r in self.runs):
                self.runs.append(Run(sla, new.policy, self.state, at, self.seconds(at), self.window.holds(at),
                                     self.group_now()))

    # -- the lead's last event read ---------------------------------------------------
    def finish(self) -> None:
        """The lead's last event was read: count what is still open, and forget the lead."""
        if self.state is None:
            return
        tally = self.tally
        if self.stay_counted:
            tally.state(self.state, self.settled(self.group)).entered += 1
        for run in self.runs:
            self.end(run)
        if self.owner is not None and self.state not in self.as_of_finals:
            tally.rep(self.owner).open += 1
        if self.in_cohort:
            group = self.cohort
            if self.by_owner:
                group = self.first_owner or NO_GROUP
            counts = tally.cohort.setdefault(group, {})
            counts[self.furthest] = counts.get(self.furthest, 0) + 1
        self.state = None  # the next lead starts afresh at its `created`
