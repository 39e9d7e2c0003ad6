"""The CLI's sentences about leads and their events: what a person reads in
`lead` commands' output, `lead history` and the demo. JSON output never
comes here; it shows the engine's data as it is."""

from __future__ import annotations

from typing import Any

from statemachine.events import ASSIGNED, ATTEMPT, CREATED, ERASED, MOVED, SLA_BREACH, UNROUTED, UPDATED
from statemachine.times import for_people


def event_sentence(event: Any, zone: str) -> str:
    """One plain line for an event an operator just caused."""
    data = event.data
    lead_id = event.lead
    if event.event == CREATED:
        return f"Created {lead_id} in {event.to}."
    if event.event == UPDATED:
        return f"Updated {lead_id}: {', '.join(data['fields'])}."
    if event.event == ATTEMPT:
        how = f" by {data['channel']}" if data.get("channel") else ""
        return f"Logged a contact attempt{how} on {lead_id}."
    if event.event == ASSIGNED:
        return f"Assigned {lead_id} to {data['owner']}: {routing_reason(data, zone)}."
    if event.event == UNROUTED:
        return (
            f"{lead_id} has no rep: {unrouted_reason(data, zone)}. It waits unassigned in {event.to} "
            "(see `baton lead list --unassigned`)."
        )
    if event.event == ERASED:
        return f"Erased {lead_id}'s personal data ({', '.join(data['erased'])}): {data['reason']}."
    line = f"{lead_id}: {event.from_} -> {event.to} ({event.event})."
    if data.get("released"):
        line += f" {data['released']} no longer owns it."
    return line


# -- words for people: values, routing reasons, history lines -----------------------
def value_text(value: Any) -> str:
    """A field value as a person writes it: yes/no, 25000, 25000.5."""
    import math

    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        if not math.isfinite(value):
            return str(value)
        from decimal import Decimal  # only here: its import is 2% of a `lead show`

        # repr is the shortest text that reads back as the same number; Decimal drops the ".0"
        return format(Decimal(repr(value)).normalize(), "f")
    if value is None:
        return "-"
    return str(value)


def names_text(names: list[str]) -> str:
    """alice; alice and bob; alice, bob and carol."""
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def skip_text(rep: str, why: str, zone: str) -> str:
    """Why routing passed a rep over: `bob is away until 2026-11-23 14:00 GMT`."""
    if why.startswith("away until "):
        try:
            why = "away until " + for_people(why.removeprefix("away until "), zone)
        except ValueError:
            pass  # not a time Baton wrote; show it as recorded
    return f"{rep} is {why}" if why.startswith("away") else f"{rep} {why}"


def rule_text(rule: dict[str, Any]) -> str:
    """What a routing rule does, from the data routing recorded about it."""
    reps = list(rule.get("open_leads") or rule.get("rotation") or rule.get("skipped") or [])
    head = f"rule {rule['rule']}" + (f" (when {rule['when']})" if rule.get("when") else "")
    if len(reps) <= 1:
        return f"{head} gives the lead to {reps[0] if reps else 'nobody'}"
    if rule.get("strategy") == "least_loaded" or "open_leads" in rule:
        fewer = "fewer" if len(reps) == 2 else "the fewest"
        return f"{head} gives the lead to the one of {names_text(reps)} with {fewer} open leads"
    return f"{head} gives leads to {names_text(reps)} in turn"


def _skips_text(skipped: dict[str, str], zone: str) -> str:
    return names_text([skip_text(rep, why, zone) for rep, why in skipped.items()])


def _passed_over_text(data: dict[str, Any], zone: str) -> list[str]:
    """Rules that matched but had nobody available, in the order routing tried them."""
    return [f"{rule_text(rule)}, but {_skips_text(rule['skipped'], zone)}" for rule in data.get("passed_over", [])]


def routing_reason(data: dict[str, Any], zone: str) -> str:
    """Why routing gave the lead to `data['owner']`, as sentences a sales head follows."""
    owner = data["owner"]
    skipped: dict[str, str] = data.get("skipped") or {}
    reps = list(data.get("open_leads") or data.get("rotation") or [owner])
    available = [rep for rep in reps if rep not in skipped]
    parts = [*_passed_over_text(data, zone), rule_text({**data, "skipped": None})]
    if len(reps) > 1 and len(available) <= 1:
        parts.append(f"{_skips_text(skipped, zone)}, so {owner} gets it")
    elif len(reps) > 1:
        if skipped:
            parts.append(_skips_text(skipped, zone))
        counts = data.get("open_leads")
        if counts is None:
            parts.append(f"it was {owner}'s turn")
        else:
            fewest = counts[owner]
            leads = "open lead" if fewest == 1 else "open leads"
            tied = [rep for rep in available if counts[rep] == fewest]
            if len(tied) > 1:
                parts.append(f"{names_text(tied)} have {fewest} {leads} each, and a tie goes to the one listed first")
            else:
                others = ", ".join(f"{rep} {counts[rep]}" for rep in available if rep != owner)
                parts.append(f"{owner} has {fewest} {leads}, {others}")
    return "; ".join(parts)


def unrouted_reason(data: dict[str, Any], zone: str) -> str:
    """Why nobody got the lead: the engine's reason, and each rule it tried."""
    tried = _passed_over_text(data, zone)
    return str(data["reason"]) + (f" ({'; '.join(tried)})" if tried else "")


def _quoted(value: Any) -> str:
    text = value_text(value)
    if isinstance(value, str) and value != "[erased]":
        text = " / ".join(value.splitlines()) if "\n" in value else text
        if any(c in text for c in " ,;"):
            return f'"{text}"'
    return text


def _fields_in_policy_order(fields: dict[str, Any], order: list[str]) -> list[tuple[str, Any]]:
    known = [(name, fields[name]) for name in order if name in fields]
    return known + [(name, value) for name, value in fields.items() if name not in order]


def breach_actions_text(actions: dict[str, Any]) -> str:
    done = []
    if "notify" in actions:
        done.append(f"queued a notification for {names_text(actions['notify'])}" if actions["notify"]
                    else "notified nobody (no one holds those roles)")
    if "reassign" in actions:
        # a name when someone else got it; otherwise the sentence saying why not
        done.append(actions["reassign"] if " " in actions["reassign"] else f"reassigned it to {actions['reassign']}")
    if "fire" in actions:
        done.append(f"could not {actions['fire']}: {actions['refused']}" if "refused" in actions
                    else f"fired {actions['fire']}")
    if "note" in actions:
        done.append(actions["note"])
    return "; ".join(done) or "recorded it"


def history_text(event: Any, fields: dict[str, Any], zone: str, order: list[str]) -> str:
    """What one event did, in words (field values already read: personal ones unsealed)."""
    data = event.data
    kind = event.event
    if kind == CREATED:
        shown = ", ".join(f"{name} {_quoted(value)}" for name, value in _fields_in_policy_order(fields, order))
        return f"created in {event.to}" + (f" with {shown}" if shown else "")
    if kind == UPDATED:
        pairs = _fields_in_policy_order(fields, order)
        changed = ", ".join(f"{name} to {_quoted(value)}" for name, value in pairs if value is not None)
        cleared = ", ".join(name for name, value in pairs if value is None)
        return "; ".join(([f"set {changed}"] if changed else []) + ([f"cleared {cleared}"] if cleared else []))
    if kind == ATTEMPT:
        how = f" by {data['channel']}" if data.get("channel") else ""
        return f"contact attempt{how}" + (f": {data['note']}" if data.get("note") else "")
    if kind == ASSIGNED:
        why = f" after the {data['sla']} deadline was missed" if data.get("sla") else ""
        return f"{'re' if why else ''}assigned to {data['owner']}{why}: {routing_reason(data, zone)}"
    if kind == UNROUTED:
        return f"no rep: {unrouted_reason(data, zone)}"
    if kind == SLA_BREACH:
        holder = f"while {data['owner']} owned it" if data.get("owner") else "with no owner"
        due = for_people(data["due"], zone)
        return f"missed the {data['sla']} deadline, due {due}, {holder}: {breach_actions_text(data.get('actions', {}))}"
    if kind == ERASED:
        return f"erased {', '.join(data['erased'])} on request: {data['reason']}"
    if kind == MOVED:
        return f"moved {event.from_} -> {event.to} when policy version {event.policy_version} came in (--map {data['map']})"
    line = f"{kind} {event.from_} -> {event.to}" if event.from_ != event.to and event.to else kind
    given = {k: v for k, v in data.items() if k not in ("released", "recorded_at")}
    if given:
        line += " (" + ", ".join(f"{k}: {value_text(v)}" for k, v in given.items()) + ")"
    if data.get("released"):
        line += f"; {data['released']} no longer owns it"
    return line
