"""`verify`: every event read once, lead by lead, proving (a) the hash chain
unbroken, (b) every event legal under the policy version recorded on it,
judged on the lead as the log itself had it at that moment, and (c) the
`leads` table, and each rep's open-lead count, equal to a replay of the log.

The `Verifier` is built from the parts beside it: `chain` for (a), `rules`
for (b), `compare` for (c), and `timeline` for what the log in seq order had
in force at each event. Memory holds one lead at a time. When the chain
breaks anywhere, `verify` walks the log again in seq order to name the first
break, and judges only the events before it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any, cast

from ..backfill import back_filled
from ..events import CREATED, IN_STATE_EVENTS, LIFECYCLE_EVENTS, MOVED, UPDATED
from ..projection import apply, is_personal
from ..store import Event, Store
from .chain import ContentBroken, _raw_chunks, content_matches, links_hold
from .compare import _decode_chunk, _lone_created, _own_personal, _TableRows
from .head import expected_problems, log_head
from .read import _SELECT, _UNPARSED, PersonalValues, Row, _event, chunks, event_count
from .report import Problem, Report, _problem_order
from .rules import transition_refusal
from .timeline import SeqOrder

# What the lead-by-lead walk gives for a lead whose row `created_matches` proved.
_MATCHED: Row = {}


class Verifier(SeqOrder):
    """The walk behind `verify`. Memory holds one lead at a time, however
    many leads and events the log has. Every event is read once:

    - `links_hold` asks SQLite whether seq runs 1, 2, 3 ... and each `prev`
      is the hash before;
    - `lead_less`: the events of no lead (policy_applied, rep_away ...) in
      seq order, the policy versions loaded and `timeline` built: what the
      seq walk has in force after each policy_applied;
    - then `compare`: each lead's events in seq order (the `events_by_lead`
      index), each checked for its hash and its place in the log (the
      version it records, a `moved` right after its --map) by the
      timeline, replayed and judged under their policy versions, the
      replayed row set against the `leads` table as both are read in id
      order, and the load per rep counted on the way.

    When any part of the chain breaks, `verify` starts again with the walk
    that names the first break (`feed` each event in seq order), and then
    judges only the events before it (`one_read` False).
    """

    def __init__(self, store: Store, one_read: bool = False):
        super().__init__(store)
        self.replayed = 0  # events of leads replayed lead by lead
        self.one_read = one_read
        self.table: _TableRows | None = None  # the leads table beside the lead-by-lead walk, in one read

    # -- lead by lead ---------------------------------------------------------------
    def compare(self, store: Store) -> None:
        """(b) and (c): every lead replayed and judged, and the `leads` table
        against the replay; then the policy in force and the load per rep."""
        table = self.table = _TableRows(store)
        load: dict[str, int] = {}
        final = self._final_states()
        for lead, row in self.leads(store):
            self.report.leads += 1
            if row is _MATCHED:
                continue  # a lone `created` that gives its leads row exactly: compared, and no one owns it
            table.compare(lead, row, self.report.problems)
            owner, state = row["owner"], row["state"]
            if owner is not None and final is not None and state in final and not final[state]:
                load[owner] = load.get(owner, 0) + 1
        table.rest(self.report.problems)
        active = store.meta("policy_version")
        if active is not None and self.in_force is not None and active != str(self.in_force):
            self.report.problems.append(Problem(
                f"the policy in force is version {active}, but the log's last policy_applied is version "
                f"{self.in_force} (events may be missing from the end of the log)"
            ))
        if final is not None:
            self.compare_load(store, load)

    def leads(self, store: Store, before: int | None = None) -> Iterator[tuple[str, Row]]:
        """Each lead of the log (events before seq `before`, if given), in id
        order, replayed and judged: (id, its row after its last event), or
        (id, `_MATCHED`) for a lead of one `created` event whose `leads` row
        `created_matches` proved and took (in one read only)."""
        where, params = "WHERE lead IS NOT NULL", cast(tuple[Any, ...], ())
        if before is not None:
            where, params = where + " AND seq < ?", (before,)
        lead: str | None = None
        row: Row | None = None
        one_read = self.one_read  # the chain's content and each event's place are checked here
        table = self.table if one_read else None
        problems = self.report.problems
        for raws in chunks(store, f"{_SELECT} {where} ORDER BY lead, seq", params):
            lone = _lone_created(raws) if table is not None else set()
            own = _own_personal(store, raws, lone) if lone else {}
            chunk, resolve = _decode_chunk(store, raws, lone)
            for event, text in chunk:
                if one_read:
                    if not content_matches(event, text):
                        raise ContentBroken(event.seq)
                    self.place(event)
                if event.lead != lead:
                    if lead is not None and row is not None:
                        yield lead, row
                    lead, row = event.lead, None
                if event.data is not _UNPARSED:
                    row = self.replay_event(event, row, resolve)
                    continue
                assert table is not None and event.lead is not None  # only one read leaves events unparsed
                self.check_created(event)
                mine = own.get(event.lead, [])
                values = table.next_row(event.lead, problems)
                if values is not None and table.created_matches(event, text, values, mine):
                    table.take()
                    row = _MATCHED
                    continue
                # something differs: the whole replay, which says what
                event = _event((*event[:7], text, *event[8:]))
                row = self.replayed_row(event, None, PersonalValues({digest: (salt, value)
                                                                    for _, digest, _, salt, value in mine}))
            self.replayed += len(raws)
            if self.progress is not None:
                self.progress(len(raws))
        if lead is not None and row is not None:
            yield lead, row

    def replay_event(self, event: Event, row: Row | None, resolve: PersonalValues) -> Row | None:
        """Judge one event of a lead on the row the log gave it so far; the row after it."""
        if event.event == CREATED:
            if row is not None:
                self.problem(event.seq, f"{event.lead} is created a second time")
                return row
            self.check_created(event)
        elif row is None:
            self.problem(event.seq, f"an event for {event.lead} before it was created")
            return None
        else:
            self.judge(event, row)
        return self.replayed_row(event, row, resolve)

    def check_created(self, event: Event) -> None:
        """Problems with a lead's first event, its `created`."""
        version = self.rules.get(event.policy_version)
        if version is not None and event.to != version.policy.initial:
            self.problem(event.seq, f"{event.lead} was created in {event.to}, but policy version "
                                    f"{event.policy_version} starts leads in {version.policy.initial}")

    def replayed_row(self, event: Event, row: Row | None, resolve: PersonalValues) -> Row:
        """The row after a judged event, its personal values checked against their digests."""
        if resolve.forged and event.event in (CREATED, UPDATED):
            self.forged_personal(event, resolve.forged)
        return apply(row, event, resolve)

    def forged_personal(self, event: Event, forged: set[str]) -> None:
        fields = event.data.get("fields")
        for name, value in (fields.items() if isinstance(fields, dict) else ()):
            if is_personal(value) and value["personal"] in forged:
                self.problem(event.seq, f"the personal table holds a value for {event.lead}'s {name} that does not "
                                        "match the digest the log recorded (it was changed)")

    def judge(self, event: Event, row: Row) -> None:
        """Problems with a lead's event other than `created`."""
        kind, lead = event.event, row["id"]
        if kind == MOVED:
            if event.from_ != row["state"]:
                self.problem(event.seq, f"{lead} moved from {event.from_}, but the log had it in {row['state']}")
            return  # that a --map moved it: checked in seq order
        if kind in IN_STATE_EVENTS:
            if event.from_ is not None and event.from_ != row["state"]:
                self.problem(event.seq, f"{lead} {kind} says it was in {event.from_}, "
                                        f"but the log had it in {row['state']}")
            return
        if kind in LIFECYCLE_EVENTS:
            return
        version = self.rules.get(event.policy_version)
        if version is None:
            return  # the policy version is missing or untrustworthy: already reported
        if kind not in version.policy.transitions:
            self.problem(event.seq, f"'{kind}' is not a transition of policy version {event.policy_version}")
            return
        why = transition_refusal(version, event, row)
        if why is not None:
            self.problem(event.seq, f"not legal under policy version {event.policy_version}: {why}")

    def _final_states(self) -> dict[str, bool] | None:
        """state -> final, under the version in force (None if it cannot be trusted)."""
        version = self.rules.get(self.in_force)
        return None if version is None else {name: state.final for name, state in version.policy.states.items()}

    def compare_load(self, store: Store, expected: dict[str, int]) -> None:
        """The running open-lead count per rep (`rep_load`, which least_loaded
        routing reads) against the replayed leads, under the version in force."""
        stored = store.rep_loads()
        for rep in [*expected, *(r for r in stored if r not in expected)]:
            have, want = stored.get(rep, 0), expected.get(rep, 0)
            if have != want:
                self.report.problems.append(Problem(
                    f"rep_load counts {have} open lead{'s' if have != 1 else ''}, but the log gives {rep} {want}; "
                    "least_loaded routing reads this count (`baton audit rebuild` recounts it)",
                    rep=rep,
                ))


def verify(store: Store, progress: Callable[[int], None] | None = None,
           expected: Sequence[tuple[int, str]] = ()) -> Report:
    """Walk the whole log; a report with every problem found (the chain: only
    its first break, after which nothing else can be trusted), the head read,
    and each `expected` (seq, hash) that the log no longer holds. `progress`
    is told of the events read, once each in all, as they are read."""
    with store.snapshot():  # the log and the tables as of one moment, however busy
        report = _verify_in_one_read(store, progress)
        if report is None:
            report = _verify_in_seq_order(store, None if progress is None else _halved(progress))
        report.head = log_head(store)
        report.problems.extend(expected_problems(store, list(expected)))
        report.problems.sort(key=_problem_order)
        report.back_filled = back_filled(store)
    return report


def _verify_in_one_read(store: Store, progress: Callable[[int], None] | None) -> Report | None:
    """The report when the chain holds; None when it breaks anywhere."""
    if not links_hold(store):
        return None
    verifier = Verifier(store, one_read=True)
    verifier.progress = progress
    try:
        verifier.lead_less(store)
        verifier.compare(store)
    except ContentBroken:
        return None
    verifier.report.events = event_count(store)
    return verifier.report


def _verify_in_seq_order(store: Store, progress: Callable[[int], None] | None) -> Report:
    """The walk for a broken chain: every event in seq order up to the first
    break, then the events before it lead by lead, judged (nothing is
    compared: the leads table follows the whole log)."""
    verifier = Verifier(store)
    verifier.progress = progress
    for chunk, text in _raw_chunks(store):
        for event, data_text in zip(chunk, text):
            if not verifier.feed(event, data_text):
                break
        else:
            if progress is not None:
                progress(len(chunk))
            continue
        break
    report = verifier.report
    if report.chain_broken:
        for _ in verifier.leads(store, before=verifier.chain.expected_seq):
            report.leads += 1
    else:  # no break after all: the whole verify, as this walk alone would do it
        verifier.compare(store)
    if progress is not None and report.events > verifier.replayed:
        progress(report.events - verifier.replayed)  # the events of no lead, read once
    return report


def _halved(progress: Callable[[int], None]) -> Callable[[int], None]:
    """`progress` for the walk that reads the log twice."""
    read = 0

    def told(events: int) -> None:
        nonlocal read
        progress((read + events) // 2 - read // 2)
        read += events

    return told
