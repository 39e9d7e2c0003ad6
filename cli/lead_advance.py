"""`baton lead advance`: fire a trigger on a lead."""

from __future__ import annotations

import click

from .app import App, split_pairs


@click.command()
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

    from .lead import _report

    args = dict(split_pairs(arguments, "KEY=VALUE"))
    _report(app, fire(app.workspace(write=True), lead_id, trigger, args))
