"""The checked policy as frozen plain data, and its cacheable form.

A `Policy` is built once by `check.py` from the YAML, then turned into plain
JSON (`to_plain`) and stored beside the policy text, keyed by the text's hash.
A CLI call rebuilds the `Policy` from that JSON (`from_plain`): no YAML, no
re-validation; only the small expressions are compiled again into closures.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from ..expr import Expr, compile_expr
from ..record import Record

# Bumped whenever the plain form changes, so an old cache is rebuilt from text.
PLAIN_FORMAT = 8

# Names every expression may read besides the fields.
LEAD_NAMES = ("state", "owner", "actor", "attempts", "hours_in_state")

# `by` may list these besides the roles.
OWNER, SYSTEM = "owner", "system"
# Keys Baton itself writes into a transition's event data; the projection
# reads `released` back (it clears the owner), so no caller may supply them.
# `recorded_at` holds the wall clock of a write whose --now was far from it.
RESERVED_KEYS = ("released", "recorded_at")
# The roles that create and revoke API tokens when the policy has no `api:`.
DEFAULT_API_ADMINS = ("sales_manager",)


class Field(Record):
    name: str
    type: str
    personal: bool = False
    choices: tuple[str, ...] = ()
    default: Any = None
    description: str | None = None


class State(Record):
    name: str
    owner_role: str | None = None
    final: bool = False
    description: str | None = None


class Guard(Record):
    expr: Expr
    say: str | None = None

    @property
    def message(self) -> str:
        return self.say or f"needs {self.expr.source}"


class Checklist(Record):
    name: str
    items: tuple[tuple[str, Expr], ...]


class Transition(Record):
    name: str
    sources: tuple[str, ...]
    dest: str
    by: tuple[str, ...] = ()
    guards: tuple[Guard, ...] = ()
    checklists: tuple[str, ...] = ()
    requires: tuple[str, ...] = ()
    description: str | None = None


class RoutingRule(Record):
    assign: tuple[str, ...]
    strategy: str = "round_robin"
    when: Expr | None = None


class Routing(Record):
    on: tuple[str, ...]
    rules: tuple[RoutingRule, ...]
    # who is told when routing (or an SLA reassign) gives a lead a rep:
    # roles, or `owner` for the rep it goes to
    notify: tuple[str, ...] = ()


class BusinessHours(Record):
    days: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri")
    start: str = "09:00"
    end: str = "17:00"
    holidays: tuple[str, ...] = ()
    holiday_country: str | None = None


class Sla(Record):
    name: str
    state: str
    within_minutes: int
    business: bool = False
    notify: tuple[str, ...] = ()
    reassign: bool = False
    fire: str | None = None
    reason: str | None = None
    # `within` as the policy writes it (like 4h or 2d): `policy diff` says a
    # change in the units people chose, which within_minutes cannot tell.
    within_text: str = ""


class Intake(Record):
    """`intake: {NAME: ...}`: how one tool's posted keys become a lead's fields."""

    name: str
    # posted key -> the field it fills, "id" for the lead id, "" to leave it out
    mapping: dict[str, str]
    nulls: tuple[str, ...] = ()
    # keys that fill nothing: "ignore" leaves them out, "error" refuses the lead
    extra: str = "ignore"
    # the posted key that gives the lead id (also in `mapping`, as "id")
    id_key: str | None = None


class Policy(Record):
    name: str
    version: int
    timezone: str
    business_hours: BusinessHours
    roles: dict[str, tuple[str, ...]]
    fields: dict[str, Field]
    states: dict[str, State]
    initial: str
    checklists: dict[str, Checklist]
    transitions: dict[str, Transition]
    routing: Routing | None = None
    sla: tuple[Sla, ...] = ()
    notify: dict[str, Any] | None = None
    approvals: tuple[str, ...] = ()
    description: str | None = None
    # `erasure: {by: [...]}`: the roles that may erase a person's data; None
    # when the key is absent, which refuses `lead forget` for everyone.
    erasure: tuple[str, ...] | None = None
    # `clock: {now_on_writes: ...}`: "refuse" forbids --now on commands that change anything
    now_on_writes: str = "allow"
    # `identity: login`: the acting person is the login name, through `logins`; --as is refused
    identity: str | None = None
    logins: dict[str, str] | None = None
    # `audit: {witness: daily}`: `baton serve` sends the log's head once a day; None for no witness
    witness: str | None = None
    # `api: {admins: [...]}`: the roles that create and revoke API tokens
    api_admins: tuple[str, ...] = DEFAULT_API_ADMINS
    # `intake: {NAME: ...}`: the mappings tools post leads through
    intake: Mapping[str, Intake] = MappingProxyType({})

    @property
    def expression_names(self) -> tuple[str, ...]:
        return tuple(self.fields) + LEAD_NAMES

    @property
    def open_states(self) -> tuple[str, ...]:
        return tuple(name for name, state in self.states.items() if not state.final)

    def actors_of(self, role: str) -> tuple[str, ...]:
        return self.roles.get(role, ())


def to_plain(policy: Policy) -> dict[str, Any]:
    """The policy as JSON-ready data; expressions are kept as their source."""

    def expr(e: Expr | None) -> str | None:
        return e.source if e is not None else None

    return {
        "format": PLAIN_FORMAT,
        "name": policy.name,
        "version": policy.version,
        "timezone": policy.timezone,
        "business_hours": vars(policy.business_hours),
        "roles": {k: list(v) for k, v in policy.roles.items()},
        "fields": {k: vars(f) for k, f in policy.fields.items()},
        "states": {k: vars(s) for k, s in policy.states.items()},
        "initial": policy.initial,
        "checklists": {
            k: [[label, expr(e)] for label, e in c.items] for k, c in policy.checklists.items()
        },
        "transitions": {
            k: {
                **{a: getattr(t, a) for a in ("name", "sources", "dest", "by", "checklists", "requires", "description")},
                "guards": [[expr(g.expr), g.say] for g in t.guards],
            }
            for k, t in policy.transitions.items()
        },
        "routing": None
        if policy.routing is None
        else {
            "on": policy.routing.on,
            "rules": [[list(r.assign), r.strategy, expr(r.when)] for r in policy.routing.rules],
            "notify": list(policy.routing.notify),
        },
        "sla": [vars(s) for s in policy.sla],
        "notify": policy.notify,
        "approvals": policy.approvals,
        "description": policy.description,
        "erasure": None if policy.erasure is None else list(policy.erasure),
        "now_on_writes": policy.now_on_writes,
        "identity": policy.identity,
        "logins": policy.logins,
        "witness": policy.witness,
        "api_admins": list(policy.api_admins),
        "intake": {k: vars(i) for k, i in policy.intake.items()},
    }


def from_plain(data: dict[str, Any]) -> Policy:
    """Rebuild a Policy from `to_plain` output (raises KeyError/ValueError if stale)."""
    if data.get("format") != PLAIN_FORMAT:
        raise ValueError("stale compiled policy")
    names = tuple(data["fields"]) + LEAD_NAMES

    def expr(source: str | None) -> Expr | None:
        return compile_expr(source, names) if source is not None else None

    def tup(d: dict[str, Any], *keys: str) -> dict[str, Any]:
        return {k: (tuple(v) if k in keys else v) for k, v in d.items()}

    routing = data["routing"]
    return Policy(
        name=data["name"],
        version=data["version"],
        timezone=data["timezone"],
        business_hours=BusinessHours(**tup(data["business_hours"], "days", "holidays")),
        roles={k: tuple(v) for k, v in data["roles"].items()},
        fields={k: Field(**tup(f, "choices")) for k, f in data["fields"].items()},
        states={k: State(**s) for k, s in data["states"].items()},
        initial=data["initial"],
        checklists={
            k: Checklist(k, tuple((label, expr(src)) for label, src in items))  # type: ignore[misc]
            for k, items in data["checklists"].items()
        },
        transitions={
            k: Transition(
                **tup(
                    {a: v for a, v in t.items() if a != "guards"},
                    "sources",
                    "by",
                    "checklists",
                    "requires",
                ),
                guards=tuple(Guard(expr(src), say) for src, say in t["guards"]),  # type: ignore[arg-type]
            )
            for k, t in data["transitions"].items()
        },
        routing=None
        if routing is None
        else Routing(
            on=tuple(routing["on"]),
            rules=tuple(RoutingRule(tuple(a), s, expr(w)) for a, s, w in routing["rules"]),
            notify=tuple(routing["notify"]),
        ),
        sla=tuple(Sla(**tup(s, "notify")) for s in data["sla"]),
        notify=data["notify"],
        approvals=tuple(data["approvals"]),
        description=data["description"],
        erasure=None if data["erasure"] is None else tuple(data["erasure"]),
        now_on_writes=data["now_on_writes"],
        identity=data["identity"],
        logins=data["logins"],
        witness=data["witness"],
        api_admins=tuple(data["api_admins"]),
        intake={k: Intake(**tup(i, "nulls")) for k, i in data["intake"].items()},
    )
