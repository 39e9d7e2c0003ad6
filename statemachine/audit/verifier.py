"""Checking and replaying the log, for auditors who trust nothing but it.

`verify` reads every event once, lead by lead, and proves three things:
(a) the hash chain is unbroken; (b) every event was legal under the policy
version recorded on it, judged on the lead as the log itself had it at that
moment; (c) replaying the log with `projection.apply` gives exactly the
`leads` table. `replay` gives the leads as they stood at a past moment and
`rebuild` writes the projection afresh from the log.

Everything streams: events are read in chunks, and `verify` holds one lead
at a time (replay and rebuild hold one replayed row per lead: the size of
the projection, not of the log).
Personal values are looked up in the `personal` table a chunk at a time; a
value erased since counts as present (`ERASED`), so an erasure never makes
history look illegal.
"""

from __future__ import annotations

import json
import json.scanner
import math
from bisect import bisect_left
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import groupby
from json.encoder import encode_basestring
from operator import itemgetter
from typing import Any, cast

from ..chain import GENESIS, canonical, event_hash, hash_of
from ..errors import BatonError, LogBroken, MissingKeys, UnknownFilter
from ..events import BATON_EVENTS, IN_STATE_EVENTS, LIFECYCLE_EVENTS
from ..machine import ERASED, Erased, LeadMachine, LeadView, machine_for
from ..policy.model import Policy
from ..policy.signoff import SignOffCheck
from ..policy.versions import text_hash
from ..projection import apply, is_personal, personal_digest
from ..sla import follow as follow_clocks
from ..sla import retime_clocks
from ..store import BASE_COLUMNS, EVENT_COLUMNS, Event, Store
from ..times import from_iso
from ..workspace import compiled_policy

Row = dict[str, Any]
CHUNK = 2000


# -- reading the log -----------------------------------------------------------------
_SELECT = "SELECT " + ", ".join(f'"{c}"' for c in EVENT_COLUMNS) + " FROM events"


def _personal_digests(data: dict[str, Any]) -> list[str]:
    fields = data.get("fields")
    if not isinstance(fields, dict):
        return []
    return [value["personal"] for value in fields.values()
            if is_personal(value) and isinstance(value["personal"], str)]


Chunk = list[tuple[Event, Any]]  # each event with its `data` as stored (JSON text)


class PersonalValues:
    """The personal values a chunk of events holds, by digest. A value counts
    only if its salted digest recomputes to the one in the log; one that does
    not (the `personal` table was edited) is `forged` and, like an erased one,
    resolves as unknown, so it never reaches a replay or a rebuild."""

    def __init__(self, entries: dict[str, tuple[Any, Any]]):
        self.values: dict[str, Any] = {}
        self.forged: set[str] = set()
        for digest, (salt, text) in entries.items():
            if text is None:
                continue  # erased in place: as if the row were gone
            try:
                if personal_digest(salt, text) != digest:
                    raise ValueError(digest)
                self.values[digest] = json.loads(text)
            except (TypeError, ValueError):
                self.forged.add(digest)

    def __call__(self, digest: str) -> Any:
        return self.values.get(digest, ERASED)


def read_chunks(store: Store, where: str = "", params: tuple[Any, ...] = (), order: str = "seq") -> Iterator[
        tuple[Chunk, PersonalValues]]:
    """The events in seq order (or `order`, like "lead, seq"), a chunk at a
    time, with a resolver for the personal values that chunk holds."""
    cursor = store.db.execute(f"{_SELECT} {where} ORDER BY {order}", params)
    while rows := cursor.fetchmany(CHUNK):
        chunk = []
        keys: list[tuple[str, str]] = []
        for raw in rows:
            event = _event(raw)
            chunk.append((event, raw[7]))
            if event.event in ("created", "updated") and event.lead is not None:
                for digest in _personal_digests(event.data):
                    keys.append((event.lead, digest))
        yield chunk, PersonalValues(store.personal_entries(keys) if keys else {})


def _event(raw: tuple[Any, ...]) -> Event:
    seq, lead, at, actor, kind, from_, to, data, version, prev, digest = raw
    try:
        parsed = _decoded(data)
    except (TypeError, ValueError):
        parsed = None
    if not isinstance(parsed, dict):
        # Damaged data: keep the text, so the hash check reports the event.
        parsed = {"unreadable": data}
    return Event(seq, lead, at, actor, kind, from_, to, parsed, version, prev, digest)


# What json.loads runs, without its checks. (typeshed wants a scanner as the
# context, where json itself passes the decoder whose settings it reads.)
_scan = json.scanner.make_scanner(cast(Any, json.JSONDecoder()))


def _decoded(text: Any) -> Any:
    """`json.loads(text)`, by the decoder's scanner alone when `text` is one
    JSON value with nothing around it, as Baton writes `data`: the checks
    `loads` wraps around it cost as much again, on every event. Anything
    else goes to `json.loads`, which decodes it or says why not."""
    if type(text) is str:
        try:
            value, end = _scan(text, 0)
        except (StopIteration, ValueError):
            return json.loads(text)
        if end == len(text):
            return value
    return json.loads(text)


# -- (a) the chain -------------------------------------------------------------------
class ChainCheck:
    """The hash chain, one event at a time: seq runs 1, 2, 3 ...; each `prev`
    is the hash before; each hash recomputes from the event's content."""

    def __init__(self) -> None:
        self.prev, self.expected_seq, self.checked = GENESIS, 1, 0

    def check(self, e: Event, data_text: Any) -> Problem | None:
        """None, or where and why the chain breaks at this event."""
        seq = self.expected_seq
        if e.seq != seq:
            if isinstance(e.seq, int) and e.seq > seq:
                return Problem(f"missing (the next event is seq {e.seq})", seq=seq)
            return Problem(f"out of order (seq {e.seq} comes after seq {seq - 1})", seq=seq)
        if e.prev != self.prev:
            return Problem(f"its prev does not match the hash of seq {seq - 1}", seq=seq)
        if not content_matches(e, data_text):
            return Problem("its content does not match its hash (it was changed)", seq=seq)
        self.prev, self.expected_seq, self.checked = e.hash, seq + 1, self.checked + 1
        return None


def content_matches(e: Event, data_text: Any) -> bool:
    """Whether the event's hash recomputes from its content (its `prev` included).
    A column holding what JSON cannot write (a BLOB put there by hand) has no
    canonical form, so no hash of it can match: the event was changed."""
    try:
        return _spliced_hash(e, data_text) == e.hash or _hash(_parsed(e, data_text)) == e.hash
    except (TypeError, ValueError):
        return False


def links_hold(store: Store) -> bool:
    """Whether seq runs 1, 2, 3 ... and each `prev` is the hash stored on the
    event before: the half of the chain that reads no event's content, asked
    of SQLite instead of walked row by row in Python. SQLite compares the
    stored text byte for byte, as Python's `!=` does. With both halves
    holding, the chain holds; `ChainCheck` names where it breaks."""
    db = store.db
    count, first, last = db.execute("SELECT count(*), min(seq), max(seq) FROM events").fetchone()
    if count == 0:
        return True
    if first != 1 or last != count:  # seq is the integer key, so unique: 1 .. count, each once
        return False
    if db.execute("SELECT prev FROM events WHERE seq = 1").fetchone()[0] != GENESIS:
        return False
    relinked = db.execute(
        "SELECT 1 FROM events AS e JOIN events AS p ON p.seq = e.seq - 1 WHERE e.prev IS NOT p.hash LIMIT 1"
    ).fetchone()
    return relinked is None


def _parsed(e: Event, data_text: Any) -> Event:
    """`e` with its data parsed from the stored text, if the walk left it unparsed."""
    if e.data is not _UNPARSED:
        return e
    return _event((e.seq, e.lead, e.at, e.actor, e.event, e.from_, e.to, data_text, e.policy_version, e.prev, e.hash))


def _hash(e: Event) -> str:
    return event_hash(e.seq, e.lead, e.at, e.actor, e.event, e.from_, e.to, e.data, e.policy_version, e.prev)


def _spliced_hash(e: Event, data_text: Any) -> str:
    """The hash with `data` as stored, not parsed and encoded again: the same
    as `_hash` whenever the stored text is canonical (Baton writes it so), and
    a speed-up of the walk. When it differs, `_hash` decides."""
    if not isinstance(data_text, str):
        return ""
    return hash_of(e.seq, e.lead, e.at, e.actor, e.event, e.from_, e.to, data_text, e.policy_version, e.prev)


def verify_chain(store: Store) -> tuple[int, str | None]:
    """(events checked, None) or (events checked, what broke and at which seq)."""
    chain = ChainCheck()
    for chunk, texts in _raw_chunks(store):  # no personal values: the chain never reads them
        for event, text in zip(chunk, texts):
            broken = chain.check(event, text)
            if broken is not None:
                return chain.checked, str(broken)
    return chain.checked, None


# -- (b) legality --------------------------------------------------------------------
@dataclass
class _Version:
    policy: Policy
    machine: LeadMachine


class Rules:
    """The policy of each version as stored, checked against the hash its
    `policy_applied` event recorded. The text is authoritative; the cached
    compiled form is used only for a text today's checker no longer accepts."""

    def __init__(self, store: Store):
        self.store = store
        self._versions: dict[int, _Version | None] = {}

    def load(self, version: int, recorded_hash: Any) -> str | None:
        """Load `version`; None, or why its stored text cannot be trusted."""
        row = self.store.db.execute(
            "SELECT text, hash, compiled FROM policies WHERE version = ?", (version,)
        ).fetchone()
        self._versions[version] = None
        if row is None:
            return f"policy version {version} is missing from the policies table"
        text, stored_hash, compiled = row
        if not isinstance(text, str) or text_hash(text) != recorded_hash or stored_hash != recorded_hash:
            return f"the stored text of policy version {version} does not match the hash recorded when it was applied"
        policy = _parse(text, version, compiled)
        if policy is None:
            return f"the stored text of policy version {version} no longer reads as a policy"
        self._versions[version] = _Version(policy, LeadMachine(policy))
        return None

    def get(self, version: Any) -> _Version | None:
        return self._versions.get(version) if isinstance(version, int) else None


def _parse(text: str, version: int, compiled: str | None) -> Policy | None:
    from ..errors import PolicyInvalid
    from ..policy import parse_policy
    from ..policy.model import from_plain

    try:
        return parse_policy(text, f"policy version {version}")
    except PolicyInvalid:
        pass
    try:
        return from_plain(json.loads(compiled)) if compiled else None
    except (ValueError, KeyError, TypeError):
        return None


def lead_view(row: Row) -> LeadView:
    return LeadView(row["id"], row["state"], row["owner"], row["fields"], row["attempts"], from_iso(row["state_since"]))


def transition_refusal(version: _Version, event: Event, row: Row) -> str | None:
    """None if `event` (a transition) was legal on the lead as replayed, or why not."""
    policy = version.policy
    transition = policy.transitions[event.event]
    lead, name = row["id"], event.event
    if event.from_ != row["state"]:
        return f"{lead} {name} says it left {event.from_}, but the log had {lead} in {row['state']}"
    if row["state"] not in transition.sources:
        return f"{lead} was in {row['state']}; '{name}' only moves a lead out of {', '.join(transition.sources)}"
    if event.to != transition.dest:
        return f"{lead} {name} went to {event.to}, but '{name}' goes to {transition.dest}"
    args = {k: v if isinstance(v, str) else canonical(v) for k, v in event.data.items() if v is not None}
    view = lead_view(row)
    try:
        now = from_iso(event.at)
    except (TypeError, ValueError):
        return f"its time {event.at!r} is not ISO 8601"
    refusal = version.machine.refusal(transition, view, event.actor, args, now)
    if isinstance(refusal, MissingKeys):
        return f"{lead} {name} was fired without {', '.join(refusal.keys)}"
    return None if refusal is None else str(refusal)


# -- (c) the projection --------------------------------------------------------------
def _same(table: Any, replayed: Any) -> bool:
    if isinstance(replayed, Erased):
        return True
    if table is None or replayed is None:
        return table is None and replayed is None
    # SQLite gives 1 for true and 2.0 for a number typed 2: equal values.
    return bool(table == replayed) or str(table) == str(replayed)


def _shown(value: Any) -> str:
    return "null" if value is None else repr(value)


def row_differences(table: Row, replayed: Row) -> list[str]:
    """The columns where the `leads` row differs from the replayed row."""
    differences = []
    for column in BASE_COLUMNS:
        if not _same(table.get(column), replayed[column]):
            differences.append(f"{column} {_shown(table.get(column))} (log: {_shown(replayed[column])})")
    fields = replayed["fields"]
    for column in [c for c in table if c not in BASE_COLUMNS] + [f for f in fields if f not in table]:
        if not _same(table.get(column), fields.get(column)):
            differences.append(f"{column} {_shown(table.get(column))} (log: {_shown(fields.get(column))})")
    return differences


# -- verify --------------------------------------------------------------------------
@dataclass(frozen=True)
class Problem:
    message: str
    seq: int | None = None
    lead: str | None = None
    rep: str | None = None

    def __str__(self) -> str:
        if self.seq is not None:
            return f"seq {self.seq}: {self.message}"
        if self.lead is not None:
            return f"lead {self.lead}: {self.message}"
        if self.rep is not None:
            return f"rep {self.rep}: {self.message}"
        return self.message

    def as_json(self) -> dict[str, Any]:
        where: dict[str, Any]
        if self.seq is not None:
            where = {"seq": self.seq}
        elif self.rep is not None:
            where = {"rep": self.rep}
        else:
            where = {"lead": self.lead}
        return {**where, "message": self.message}


@dataclass
class Report:
    events: int = 0
    leads: int = 0
    problems: list[Problem] = field(default_factory=list)
    chain_broken: bool = False

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok, "events": self.events, "leads": self.leads,
            "problems": [p.as_json() for p in self.problems],
        }


@dataclass(frozen=True)
class _Applied:
    """A lead-less `policy_applied`, and what the seq walk has in force after it."""

    seq: int
    in_force: int | None
    maps: dict[str | None, str]
    moves_until: int | None  # seq of the first later event that is not a `moved` (None: there is none)


class ContentBroken(Exception):
    """An event read lead by lead does not match its hash: the seq walk must name the first break."""


class Verifier:
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
        self.store = store
        self.rules = Rules(store)
        self.chain = ChainCheck()
        self.report = Report()
        self.in_force: int | None = None    # version of the last policy_applied
        # its --map, while its moves last; looked up by a move's from_, which may be None
        self.maps: dict[str | None, str] | None = None
        self.progress: Callable[[int], None] | None = None
        self.replayed = 0  # events of leads replayed lead by lead
        self.one_read = one_read
        self.timeline: list[_Applied] = []  # in seq order, in one read only
        self.applied_seqs: list[int] = []  # the seq of each entry of timeline, for bisect
        self.sign_off = SignOffCheck(lambda version: v.policy if (v := self.rules.get(version)) else None)
        self.table: _TableRows | None = None  # the leads table beside the lead-by-lead walk, in one read

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
        if event.event == "moved" and (maps is None or maps.get(event.from_) != event.to):
            self.problem(event.seq, f"{event.lead} moved from {event.from_} to {event.to}, "
                                    f"but no policy apply --map {event.from_}={event.to} moved it")
        if event.policy_version != in_force:
            self.problem(event.seq, f"it records policy version {event.policy_version}, "
                                    f"but version {in_force} was in force")
        if event.lead is None and event.event not in BATON_EVENTS:
            self.problem(event.seq, f"'{event.event}' is not an event Baton writes, and an event of no lead "
                                    f"cannot be a transition (Baton's events: {', '.join(BATON_EVENTS)})")
        if event.event == "approved" and event.lead is None:  # events of no lead come here in seq order
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
        if event.event == "policy_applied" and event.lead is None:
            self.policy_applied(event)
            return True
        self.in_order(event, self.in_force, self.maps)
        if event.event != "moved":
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
            if event.event == "policy_applied":
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
        cursor = store.db.execute(f"{_SELECT} {where} ORDER BY lead, seq", params)
        while raws := cursor.fetchmany(CHUNK):
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
        if event.event == "created":
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
        if resolve.forged and event.event in ("created", "updated"):
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
        if kind == "moved":
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


class _TableRows:
    """The `leads` table read in id order beside the replay (a merge join)."""

    def __init__(self, store: Store):
        self.cursor = store.db.execute("SELECT * FROM leads ORDER BY id")
        self.names = [d[0] for d in self.cursor.description]
        self.known = set(self.names)
        self.base = [(name, name in BASE_COLUMNS) for name in self.names]
        self.where_id = self.names.index("id")
        self.pending: tuple[Any, ...] | None = self.cursor.fetchone()

        # For `created_matches`: where the columns a `created` sets are, and
        # the field columns in the canonical JSON's key order, each with its key.
        self.set_by_created = itemgetter(*(self.names.index(name) for name in BASE_COLUMNS)) \
            if self.known.issuperset(BASE_COLUMNS) else None
        self.keyed = sorted((name, encode_basestring(name) + ":", at)
                            for at, name in enumerate(self.names) if name not in BASE_COLUMNS)

    def next_row(self, lead: str, problems: list[Problem]) -> tuple[Any, ...] | None:
        """The row of `lead` if it is the table's next (the rows before it,
        not in the log, named), not yet taken; None if the table has none."""
        while self.pending is not None and self.pending[self.where_id] < lead:
            problems.append(Problem("in the leads table but not in the log", lead=self.pending[self.where_id]))
            self.pending = self.cursor.fetchone()
        if self.pending is None or self.pending[self.where_id] != lead:
            return None
        return self.pending

    def take(self) -> None:
        self.pending = self.cursor.fetchone()

    def created_matches(self, event: Event, text: Any, values: tuple[Any, ...],
                        personal: list[tuple[Any, ...]]) -> bool:
        """Whether replaying a lead's one event, its `created` (its `data` as
        stored, `text`), gives exactly `values`, its `leads` row, with its
        own `personal` rows (lead, digest, field, salt, value) resolving every
        personal value. Proven on the text, so the event's data and personal
        values need no decoding: the canonical JSON of the data that would
        replay to `values` (personal fields marked with the digests of the
        rows whose values they hold) is the stored text exactly, and each of
        those rows' values is its field's canonical JSON and recomputes to
        its digest. False whenever anything differs, or a value is of a kind
        this does not write: the whole replay then decides."""
        if self.set_by_created is None:
            return False  # a column missing: the full comparison names it
        lead, at = event.lead, event.at
        id_, state, owner, attempts, since, created, updated = self.set_by_created(values)
        if not (id_ == lead and state == event.to and owner is None and attempts == 0
                and since == at and created == at and updated == at):
            return False
        marked: dict[Any, tuple[Any, Any, Any]] = {}
        for _, digest, name, salt, value in personal:
            if name in marked:
                return False  # two values for one field (an update's): decided by the replay
            marked[name] = (digest, salt, value)
        parts = []
        for name, key, at_ in self.keyed:
            value = values[at_]
            if value is None:
                continue
            kind = type(value)
            if kind is str:
                written = encode_basestring(value)
            elif kind is int:
                written = int.__repr__(value)
            elif kind is float and math.isfinite(value):
                written = float.__repr__(value)
            else:
                return False
            sealed = marked.pop(name, None)
            if sealed is not None:
                digest, salt, stored = sealed
                if stored != written or type(digest) is not str or type(salt) is not str \
                        or personal_digest(salt, stored) != digest:
                    return False
                written = '{"personal":' + encode_basestring(digest) + "}"
            parts.append(key + written)
        return not marked and text == '{"fields":{' + ",".join(parts) + "}}"

    def compare(self, lead: str, replayed: Row, problems: list[Problem]) -> None:
        if self.next_row(lead, problems) is None:
            problems.append(Problem("in the log but missing from the leads table", lead=lead))
            return
        values, self.pending = self.pending, self.cursor.fetchone()
        assert values is not None
        fields = replayed["fields"]
        expected = tuple(replayed[name] if is_base else fields.get(name) for name, is_base in self.base)
        if values == expected and fields.keys() <= self.known:
            return  # the common case, without looking column by column
        differences = row_differences(dict(zip(self.names, values)), replayed)
        if differences:
            problems.append(Problem("the leads table does not match the log: " + ", ".join(differences), lead=lead))

    def rest(self, problems: list[Problem]) -> None:
        while self.pending is not None:
            problems.append(Problem("in the leads table but not in the log", lead=self.pending[self.where_id]))
            self.pending = self.cursor.fetchone()


def verify(store: Store, progress: Callable[[int], None] | None = None) -> Report:
    """Walk the whole log; a report with every problem found (the chain: only
    its first break, after which nothing else can be trusted). `progress` is
    told of the events read, once each in all, as they are read."""
    with store.snapshot():  # the log and the tables as of one moment, however busy
        report = _verify_in_one_read(store, progress)
        if report is None:
            report = _verify_in_seq_order(store, None if progress is None else _halved(progress))
        report.problems.sort(key=_problem_order)
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


def _moves_until(store: Store, seq: int) -> int | None:
    """The seq of the first event after `seq` that is not a `moved` (None: none is)."""
    # ORDER BY ... LIMIT 1 stops at the first such event; min(seq) with the
    # extra condition would read every event after `seq`
    row = store.db.execute(
        "SELECT seq FROM events WHERE seq > ? AND event IS NOT 'moved' ORDER BY seq LIMIT 1", (seq,)
    ).fetchone()
    return cast(int, row[0]) if row else None


def _problem_order(problem: Problem) -> tuple[int, int]:
    """By seq first (both passes find them), then leads, then the rest, each in the order found."""
    if problem.seq is not None:
        return (0, problem.seq)
    return (1, 0) if problem.lead is not None else (2, 0)


def _raw_chunks(store: Store) -> Iterator[tuple[list[Event], list[Any]]]:
    """The events in seq order for the chain walk: `data` is parsed only for
    the events whose content that walk reads (policy_applied, moved, approved)."""
    cursor = store.db.execute(f"{_SELECT} ORDER BY seq")
    while rows := cursor.fetchmany(CHUNK):
        events, texts = [], []
        for raw in rows:
            kind = raw[4]
            if kind in ("policy_applied", "moved", "approved"):
                events.append(_event(raw))
            else:
                seq, lead, at, actor, _, from_, to, _, version, prev, digest = raw
                events.append(Event(seq, lead, at, actor, kind, from_, to, _UNPARSED, version, prev, digest))
            texts.append(raw[7])
        yield events, texts


# Stands in for the data the chain walk does not read; ChainCheck parses the
# text itself when the stored text is not canonical.
_UNPARSED: dict[str, Any] = {}
# What the lead-by-lead walk gives for a lead whose row `created_matches` proved.
_MATCHED: Row = {}


def _lone_created(raws: list[tuple[Any, ...]]) -> set[Any]:
    """The leads of a chunk read in lead order that have one event, a
    `created`: a freshly imported lead. The chunk's first and last lead are
    left out, as their other events may be in the chunks beside it."""
    lone = set()
    for at in range(1, len(raws) - 1):
        lead = raws[at][1]
        if raws[at][4] == "created" and raws[at - 1][1] != lead and raws[at + 1][1] != lead:
            lone.add(lead)
    return lone


def _own_personal(store: Store, raws: list[tuple[Any, ...]], lone: set[Any]) -> dict[Any, list[tuple[Any, ...]]]:
    """lead -> its rows of the `personal` table (lead, digest, field, salt, value),
    for the `lone` leads of a chunk: one scan of the range of the table's key
    they lie in (SQLite ordered the chunk, so the range holds them), not a
    look-up per value. A lead's values are its own rows, as the key says."""
    first = next(raw[1] for raw in raws if raw[1] in lone)
    last = next(raw[1] for raw in reversed(raws) if raw[1] in lone)
    rows = store.db.execute("SELECT lead, digest, field, salt, value FROM personal WHERE lead BETWEEN ? AND ? "
                            "ORDER BY lead", (first, last)).fetchall()
    return {lead: list(group) for lead, group in groupby(rows, _first) if lead in lone}


_first = itemgetter(0)


def _decode_chunk(store: Store, raws: list[tuple[Any, ...]], lone: set[Any]) -> tuple[Chunk, PersonalValues]:
    """The events of a chunk as `read_chunks` gives them, but those of the
    `lone` leads with their data left unparsed (and their personal values
    not looked up): `created_matches` reads the stored text instead."""
    chunk: Chunk = []
    keys: list[tuple[str, str]] = []
    for raw in raws:
        if raw[1] in lone:
            seq, lead, at, actor, kind, from_, to, _, version, prev, digest = raw
            chunk.append((Event(seq, lead, at, actor, kind, from_, to, _UNPARSED, version, prev, digest), raw[7]))
            continue
        event = _event(raw)
        chunk.append((event, raw[7]))
        if event.event in ("created", "updated") and event.lead is not None:
            for digest in _personal_digests(event.data):
                keys.append((event.lead, digest))
    return chunk, PersonalValues(store.personal_entries(keys) if keys else {})


def event_count(store: Store) -> int:
    row = store.db.execute("SELECT max(seq) FROM events").fetchone()
    return int(row[0] or 0)


# -- replay and rebuild --------------------------------------------------------------
def replay(store: Store, as_of: str | None = None, lead: str | None = None) -> dict[str, Row]:
    """The leads as the log has them after the events at or before `as_of`
    (all events if None), in seq order; only `lead` if given."""
    where, params = log_filter(lead=lead, until=as_of)
    where = f"{where} AND lead IS NOT NULL" if where else "WHERE lead IS NOT NULL"
    rows: dict[str, Row] = {}
    for chunk, resolve in read_chunks(store, where, params):
        for event, _ in chunk:
            row = rows.get(event.lead)  # type: ignore[arg-type]
            if row is None and event.event != "created":
                continue  # an event of a lead the log never created: `verify` names it
            rows[event.lead] = apply(row, event, resolve)  # type: ignore[index]
    return rows


def rebuild(store: Store) -> int:
    """Inside a transaction: replace the `leads` table with the replay of the
    whole log, which must verify as a chain first, and with it what else is
    derived from the log: the SLA clocks and each rep's open-lead count.
    Returns the leads written."""
    chain = ChainCheck()
    rows: dict[str, Row] = {}
    store.db.execute("DELETE FROM clocks")
    clocks = _ClockReplay(store)
    for chunk, resolve in read_chunks(store):
        for event, text in chunk:
            broken = chain.check(event, text)
            if broken is not None:
                raise LogBroken(f"the log is broken at {broken}; nothing was rebuilt (see `baton audit verify`)")
            if event.lead is None:
                clocks.follow_policy(event, rows)
                continue
            row = rows.get(event.lead)
            if (row is None) != (event.event == "created"):
                raise LogBroken(
                    f"seq {event.seq}: {event.lead} is {'created twice' if row else 'used before it was created'}; "
                    "nothing was rebuilt (see `baton audit verify`)"
                )
            rows[event.lead] = apply(row, event, resolve)
            clocks.follow(event)
    field_names: list[str] = []
    for row in rows.values():
        field_names.extend(f for f in row["fields"] if f not in field_names)
    store.add_field_columns(field_names)
    columns = [c for c in store.lead_columns()]
    fields = [c for c in columns if c not in BASE_COLUMNS]
    store.db.execute("DELETE FROM leads")
    quoted = ", ".join(f'"{c}"' for c in (*BASE_COLUMNS, *fields))
    marks = ", ".join("?" for _ in (*BASE_COLUMNS, *fields))
    store.db.executemany(
        f"INSERT INTO leads ({quoted}) VALUES ({marks})",
        (
            (*(row[c] for c in BASE_COLUMNS), *(_stored(row["fields"].get(f)) for f in fields))
            for row in rows.values()
        ),
    )
    # least_loaded routing reads a running count of each rep's open leads:
    # count it again from the rows just written, under the policy in force.
    store.recount_load(compiled_policy(store)[0].open_states)
    return len(rows)


class _ClockReplay:
    """The `clocks` table written again event by event, by the same rule the
    commands followed (`sla.follow`), each event under the policy version it
    records: a due time stays the one its own version's calendar gave."""

    def __init__(self, store: Store):
        self.store = store
        self.machines: dict[Any, LeadMachine | None] = {}

    def machine(self, version: Any) -> LeadMachine | None:
        if version not in self.machines:
            try:
                self.machines[version] = machine_for(*compiled_policy(self.store, version))
            except (BatonError, TypeError, ValueError):
                self.machines[version] = None  # missing or unreadable: `verify` names it
        return self.machines[version]

    def follow_policy(self, event: Event, rows: dict[str, Row]) -> None:
        """A `policy_applied` event re-times the running clocks as the apply did."""
        data = event.data
        if event.event != "policy_applied" or not isinstance(data.get("previous"), int):
            return
        old, new = self.machine(data["previous"]), self.machine(data.get("version"))
        if old is None or new is None:
            return
        given = data.get("maps")
        maps: dict[str, str] = given if isinstance(given, dict) else {}
        retime_clocks(self.store, old.policy, new, event.at, maps,
                      lambda state: [lead for lead, row in rows.items() if row["state"] == state])

    def follow(self, event: Event) -> None:
        if event.event == "sla_breach" and not isinstance(event.data.get("sla"), str):
            return  # a breach that names no clock breaches none
        machine = self.machine(event.policy_version)
        if machine is not None:
            follow_clocks(self.store, machine, event)


def _stored(value: Any) -> Any:
    return None if isinstance(value, Erased) else value


# -- the log, filtered ---------------------------------------------------------------


def check_filter(store: Store, policy: Policy, lead: str | None, events: tuple[str, ...],
                 actor: str | None) -> None:
    from ..errors import closest

    def in_log(column: str, value: str) -> bool:
        return store.db.execute(f"SELECT 1 FROM events WHERE {column} = ? LIMIT 1", (value,)).fetchone() is not None

    def hint(word: str, choices: list[str]) -> str:
        near = closest(word, choices)
        return f"; did you mean '{near}'?" if near else ""

    if lead is not None and not in_log("lead", lead):
        near = lead.upper() if lead.upper() != lead and in_log("lead", lead.upper()) else None
        raise UnknownFilter(f"--lead {lead}: the log has no lead '{lead}'{hint(lead, [near] if near else [])}; "
                            "`baton lead list` shows the leads")
    known = [*BATON_EVENTS, *policy.transitions]
    for kind in events:
        if kind not in known and not in_log("event", kind):
            raise UnknownFilter(f"--event {kind}: no event in the log is called '{kind}'{hint(kind, known)} "
                                f"(events: {', '.join(known)})")
    if actor is not None and not in_log("actor", actor):
        people = sorted({person for members in policy.roles.values() for person in members} | {"system"})
        raise UnknownFilter(f"--actor {actor}: no event in the log is by '{actor}'{hint(actor, people)} "
                            f"(people in the policy: {', '.join(people)})")


def log_filter(lead: str | None = None, since: str | None = None, until: str | None = None,
               events: tuple[str, ...] = (), actor: str | None = None) -> tuple[str, tuple[Any, ...]]:
    """A WHERE clause and its parameters for `audit log`."""
    clauses: list[str] = []
    params: list[Any] = []
    for column, value in (("lead", lead), ("actor", actor)):
        if value is not None:
            clauses.append(f"{column} = ?")
            params.append(value)
    if since is not None:
        clauses.append("at >= ?")
        params.append(since)
    if until is not None:
        clauses.append("at <= ?")
        params.append(until)
    if events:
        clauses.append(f"event IN ({','.join('?' * len(events))})")
        params.extend(events)
    return (f"WHERE {' AND '.join(clauses)}" if clauses else ""), tuple(params)


def raw_events(store: Store, where: str = "", params: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """The rows of `events` as stored (`data` as its JSON text), in seq order."""
    yield from store.db.execute(f"{_SELECT} {where} ORDER BY seq", params)
