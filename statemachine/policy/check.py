"""Every rule of the policy language, checked at once.

`check_tree` walks the located YAML tree from `load.py`, collects every
problem with its file:line:col in words a sales head understands, and returns
the frozen `Policy` only when there are none.

`Checker` combines one part for each thing a policy holds, each in a module
named for it: the calendar (`check_calendar`), the lead's life from roles to
transitions (`check_lifecycle`), routing (`check_routing`), SLA clocks
(`check_sla`) and notify channels (`check_notify`), over the readers they
share (`check_core`). This module checks the policy as a document: its keys,
name and version, and who must approve a new version.
"""

from __future__ import annotations

from ..errors import PolicyProblem
from .check_api import ApiChecks
from .check_audit import AuditChecks
from .check_calendar import CLOCK, COUNTRY, DAYS, CalendarChecks, _day_minutes
from .check_clock import ClockChecks
from .check_core import _given, listing, shown, suggest
from .check_lifecycle import IDENTIFIER, NAME, RESERVED_FIELDS, TRANSITION_KEYS, LifecycleChecks
from .check_notify import NotifyChecks
from .check_routing import STRATEGIES, RoutingChecks
from .check_sla import DURATION, SlaChecks, parse_duration
from .load import Node
from .model import LEAD_NAMES, Policy

# The names other modules (the JSON Schema, diff, explain) read from here.
__all__ = [
    "check_tree", "Checker", "TOP_KEYS", "TRANSITION_KEYS", "DAYS", "STRATEGIES", "NAME", "IDENTIFIER",
    "DURATION", "CLOCK", "COUNTRY", "RESERVED_FIELDS", "parse_duration", "_day_minutes",
]

TOP_KEYS = (
    "policy", "version", "description", "timezone", "business_hours", "roles", "fields",
    "states", "initial", "checklists", "transitions", "routing", "sla", "notify", "approvals",
    "erasure", "clock", "identity", "logins", "audit",
    "api", "intake",
)


class Checker(CalendarChecks, LifecycleChecks, RoutingChecks, SlaChecks, NotifyChecks, ClockChecks,
              AuditChecks, ApiChecks):
    """The whole check: every part, run in the order a policy's parts depend on each other."""

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
        erasure = self._erasure(top.get("erasure"), roles)
        now_on_writes = self._clock(top.get("clock"))
        identity, logins = self._identity(top.get("identity"), top.get("logins"), roles)
        witness = self._audit(top.get("audit"), top.get("notify"))
        api_admins = self._api(top.get("api"), roles)
        intake = self._intake(top.get("intake"), fields)
        if self.problems:
            return None
        return Policy(
            name=name, version=version, timezone=timezone, business_hours=hours,
            roles=roles, fields=fields, states=states, initial=initial,
            checklists=checklists, transitions=transitions, routing=routing,
            sla=tuple(sla), notify=notify, approvals=tuple(approvals),
            description=self.text(top.get("description"), "description"), erasure=erasure,
            now_on_writes=now_on_writes, identity=identity, logins=logins, witness=witness,
            api_admins=api_admins, intake=intake,
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


    def _erasure(self, node: Node | None, roles: dict[str, tuple[str, ...]]) -> tuple[str, ...] | None:
        """`erasure: {by: [ROLE, ...]}`: who may erase a person's data on request."""
        if node is None:
            return None
        entries = self.mapping(node, "erasure")
        self.keys(node, ("by",), "erasure")
        by = self.names(entries.get("by"), "erasure: by")
        if not by:
            self.err(entries.get("by") or node, "erasure needs the roles who may erase a person's data: "
                                                "write `erasure: {by: [sales_manager]}`")
        for role, item in by:
            if self.unknown_role(role, roles):
                self.err(item, f"erasure by unknown role '{role}' (roles: {listing(roles)}){suggest(role, roles)}")
        return tuple(dict.fromkeys(role for role, _ in by))


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


def check_tree(root: Node, file: str) -> tuple[Policy | None, list[PolicyProblem]]:
    checker = Checker(file)
    policy = checker.run(root)
    problems = sorted(checker.problems, key=lambda p: (p.line, p.col))
    return policy, problems
