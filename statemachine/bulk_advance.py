"""`lead advance --where`: one trigger fired on every lead an expression picks.

Each lead is judged by the machine, as `lead advance ID` judges it, and
moved in a transaction of its own: a lead the policy refuses stays where it
is and the others move on. A dry run asks the same judge and writes nothing.
The refusals are grouped by what was unmet (their data, not their sentence,
which names the lead), so a summary can say "3 x handover checklist is
missing: persona".
"""

from __future__ import annotations

import shlex
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from .errors import (
    BatonError,
    BulkStopped,
    MissingKeys,
    NoLongerMatches,
    NotAllowed,
    Refused,
    WrongState,
)
from .events import ASSIGNED, UNROUTED
from .expr import Expr
from .lifecycle import Recorder, check_keys, fire_trigger, list_rows, read_row, require_member, view
from .where import holds_for, matching
from .workspace import Workspace

# What the policy (or a lead changing meanwhile) may answer for one lead;
# anything else stops the run.
REFUSALS = (Refused, NotAllowed, WrongState, MissingKeys, NoLongerMatches)


@dataclass(frozen=True)
class Outcome:
    """What happened to one lead: moved (or, in a dry run, would move) from
    `from_` to `to`, or refused with `refusal`."""

    lead: str
    from_: str
    to: str | None
    refusal: BatonError | None = None
    assigned: str | None = None  # the rep routing gave it, on entering its new state
    unrouted: bool = False

    @property
    def moved(self) -> bool:
        return self.refusal is None


def refusal_key(error: BatonError) -> tuple[Any, ...]:
    """What was unmet, without the lead: equal for two leads refused alike."""
    if isinstance(error, Refused):
        return ("refused", tuple((name, tuple(labels)) for name, labels in error.missing.items()), tuple(error.failed))
    if isinstance(error, WrongState):
        return ("wrong_state", error.state)
    if isinstance(error, NotAllowed):
        return ("not_allowed", error.actor)
    if isinstance(error, MissingKeys):
        return ("missing_keys", tuple(error.keys))
    return (type(error).__name__,)


@dataclass
class RefusalGroup:
    """Leads refused for the same reason; `error` is the first one's refusal."""

    error: BatonError
    leads: list[str] = field(default_factory=list)


@dataclass
class Summary:
    trigger: str
    dest: str
    dry_run: bool
    matched: int
    moved_from: dict[str, int] = field(default_factory=dict)  # source state -> leads moved out of it
    refusals: dict[tuple[Any, ...], RefusalGroup] = field(default_factory=dict)
    assigned: dict[str, int] = field(default_factory=dict)  # rep -> leads routing gave them
    unrouted: int = 0
    stopped: BulkStopped | None = None

    @property
    def moved(self) -> int:
        return sum(self.moved_from.values())

    @property
    def refused(self) -> int:
        return sum(len(group.leads) for group in self.refusals.values())

    @property
    def ok(self) -> bool:
        return not self.refusals and self.stopped is None

    def count(self, outcome: Outcome) -> None:
        if outcome.refusal is None:
            self.moved_from[outcome.from_] = self.moved_from.get(outcome.from_, 0) + 1
        else:
            key = refusal_key(outcome.refusal)
            self.refusals.setdefault(key, RefusalGroup(outcome.refusal)).leads.append(outcome.lead)
        if outcome.assigned is not None:
            self.assigned[outcome.assigned] = self.assigned.get(outcome.assigned, 0) + 1
        self.unrouted += outcome.unrouted

    def groups(self) -> list[RefusalGroup]:
        """The refusals, the most common reason first (ties: as first met)."""
        return sorted(self.refusals.values(), key=lambda group: -len(group.leads))


def where_words(source: str) -> str:
    """`--where "EXPR"` as an operator would type it again."""
    return f'--where "{source}"' if not any(c in source for c in '"$`\\') else f"--where {shlex.quote(source)}"


class BulkAdvance:
    """Fire `trigger` with `args` on each lead `where` picks, as `actor` now.

    The whole command is refused before any lead is touched when the actor
    is in no role, the trigger is unknown, or it takes no such key."""

    def __init__(self, ws: Workspace, where: Expr, trigger: str, args: dict[str, str], *, dry_run: bool):
        require_member(ws)
        check_keys(ws.policy, where_words(where.source), trigger, args)
        self.ws, self.where, self.trigger, self.args, self.dry_run = ws, where, trigger, args, dry_run

    def leads(self) -> list[str]:
        """The ids of the leads that match, oldest first, as one snapshot saw them."""
        with self.ws.store.snapshot():
            return [row["id"] for row in matching(self.ws, self.where, list_rows(self.ws))]

    def run(self, leads: list[str], summary: Summary, tick: Callable[[], None] | None = None) -> Iterator[Outcome]:
        """Each lead's outcome as it is decided, counted into `summary`. An
        error that is not a refusal stops the run: it is kept in `summary.stopped`."""
        for done, lead in enumerate(leads):
            try:
                outcome = self._judge(lead) if self.dry_run else self._advance(lead)
            except BatonError as error:
                summary.stopped = BulkStopped(lead, error, len(leads) - done, self.dry_run)
                return
            summary.count(outcome)
            if tick is not None:
                tick()
            yield outcome

    def summary(self, matched: int) -> Summary:
        dest = self.ws.policy.transitions[self.trigger].dest
        return Summary(self.trigger, dest, self.dry_run, matched)

    def _judge(self, lead: str) -> Outcome:
        ws = self.ws
        row = read_row(ws.store, ws.policy, lead)
        before = row["state"]
        try:
            if not holds_for(ws, self.where, row):
                raise NoLongerMatches(lead, self.where.source)
            # the machine moves this throwaway view, nothing else
            after = ws.machine.fire(view(row), self.trigger, ws.actor, self.args, ws.now)
        except REFUSALS as error:
            return Outcome(lead, before, None, error)
        return Outcome(lead, before, after)

    def _advance(self, lead: str) -> Outcome:
        """`lifecycle.advance`, and the expression judged again inside the
        transaction: in a long run another operator may change a lead after
        it was picked."""
        ws = self.ws
        before = None
        try:
            with ws.store.transaction():
                recorder = Recorder(ws, read_row(ws.store, ws.policy, lead))
                assert recorder.row is not None
                before = recorder.row["state"]
                if not holds_for(ws, self.where, recorder.row):
                    raise NoLongerMatches(lead, self.where.source)
                fire_trigger(recorder, self.trigger, ws.actor, self.args)
                recorder.save()
        except REFUSALS as error:
            assert before is not None
            return Outcome(lead, before, None, error)
        assert before is not None and recorder.row is not None
        assigned = next((e.data["owner"] for e in recorder.events if e.event == ASSIGNED), None)
        unrouted = any(e.event == UNROUTED for e in recorder.events)
        return Outcome(lead, before, recorder.row["state"], assigned=assigned, unrouted=unrouted)
