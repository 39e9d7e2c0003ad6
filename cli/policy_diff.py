"""`baton policy diff OLD NEW`: what a policy change says, in plain words."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from .app import App, plural

if TYPE_CHECKING:
    from statemachine.policy.model import Policy

HEADINGS = {
    "policy": "Policy", "transition": "Transitions", "checklist": "Checklists", "field": "Fields",
    "role": "Roles", "state": "States", "routing": "Routing", "sla": "SLAs",
    "business_hours": "Business hours", "notify": "Notifications", "approvals": "Approvals",
    "erasure": "Erasure",
    "identity": "Who is acting", "logins": "Logins", "clock": "Dating changes", "audit": "Witness",
    "api": "API", "intake": "Intakes",
}


@click.command()
@click.argument("old", metavar="OLD")
@click.argument("new", metavar="NEW")
@click.option("--exit-code", is_flag=True,
              help="Exit 1 when the two policies differ, 0 when they do not (as `git diff --exit-code`).")
@click.pass_obj
def diff(app: App, old: str, new: str, exit_code: bool) -> None:
    """What changes from policy OLD to NEW, in plain words.

    OLD and NEW are policy files, or @N for version N stored in the
    database (@active for the one in force). Comments, key order, quoting
    and layout are not changes."""
    from statemachine.errors import PolicyInvalid
    from statemachine.policy.diff import diff_policies

    policies, problems = [], []
    for given in (old, new):
        try:
            policies.append(_policy(app, given))
        except PolicyInvalid as error:  # name the problems of both files, not only the first
            problems += error.problems
    if problems:
        raise PolicyInvalid(problems)
    changes = diff_policies(*policies)
    if app.as_json:
        app.emit_lines(change.as_json() for change in changes)
    else:
        heading = None
        for change in changes:
            if HEADINGS[change.kind] != heading:
                heading = HEADINGS[change.kind]
                click.echo(heading)
            click.echo(f"  {change.text}")
        click.echo(f"{plural(len(changes), 'change')}." if changes
                   else "No changes: the two policies say the same thing.")
    if exit_code and changes:
        raise SystemExit(1)


def _policy(app: App, given: str) -> Policy:
    """A policy file, or `@N` / `@active` from the database (opened only then)."""
    from statemachine.errors import BadUsage

    if not given.startswith("@"):
        from statemachine.policy import read_policy_file

        return read_policy_file(given)[1]
    wanted = given[1:]
    if wanted != "active" and not (wanted.isascii() and wanted.isdigit()):
        raise BadUsage(f"'{given}' is not a stored policy version; write @N for version N (like @1), "
                          "or @active for the one in force")
    from statemachine.workspace import compiled_policy

    workspace = app.workspace(write=False)
    if wanted == "active":
        return workspace.policy
    return compiled_policy(workspace.store, int(wanted))[0]
