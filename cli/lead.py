"""`baton lead`: add, import, change, advance and read leads."""

from __future__ import annotations

from typing import Any

import click

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
        click.echo(event_sentence(event))


def event_sentence(event: Any) -> str:
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
        return f"Assigned {lead_id} to {data['owner']} ({routing_reason(data)})."
    if event.event == "unrouted":
        return (
            f"{lead_id} has no rep: {data['reason']}. It waits unassigned in {event.to} "
            "(see `baton lead list --unassigned`)."
        )
    line = f"{lead_id}: {event.from_} -> {event.to} ({event.event})."
    if data.get("released"):
        line += f" {data['released']} no longer owns it."
    return line


def routing_reason(data: dict[str, Any]) -> str:
    parts = [f"rule {data['rule']}"]
    if data.get("when"):
        parts[0] += f", {data['when']}"
    if "open_leads" in data:
        loads = ", ".join(f"{rep} {n}" for rep, n in data["open_leads"].items())
        parts.append(f"fewest open leads: {loads}")
    else:
        parts.append("round robin")
    skipped = {**{k: v for p in data.get("passed_over", []) for k, v in p["skipped"].items()}, **data["skipped"]}
    if skipped:
        parts.append("skipped " + ", ".join(f"{rep} ({why})" for rep, why in skipped.items()))
    return "; ".join(parts)


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
    """Fire a transition, e.g. `advance L-3 recycle reason="no budget this year"`."""
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
    """State, owner, fields, checklist status, SLA clocks, allowed triggers."""
    from statemachine.lifecycle import show as describe_lead

    ws = app.workspace(write=False)
    shown = describe_lead(ws, lead_id)
    if app.as_json:
        app.emit(shown)
        return
    state = ws.policy.states[shown["state"]]
    click.echo(f"{shown['id']}  {shown['state']}  owner: {shown['owner'] or '-'}  since {shown['state_since']}")
    if state.description:
        click.echo(f"  {state.description}")
    if shown["attempts"]:
        click.echo(f"  contact attempts in this state: {shown['attempts']}")
    click.echo("fields:")
    for name in ws.policy.fields:
        if name in shown["fields"]:
            click.echo(f"  {name}: {shown['fields'][name]}")
    click.echo("checklists:")
    for name, missing in shown["checklists"].items():
        click.echo(f"  {name}: " + ("complete" if not missing else "missing " + ", ".join(missing)))
    for clock in shown["sla"]:
        status = " (breached)" if clock["breached"] else (" (overdue)" if clock["overdue"] else "")
        click.echo(f"sla {clock['name']}: due {clock['due']}{status}")
    click.echo("you may: " + (", ".join(shown["allowed"]) or "nothing right now"))


@lead.command(name="list")
@click.option("--state", metavar="S", help="Only leads in this state.")
@click.option("--owner", metavar="O", help="Only leads owned by this rep.")
@click.option("--unassigned", is_flag=True, help="Open leads in a routed state without an owner.")
@click.option("--overdue", is_flag=True, help="Leads with an SLA clock due at or before now.")
@click.pass_obj
def list_(app: App, state: str | None, owner: str | None, unassigned: bool, overdue: bool) -> None:
    """Leads, filtered (--json: one object a line, as `lead show`)."""
    from statemachine.errors import BadArgument
    from statemachine.lifecycle import describe, list_rows

    ws = app.workspace(write=False)
    if state is not None and state not in ws.policy.states:
        raise BadArgument(f"no state '{state}' in the policy (states: {', '.join(ws.policy.states)})")
    rows = list_rows(ws, state, owner, unassigned, overdue)
    if app.as_json:
        app.emit_lines(describe(ws, row) for row in rows)
        return
    count = 0
    for row in rows:
        if count == 0:
            click.echo(f"{'ID':<12} {'STATE':<12} {'OWNER':<10} {'ATTEMPTS':>8}  SINCE")
        count += 1
        click.echo(f"{row['id']:<12} {row['state']:<12} {row['owner'] or '-':<10} {row['attempts']:>8}  {row['state_since']}")
    if count == 0:
        click.echo("No leads match.")


@lead.command()
@click.argument("lead_id", metavar="ID")
@click.pass_obj
def history(app: App, lead_id: str) -> None:
    """The lead's events, oldest first."""
    import json

    from statemachine.lifecycle import history as lead_history
    from statemachine.projection import is_personal

    ws = app.workspace(write=False)
    events = lead_history(ws, lead_id)
    if app.as_json:
        app.emit_lines(e.as_json() for e in events)
        return
    values = ws.store.personal_values(
        [v["personal"] for e in events for v in e.data.get("fields", {}).values() if is_personal(v)]
    )
    for e in events:
        if e.event == "created":
            move = f" in {e.to}"
        else:
            move = f" {e.from_} -> {e.to}" if e.from_ != e.to and e.to else ""
        data = dict(e.data)
        if "fields" in data:
            data["fields"] = {
                k: (values.get(v["personal"], "[erased]") if is_personal(v) else v) for k, v in data["fields"].items()
            }
        if e.event == "assigned":
            shown = f"to {data['owner']} ({routing_reason(data)})"
        else:
            shown = json.dumps(data, ensure_ascii=False, sort_keys=True) if data else ""
        click.echo(f"{e.seq:>6}  {e.at}  {e.actor:<10} {e.event}{move}  {shown}".rstrip())


@lead.command(name="import")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--map", "maps", multiple=True, metavar='"COLUMN=FIELD"', help="Read a column as a field (or as id).")
@click.option("--null", "nulls", multiple=True, metavar="TOKEN", help='A cell text that means "nothing", like N/A.')
@click.option("--extra", type=click.Choice(["error", "ignore"]), default="error", show_default=True,
              help="What to do with columns that match no field.")
@click.option("--skip-bad", is_flag=True, help="Import the good rows and report the bad ones.")
@click.pass_obj
def import_(app: App, file: str, maps: tuple[str, ...], nulls: tuple[str, ...], extra: str, skip_bad: bool) -> None:
    """Bulk add leads from a CSV or JSON lines export, all or nothing."""
    import sys

    from statemachine.importer import FieldSpec, LeadFile, parse_map
    from statemachine.lifecycle import import_leads

    ws = app.workspace(write=True)
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
