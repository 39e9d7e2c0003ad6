"""Routing, checked: on entering which states a lead gets a rep, and how.

Each rule assigns people who are in a role, by a known strategy, when its
condition (an expression over the fields) holds; `notify` names the roles
told of each assignment.
"""

from __future__ import annotations

from .check_core import CheckerCore, suggest
from .load import Node
from .model import OWNER, Routing, RoutingRule, State

STRATEGIES = ("round_robin", "least_loaded")


class RoutingChecks(CheckerCore):
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
