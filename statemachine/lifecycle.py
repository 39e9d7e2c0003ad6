"""What operators do to leads: add, set, advance, log attempts, route.

Each public function is one write transaction: it reads the lead inside the
transaction, asks the machine, appends the events and writes the projection
row that `projection.apply` derives from them. Refusals raise before anything
is written, and the transaction rolls back on any error.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from .errors import (
    BadArgument,
    BadFields,
    DuplicateLead,
    FieldProblem,
    FinalLead,
    NoRole,
    UnknownKeys,
    UnknownLead,
    UnknownTrigger,
)
from .events import ASSIGNED, ATTEMPT, CREATED, UNROUTED, UPDATED
from .machine import LeadView
from .new_lead import LeadTemplate, new_lead
from .policy.model import RESERVED_KEYS, Policy
from .projection import apply, seal
from .routing import Decision, choose_rep
from .sla import Clock, lead_clocks
from .sla import follow as follow_clocks
from .store import BASE_COLUMNS, Event, Store
from .times import from_iso
from .workspace import Workspace

Row = dict[str, Any]


# -- reading and writing the projection ------------------------------------------
def read_row(store: Store, policy: Policy, lead: str) -> Row:
    columns = store.lead_row(lead)
    if columns is None:
        raise UnknownLead(lead)
    return columns_to_row(policy, columns)


def columns_to_row(policy: Policy, columns: Mapping[str, Any]) -> Row:
    row = {k: columns[k] for k in BASE_COLUMNS}
    fields = {}
    for name, spec in policy.fields.items():
        value = columns.get(name)
        if value is not None:
            fields[name] = bool(value) if spec.type == "boolean" else value
    row["fields"] = fields
    return row


def row_to_columns(policy: Policy, row: Row) -> dict[str, Any]:
    columns = {k: row[k] for k in BASE_COLUMNS}
    for name in policy.fields:
        columns[name] = row["fields"].get(name)
    return columns


def changed_columns(policy: Policy, before: Row, after: Row) -> dict[str, Any]:
    """The columns of `after` that differ from `before` (`apply` keeps the
    fields of an event that changes none, so those are skipped at once)."""
    changed = {k: after[k] for k in BASE_COLUMNS if after[k] != before[k]}
    old, new = before["fields"], after["fields"]
    if new is not old:
        changed.update((name, new.get(name)) for name in policy.fields if new.get(name) != old.get(name))
    return changed


def view(row: Row) -> LeadView:
    return LeadView(row["id"], row["state"], row["owner"], row["fields"], row["attempts"], from_iso(row["state_since"]))


class Recorder:
    """Appends a lead's events and keeps its row in step, inside a transaction."""

    def __init__(self, ws: Workspace, row: Row | None, plain_values: dict[str, Any] | None = None):
        self.ws = ws
        self.row = row
        self.saved = row  # the row as the leads table holds it
        # digest -> value for personal values sealed in this command
        self.values: dict[str, Any] = plain_values or {}
        self.events: list[Event] = []
        self.clocks: list[Clock] | None = None  # the lead's, if its last event set them all

    def record(self, lead: str, event: str, from_: str | None, to: str | None, data: dict[str, Any],
               actor: str | None = None) -> Event:
        ws = self.ws
        appended = ws.store.append(lead, ws.at, actor or ws.actor, event, from_, to, data, ws.policy.version)
        self.row = apply(self.row, appended, self.values.get)
        self.clocks = follow_clocks(ws.store, ws.machine, appended)
        self.events.append(appended)
        return appended

    def seal_fields(self, lead: str, fields: dict[str, Any]) -> dict[str, Any]:
        """Field values for an event: personal ones replaced by their marker."""
        sealed = {}
        for name, value in fields.items():
            if value is not None and self.ws.policy.fields[name].personal:
                marker, salt = seal(value)
                self.ws.store.put_personal(marker["personal"], lead, name, salt, value)
                self.values[marker["personal"]] = value
                sealed[name] = marker
            else:
                sealed[name] = value
        return sealed

    def save(self) -> Row:
        assert self.row is not None
        ws = self.ws
        if self.saved is None:
            ws.store.write_lead(row_to_columns(ws.policy, self.row))
        else:
            ws.store.update_lead(self.row["id"], changed_columns(ws.policy, self.saved, self.row))
        before, after = load_holder(ws.policy, self.saved), load_holder(ws.policy, self.row)
        if before != after:
            if before:
                ws.store.adjust_load(before, -1)
            if after:
                ws.store.adjust_load(after, +1)
        self.saved = self.row
        return self.row


def load_holder(policy: Policy, row: Row | None) -> str | None:
    """The rep whose load this lead counts towards: its owner while it is open."""
    if row is None or row["owner"] is None or policy.states[row["state"]].final:
        return None
    return row["owner"]  # type: ignore[no-any-return]


# -- who may change leads -----------------------------------------------------------
def require_member(ws: Workspace) -> None:
    """Refuse an actor who is in no role of the policy: changes to leads are
    made by the people the agreement names (a typo in --as lands here)."""
    refuse_outsider(ws.policy, ws.actor)


def refuse_outsider(policy: Policy, actor: str, *, changing_policy: bool = False) -> None:
    """`require_member` for a policy and an actor; `changing_policy`: the
    change is to `policy` itself, which is its members' agreement to change."""
    if not any(actor in members for members in policy.roles.values()):
        named = f"policy {policy.name} version {policy.version}" if changing_policy else None
        raise NoRole(actor, policy.roles, named)


# -- field values ------------------------------------------------------------------
def parse_assignments(policy: Policy, pairs: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """FIELD=VALUE pairs (already split) -> parsed values; empty is null.
    A field given twice is refused: which value was meant is not clear.
    Every pair that cannot be used is named in one `BadFields`."""
    from .values import BadValue, parse_text  # here: `lead show` and `lead advance` parse no value

    parsed: dict[str, Any] = {}
    given: dict[str, str] = {}
    problems: list[FieldProblem] = []
    for name, raw in pairs:
        spec = policy.fields.get(name)
        if spec is None:
            problems.append(FieldProblem(name, None))
            continue
        if name in given:
            problems.append(FieldProblem(name, f"given twice ({given[name]!r} and {raw!r}); give each field once"))
            continue
        given[name] = raw
        try:
            parsed[name] = parse_text(spec.type, raw, spec.choices)
        except BadValue as error:
            problems.append(FieldProblem(name, error.reason))
    if problems:
        raise BadFields(problems, list(policy.fields))
    return parsed


# Keys every trigger takes besides its `requires`, always optional.
OPTIONAL_KEYS = ("reason", "note")
RESERVED_MEANING = {"released": "the rep a transition takes the lead from",
                    "recorded_at": "the real time of a change made with --now"}


def check_keys(policy: Policy, lead: str, trigger: str, args: Mapping[str, str]) -> None:
    """Refuse KEY=VALUE arguments the trigger does not take, naming each."""
    transition = policy.transitions.get(trigger)
    if transition is None:
        raise UnknownTrigger(trigger, list(policy.transitions))
    for key in RESERVED_KEYS:
        if key in args:
            what = RESERVED_MEANING.get(key, "what it records itself")
            raise BadArgument(f"{key}=... cannot be given: Baton itself records in it {what}; leave {key}=... out")
    required = list(transition.requires)
    optional = [k for k in OPTIONAL_KEYS if k not in required]
    unknown = [key for key in args if key not in required and key not in optional]
    if unknown:
        raise UnknownKeys(lead, trigger, unknown, required, optional)


# -- commands -----------------------------------------------------------------------
def next_lead_id(store: Store) -> str:
    number = int(store.meta("next_lead") or "1")
    while store.lead_exists(f"L-{number}"):
        number += 1
    store.set_meta("next_lead", str(number + 1))
    return f"L-{number}"


def create(ws: Workspace, lead: str | None, fields: dict[str, Any]) -> Recorder:
    """Create one lead inside the caller's transaction, as `new_lead` says a
    lead is made (a field given as None is null, even one with a default)."""
    store = ws.store
    if lead is None:
        lead = next_lead_id(store)
    elif store.lead_exists(lead):
        raise DuplicateLead(lead)
    template = LeadTemplate(ws.policy)
    given = {name: value for name, value in fields.items() if value is not None}
    blank = [name for name, value in fields.items() if value is None]
    data_text, sealed, values = new_lead(template, given, blank, template.salts())
    plain = dict(zip(template.fields, values))
    recorder = Recorder(ws, None, {digest: plain[name] for digest, name, _, _ in sealed})
    for digest, name, salt, _ in sealed:
        store.put_personal(digest, lead, name, salt, plain[name])
    recorder.record(lead, CREATED, None, template.initial, json.loads(data_text))
    store.write_lead(dict(zip(template.columns, template.row(lead, ws.at, values))))
    recorder.saved = recorder.row  # as written: `projection.apply` gives the event the same row
    enter_state(recorder)
    recorder.save()
    return recorder


def add_lead(ws: Workspace, lead: str | None, pairs: Iterable[tuple[str, str]]) -> Recorder:
    from .values import lead_id_problem

    require_member(ws)
    if lead is not None and (problem := lead_id_problem(lead)) is not None:
        raise BadArgument(f"--id {problem}")
    fields = parse_assignments(ws.policy, pairs)
    with ws.store.transaction():
        return create(ws, lead, fields)


def set_fields(ws: Workspace, lead: str, pairs: Iterable[tuple[str, str]]) -> Recorder:
    require_member(ws)
    fields = parse_assignments(ws.policy, pairs)
    with ws.store.transaction():
        recorder = Recorder(ws, read_row(ws.store, ws.policy, lead))
        assert recorder.row is not None
        changed = {k: v for k, v in fields.items() if recorder.row["fields"].get(k) != v}
        if changed:
            recorder.record(lead, UPDATED, None, None, {"fields": recorder.seal_fields(lead, changed)})
            recorder.save()
        return recorder


def advance(ws: Workspace, lead: str, trigger: str, args: dict[str, str], actor: str | None = None) -> Recorder:
    check_keys(ws.policy, lead, trigger, args)
    with ws.store.transaction():
        recorder = Recorder(ws, read_row(ws.store, ws.policy, lead))
        fire_trigger(recorder, trigger, actor or ws.actor, args)
        recorder.save()
        return recorder


def fire_trigger(recorder: Recorder, trigger: str, actor: str, args: dict[str, str]) -> None:
    """Inside a transaction: fire `trigger` on the recorder's lead, or raise why not."""
    ws, row = recorder.ws, recorder.row
    assert row is not None
    before = row["state"]
    after = ws.machine.fire(view(row), trigger, actor, args, ws.now)
    data: dict[str, Any] = dict(args)
    owner_role = ws.policy.states[after].owner_role
    if row["owner"] and owner_role and row["owner"] not in ws.policy.actors_of(owner_role):
        data["released"] = row["owner"]  # back with a team the rep is not in
    recorder.record(row["id"], trigger, before, after, data, actor)
    enter_state(recorder)


def log_attempt(ws: Workspace, lead: str, channel: str | None, note: str | None) -> Recorder:
    require_member(ws)
    with ws.store.transaction():
        recorder = Recorder(ws, read_row(ws.store, ws.policy, lead))
        data = {k: v for k, v in (("channel", channel), ("note", note)) if v}
        assert recorder.row is not None
        state = recorder.row["state"]
        if state in ws.policy.states and ws.policy.states[state].final:
            raise FinalLead(lead, state)
        recorder.record(lead, ATTEMPT, recorder.row["state"], recorder.row["state"], data)
        recorder.save()
        return recorder


def enter_state(recorder: Recorder, exclude: tuple[str, ...] = ()) -> None:
    """What entering the lead's new state does besides its clocks (which
    `sla.follow` started with the event): routing, if the machine says so."""
    row = recorder.row
    assert row is not None
    if recorder.ws.machine.on_enter(row["state"]).route:
        route(recorder, exclude)


def decide_route(ws: Workspace, row: Row, exclude: tuple[str, ...] = ()) -> Decision:
    """Who routing would pick for `row` now (pure: nothing is written)."""
    assert ws.policy.routing is not None
    store = ws.store
    away = {rep: until for rep, until in store.reps_away().items() if until is None or until > ws.at}
    return choose_rep(
        ws.policy.routing, view(row).env(ws.actor, ws.now), away, exclude,
        store.open_lead_counts,
        store.rr_position,
    )


def record_route(recorder: Recorder, decision: Decision, extra: dict[str, Any] | None = None,
                 actor: str | None = None) -> None:
    """Record a routing decision: `assigned`, or `unrouted` when nobody is
    free. An assignment tells the people the machine names for the state
    (`assigned_notice`), in the same transaction."""
    row = recorder.row
    assert row is not None
    state, before = row["state"], row["owner"]
    if decision.owner is None:
        recorder.record(row["id"], UNROUTED, state, state, decision.data, actor)
        return
    if decision.position is not None:
        recorder.ws.store.set_rr_position(*decision.position)
    assigned = recorder.record(row["id"], ASSIGNED, state, state, {**decision.data, **(extra or {})}, actor)
    notify = recorder.ws.machine.on_enter(state).notify
    if notify:
        from .assigned_notice import queue_assigned

        assert recorder.row is not None
        queue_assigned(recorder.ws, recorder.row, assigned, notify, before)


def route(recorder: Recorder, exclude: tuple[str, ...] = ()) -> None:
    assert recorder.row is not None
    record_route(recorder, decide_route(recorder.ws, recorder.row, exclude))


# -- reading -----------------------------------------------------------------------
def show(ws: Workspace, lead: str) -> dict[str, Any]:
    return describe(ws, read_row(ws.store, ws.policy, lead))


def describe(ws: Workspace, row: Row, clocks: list[Clock] | None = None) -> dict[str, Any]:
    """The `lead show --json` object (`clocks`: the lead's, if a `Recorder` knows them)."""
    lead = view(row)
    env = lead.env(ws.actor, ws.now)
    machine = ws.machine
    return {
        "id": row["id"],
        "state": row["state"],
        "owner": row["owner"],
        "attempts": row["attempts"],
        "state_since": row["state_since"],
        "created_at": row["created_at"],
        # in the policy's order, as read back; a field just cleared is None in its row, and absent here
        "fields": {name: row["fields"][name] for name in ws.policy.fields if row["fields"].get(name) is not None},
        "checklists": {
            name: machine.missing_items(lead, (name,), env).get(name, []) for name in ws.policy.checklists
        },
        "sla": [clock.as_json(ws.at) for clock in (lead_clocks(ws.store, row["id"]) if clocks is None else clocks)],
        "allowed": machine.allowed(lead, ws.actor, ws.now),
    }


def list_rows(ws: Workspace, state: str | None = None, owner: str | None = None,
              unassigned: bool = False, overdue: bool = False) -> Iterator[Row]:
    clauses, params = [], []
    if overdue:
        clauses.append("id IN (SELECT lead FROM clocks WHERE due_at <= ?)")
        params.append(ws.at)
    if state is not None:
        clauses.append("state = ?")
        params.append(state)
    if owner is not None:
        clauses.append("owner = ?")
        params.append(owner)
    if unassigned:
        routed = ws.policy.routing.on if ws.policy.routing else ()
        clauses.append(f"owner IS NULL AND state IN ({','.join('?' * len(routed)) or 'NULL'})")
        params.extend(routed)
    where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
    names = ws.store.lead_columns()  # `*`'s order; streamed (on PostgreSQL a server-side cursor in the snapshot)
    with ws.store.snapshot():
        for rows in ws.store.stream(f"SELECT * FROM leads {where} ORDER BY created_at, rowid", params):
            yield from (columns_to_row(ws.policy, dict(zip(names, values))) for values in rows)


def history(ws: Workspace, lead: str) -> list[Event]:
    if not ws.store.lead_exists(lead):
        raise UnknownLead(lead)
    return list(ws.store.events("WHERE lead = ?", (lead,)))
