"""Every rule of the policy language, checked at once.

`check_tree` walks the located YAML tree from `load.py`, collects every
problem with its file:line:col in words a sales head understands, and returns
the frozen `Policy` only when there are none.
"""

from __future__ import annotations

import datetime as dt
import difflib
import keyword
import re
from collections.abc import Iterable
from typing import Any

from ..errors import PolicyProblem
from ..events import BATON_EVENTS
from ..expr import Expr, ExprError, compile_expr
from ..values import FIELD_TYPES, BadValue, parse_json
from .load import Node
from .model import (
    LEAD_NAMES,
    OWNER,
    RESERVED_KEYS,
    SYSTEM,
    BusinessHours,
    Checklist,
    Field,
    Guard,
    Policy,
    Routing,
    RoutingRule,
    Sla,
    State,
    Transition,
)

TOP_KEYS = (
    "policy", "version", "description", "timezone", "business_hours", "roles", "fields",
    "states", "initial", "checklists", "transitions", "routing", "sla", "notify", "approvals",
)
TRANSITION_KEYS = ("from", "to", "by", "when", "checklist", "requires", "description")
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
STRATEGIES = ("round_robin", "least_loaded")
NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*$")
IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
DURATION = re.compile(r"^\s*(-?\d+)\s*([mhd])\s*$")
CLOCK = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
COUNTRY = re.compile(r"^[A-Za-z]{2}(-[A-Za-z0-9]{1,3})?$")  # GB, or a region like GB-ENG
RESERVED_FIELDS = set(LEAD_NAMES) | {"id", "true", "false", "null", "len", "lower", "upper"}


def suggest(word: str, choices: Iterable[str]) -> str:
    """'; did you mean ...?' for a near miss, ignoring case (sql -> SQL)."""
    by_lower = {choice.lower(): choice for choice in choices}
    close = difflib.get_close_matches(word.lower(), list(by_lower), n=1)
    return f"; did you mean '{by_lower[close[0]]}'?" if close else ""


def listing(names: Iterable[str]) -> str:
    return ", ".join(names) or "none yet"


def shown(node: Node) -> str:
    """A node's value as a message quotes it."""
    if node.is_list:
        return "a list"
    if node.is_map:
        return "a set of entries"
    return "nothing" if node.value is None else f"'{node.value}'"


MAX_WITHIN_MINUTES = 10 * 366 * 1440


def _day_minutes(hours: BusinessHours) -> int:
    """Minutes from opening to closing (a malformed start or end is reported
    elsewhere; a day of 8 hours stands in for it)."""
    try:
        (sh, sm), (eh, em) = (map(int, t.split(":")) for t in (hours.start, hours.end))
    except ValueError:
        return 480
    return max((eh * 60 + em) - (sh * 60 + sm), 1)


def parse_duration(text: str) -> int | None:
    """'4h' -> 240 minutes; None when it is not a duration."""
    match = DURATION.match(str(text))
    if not match:
        return None
    return int(match.group(1)) * {"m": 1, "h": 60, "d": 1440}[match.group(2)]


class Checker:
    def __init__(self, file: str):
        self.file = file
        self.problems: list[PolicyProblem] = []
        # When `roles:` itself is malformed (already reported), every use of a
        # role would be "unknown" too: those follow-on errors are left out.
        self.roles_unreadable = False
        # A transition with a misspelt or missing state makes the reachability
        # checks wrong ("cannot be reached"), so they wait for that fix.
        self.moves_incomplete = False
        # Fields whose own definition is wrong (already reported): expressions
        # may still use their names without a second, misleading "unknown name".
        self.broken_fields: list[str] = []
        # choice field -> its values, for expressions comparing with text
        self.choices: dict[str, tuple[str, ...]] = {}

    # -- reporting -------------------------------------------------------------
    def err(self, where: Node | tuple[int, int], message: str) -> None:
        line, col = (where.line, where.col) if isinstance(where, Node) else where
        self.problems.append(PolicyProblem(self.file, line, col, message))

    def key(self, mapping: Node, key: str) -> tuple[int, int]:
        return mapping.key_at.get(key, (mapping.line, mapping.col))

    def keys(self, node: Node, allowed: Iterable[str], what: str) -> None:
        if not node.is_map:
            return  # `mapping` has said so already
        allowed = tuple(allowed)
        for key in node.value:
            if key not in allowed:
                self.err(
                    self.key(node, key),
                    f"unknown key '{key}' in {what} (keys: {', '.join(allowed)}){suggest(key, allowed)}",
                )

    def mapping(self, node: Node | None, what: str) -> dict[str, Node]:
        if node is None or node.value is None:
            return {}
        if not node.is_map:
            self.err(node, f"{what} must be a set of 'name: value' entries")
            return {}
        return node.value  # type: ignore[no-any-return]

    def names(self, node: Node | None, what: str) -> list[tuple[str, Node]]:
        """A name or a list of names, each with its node."""
        if node is None or node.value is None:
            return []
        items = node.value if node.is_list else [node]
        out = []
        for item in items:
            if isinstance(item.value, (str, int)) and not isinstance(item.value, bool):
                out.append((str(item.value), item))
            else:
                self.err(item, f"{what} must be a name or a list of names")
        return out

    def text(self, node: Node | None, what: str) -> str | None:
        if node is None or node.value is None:
            return None
        if isinstance(node.value, (dict, list)):
            self.err(node, f"{what} must be a single value, not a list or a set of entries")
            return None
        return str(node.value)

    def flag(self, node: Node | None, what: str) -> bool:
        if node is None:
            return False
        if not isinstance(node.value, bool):
            self.err(node, f"{what} must be true or false")
            return False
        return node.value

    def expr(self, node: Node, names: tuple[str, ...], what: str) -> Expr | None:
        value = node.value
        if isinstance(value, bool):
            source = "true" if value else "false"
        elif isinstance(value, (str, int, float)):
            source = str(value)
        else:
            self.err(node, f"{what} must be an expression, like score >= 60")
            return None
        try:
            return compile_expr(source, (*names, *self.broken_fields), self.choices)
        except ExprError as error:
            col = node.col if node.text_col is None else node.text_col + error.offset
            self.err((node.line, col), f"{what}: {error.reason}")
            return None

    # -- the policy ------------------------------------------------------------
    def run(self, root: Node) -> Policy | None:
        if not root.is_map:
            self.err(root, "a policy must be a set of 'key: value' entries (policy, version, states, ...)")
            return None
        top = root.value
        self.keys(root, TOP_KEYS, "the policy")
        name = self.text(top.get("policy"), "policy") or ""
        if not _given(top.get("policy")):
            self.err(top.get("policy") or root, "the policy needs a name: add `policy: your-team-handover`")
        version = self._version(root)
        timezone = self._timezone(top.get("timezone"))
        hours = self._business_hours(top.get("business_hours"))
        roles = self._roles(top.get("roles"))
        fields = self._fields(top.get("fields"))
        names = tuple(fields) + LEAD_NAMES
        states = self._states(root, roles)
        initial = self._initial(root, states)
        checklists = self._checklists(top.get("checklists"), names)
        transitions = self._transitions(root, states, roles, checklists, names)
        if transitions and not self.moves_incomplete:
            self._graph(root, states, initial, transitions)
        routing = self._routing(top.get("routing"), states, roles, names)
        sla = self._sla(top.get("sla"), states, roles, transitions, hours, routing is not None)
        notify = self._notify(top.get("notify"), roles)
        approvals = [r for r, node in self._approvals(top.get("approvals"), roles)]
        if self.problems:
            return None
        return Policy(
            name=name, version=version, timezone=timezone, business_hours=hours,
            roles=roles, fields=fields, states=states, initial=initial,
            checklists=checklists, transitions=transitions, routing=routing,
            sla=tuple(sla), notify=notify, approvals=tuple(approvals),
            description=self.text(top.get("description"), "description"),
        )

    def _version(self, root: Node) -> int:
        node = root.value.get("version")
        if node is None:
            self.err(root, "the policy needs a version: add `version: 1` and raise it with every agreed change")
            return 0
        if isinstance(node.value, str) and node.value.strip().isdigit():
            self.err(node, f"version must be a number without quotes: write version: {node.value.strip()}")
            return 0
        if not isinstance(node.value, int) or isinstance(node.value, bool) or node.value < 1:
            self.err(node, f"version must be a whole number of 1 or more, not {shown(node)}")
            return 0
        return node.value

    def _timezone(self, node: Node | None) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        if node is None:
            return "UTC"
        zone = self.text(node, "timezone")
        if not zone:
            if not isinstance(node.value, (dict, list)):  # those are reported by `text`
                self.err(node, "timezone is empty; write an IANA name like Europe/London or America/New_York")
            return "UTC"
        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            self.err(node, f"unknown time zone '{zone}'; use an IANA name like Europe/London or America/New_York")
        return zone

    def _holiday_dates(self, node: Node) -> list[str]:
        """A date or a list of dates, as YYYY-MM-DD."""
        dates: list[str] = []
        for item in node.value if node.is_list else [node]:
            day = item.value
            if isinstance(day, (dict, list)):
                self.err(item, "each holiday must be one date, written YYYY-MM-DD, like 2026-12-25")
                continue
            if isinstance(day, dt.datetime):
                day = day.date()
            if isinstance(day, dt.date):
                dates.append(day.isoformat())
                continue
            try:
                dates.append(dt.date.fromisoformat(str(day)).isoformat())
            except ValueError:
                self.err(item, f"holiday '{day}' is not a date; write it as YYYY-MM-DD, like 2026-12-25")
        return dates

    def _business_hours(self, node: Node | None) -> BusinessHours:
        entries = self.mapping(node, "business_hours")
        if node is None or not entries:
            return BusinessHours()
        self.keys(node, ("days", "start", "end", "holidays"), "business_hours")
        days = []
        for day, day_node in self.names(entries.get("days"), "days"):
            if day.lower()[:3] not in DAYS:
                self.err(day_node, f"unknown day '{day}'; use {', '.join(DAYS)}")
            else:
                days.append(day.lower()[:3])
        if "days" in entries and not entries["days"].value:
            self.err(entries["days"], f"business_hours needs at least one working day, like days: [{', '.join(DAYS[:5])}]")
        times, bad_time = {}, False
        for key, default in (("start", "09:00"), ("end", "17:00")):
            item = entries.get(key)
            if item is None:
                times[key] = default
            elif isinstance(item.value, str) and CLOCK.match(item.value):
                times[key] = item.value
            else:
                self.err(item, f"{key} must be a time of day like \"09:00\" (24-hour hh:mm), not {shown(item)}")
                times[key], bad_time = default, True
        if times["start"] >= times["end"] and not bad_time:
            where = entries.get("end") or entries["start"]
            self.err(where, f"business hours end ({times['end']}) must be after they start ({times['start']})")
        holidays: list[str] = []
        country = None
        hol = entries.get("holidays")
        if hol is not None and hol.is_map:
            self.keys(hol, ("country", "dates"), "holidays")
            country = self.text(hol.value.get("country"), "country")
            if country is not None and not COUNTRY.match(country):
                self.err(hol.value["country"], f"country must be a two-letter code like GB or US, or a region "
                                               f"like GB-ENG, not '{country}'")
            elif country is not None and not _known_country(country.upper()):
                self.err(hol.value["country"], f"no public holidays are known for '{country}'; use a code like GB, "
                                               "GB-ENG, US or DE, or list the dates")
            if hol.value.get("dates") is not None:
                holidays = self._holiday_dates(hol.value["dates"])
        elif hol is not None and hol.value is not None:
            holidays = self._holiday_dates(hol)
        return BusinessHours(
            days=tuple(days) or BusinessHours.days, start=times["start"], end=times["end"],
            holidays=tuple(holidays), holiday_country=country.upper() if country else None,
        )

    def _roles(self, node: Node | None) -> dict[str, tuple[str, ...]]:
        roles: dict[str, tuple[str, ...]] = {}
        self.roles_unreadable = node is not None and node.value is not None and not node.is_map
        for role, members in self.mapping(node, "roles").items():
            assert node is not None
            where = self.key(node, role)
            if role in (OWNER, SYSTEM):
                self.err(where, f"'{role}' is built in and cannot be a role name; choose another name")
                continue
            if not NAME.match(role):
                self.err(where, f"role name '{role}' must be one word (letters, digits, _ or -)")
            actors = [a for a, _ in self.names(members, f"role '{role}'")]
            if SYSTEM in actors:
                self.err(members, "'system' is Baton itself and cannot be listed in a role")
            roles[role] = tuple(actors)
        return roles

    def unknown_role(self, role: str, roles: dict[str, tuple[str, ...]], *also: str) -> bool:
        return role not in roles and role not in also and not self.roles_unreadable

    def _fields(self, node: Node | None) -> dict[str, Field]:
        fields: dict[str, Field] = {}
        for name, spec in self.mapping(node, "fields").items():
            assert node is not None
            where = self.key(node, name)
            if not IDENTIFIER.match(name) or keyword.iskeyword(name) or name in RESERVED_FIELDS:
                self.err(where, f"'{name}' cannot be a field name: use a word of letters, digits and _ that is not one of {', '.join(sorted(RESERVED_FIELDS))}")
                continue
            if isinstance(spec.value, str):  # shorthand: `product: string`
                spec = Node({"type": spec}, spec.line, spec.col, {"type": (spec.line, spec.col)})
            entries = self.mapping(spec, f"field '{name}'")
            self.keys(spec, ("type", "personal", "values", "default", "description"), f"field '{name}'")
            ftype = self.text(entries.get("type"), "type")
            if ftype is None:
                unset = entries.get("type") is None or entries["type"].value is None
                if spec.value is None or (spec.is_map and unset):  # else: reported as malformed
                    self.err(where, f"field '{name}' needs a type ({', '.join(FIELD_TYPES)})")
                self.broken_fields.append(name)
                continue
            if ftype not in FIELD_TYPES:
                self.err(entries["type"], f"field '{name}' has unknown type '{ftype}' (types: {', '.join(FIELD_TYPES)}){suggest(ftype, FIELD_TYPES)}")
                self.broken_fields.append(name)
                continue
            choices = tuple(c for c, _ in self.names(entries.get("values"), f"values of '{name}'"))
            if ftype == "choice" and not choices:
                self.err(entries.get("values") or where, f"choice field '{name}' needs values: [first, second, ...]")
            if ftype != "choice" and "values" in entries:
                self.err(entries["values"], f"only a choice field has values; make '{name}' `type: choice` or remove values")
            default = None
            if "default" in entries:
                given = entries["default"].value
                if isinstance(given, (dt.date, dt.datetime)):  # an unquoted 2026-01-31
                    given = given.isoformat()
                try:
                    default = parse_json(ftype, given, choices)
                except BadValue as error:
                    self.err(entries["default"], f"default of '{name}': {error.reason}")
            if ftype == "choice" and choices:
                self.choices[name] = choices
            fields[name] = Field(
                name, ftype, self.flag(entries.get("personal"), "personal"), choices, default,
                self.text(entries.get("description"), "description"),
            )
        return fields

    def not_reserved(self, where: tuple[int, int], what: str, name: str) -> None:
        """A name Baton's own events use would read, in the log, as one of them."""
        if name in BATON_EVENTS:
            self.err(where, f"{what} name '{name}' is taken: Baton's log writes '{name}' events of its own "
                            f"(its names: {', '.join(BATON_EVENTS)}); call the {what} something else")

    def _states(self, root: Node, roles: dict[str, tuple[str, ...]]) -> dict[str, State]:
        node = root.value.get("states")
        states: dict[str, State] = {}
        if node is None:
            self.err(root, "the policy needs states: the stages a lead goes through (MQL, SAL, ...)")
            return states
        if node.is_map and not node.value:
            self.err(node, "the policy needs states: the stages a lead goes through (MQL, SAL, ...)")
        for name, spec in self.mapping(node, "states").items():
            where = self.key(node, name)
            if not NAME.match(name):
                self.err(where, f"state name '{name}' must be one word (letters, digits, _ or -)")
            self.not_reserved(where, "state", name)
            entries = self.mapping(spec, f"state '{name}'")
            self.keys(spec, ("owner", "final", "description"), f"state '{name}'")
            owner = self.text(entries.get("owner"), "owner")
            if owner is not None and self.unknown_role(owner, roles):
                self.err(entries["owner"], f"state '{name}' is owned by unknown role '{owner}' (roles: {listing(roles)}){suggest(owner, roles)}")
            states[name] = State(
                name, owner, self.flag(entries.get("final"), "final"),
                self.text(entries.get("description"), "description"),
            )
        return states

    def _initial(self, root: Node, states: dict[str, State]) -> str:
        node = root.value.get("initial")
        initial = self.text(node, "initial")
        if initial is None:
            if states and (node is None or node.value is None):
                self.err(node or root, f"the policy needs `initial:`, the state a new lead starts in (states: {', '.join(states)})")
            return ""
        if states and initial not in states:
            self.err(node, f"initial state '{initial}' is not a state (states: {', '.join(states)}){suggest(initial, states)}")
        elif initial in states and states[initial].final:
            self.err(node, f"initial state '{initial}' is final, so no lead could ever move; start in an open state")
        return initial

    def _checklists(self, node: Node | None, names: tuple[str, ...]) -> dict[str, Checklist]:
        checklists = {}
        for name, items in self.mapping(node, "checklists").items():
            if node is not None:
                self.not_reserved(self.key(node, name), "checklist", name)
            compiled = []
            for label, item in self.mapping(items, f"checklist '{name}'").items():
                expr = self.expr(item, names, f"checklist '{name}', item '{label}'")
                if expr is not None:
                    compiled.append((label, expr))
            checklists[name] = Checklist(name, tuple(compiled))
        return checklists

    def _state_ref(self, name: str, node: Node, states: dict[str, State], what: str) -> bool:
        if name in states:
            return True
        if states:  # with no readable states, that problem is reported once, at `states:`
            self.err(node, f"{what} unknown state '{name}' (states: {', '.join(states)}){suggest(name, states)}")
        return False

    def _transitions(
        self, root: Node, states: dict[str, State], roles: dict[str, tuple[str, ...]],
        checklists: dict[str, Checklist], names: tuple[str, ...],
    ) -> dict[str, Transition]:
        node = root.value.get("transitions")
        transitions: dict[str, Transition] = {}
        if node is None or (node.is_map and not node.value):
            self.err(node or root, "the policy needs transitions: the moves between states (hand_over, qualify, ...)")
            return transitions
        who = (*roles, OWNER, SYSTEM)
        for name, spec in self.mapping(node, "transitions").items():
            where = self.key(node, name)
            what = f"transition '{name}'"
            if not IDENTIFIER.match(name):
                self.err(where, f"transition name '{name}' must be one word (letters, digits and _)")
            self.not_reserved(where, "transition", name)
            if name in TRANSITION_KEYS and not spec.is_map:
                # `checklist: handover` indented one level too little
                self.err(where, f"'{name}' is indented as if it were a transition of its own; "
                                f"it is a key of the transition above it: indent it under that "
                                f"transition, in line with its from:, to: and by:")
                self.moves_incomplete = True
                continue
            entries = self.mapping(spec, what)
            if spec.value is not None and not spec.is_map:
                self.moves_incomplete = True
                continue
            self.keys(spec, TRANSITION_KEYS, what)
            sources = []
            for source, item in self.names(entries.get("from"), "from"):
                if not self._state_ref(source, item, states, f"{what} comes from"):
                    self.moves_incomplete = True
                else:
                    sources.append(source)
                    if states[source].final:
                        self.err(item, f"{what} leaves '{source}', which is final: nothing may leave a final state (remove it from `from` or make '{source}' not final)")
            if not _given(entries.get("from")):
                self.err(entries.get("from") or where, f"{what} needs `from:`, the state(s) it leaves")
            dest = self.text(entries.get("to"), "to") or ""
            if dest:
                self._state_ref(dest, entries["to"], states, f"{what} goes to")
            elif not _given(entries.get("to")):
                self.err(entries.get("to") or where, f"{what} needs `to:`, the state it enters")
            if not sources or dest not in states:
                self.moves_incomplete = True
            by = []
            for actor_role, item in self.names(entries.get("by"), "by"):
                if self.unknown_role(actor_role, roles, OWNER, SYSTEM):
                    self.err(item, f"{what} lists unknown role '{actor_role}' in `by` (roles: {', '.join(who)}){suggest(actor_role, who)}")
                by.append(actor_role)
            if not _given(entries.get("by")):
                self.err(entries.get("by") or where, f"{what} needs `by:`, who may fire it (roles, owner or system)")
            guards = self._guards(entries.get("when"), names, what)
            lists = []
            for checklist, item in self.names(entries.get("checklist"), "checklist"):
                if checklist not in checklists:
                    self.err(item, f"{what} uses unknown checklist '{checklist}' (checklists: {', '.join(checklists) or 'none'}){suggest(checklist, checklists)}")
                lists.append(checklist)
            requires = []
            for key, item in self.names(entries.get("requires"), "requires"):
                if not IDENTIFIER.match(key):
                    self.err(item, f"required key '{key}' must be one word (letters, digits and _)")
                elif key in RESERVED_KEYS:
                    self.err(item, f"required key '{key}' is a name Baton uses itself in a transition's event; choose another name")
                requires.append(key)
            transitions[name] = Transition(
                name, tuple(sources), dest, tuple(by), tuple(guards), tuple(lists), tuple(requires),
                self.text(entries.get("description"), "description"),
            )
        return transitions

    def _guards(self, node: Node | None, names: tuple[str, ...], what: str) -> list[Guard]:
        if node is None or node.value is None:
            return []
        guards = []
        for item in node.value if node.is_list else [node]:
            say = None
            expr_node = item
            if item.is_map:
                self.keys(item, ("expr", "say"), f"a condition of {what}")
                expr_node = item.value.get("expr")
                say = self.text(item.value.get("say"), "say")
                if expr_node is None:
                    self.err(item, f"a condition of {what} needs `expr:`, like expr: score >= 60")
                    continue
            expr = self.expr(expr_node, names, f"condition of {what}")
            if expr is not None:
                guards.append(Guard(expr, say))
        return guards

    def _graph(self, root: Node, states: dict[str, State], initial: str, transitions: dict[str, Transition]) -> None:
        if initial not in states:
            return
        reached, frontier = {initial}, [initial]
        while frontier:
            current = frontier.pop()
            for t in transitions.values():
                if current in t.sources and t.dest in states and t.dest not in reached:
                    reached.add(t.dest)
                    frontier.append(t.dest)
        node = root.value["states"]
        leaving = {s for t in transitions.values() for s in t.sources}
        for name, state in states.items():
            if name not in reached:
                self.err(self.key(node, name), f"state '{name}' cannot be reached from '{initial}': add a transition into it or remove it")
            elif not state.final and name not in leaving:
                self.err(self.key(node, name), f"state '{name}' has no way out: add a transition from it or mark it `final: true`")

    def _routing(self, node: Node | None, states: dict[str, State], roles: dict[str, tuple[str, ...]], names: tuple[str, ...]) -> Routing | None:
        entries = self.mapping(node, "routing")
        if node is None or not entries:
            return None
        self.keys(node, ("on", "rules", "notify"), "routing")
        on = []
        for state, item in self.names(entries.get("on"), "on"):
            if self._state_ref(state, item, states, "routing happens on"):
                if states[state].final:
                    self.err(item, f"routing on '{state}' does nothing: it is final")
                on.append(state)
        if "on" not in entries:
            self.err(node, "routing needs `on:`, the state in which a lead gets a rep")
        notify = []
        for who, who_node in self.names(entries.get("notify"), "notify"):
            if self.unknown_role(who, roles, OWNER):
                self.err(who_node, f"routing notifies unknown role '{who}' (roles: {', '.join((*roles, OWNER))}){suggest(who, (*roles, OWNER))}")
            notify.append(who)
        actors = {a for members in roles.values() for a in members}
        rules = []
        rules_node = entries.get("rules")
        if rules_node is None or not rules_node.is_list or not rules_node.value:
            self.err(rules_node or node, "routing needs `rules:`, a list of `- assign: [rep, ...]`")
            return None
        for number, rule in enumerate(rules_node.value, 1):
            what = f"routing rule {number}"
            spec = self.mapping(rule, what)
            if rule.value is not None and not rule.is_map:
                continue
            self.keys(rule, ("when", "assign", "strategy"), what)
            assign = []
            for rep, item in self.names(spec.get("assign"), "assign"):
                if rep not in actors:
                    self.err(item, f"{what} assigns '{rep}', who is in no role{suggest(rep, actors)}; add {rep} to a role under roles:")
                assign.append(rep)
            if not assign:
                self.err(rule, f"{what} needs `assign: [rep, ...]`")
            strategy = self.text(spec.get("strategy"), "strategy") or "round_robin"
            if strategy not in STRATEGIES:
                self.err(spec["strategy"], f"{what} has unknown strategy '{strategy}' (strategies: {', '.join(STRATEGIES)})")
            when = self.expr(spec["when"], names, f"{what} when") if "when" in spec else None
            rules.append(RoutingRule(tuple(assign), strategy, when))
        return Routing(tuple(on), tuple(rules), tuple(notify))

    def _sla(self, node: Node | None, states: dict[str, State], roles: dict[str, tuple[str, ...]],
             transitions: dict[str, Transition], hours: BusinessHours, routed: bool) -> list[Sla]:
        if node is None or node.value is None:
            return []
        if not node.is_list:
            self.err(node, "sla must be a list of clocks (- name: acknowledge ...)")
            return []
        clocks: list[Sla] = []
        seen: dict[str, int] = {}
        for item in node.value:
            spec = self.mapping(item, "an SLA clock")
            if item.value is not None and not item.is_map:
                continue
            self.keys(item, ("name", "state", "within", "business", "breach"), "an SLA clock")
            name = self.text(spec.get("name"), "name") or ""
            if not name:
                self.err(spec.get("name") or item, "an SLA clock needs a name, like name: acknowledge")
            elif name in seen:
                self.err(spec["name"], f"SLA '{name}' is given twice (first on line {seen[name]}); give each clock its own name")
            seen.setdefault(name, item.line)
            what = f"SLA '{name}'" if name else "this SLA clock"
            state = self.text(spec.get("state"), "state") or ""
            if state:
                if self._state_ref(state, spec["state"], states, f"{what} runs in") and states[state].final:
                    self.err(spec["state"], f"{what} runs in '{state}', which is final: a clock there could never be met")
            elif not _given(spec.get("state")):
                self.err(spec.get("state") or item, f"{what} needs `state:`, the state in which its clock runs")
            business = self.flag(spec.get("business"), "business")
            within, written = 0, ""
            if not _given(spec.get("within")):
                self.err(spec.get("within") or item, f"{what} needs `within:`, like 4h")
            else:
                given = spec["within"]
                parsed = None if given.is_map or given.is_list else parse_duration(given.value)
                if parsed is None:
                    self.err(given, f"{what}: {shown(given)} is not a duration; write it like 30m, 4h or 2d")
                elif parsed <= 0:
                    self.err(given, f"{what}: within must be more than zero, not {shown(given)}")
                elif parsed > MAX_WITHIN_MINUTES:
                    self.err(given, f"{what}: {shown(given)} is longer than ten years, so the clock would never "
                                    "run out; write a shorter time, like 30d")
                else:
                    within, written = parsed, DURATION.sub(r"\1\2", str(given.value))
                    if str(given.value).strip().endswith("d") and business:
                        # a business day is one day's opening hours: 2d is two working days, not 48 hours of them
                        within = parsed // 1440 * _day_minutes(hours)
            breach = self.mapping(spec.get("breach"), f"{what} breach")
            if spec.get("breach") is not None:
                self.keys(spec["breach"], ("notify", "reassign", "fire", "reason"), f"{what} breach")
            notify = []
            for who, who_node in self.names(breach.get("notify"), "notify"):
                if self.unknown_role(who, roles, OWNER):
                    self.err(who_node, f"{what} notifies unknown role '{who}' (roles: {', '.join((*roles, OWNER))}){suggest(who, (*roles, OWNER))}")
                notify.append(who)
            reassign = self.flag(breach.get("reassign"), "reassign")
            if reassign and not routed:
                self.err(breach["reassign"], f"{what} reassigns the lead, but the policy has no `routing:` to choose "
                                             "another rep; add routing, or notify a manager instead")
            fire = self.text(breach.get("fire"), "fire")
            if fire is not None:
                if fire not in transitions:
                    self.err(breach["fire"], f"{what} fires unknown transition '{fire}' (transitions: {listing(transitions)}){suggest(fire, transitions)}")
                elif state in states and state not in transitions[fire].sources:
                    leaves = ", ".join(transitions[fire].sources)
                    self.err(breach["fire"], f"{what} runs in '{state}' but fires '{fire}', which only moves a lead out of {leaves}; fire a transition that leaves '{state}'")
                elif SYSTEM not in transitions[fire].by:
                    self.err(breach["fire"], f"{what} fires '{fire}', but its `by` does not list system; add system to it")
            clocks.append(Sla(
                name, state, within, business, tuple(notify), reassign, fire, self.text(breach.get("reason"), "reason"),
                written,
            ))
        return clocks

    def _notify(self, node: Node | None, roles: dict[str, tuple[str, ...]]) -> dict[str, Any] | None:
        """The channels notifications leave by: webhook, email, file."""
        if node is None or node.value is None:
            return None
        if not node.is_map:
            self.err(node, "notify must be a set of channels (webhook, email, file)")
            return None
        if not node.value:
            self.err(node, "notify names no channel; add webhook:, email: or file:, or remove notify:")
            return None
        self.keys(node, ("webhook", "email", "file"), "notify")
        entries = node.value
        if "webhook" in entries:
            self._webhook(entries["webhook"])
        if "email" in entries:
            self._email(entries["email"], roles)
        if "file" in entries:
            path = entries["file"]
            if not isinstance(path.value, str) or not path.value.strip():
                self.err(path, f"notify file must be a path like notices.jsonl, or \"-\" for the screen, not {shown(path)}")
        channels: dict[str, Any] = _plain(node)
        return channels

    def _webhook(self, node: Node) -> None:
        from urllib.parse import urlsplit

        url = node.value if isinstance(node.value, str) else ""
        example = "like https://hooks.example.com/baton"
        try:
            parts = urlsplit(url)
            parts.port  # noqa: B018 -- reading it checks the port is a number
        except ValueError:
            self.err(node, f"webhook {shown(node)} has a bad port; write the address {example}")
            return
        if parts.scheme not in ("http", "https") or not parts.hostname or re.search(r"\s", url):
            self.err(node, f"webhook must be an http:// or https:// address {example}, not {shown(node)}")

    def _email(self, node: Node, roles: dict[str, tuple[str, ...]]) -> None:
        if node.value is None or (node.is_map and not node.value):
            self.err(node, "notify email needs server, from and to, like server: localhost:25")
            return
        entries = self.mapping(node, "notify email")
        if not entries:
            return
        self.keys(node, ("server", "from", "to"), "notify email")
        server = entries.get("server")
        if server is None:
            self.err(node, "notify email needs `server:`, the SMTP server as host:port, like localhost:25")
        elif _host_port(server.value) is None:
            self.err(server, f"email server must be host:port, like localhost:25 or smtp.example.com:587, not {shown(server)}")
        sender = entries.get("from")
        if sender is None:
            self.err(node, "notify email needs `from:`, the address the emails come from, like baton@example.com")
        else:
            self._address(sender, "email from")
        self._addresses(node, entries.get("to"), roles)

    def _addresses(self, email: Node, node: Node | None, roles: dict[str, tuple[str, ...]]) -> None:
        if node is None:
            self.err(email, "notify email needs `to:`, each person's address, like to: {sam: sam@example.com}")
            return
        if node.value is None or (node.is_map and not node.value):
            self.err(node, "email to needs at least one person's address, like to: {sam: sam@example.com}")
        entries = self.mapping(node, "email to")
        actors = [actor for members in roles.values() for actor in members]
        for actor, address in entries.items():
            if actor not in actors and not self.roles_unreadable:
                hint = f"; '{actor}' is a role: list its people, like {roles[actor][0]}: ..." if roles.get(actor) else suggest(actor, actors)
                self.err(self.key(node, actor), f"email to '{actor}', who is in no role (people: {listing(actors)}){hint}")
            self._address(address, f"email to {actor}")

    def _address(self, node: Node, what: str) -> None:
        if not isinstance(node.value, str):
            self.err(node, f"{what} must be an email address like sam@example.com, not {shown(node)}")
            return
        try:
            parse_json("email", node.value)
        except BadValue as error:
            self.err(node, f"{what}: {error.reason}")

    def _approvals(self, node: Node | None, roles: dict[str, tuple[str, ...]]) -> list[tuple[str, Node]]:
        entries = self.mapping(node, "approvals")
        if node is None or not entries:
            return []
        self.keys(node, ("required",), "approvals")
        required = self.names(entries.get("required"), "required")
        for role, item in required:
            if self.unknown_role(role, roles):
                self.err(item, f"approval by unknown role '{role}' (roles: {listing(roles)}){suggest(role, roles)}")
            elif role in roles and not roles[role]:
                self.err(item, f"approval by role '{role}', which has nobody in it, so no new version could ever "
                               f"be approved; name its people under roles: {role}")
        signing = {role: roles[role] for role, _ in required if roles.get(role)}
        short = _too_few_signers(signing)
        if short is not None:
            # one person signs one role of a text, so e.g. sam alone in both heads' roles locks the policy
            stuck, people = short
            self.err(entries["required"], f"{_and(stuck)} must each approve a new version, one person "
                                          f"for each role, but only {_and(people)} {'is' if len(people) == 1 else 'are'} "
                                          "in them, so no new version could ever be approved; put someone else in "
                                          "one of these roles")
        return required


def _and(names: list[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _too_few_signers(members: dict[str, tuple[str, ...]]) -> tuple[list[str], list[str]] | None:
    """None when each role can be signed by a person of its own, no one
    signing two (a matching of roles to people, by augmenting paths); else
    the roles that share too few people, and those people."""
    signer_of: dict[str, str] = {}  # person -> the role they sign

    def place(role: str, tried: set[str]) -> bool:
        for person in members[role]:
            if person not in tried:
                tried.add(person)
                if person not in signer_of or place(signer_of[person], tried):
                    signer_of[person] = role
                    return True
        return False

    for role in members:
        tried: set[str] = set()
        if not place(role, tried):
            people = [p for p in dict.fromkeys(q for r in members.values() for q in r) if p in tried]
            # every person tried already signs a role of the search: those roles and this one
            # have between them fewer people than roles
            roles = [r for r in members if r == role or any(signer_of.get(p) == r for p in tried)]
            return roles, people
    return None


def _given(node: Node | None) -> bool:
    """Whether a key has a value: not missing, null, '' or []."""
    return node is not None and node.value not in (None, "", [], {})


def _known_country(code: str) -> bool:
    """GB, or a region of it in ISO 3166-2 form (GB-ENG), that the holidays package knows."""
    import holidays

    country, _, region = code.partition("-")
    regions = holidays.list_supported_countries().get(country)
    return regions is not None and (not region or region in regions)


def _host_port(value: Any) -> tuple[str, int] | None:
    """'smtp.example.com:587' -> ('smtp.example.com', 587); '[::1]:25' too."""
    if not isinstance(value, str):
        return None
    host, colon, port = value.strip().rpartition(":")
    host = host.removeprefix("[").removesuffix("]")
    if not colon or not host or not port.isdigit() or not 0 < int(port) < 65536:
        return None
    return host, int(port)


def _plain(node: Node) -> Any:
    if node.is_map:
        return {k: _plain(v) for k, v in node.value.items()}
    if node.is_list:
        return [_plain(v) for v in node.value]
    if isinstance(node.value, (dt.date, dt.datetime)):
        return node.value.isoformat()
    return node.value


def check_tree(root: Node, file: str) -> tuple[Policy | None, list[PolicyProblem]]:
    checker = Checker(file)
    policy = checker.run(root)
    problems = sorted(checker.problems, key=lambda p: (p.line, p.col))
    return policy, problems
