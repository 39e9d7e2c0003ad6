"""The log in seq order, for `verify`: each event's place in it (the policy
version in force recorded on it, a `moved` only right after its --map, the
sign-off of each version), and the timeline of `policy_applied` events that
lets the lead-by-lead walk ask the same of events it reads out of seq order.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

from ..events import APPROVED, BATON_EVENTS, MOVED, POLICY_APPLIED
from ..policy.signoff import SignOffCheck
from ..store import Event, Store
from .chain import ChainCheck, ContentBroken, content_matches
from .read import _SELECT, _event
from .report import Problem, Report
from .rules import Rules


@dataclass(frozen=True)
class _Applied:
    """A lead-less `policy_applied`, and what the seq walk has in force after it."""

    seq: int
    in_force: int | None
    maps: dict[str | None, str]
    moves_until: int | None  # seq of the first later event that is not a `moved` (None: there is none)


class SeqOrder:
    """The half of the `Verifier` that reads events in seq order: the chain
    walk (`feed`), or the events of no lead (`lead_less`) and the timeline
    that places every other event (`place`)."""

    def __init__(self, store: Store):
        self.store = store
        self.rules = Rules(store)
        self.chain = ChainCheck()
        self.report = Report()
        self.in_force: int | None = None    # version of the last policy_applied
        # its --map, while its moves last; looked up by a move's from_, which may be None
        self.maps: dict[str | None, str] | None = None
        self.progress: Callable[[int], None] | None = None
        self.timeline: list[_Applied] = []  # in seq order, in one read only
        self.applied_seqs: list[int] = []  # the seq of each entry of timeline, for bisect
        self.sign_off = SignOffCheck(lambda version: v.policy if (v := self.rules.get(version)) else None)

    def problem(self, seq: int, message: str) -> None:
        self.report.problems.append(Problem(message, seq=seq))

    def problem_if(self, seq: int, message: str | None) -> None:
        if message is not None:
            self.problem(seq, message)

    # -- an event's place in the log -------------------------------------------------
    def in_order(self, event: Event, in_force: int | None, maps: dict[str | None, str] | None) -> None:
        """Problems with where an event stands in seq order (not a lead-less
        policy_applied): a `moved` only right after the --map of a
        policy_applied (`maps`: None once another event came between), and
        the policy version in force recorded on it."""
        if event.event == MOVED and (maps is None or maps.get(event.from_) != event.to):
            self.problem(event.seq, f"{event.lead} moved from {event.from_} to {event.to}, "
                                    f"but no policy apply --map {event.from_}={event.to} moved it")
        if event.policy_version != in_force:
            self.problem(event.seq, f"it records policy version {event.policy_version}, "
                                    f"but version {in_force} was in force")
        if event.lead is None and event.event not in BATON_EVENTS:
            self.problem(event.seq, f"'{event.event}' is not an event Baton writes, and an event of no lead "
                                    f"cannot be a transition (Baton's events: {', '.join(BATON_EVENTS)})")
        if event.event == APPROVED and event.lead is None:  # events of no lead come here in seq order
            self.problem_if(event.seq, self.sign_off.approved(event))

    def place(self, event: Event) -> None:
        """`in_order` for an event read out of seq order, with what the seq
        walk would have had in force at it, from the timeline."""
        at = bisect_left(self.applied_seqs, event.seq) - 1
        if at < 0:
            self.in_order(event, None, None)
            return
        applied = self.timeline[at]
        moves_last = applied.moves_until is None or event.seq < applied.moves_until
        self.in_order(event, applied.in_force, applied.maps if moves_last else None)

    # -- the events of no lead, or the whole log: seq order --------------------------
    def feed(self, event: Event, text: Any) -> bool:
        """Check one event of the walk in seq order; False once the chain is broken."""
        broken = self.chain.check(event, text)
        if broken is not None:
            self.report.problems.append(broken)
            self.report.chain_broken = True
            return False
        self.report.events += 1
        if event.event == POLICY_APPLIED and event.lead is None:
            self.policy_applied(event)
            return True
        self.in_order(event, self.in_force, self.maps)
        if event.event != MOVED:
            self.maps = None  # `moved` events follow their policy_applied at once
        return True

    def lead_less(self, store: Store) -> None:
        """The events of no lead, in seq order (the `events_by_lead` index
        holds them first): their hashes and places, the policy versions they
        apply, and the timeline the lead-by-lead walk reads."""
        read = 0
        for raw in store.db.execute(f"{_SELECT} WHERE lead IS NULL ORDER BY seq"):
            read += 1
            event = _event(raw)
            if not content_matches(event, raw[7]):
                raise ContentBroken(event.seq)
            if event.event == POLICY_APPLIED:
                self.policy_applied(event)
                assert self.maps is not None
                self.timeline.append(_Applied(event.seq, self.in_force, self.maps, _moves_until(store, event.seq)))
                self.applied_seqs.append(event.seq)
            else:
                self.place(event)
        if self.progress is not None:
            self.progress(read)

    def policy_applied(self, event: Event) -> None:
        data, version = event.data, event.policy_version
        self.problem_if(event.seq, self.sign_off.applied(event, self.sign_off.policy_of(self.in_force)))
        if data.get("version") != version:
            self.problem(event.seq, f"it applies version {data.get('version')} but records version {version}")
        elif not isinstance(version, int) or (self.in_force is not None and version <= self.in_force):
            self.problem(event.seq, f"it applies version {version}, not above version {self.in_force} in force")
        else:
            why = self.rules.load(version, data.get("hash"))
            if why is not None:
                self.problem(event.seq, why)
        self.in_force = version if isinstance(version, int) else self.in_force
        maps = data.get("maps")
        self.maps = maps if isinstance(maps, dict) else {}


def _moves_until(store: Store, seq: int) -> int | None:
    """The seq of the first event after `seq` that is not a `moved` (None: none is)."""
    # ORDER BY ... LIMIT 1 stops at the first such event; min(seq) with the
    # extra condition would read every event after `seq`
    row = store.db.execute(
        "SELECT seq FROM events WHERE seq > ? AND event IS NOT 'moved' ORDER BY seq LIMIT 1", (seq,)
    ).fetchone()
    return cast(int, row[0]) if row else None
