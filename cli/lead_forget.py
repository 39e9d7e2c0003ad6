"""`baton lead forget`: erase every personal value of a lead on the person's
request, recording who erased what and why."""

from __future__ import annotations

import click

from .app import App


@click.command()
@click.argument("lead_id", metavar="ID")
@click.option("--reason", required=True, metavar="TEXT", help="Why, like \"asked by email on 3 March\".")
@click.pass_obj
def forget(app: App, lead_id: str, reason: str) -> None:
    """Erase a lead's personal data on request.

    Every value the lead ever had, now or before, of a field marked
    `personal: true` in the policy leaves the database for good; the lead
    itself, its state and its history stay, with `[erased]` where a value
    was. The log records who erased which
    fields and why. Only the roles the policy names under `erasure: by`
    may erase.
    """
    from statemachine.erasure import forget as erase

    from .lead import _report

    _report(app, erase(app.workspace(write=True), lead_id, reason))
