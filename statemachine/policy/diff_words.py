"""The sentence of each policy change, in the words the policy itself uses.

Values are said as people wrote them: expressions by their source text, lists
joined with commas, durations in the units chosen (`4 business hours`), free
text in quotes. `sentence` reads only what a `Change` holds.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .check import DURATION
from .model import Sla

if TYPE_CHECKING:
    from .diff import Change

FREE_TEXT = ("description", "reason")
# how a sentence names an attribute, where the policy's key alone says too little
ATTRIBUTES = {
    "owner": "owner team", "state": "runs in", "notify": "on a breach notifies",
    "fire": "on a breach fires", "reason": "breach reason",
}
# the same, where the kind of thing changes what the attribute means
KIND_ATTRIBUTES = {("routing", "notify"): "on an assignment notifies"}
UNITS = {"m": "minute", "h": "hour", "d": "day"}

# attribute -> what the sentence says when it becomes true, and when false
TURNS = {
    "personal": ("is now personal data", "is no longer personal data"),
    "final": ("is now final", "is no longer final"),
    "business": ("now counts business hours only", "now counts every hour, not only business hours"),
    "reassign": ("now reassigns the lead on a breach", "no longer reassigns the lead on a breach"),
}


def sentence(change: Change) -> str:
    from . import diff_trust

    if change.kind in diff_trust.KINDS:
        return diff_trust.sentence(change)
    name, attribute, old, new = change.name, change.attribute, change.old, change.new
    if change.kind == "api" or (change.kind == "intake" and attribute):
        from .diff_api import api_sentence

        return api_sentence(change)
    if attribute == "":
        if change.change == "added":
            detail = summary(change.kind, new)
            return f"{name} added: {detail}" if detail else f"{name} added"
        if change.change == "removed":
            detail = summary(change.kind, old)
            return f"{name} removed (was {detail})" if detail else f"{name} removed"
    if attribute in TURNS:
        return f"{name}: {TURNS[attribute][0 if new else 1]}"
    if change.change != "changed" and attribute in MEMBERS:
        return f"{name}: {MEMBERS[attribute](change)}"
    if attribute == "say":
        # `say` is the policy's key; the heads know it as what people are told
        told = f"what people are told when {new['expr']} does not hold"
        return f"{name}: {told}: {quoted(old['say'])} became {quoted(new['say'])}"
    if change.words is not None:
        before, after = change.words
    else:
        before, after = value(change.kind, name, attribute, old), value(change.kind, name, attribute, new)
    said = KIND_ATTRIBUTES.get((change.kind, attribute)) or ATTRIBUTES.get(attribute, attribute)
    lead = f"{name}: {said} " if said else f"{name}: "
    return f"{lead}{before} became {after}"


def _member(joined: str, left: str) -> Callable[[Change], str]:
    def say(change: Change) -> str:
        return joined.format(change.new) if change.change == "added" else left.format(change.old)

    return say


def _values(change: Change) -> str:
    values = change.new if change.change == "added" else change.old
    return f"{'value' if len(values) == 1 else 'values'} {listed(values)} {change.change}"


def _condition(change: Change) -> str:
    if change.change == "added":
        return f"now also needs {condition(change.new)}"
    return f"no longer needs {condition(change.old)}"


MEMBERS: dict[str, Callable[[Change], str]] = {
    "member": _member("{} joined", "{} left"),
    "date": _member("{} added", "{} removed"),
    "role": _member("{} must now approve a new version", "{} no longer has to approve a new version"),
    "eraser": _member("{} may now erase a person's data on request", "{} may no longer erase a person's data"),
    "values": _values,
    "when": _condition,
}


# -- values ---------------------------------------------------------------------
def quoted(text: str | None) -> str:
    return "none" if text is None else f'"{text}"'


def listed(values: list[Any]) -> str:
    return ", ".join(str(v) for v in values) if values else "none"


def value(kind: str, name: str, attribute: str, given: Any) -> str:
    if given is None:
        return "none"
    if attribute in FREE_TEXT or (kind == "policy" and name == "description"):
        return quoted(given)
    if attribute == "order":
        return "; ".join(f"{number}) {rule_words(rule)}" for number, rule in enumerate(given, 1))
    if isinstance(given, bool):
        return "yes" if given else "no"
    if isinstance(given, list):
        return listed(given)
    return str(given)


def condition(guard: dict[str, Any]) -> str:
    return f"{guard['expr']} ({quoted(guard['say'])})" if guard.get("say") else str(guard["expr"])


def duration_words(sla: Sla) -> str:
    return written_duration(sla.within_text, sla.business, sla.within_minutes)


def written_duration(text: str, business: bool, minutes: int = 0) -> str:
    """'4h' with business hours -> '4 business hours'."""
    match = DURATION.match(text)
    count, unit = (int(match.group(1)), match.group(2)) if match else (minutes, "m")
    word = UNITS[unit] + ("" if count == 1 else "s")
    return f"{count} business {word}" if business else f"{count} {word}"


def rule_words(rule: dict[str, Any]) -> str:
    who = f"when {rule['when']}" if rule["when"] else "any lead"
    return f"{who}, assign {listed(rule['assign'])} ({rule['strategy']})"


# -- what a thing added or removed was ----------------------------------------------
def summary(kind: str, given: Any) -> str:
    describe = SUMMARIES.get(kind)
    return describe(given) if describe is not None else value(kind, "", "", given)


def _transition(t: dict[str, Any]) -> str:
    parts = [f"from {listed(t['from'])} to {t['to']}", f"by {listed(t['by'])}"]
    if t["when"]:
        parts.append("when " + " and ".join(condition(g) for g in t["when"]))
    if t["checklist"]:
        parts.append(f"checklist {listed(t['checklist'])}")
    if t["requires"]:
        parts.append(f"requires {listed(t['requires'])}")
    return ", ".join(parts)


def _field(f: dict[str, Any]) -> str:
    parts = [f"{f['type']} of {listed(f['values'])}" if f["values"] else f["type"]]
    if f["personal"]:
        parts.append("personal")
    if f["default"] is not None:
        parts.append(f"default {f['default']}")
    return ", ".join(parts)


def _state(s: dict[str, Any]) -> str:
    parts = [f"owned by {s['owner']}"] if s["owner"] else []
    return ", ".join(parts + (["final"] if s["final"] else []))


def _checklist(items: Any) -> str:
    if isinstance(items, dict):  # a whole checklist
        return ", ".join(f"{label} ({expr})" for label, expr in items.items()) or "no items"
    return str(items)


def _routing(routing: dict[str, Any]) -> str:
    if "on" not in routing:
        return rule_words(routing)
    # who is told of an assignment goes with the routing; the JSON keeps it
    return f"on {listed(routing['on'])}: " + "; ".join(rule_words(r) for r in routing["rules"])


def _intake(intake: dict[str, Any]) -> str:
    from .diff_api import intake_summary  # it builds on diff.py, which needs this module's words

    return intake_summary(intake)


def _sla(s: dict[str, Any]) -> str:
    words = f"in {s['state']} within {written_duration(s['within'], s['business'])}"
    actions = []
    if s["notify"]:
        actions.append(f"notify {listed(s['notify'])}")
    if s["reassign"]:
        actions.append("reassign")
    if s["fire"]:
        actions.append(f"fire {s['fire']}")
    return words + (f", on a breach {', '.join(actions)}" if actions else "")


SUMMARIES: dict[str, Callable[[Any], str]] = {
    "transition": _transition,
    "field": _field,
    "role": lambda members: listed(members) if members else "no one yet",
    "state": _state,
    "checklist": _checklist,
    "routing": _routing,
    "sla": _sla,
    "intake": lambda intake: _intake(intake),
}
