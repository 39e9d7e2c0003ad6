"""What changed between two checked policies, in the terms a head thinks in.

`diff_policies` compares two `Policy` models, never their text, so comments,
key order, quoting and layout are not changes. Each difference is a `Change`:
what kind of thing changed (`transition`, `field`, `sla`, ...), its name, what
about it changed, and the old and new values as JSON-ready data; its `text`
is the sentence `policy diff` prints (`diff_words.py`). Lists whose order
means nothing (roles in `by`, a role's members, working days) are compared
as sets; orders that matter (routing rules, the reps a rule assigns) are not.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Any

from ..expr import Expr
from .check import DAYS, parse_duration
from .diff_trust import trust_changes
from .model import Field, Guard, Policy, Routing, RoutingRule, Sla, State, Transition

ADDED, REMOVED, CHANGED = "added", "removed", "changed"


@dataclass(frozen=True)
class Change:
    """One difference. `attribute` is what about `name` changed (`when`,
    `by`, `member`, ...), or "" when the change is to `name` as a whole (it
    was added or removed, or it is one setting, like `version`).
    `change` is added, removed or changed; `old` is None for an addition and
    `new` for a removal. `words`, when given, is how the sentence says old and
    new (a duration in business hours), since the JSON keeps them as written."""

    kind: str
    name: str
    attribute: str
    change: str
    old: Any
    new: Any
    words: tuple[str, str] | None = None

    @property
    def text(self) -> str:
        from .diff_words import sentence

        return sentence(self)

    def as_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind, "name": self.name, "attribute": self.attribute,
            "change": self.change, "old": self.old, "new": self.new, "text": self.text,
        }


def diff_policies(old: Policy, new: Policy) -> list[Change]:
    """Every change from `old` to `new`, grouped by kind: policy, transition,
    checklist, field, role, state, routing, sla, business_hours, notify, approvals, erasure,
    then identity, logins, clock, audit (`diff_trust.py`), then api, intake (`diff_api.py`)."""
    from .diff_api import api_changes  # it builds on this module

    return [
        *_policy(old, new), *_transitions(old, new), *_checklists(old, new), *_fields(old, new),
        *_roles(old, new), *_states(old, new), *_routing(old, new), *_slas(old, new),
        *_business_hours(old, new), *_notify(old, new), *_approvals(old, new),
        *_erasure(old, new), *trust_changes(old, new), *api_changes(old, new),
    ]


# -- how values are compared and kept -------------------------------------------
def expr_key(source: str) -> str:
    """An expression's meaning as far as layout goes: spacing, line breaks,
    quote marks and redundant brackets do not change it."""
    text = source.replace("\r", " ").replace("\n", " ").strip()
    try:
        return ast.dump(ast.parse(text, mode="eval"))
    except (SyntaxError, ValueError, RecursionError):  # a checked policy never has one; compare as written
        return text


def _src(expr: Expr | None) -> str | None:
    return None if expr is None else " ".join(expr.source.split())


def _same_expr(a: Expr | None, b: Expr | None) -> bool:
    if a is None or b is None:
        return a is b
    return expr_key(a.source) == expr_key(b.source)


def _same_set(a: Sequence[str], b: Sequence[str]) -> bool:
    return sorted(set(a)) == sorted(set(b))


def _names(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """Names in either, in the new policy's order, then those it removed."""
    return [*new, *(name for name in old if name not in new)]


def _attribute(
    kind: str, name: str, attribute: str, old: Any, new: Any, same: Callable[[Any, Any], bool] | None = None,
) -> Iterator[Change]:
    if not (same(old, new) if same else old == new):
        yield Change(kind, name, attribute, CHANGED, old, new)


# -- policy ---------------------------------------------------------------------
def _policy(old: Policy, new: Policy) -> Iterator[Change]:
    yield from _attribute("policy", "policy name", "", old.name, new.name)
    yield from _attribute("policy", "version", "", old.version, new.version)
    yield from _attribute("policy", "timezone", "", old.timezone, new.timezone)
    yield from _attribute("policy", "description", "", old.description, new.description)


# -- transitions ------------------------------------------------------------------
def transition_plain(transition: Transition) -> dict[str, Any]:
    return {
        "from": list(transition.sources), "to": transition.dest, "by": list(transition.by),
        "when": [{"expr": _src(g.expr), "say": g.say} for g in transition.guards],
        "checklist": list(transition.checklists), "requires": list(transition.requires),
        "description": transition.description,
    }


def _transitions(old: Policy, new: Policy) -> Iterator[Change]:
    for name in _names(old.transitions, new.transitions):
        before, after = old.transitions.get(name), new.transitions.get(name)
        if before is None or after is None:
            yield _whole("transition", name, before and transition_plain(before), after and transition_plain(after))
            continue
        yield from _attribute("transition", name, "from", list(before.sources), list(after.sources), _same_set)
        yield from _attribute("transition", name, "to", before.dest, after.dest)
        yield from _attribute("transition", name, "by", list(before.by), list(after.by), _same_set)
        yield from _guards(name, before.guards, after.guards)
        yield from _attribute("transition", name, "checklist", list(before.checklists), list(after.checklists), _same_set)
        yield from _attribute("transition", name, "requires", list(before.requires), list(after.requires), _same_set)
        yield from _attribute("transition", name, "description", before.description, after.description)


def _whole(kind: str, name: str, old: Any, new: Any) -> Change:
    return Change(kind, name, "", ADDED if old is None else REMOVED, old, new)


def _guards(name: str, old: tuple[Guard, ...], new: tuple[Guard, ...]) -> Iterator[Change]:
    """Conditions all must hold, so their order is not a change. One kept in
    place is matched by its expression; of the rest, the first dropped pairs
    with the first added as an edit (score >= 60 became score >= 45)."""
    unmatched = list(old)
    pairs: list[tuple[Guard | None, Guard | None]] = []
    for guard in new:
        match = next((g for g in unmatched if _same_expr(g.expr, guard.expr)), None)
        if match is not None:
            unmatched.remove(match)
        pairs.append((match, guard))
    added = [g for m, g in pairs if m is None]
    pairs = [(m, g) for m, g in pairs if m is not None]
    while added and unmatched:
        pairs.append((unmatched.pop(0), added.pop(0)))
    pairs += [(None, g) for g in added] + [(g, None) for g in unmatched]

    def plain(g: Guard) -> dict[str, Any]:
        return {"expr": _src(g.expr), "say": g.say}

    for before, after in pairs:
        if before is None or after is None:
            yield Change("transition", name, "when", ADDED if before is None else REMOVED,
                         before and plain(before), after and plain(after))
            continue
        if not _same_expr(before.expr, after.expr):
            yield Change("transition", name, "when", CHANGED, _src(before.expr), _src(after.expr))
        if before.say != after.say:
            yield Change("transition", name, "say", CHANGED, plain(before), plain(after))


# -- checklists -------------------------------------------------------------------
def _checklists(old: Policy, new: Policy) -> Iterator[Change]:
    for name in _names(old.checklists, new.checklists):
        before, after = old.checklists.get(name), new.checklists.get(name)
        if before is None or after is None:
            yield _whole("checklist", name, before and _items(before.items), after and _items(after.items))
            continue
        old_items, new_items = dict(before.items), dict(after.items)
        for label in _names(old_items, new_items):
            was, now = old_items.get(label), new_items.get(label)
            item = f"{name}: {label}"
            if was is None or now is None:
                yield _whole("checklist", item, _src(was), _src(now))
            elif not _same_expr(was, now):
                yield Change("checklist", item, "rule", CHANGED, _src(was), _src(now))


def _items(items: tuple[tuple[str, Expr], ...]) -> dict[str, str | None]:
    return {label: _src(expr) for label, expr in items}


# -- fields -----------------------------------------------------------------------
def field_plain(field: Field) -> dict[str, Any]:
    return {
        "type": field.type, "values": list(field.choices), "personal": field.personal,
        "default": field.default, "description": field.description,
    }


def _fields(old: Policy, new: Policy) -> Iterator[Change]:
    for name in _names(old.fields, new.fields):
        before, after = old.fields.get(name), new.fields.get(name)
        if before is None or after is None:
            yield _whole("field", name, before and field_plain(before), after and field_plain(after))
            continue
        yield from _attribute("field", name, "type", before.type, after.type)
        gone = [v for v in before.choices if v not in after.choices]
        came = [v for v in after.choices if v not in before.choices]
        if came:
            yield Change("field", name, "values", ADDED, None, came)
        if gone:
            yield Change("field", name, "values", REMOVED, gone, None)
        yield from _attribute("field", name, "personal", before.personal, after.personal)
        yield from _attribute("field", name, "default", before.default, after.default)
        yield from _attribute("field", name, "description", before.description, after.description)


# -- roles ------------------------------------------------------------------------
def _roles(old: Policy, new: Policy) -> Iterator[Change]:
    for role in _names(old.roles, new.roles):
        before, after = old.roles.get(role), new.roles.get(role)
        if before is None or after is None:
            yield _whole("role", role, before and list(before), after and list(after))
            continue
        yield from _members("role", role, "member", before, after)


def _members(kind: str, name: str, attribute: str, old: Sequence[str], new: Sequence[str]) -> Iterator[Change]:
    for member in new:
        if member not in old:
            yield Change(kind, name, attribute, ADDED, None, member)
    for member in old:
        if member not in new:
            yield Change(kind, name, attribute, REMOVED, member, None)


# -- states -----------------------------------------------------------------------
def state_plain(state: State) -> dict[str, Any]:
    return {"owner": state.owner_role, "final": state.final, "description": state.description}


def _states(old: Policy, new: Policy) -> Iterator[Change]:
    yield from _attribute("state", "initial state", "", old.initial, new.initial)
    for name in _names(old.states, new.states):
        before, after = old.states.get(name), new.states.get(name)
        if before is None or after is None:
            yield _whole("state", name, before and state_plain(before), after and state_plain(after))
            continue
        yield from _attribute("state", name, "owner", before.owner_role, after.owner_role)
        yield from _attribute("state", name, "final", before.final, after.final)
        yield from _attribute("state", name, "description", before.description, after.description)


# -- routing ----------------------------------------------------------------------
def rule_plain(rule: RoutingRule) -> dict[str, Any]:
    return {"when": _src(rule.when), "assign": list(rule.assign), "strategy": rule.strategy}


def _rule_key(rule: RoutingRule) -> tuple[str | None, tuple[str, ...], str]:
    return (None if rule.when is None else expr_key(rule.when.source)), rule.assign, rule.strategy


def _routing(old: Policy, new: Policy) -> Iterator[Change]:
    before, after = old.routing, new.routing
    if before is None or after is None:
        if before is not after:
            yield _whole("routing", "routing", before and _routing_plain(before),
                         after and _routing_plain(after))
        return
    yield from _attribute("routing", "routing", "on", list(before.on), list(after.on), _same_set)
    yield from _attribute("routing", "routing", "notify", list(before.notify), list(after.notify), _same_set)
    old_keys, new_keys = [_rule_key(r) for r in before.rules], [_rule_key(r) for r in after.rules]
    if old_keys == new_keys:
        return
    if sorted(old_keys, key=repr) == sorted(new_keys, key=repr):
        # first match wins, so the same rules in another order route differently
        yield Change("routing", "routing rules", "order", CHANGED,
                     [rule_plain(r) for r in before.rules], [rule_plain(r) for r in after.rules])
        return
    blocks = SequenceMatcher(None, old_keys, new_keys, autojunk=False).get_opcodes()
    for op, i1, i2, j1, j2 in blocks:
        if op == "equal":
            continue
        paired = min(i2 - i1, j2 - j1) if op == "replace" else 0
        for k in range(paired):
            yield from _rule(j1 + k + 1, before.rules[i1 + k], after.rules[j1 + k])
        for j in range(j1 + paired, j2):
            yield _whole("routing", f"routing rule {j + 1}", None, rule_plain(after.rules[j]))
        for i in range(i1 + paired, i2):
            yield _whole("routing", f"routing rule {i + 1}", rule_plain(before.rules[i]), None)


def _routing_plain(routing: Routing) -> dict[str, Any]:
    return {"on": list(routing.on), "rules": [rule_plain(r) for r in routing.rules], "notify": list(routing.notify)}


def _rule(number: int, before: RoutingRule, after: RoutingRule) -> Iterator[Change]:
    name = f"routing rule {number}"
    if not _same_expr(before.when, after.when):
        yield Change("routing", name, "when", CHANGED, _src(before.when), _src(after.when))
    yield from _attribute("routing", name, "assign", list(before.assign), list(after.assign))
    yield from _attribute("routing", name, "strategy", before.strategy, after.strategy)


# -- SLAs -------------------------------------------------------------------------
def sla_plain(sla: Sla) -> dict[str, Any]:
    return {
        "state": sla.state, "within": sla.within_text, "business": sla.business,
        "notify": list(sla.notify), "reassign": sla.reassign, "fire": sla.fire, "reason": sla.reason,
    }


def _within_key(sla: Sla) -> tuple[int, bool]:
    """What `within` says: 240m and 4h are one time, but with business hours
    2d is two working days, not 48 of their hours."""
    minutes = parse_duration(sla.within_text)
    return (sla.within_minutes if minutes is None else minutes), sla.business and sla.within_text.endswith("d")


def _slas(old: Policy, new: Policy) -> Iterator[Change]:
    from .diff_words import duration_words

    olds, news = {s.name: s for s in old.sla}, {s.name: s for s in new.sla}
    for name in _names(olds, news):
        before, after = olds.get(name), news.get(name)
        if before is None or after is None:
            yield _whole("sla", name, before and sla_plain(before), after and sla_plain(after))
            continue
        yield from _attribute("sla", name, "state", before.state, after.state)
        if _within_key(before) != _within_key(after):
            words = duration_words(before), duration_words(after)
            yield Change("sla", name, "within", CHANGED, before.within_text, after.within_text, words)
        yield from _attribute("sla", name, "business", before.business, after.business)
        yield from _attribute("sla", name, "notify", list(before.notify), list(after.notify), _same_set)
        yield from _attribute("sla", name, "reassign", before.reassign, after.reassign)
        yield from _attribute("sla", name, "fire", before.fire, after.fire)
        yield from _attribute("sla", name, "reason", before.reason, after.reason)


# -- business hours ---------------------------------------------------------------
def _business_hours(old: Policy, new: Policy) -> Iterator[Change]:
    before, after = old.business_hours, new.business_hours

    def week(days: tuple[str, ...]) -> list[str]:
        return sorted(set(days), key=DAYS.index)

    yield from _attribute("business_hours", "days", "", week(before.days), week(after.days))
    yield from _attribute("business_hours", "start", "", before.start, after.start)
    yield from _attribute("business_hours", "end", "", before.end, after.end)
    yield from _members("business_hours", "holidays", "date", sorted(before.holidays), sorted(after.holidays))
    yield from _attribute("business_hours", "holiday country", "", before.holiday_country, after.holiday_country)


# -- notifications ----------------------------------------------------------------
def _flat(channels: dict[str, Any] | None, prefix: str = "") -> dict[str, Any]:
    """{'email': {'to': {'sam': ...}}} -> {'email to sam': ...}: one entry a setting."""
    flat: dict[str, Any] = {}
    for key, value in (channels or {}).items():
        name = f"{prefix} {key}".strip()
        if isinstance(value, dict) and value:
            flat.update(_flat(value, name))
        else:
            flat[name] = value
    return flat


def _notify(old: Policy, new: Policy) -> Iterator[Change]:
    before, after = _flat(old.notify), _flat(new.notify)
    for name in _names(before, after):
        if name not in before or name not in after:
            yield _whole("notify", name, before.get(name), after.get(name))
        else:
            yield from _attribute("notify", name, "", before[name], after[name])


# -- approvals --------------------------------------------------------------------
def _approvals(old: Policy, new: Policy) -> Iterator[Change]:
    yield from _members("approvals", "approvals", "role", old.approvals, new.approvals)


# -- erasure ----------------------------------------------------------------------
def _erasure(old: Policy, new: Policy) -> Iterator[Change]:
    yield from _members("erasure", "erasure", "eraser", old.erasure or (), new.erasure or ())
