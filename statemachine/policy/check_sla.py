"""SLA clocks, checked: in which state each runs, for how long, and what a
breach does (notify roles, reassign through routing, fire a transition).

Durations are written like 30m, 4h or 2d (`parse_duration`); a business `2d`
is two business days of opening hours, not 48 hours of them.
"""

from __future__ import annotations

import re

from .check_calendar import _day_minutes
from .check_core import CheckerCore, _given, listing, shown, suggest
from .load import Node
from .model import OWNER, SYSTEM, BusinessHours, Sla, State, Transition

DURATION = re.compile(r"^\s*(-?\d+)\s*([mhd])\s*$")
MAX_WITHIN_MINUTES = 10 * 366 * 1440


def parse_duration(text: str) -> int | None:
    """'4h' -> 240 minutes; None when it is not a duration."""
    match = DURATION.match(str(text))
    if not match:
        return None
    return int(match.group(1)) * {"m": 1, "h": 60, "d": 1440}[match.group(2)]


class SlaChecks(CheckerCore):
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
