"""A small reference model of the default policy (policies/default.yaml),
written from SPEC's rules and the policy's text, never by asking Baton: for
each command, whether it is refused, how many events it writes, and every
lead's state, owner, attempts, fields and SLA clock afterwards.
`test_properties_engine.py` runs Baton beside it."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

# -- the default policy, as its text says it (not as Baton compiled it) ------------
ROLES = {
    "marketing": {"jane", "omar"}, "sales": {"alice", "bob", "carol"}, "sales_manager": {"sam"},
    "marketing_head": {"hana"}, "sales_head": {"sam"},
}
MEMBERS = set().union(*ROLES.values())
FINAL = {"won", "disqualified"}
TEAM = {"MQL": "marketing", "SAL": "sales", "SQL": "sales", "accepted": "sales", "contacted": "sales",
        "recycled": "marketing"}  # each open state's owner team
PERSONAL = ("email", "phone")
REASONED = {"recycle", "disqualify"}  # `requires: [reason]`
REPS = ("carol", "alice", "bob")  # the reps routing names


@dataclass(frozen=True)
class Move:
    sources: tuple[str, ...]
    to: str
    by: tuple[str, ...]


MOVES = {
    "hand_over": Move(("MQL",), "SAL", ("marketing",)),
    "qualify": Move(("SAL",), "SQL", ("sales",)),
    "accept": Move(("SQL",), "accepted", ("owner", "sales_manager")),
    "contact": Move(("accepted",), "contacted", ("owner", "sales_manager")),
    "win": Move(("contacted",), "won", ("owner", "sales_manager")),
    "disqualify": Move(("SAL", "SQL", "accepted", "contacted"), "disqualified", ("sales", "sales_manager")),
    "recycle": Move(("SAL", "SQL", "accepted", "contacted"), "recycled", ("sales", "sales_manager", "system")),
    "renurture": Move(("recycled",), "MQL", ("marketing",)),
}
ZONE = ZoneInfo("Europe/London")
HOLIDAYS = {dt.date(2026, 12, 25), dt.date(2026, 12, 28), dt.date(2027, 1, 1)}
START = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)  # a Monday morning


def parsed(name: str, text: str) -> Any:
    """A value as the policy's field type reads it (ValueError if it cannot)."""
    if text == "":
        return None
    if name == "score":
        return int(text)
    if name == "budget":
        return float(text)
    if name == "authority":
        return {"yes": True, "no": False}[text]
    return text


def business_due(start: dt.datetime, minutes: int) -> dt.datetime:
    """`minutes` of business time (Mon-Fri 09:00-17:30 in London, holidays
    off) counted from `start`; one that runs out at closing is due then."""
    left = dt.timedelta(minutes=minutes)
    at = start.astimezone(ZONE)
    while True:
        day = at.date()
        if day.weekday() < 5 and day not in HOLIDAYS:
            opening = dt.datetime.combine(day, dt.time(9, 0), ZONE)
            closing = dt.datetime.combine(day, dt.time(17, 30), ZONE)
            begin = max(at, opening)
            if begin < closing:
                if begin + left <= closing:
                    return (begin + left).astimezone(dt.UTC)
                left -= closing - begin
        at = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0, 0), ZONE)


@dataclass
class Clock:
    name: str
    due: dt.datetime
    serial: int  # when its row was started: of clocks due together, the first started is swept first
    breached: bool = False


@dataclass
class Lead:
    state: str = "MQL"
    owner: str | None = None
    attempts: int = 0
    fields: dict[str, Any] = field(default_factory=dict)
    erased: set[str] = field(default_factory=set)  # erased on request and not given since
    holds_personal: bool = False  # a personal value given since the last erasure
    clock: Clock | None = None

    def truthy(self, name: str) -> bool:
        return bool(self.fields.get(name))


class Refused(Exception):
    """The model says the command is refused (exit 1, nothing written)."""


class Model:
    def __init__(self) -> None:
        self.leads: dict[str, Lead] = {}
        self.away: set[str] = set()
        self.now = START
        self.serial = 0

    # -- who may
    @staticmethod
    def member(actor: str) -> None:
        if actor not in MEMBERS:
            raise Refused

    # -- commands: each returns the number of events written, or raises Refused
    def add(self, actor: str, lead: str, pairs: list[str]) -> int:
        self.member(actor)
        if lead in self.leads:
            raise Refused
        fields = {k: parsed(k, v) for k, v in (p.split("=", 1) for p in pairs)}
        self.leads[lead] = Lead(fields={"score": 0, **fields},
                                holds_personal=any(fields.get(name) is not None for name in PERSONAL))
        return 1

    def set(self, actor: str, lead: str, pairs: list[str]) -> int:
        self.member(actor)
        row = self.known(lead)
        try:
            values = {k: parsed(k, v) for k, v in (p.split("=", 1) for p in pairs)}
        except (ValueError, KeyError):
            raise Refused from None
        changed = {name: value for name, value in values.items() if row.fields.get(name) != value}
        for name, value in changed.items():
            row.fields[name] = value
            row.erased.discard(name)
            if name in PERSONAL and value is not None:
                row.holds_personal = True
        return 1 if changed else 0  # one `updated` for all the fields that changed

    def known(self, lead: str) -> Lead:
        if lead not in self.leads:
            raise Refused
        return self.leads[lead]

    def advance(self, actor: str, lead: str, trigger: str, reason: bool) -> int:
        row = self.known(lead)
        move = MOVES.get(trigger)
        if move is None or row.state not in move.sources:
            raise Refused
        if not self.may(actor, row, move):
            raise Refused
        if trigger in REASONED and not reason:
            raise Refused
        if not self.guards_hold(actor, row, trigger):
            raise Refused
        return self.enter(row, move.to)

    def may(self, actor: str, row: Lead, move: Move) -> bool:
        return any(actor == row.owner if who == "owner" else actor == who if who == "system"
                   else actor in ROLES[who] for who in move.by)

    @staticmethod
    def guards_hold(actor: str, row: Lead, trigger: str) -> bool:
        if trigger == "hand_over":  # score >= 60, and the handover checklist
            score = row.fields.get("score")
            return (score is not None and score >= 60 and (row.truthy("email") or row.truthy("phone"))
                    and all(row.truthy(n) for n in ("source", "persona", "product", "awareness")))
        if trigger == "qualify":  # BANT
            return (row.truthy("budget") and row.fields.get("authority") is True
                    and row.truthy("need") and row.truthy("timeline"))
        if trigger == "recycle":
            return actor == "system" or row.state != "contacted" or row.attempts >= 3
        return True

    def enter(self, row: Lead, state: str) -> int:
        """The lead moves into `state` by a transition: the events it writes."""
        row.state, row.attempts, row.clock = state, 0, None
        if row.owner is not None and state in TEAM and row.owner not in ROLES[TEAM[state]]:
            row.owner = None  # back with a team the rep is not in
        if state == "SQL":
            row.clock = self.start("acknowledge", business_due(self.now, 4 * 60))
            row.owner = self.route(row, exclude=None)
            return 2  # the move, then `assigned` or `unrouted`
        if state == "contacted":
            row.clock = self.start("follow_up", self.now + dt.timedelta(days=14))
        return 1

    def start(self, name: str, due: dt.datetime) -> Clock:
        self.serial += 1
        return Clock(name, due, self.serial)

    def route(self, row: Lead, exclude: str | None) -> str | None:
        """Routing's pick: executives to carol, the rest (and executives when
        carol cannot) to whichever of alice and bob has fewer open leads."""
        rules = ([["carol"]] if row.fields.get("persona") == "executive" else []) + [["alice", "bob"]]
        for reps in rules:
            free = [rep for rep in reps if rep != exclude and rep not in self.away]
            if free:
                return min(free, key=self.open_leads)  # ties: the first listed
        return None

    def open_leads(self, rep: str) -> int:
        return sum(1 for row in self.leads.values() if row.owner == rep and row.state not in FINAL)

    def attempt(self, actor: str, lead: str) -> int:
        self.member(actor)
        row = self.known(lead)
        if row.state in FINAL:
            raise Refused
        row.attempts += 1
        return 1

    def forget(self, actor: str, lead: str) -> int:
        if actor not in ROLES["sales_manager"]:  # erasure: {by: [sales_manager]}
            raise Refused
        row = self.known(lead)
        if not row.holds_personal:
            raise Refused
        for name in PERSONAL:
            if row.fields.get(name) is not None:
                row.erased.add(name)
                row.fields[name] = None
        row.holds_personal = False
        return 1

    def rep_away(self, actor: str, rep: str) -> int:
        self.may_change(actor, rep)
        if rep in self.away:
            return 0
        self.away.add(rep)
        return 1

    def rep_back(self, actor: str, rep: str) -> int:
        self.may_change(actor, rep)
        if rep not in self.away:
            raise Refused
        self.away.discard(rep)
        return 1

    @staticmethod
    def may_change(actor: str, rep: str) -> None:
        if rep not in REPS or (actor != rep and actor not in ROLES["sales_manager"]):
            raise Refused

    def sweep(self) -> int:
        written = 0
        due = [(row.clock.due, row.clock.serial, lead) for lead, row in self.leads.items()
               if row.clock is not None and not row.clock.breached and row.clock.due <= self.now]
        for _, _, lead in sorted(due):
            row = self.leads[lead]
            assert row.clock is not None
            written += 1  # sla_breach
            if row.clock.name == "acknowledge":  # notify, and reassign to another rep
                owner = self.route(row, exclude=row.owner)
                if owner is None:
                    row.clock.breached = True
                else:
                    row.owner = owner
                    row.clock = Clock("acknowledge", business_due(self.now, 4 * 60), row.clock.serial)
                    written += 1  # assigned
            else:  # follow_up: fire recycle as system, with its reason
                written += self.enter(row, "recycled")
        return written
