"""The lead's life, checked: roles, fields, states, checklists, transitions.

Names must be words Baton can use (and none that its own log writes, see
`events.py`); every state, role, checklist and field a transition names must
exist; conditions must be expressions over the fields. Then the graph: every
state reachable from `initial`, and every state that is not final has a way
out.
"""

from __future__ import annotations

import datetime as dt
import keyword
import re

from ..events import BATON_EVENTS
from ..values import FIELD_TYPES, BadValue, parse_json
from .check_core import CheckerCore, _given, listing, suggest
from .load import Node
from .model import (
    LEAD_NAMES,
    OWNER,
    RESERVED_KEYS,
    SYSTEM,
    Checklist,
    Field,
    Guard,
    State,
    Transition,
)

TRANSITION_KEYS = ("from", "to", "by", "when", "checklist", "requires", "description")
NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*$")
IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
RESERVED_FIELDS = set(LEAD_NAMES) | {"id", "true", "false", "null", "len", "lower", "upper"}


class LifecycleChecks(CheckerCore):
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
