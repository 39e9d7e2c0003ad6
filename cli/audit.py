"""`baton audit`: the event log, for auditors."""

from __future__ import annotations

import click

from .app import App


@click.group()
def audit() -> None:
    """Read the append-only, hash-chained event log."""


@audit.command()
@click.option("--lead", "lead_id", metavar="ID", help="Only this lead's events.")
@click.option("--since", metavar="ISO", help="Only events at or after this time.")
@click.pass_obj
def log(app: App, lead_id: str | None, since: str | None) -> None:
    """The event log, oldest first (--json: one event a line)."""
    from statemachine.clock import iso, parse_time

    ws = app.workspace(write=False)
    clauses, params = [], []
    if lead_id is not None:
        clauses.append("lead = ?")
        params.append(lead_id)
    if since is not None:
        clauses.append("at >= ?")
        params.append(iso(parse_time(since, ws.policy.timezone, "--since")))
    where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
    for event in ws.store.events(where, tuple(params)):
        if app.as_json:
            app.emit(event.as_json())
        else:
            move = f" {event.from_} -> {event.to}" if event.to and event.from_ != event.to else ""
            click.echo(f"{event.seq:>6}  {event.at}  {event.lead or '-':<10} {event.actor:<10} {event.event}{move}")
