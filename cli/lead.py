"""`baton lead`: add, import, change, advance and read leads."""

from __future__ import annotations

from typing import Any

import click

from statemachine.clock import for_people

from .app import App, split_pairs


@click.group()
def lead() -> None:
    """Add, import, change, advance and read leads."""


def _report(app: App, recorder: Any) -> None:
    """After a change: the lead as `lead show` prints it, plus the events written."""
    from statemachine.lifecycle import describe

    ws = app.workspace(write=True)
    if app.as_json:
        app.emit({**describe(ws, recorder.row), "events": [e.as_json() for e in recorder.events]})
        return
    for event in recorder.events:
        click.echo(event_sentence(event, ws.policy.timezone))


def event_sentence(event: Any, zone: str) -> str:
    """One plain line for an event an operator just caused."""
    data = event.data
    lead_id = event.lead
    if event.event == "created":
        return f"Created {lead_id} in {event.to}."
    if event.event == "updated":
        return f"Updated {lead_id}: {', '.join(data['fields'])}."
    if event.event == "attempt":
        how = f" by {data['channel']}" if data.get("channel") else ""
        return f"Logged a contact attempt{how} on {lead_id}."
    if event.event == "assigned":
        return f"Assigned {lead_id} to {data['owner']}: {routing_reason(data, zone)}."
    if event.event == "unrouted":
        return (
            f"{lead_id} has no rep: {unrouted_reason(data, zone)}. It waits unassigned in {event.to} "
            "(see `baton lead list --unassigned`)."
        )
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
    return data["reason"] + (f" ({'; '.join(tried)})" if tried else "")


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
    if kind == "created":
        shown = ", ".join(f"{name} {_quoted(value)}" for name, value in _fields_in_policy_order(fields, order))
        return f"created in {event.to}" + (f" with {shown}" if shown else "")
    if kind == "updated":
        pairs = _fields_in_policy_order(fields, order)
        changed = ", ".join(f"{name} to {_quoted(value)}" for name, value in pairs if value is not None)
        cleared = ", ".join(name for name, value in pairs if value is None)
        return "; ".join(([f"set {changed}"] if changed else []) + ([f"cleared {cleared}"] if cleared else []))
    if kind == "attempt":
        how = f" by {data['channel']}" if data.get("channel") else ""
        return f"contact attempt{how}" + (f": {data['note']}" if data.get("note") else "")
    if kind == "assigned":
        why = f" after the {data['sla']} deadline was missed" if data.get("sla") else ""
        return f"{'re' if why else ''}assigned to {data['owner']}{why}: {routing_reason(data, zone)}"
    if kind == "unrouted":
        return f"no rep: {unrouted_reason(data, zone)}"
    if kind == "sla_breach":
        holder = f"while {data['owner']} owned it" if data.get("owner") else "with no owner"
        due = for_people(data["due"], zone)
        return f"missed the {data['sla']} deadline, due {due}, {holder}: {breach_actions_text(data.get('actions', {}))}"
    if kind == "moved":
        return f"moved {event.from_} -> {event.to} when policy version {event.policy_version} came in (--map {data['map']})"
    line = f"{kind} {event.from_} -> {event.to}" if event.from_ != event.to and event.to else kind
    given = {k: v for k, v in data.items() if k != "released"}
    if given:
        line += " (" + ", ".join(f"{k}: {value_text(v)}" for k, v in given.items()) + ")"
    if data.get("released"):
        line += f"; {data['released']} no longer owns it"
    return line


@lead.command()
@click.option("--id", "lead_id", metavar="ID", help="The lead's id (default: the next L-N).")
@click.argument("assignments", nargs=-1, metavar="FIELD=VALUE...")
@click.pass_obj
def add(app: App, lead_id: str | None, assignments: tuple[str, ...]) -> None:
    """Create a lead in the initial state."""
    from statemachine.errors import BadArgument
    from statemachine.lifecycle import add_lead

    if lead_id is not None and not lead_id.strip():
        raise BadArgument("--id is empty; give an id like L-100, or leave --id out")
    ws = app.workspace(write=True)
    _report(app, add_lead(ws, lead_id.strip() if lead_id else None, split_pairs(assignments)))


@lead.command(name="set")
@click.argument("lead_id", metavar="ID")
@click.argument("assignments", nargs=-1, required=True, metavar="FIELD=VALUE...")
@click.pass_obj
def set_(app: App, lead_id: str, assignments: tuple[str, ...]) -> None:
    """Change fields (FIELD= clears one)."""
    from statemachine.lifecycle import set_fields

    recorder = set_fields(app.workspace(write=True), lead_id, split_pairs(assignments))
    if not recorder.events and not app.as_json:
        click.echo(f"{lead_id} already had those values; nothing changed.")
        return
    _report(app, recorder)


@lead.command()
@click.argument("lead_id", metavar="ID")
@click.argument("trigger")
@click.argument("arguments", nargs=-1, metavar="[KEY=VALUE]...")
@click.pass_obj
def advance(app: App, lead_id: str, trigger: str, arguments: tuple[str, ...]) -> None:
    """Move a lead on by firing a trigger.

    The policy's transitions name the triggers; KEY=VALUE gives what one
    requires, for example:

    \b
        baton lead advance L-3 recycle reason="no budget this year"
    """
    from statemachine.lifecycle import advance as fire

    args = dict(split_pairs(arguments, "KEY=VALUE"))
    _report(app, fire(app.workspace(write=True), lead_id, trigger, args))


@lead.command()
@click.argument("lead_id", metavar="ID")
@click.option("--channel", metavar="C", help="How: call, email, linkedin ...")
@click.option("--note", metavar="T", help="What happened.")
@click.pass_obj
def attempt(app: App, lead_id: str, channel: str | None, note: str | None) -> None:
    """Log a contact attempt."""
    from statemachine.lifecycle import log_attempt

    _report(app, log_attempt(app.workspace(write=True), lead_id, channel, note))


@lead.command()
@click.argument("lead_id", metavar="ID")
@click.pass_obj
def show(app: App, lead_id: str) -> None:
    """One lead in full, and what you may do next.

    State, owner, fields, checklist status, SLA clocks and the triggers you may fire now.
    """
    from statemachine.lifecycle import show as describe_lead

    ws = app.workspace(write=False)
    shown = describe_lead(ws, lead_id)
    if app.as_json:
        app.emit(shown)
        return
    zone = ws.policy.timezone
    state = ws.policy.states[shown["state"]]
    since = for_people(shown["state_since"], zone)
    click.echo(f"{shown['id']}  {shown['state']}  owner: {shown['owner'] or '-'}  since {since}")
    if state.description:
        click.echo(f"  {state.description}")
    if shown["attempts"]:
        click.echo(f"  contact attempts in this state: {shown['attempts']}")
    fields = [(name, shown["fields"][name]) for name in ws.policy.fields if name in shown["fields"]]
    click.echo("fields:" if fields else "fields: none")
    for name, value in fields:
        click.echo(f"  {name}: " + value_text(value).replace("\n", "\n    "))
    if shown["checklists"]:
        click.echo("checklists:")
    for name, missing in shown["checklists"].items():
        click.echo(f"  {name}: " + ("complete" if not missing else "missing " + ", ".join(missing)))
    for clock in shown["sla"]:
        status = " (breached)" if clock["breached"] else (" (overdue)" if clock["overdue"] else "")
        click.echo(f"sla {clock['name']}: due {for_people(clock['due'], zone)}{status}")
    click.echo("you may: " + (", ".join(shown["allowed"]) or "nothing right now"))


@lead.command(name="list")
@click.option("--state", metavar="S", help="Only leads in this state.")
@click.option("--owner", metavar="O", help="Only leads owned by this rep.")
@click.option("--unassigned", is_flag=True, help="Open leads in a routed state without an owner.")
@click.option("--overdue", is_flag=True, help="Leads with an SLA clock due at or before now.")
@click.pass_obj
def list_(app: App, state: str | None, owner: str | None, unassigned: bool, overdue: bool) -> None:
    """Leads, filtered by state, owner or clock.

    With --json, one object a line, as `lead show` prints it.
    """
    from statemachine.errors import UnknownState
    from statemachine.lifecycle import describe, list_rows

    ws = app.workspace(write=False)
    if state is not None and state not in ws.policy.states:
        raise UnknownState(state, list(ws.policy.states))
    rows = list_rows(ws, state, owner, unassigned, overdue)
    if app.as_json:
        app.emit_lines(describe(ws, row) for row in rows)
        return
    count = 0
    for row in rows:
        if count == 0:
            click.echo(f"{'ID':<12} {'STATE':<12} {'OWNER':<10} {'ATTEMPTS':>8}  SINCE")
        count += 1
        since = for_people(row["state_since"], ws.policy.timezone)
        click.echo(f"{row['id']:<12} {row['state']:<12} {row['owner'] or '-':<10} {row['attempts']:>8}  {since}")
    if count == 0:
        click.echo("No leads match.")


@lead.command()
@click.argument("lead_id", metavar="ID")
@click.pass_obj
def history(app: App, lead_id: str) -> None:
    """The lead's events, oldest first."""
    from statemachine.lifecycle import history as lead_history
    from statemachine.projection import is_personal

    ws = app.workspace(write=False)
    events = lead_history(ws, lead_id)
    if app.as_json:
        app.emit_lines(e.as_json() for e in events)
        return
    values = ws.store.personal_values(
        [(lead_id, v["personal"]) for e in events for v in e.data.get("fields", {}).values() if is_personal(v)]
    )
    zone, order = ws.policy.timezone, list(ws.policy.fields)
    for e in events:
        fields = {
            k: (values.get(v["personal"], "[erased]") if is_personal(v) else v)
            for k, v in e.data.get("fields", {}).items()
        }
        click.echo(f"{e.seq:>6}  {for_people(e.at, zone)}  {e.actor:<10} {history_text(e, fields, zone, order)}".rstrip())


@lead.command(name="import")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--map", "maps", multiple=True, metavar='"COLUMN=FIELD"', help="Read a column as a field (or as id).")
@click.option("--null", "nulls", multiple=True, metavar="TOKEN", help='A cell text that means "nothing", like N/A.')
@click.option("--extra", type=click.Choice(["error", "ignore"]), default="error", show_default=True,
              help="What to do with columns that match no field.")
@click.option("--skip-bad", is_flag=True, help="Import the good rows and report the bad ones.")
@click.pass_obj
def import_(app: App, file: str, maps: tuple[str, ...], nulls: tuple[str, ...], extra: str, skip_bad: bool) -> None:
    """Bulk add leads from a CSV or JSON lines file.

    All or nothing: a bad row is named, with its line, and nothing is
    imported; with --skip-bad the good rows go in and the bad are listed.
    """
    import sys

    from statemachine.bulk import import_leads
    from statemachine.importer import FieldSpec, LeadFile, parse_map
    from statemachine.lifecycle import require_member

    ws = app.workspace(write=True)
    require_member(ws)  # before the file is read: a mistyped --as is the first thing to fix
    specs = {name: FieldSpec(f.type, f.choices) for name, f in ws.policy.fields.items()}
    source = LeadFile(file, specs, parse_map(maps), nulls, extra)
    if sys.stderr.isatty() and not app.as_json:
        with click.progressbar(length=max(source.size, 1), label=f"Importing {file}", file=sys.stderr) as bar:
            def tick() -> None:
                bar.update(source.bytes_read - bar.pos)

            result = import_leads(ws, file, source, skip_bad, tick)
    else:
        result = import_leads(ws, file, source, skip_bad)
    if app.as_json:
        app.emit({"imported": result.imported, "bad": [{"line": b.line, "reason": b.reason} for b in result.bad]})
    else:
        click.echo(f"Imported {result.imported} lead{'s' if result.imported != 1 else ''} from {file}.")
        for bad in result.bad:
            click.echo(f"{file}:{bad.line}: skipped: {bad.reason}", err=True)
