"""`baton rep`: who is away, and how many open leads each rep has."""

from __future__ import annotations

import click

from statemachine.times import for_people

from .app import App


@click.group()
def rep() -> None:
    """Rep availability: routing skips reps who are away."""


@rep.command()
@click.argument("name")
@click.option("--until", metavar="TIME", help="When they are back (ISO 8601); default: until `rep back`.")
@click.pass_obj
def away(app: App, name: str, until: str | None) -> None:
    """Mark a rep away (by the rep or a sales_manager).

    Away until the same time already: nothing changes, nothing is logged."""
    from statemachine.reps import set_away

    ws = app.workspace(write=True)
    result, changed = set_away(ws, name, until)
    if app.as_json:
        app.emit(result)
    elif not changed:
        back = f" until {for_people(result['until'], ws.policy.timezone)}" if result["until"] else ", until marked back"
        click.echo(f"{name} is already away{back}; nothing changed.")
    else:
        back = f" until {for_people(result['until'], ws.policy.timezone)}" if result["until"] else ""
        click.echo(f"{name} is away{back}; routing skips them.")


@rep.command()
@click.argument("name")
@click.pass_obj
def back(app: App, name: str) -> None:
    """Mark a rep available again.

    Refused for a rep who is not away: nothing is logged."""
    from statemachine.reps import set_back

    result = set_back(app.workspace(write=True), name)
    if app.as_json:
        app.emit(result)
    else:
        click.echo(f"{name} is back; routing may pick them again.")


@rep.command(name="list")
@click.pass_obj
def list_(app: App) -> None:
    """Open leads per rep, and who is away."""
    from statemachine.reps import listing

    ws = app.workspace(write=False)
    rows = listing(ws)
    if app.as_json:
        app.emit_lines(rows)
        return
    click.echo(f"{'REP':<12} {'OPEN LEADS':>10}  AVAILABILITY")
    for row in rows:
        if row["until"]:
            status = "away until " + for_people(row["until"], ws.policy.timezone)
        else:
            status = "away" if row["away"] else "available"
        click.echo(f"{row['rep']:<12} {row['open_leads']:>10}  {status}")
