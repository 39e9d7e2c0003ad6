"""`baton lead`: add, import, change, advance and read leads."""

from __future__ import annotations

from typing import Any

import click

from statemachine.times import for_people

from .app import App, split_pairs
from .sentences import event_sentence, history_text, value_text


@click.group()
def lead() -> None:
    """Add, import, change, advance and read leads."""


def _report(app: App, recorder: Any) -> None:
    """After a change: the lead as `lead show` prints it, plus the events written."""
    from statemachine.lifecycle import describe

    ws = app.workspace(write=True)
    if app.as_json:
        app.emit({**describe(ws, recorder.row, recorder.clocks), "events": [e.as_json() for e in recorder.events]})
        return
    for event in recorder.events:
        click.echo(event_sentence(event, ws.policy.timezone))


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
    from statemachine.erasure import erased_fields
    from statemachine.lifecycle import show as describe_lead

    ws = app.workspace(write=False)
    shown = describe_lead(ws, lead_id)
    if app.as_json:
        app.emit(shown)  # the object `lead list --json` prints too: the erased fields are simply absent
        return
    zone = ws.policy.timezone
    state = ws.policy.states[shown["state"]]
    since = for_people(shown["state_since"], zone)
    click.echo(f"{shown['id']}  {shown['state']}  owner: {shown['owner'] or '-'}  since {since}")
    if state.description:
        click.echo(f"  {state.description}")
    if shown["attempts"]:
        click.echo(f"  contact attempts in this state: {shown['attempts']}")
    values = {**dict.fromkeys(erased_fields(ws.store, lead_id, shown["fields"]), "[erased]"), **shown["fields"]}
    fields = [(name, values[name]) for name in ws.policy.fields if name in values]
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
@click.option("--where", metavar="EXPR", help="Leads for which EXPR holds, e.g. \"state == 'SAL' and hours_in_state > 72\".")
@click.pass_obj
def list_(app: App, state: str | None, owner: str | None, unassigned: bool, overdue: bool, where: str | None) -> None:
    """Leads, filtered by state, owner or clock.

    --where EXPR keeps those for which an expression in the policy's language
    holds. With --json, one object a line, as `lead show` prints it.
    """
    from statemachine.errors import UnknownState
    from statemachine.lifecycle import describe, list_rows
    from statemachine.where import compile_where, matching

    ws = app.workspace(write=False)
    if state is not None and state not in ws.policy.states:
        raise UnknownState(state, list(ws.policy.states))
    rows = list_rows(ws, state, owner, unassigned, overdue)
    if where is not None:
        rows = matching(ws, compile_where(ws.policy, where), rows)
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
        # A back-filled event says when it was really written.
        written = f" [recorded at {for_people(e.data['recorded_at'], zone)}]" if isinstance(e.data.get("recorded_at"), str) else ""
        click.echo(f"{e.seq:>6}  {for_people(e.at, zone)}  {e.actor:<10} {history_text(e, fields, zone, order)}"
                   f"{written}".rstrip())


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

    from statemachine.leadimport import FieldSpec, LeadFile, import_leads, parse_map
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


# `lead advance` (one lead, or every lead --where picks) lives in a module of its own.
from .lead_advance import advance  # noqa: E402

lead.add_command(advance)

# `lead forget` (erasure on request) lives in a module of its own.
from .lead_forget import forget  # noqa: E402

lead.add_command(forget)
