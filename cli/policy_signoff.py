"""`baton policy approve` and `baton policy approvals`: the two heads sign a
new version of the policy, and anyone can see who has and who is awaited."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from .app import App

if TYPE_CHECKING:
    from statemachine.policy.signoff import TextStatus


@click.command()
@click.argument("file", metavar="FILE")
@click.option("--role", metavar="ROLE", help="The role you approve for, if you are in more than one that must approve.")
@click.pass_obj
def approve(app: App, file: str, role: str | None) -> None:
    """Approve a new version of the policy for your team.

    The approval holds for the exact text of FILE (by its SHA-256): any
    edit needs new approvals. `policy apply` waits for one approval from
    each role the policy in force names under `approvals: required`."""
    from statemachine.policy import read_policy_file
    from statemachine.policy.signoff import approve as record
    from statemachine.policy.signoff_refusals import short
    from statemachine.times import for_people

    text, candidate = read_policy_file(file)
    ws = app.workspace(write=True)
    outcome = record(ws.store, file, text, candidate, ws.actor, ws.at, role)
    if app.as_json:
        app.emit(outcome.as_json())
        return
    status, approval = outcome.status, outcome.approval
    what = f"version {status.version} of {status.policy}"
    if outcome.recorded:
        head = f"Approved {what} as {approval.role} (sha256 {short(status.hash)})."
    else:
        when = for_people(approval.at, ws.policy.timezone)
        who = "You" if approval.actor == ws.actor else f"{approval.actor} ({approval.role})"
        head = (f"{who} already approved {what} as {approval.role} (sha256 {short(status.hash)}) at {when}; "
                "nothing new was recorded.")
    if status.ready:
        click.echo(f"{head} All required approvals are in: run `baton policy apply {file}`.")
    else:
        click.echo(f"{head} Still waiting for {status.waiting_for()}.")
    if outcome.notified:
        click.echo(f"A notification for {', '.join(outcome.notified)} waits in the outbox (`baton notify send`).")


@click.command()
@click.argument("file", required=False, metavar="[FILE]")
@click.pass_obj
def approvals(app: App, file: str | None) -> None:
    """Who signed which new text and who is awaited.

    Without FILE: every text approved since the version in force was
    applied. With FILE: that exact text.
    --json: one object a text."""
    from statemachine.policy.signoff import approved_texts, text_status
    from statemachine.policy.signoff_refusals import required_roles
    from statemachine.policy.versions import text_hash

    ws = app.workspace(write=False)
    in_force = ws.policy
    with ws.store.snapshot():
        texts = approved_texts(ws.store, in_force)
    if file is None:
        if app.as_json:
            app.emit_lines(status.as_json() for status in texts)
        elif not required_roles(in_force):
            click.echo(f"Policy {in_force.name} version {in_force.version} asks for no approvals: "
                       "`baton policy apply FILE` puts a new version in force without sign-off.")
        elif not texts:
            click.echo(f"No new text has been approved since policy {in_force.name} version {in_force.version} "
                       "was applied; a head approves one with `baton policy approve FILE`.")
        for status in [] if app.as_json else texts:
            _show(status, ws.policy.timezone)
        return
    from statemachine.policy import read_policy_file

    text, candidate = read_policy_file(file)
    digest = text_hash(text)
    approvals = [a for status in texts for a in status.approvals]
    status = text_status(in_force, candidate.name, candidate.version, digest, approvals)
    edited = not status.approvals and any(other.version == candidate.version for other in texts)
    if app.as_json:
        app.emit({"file": file, **status.as_json(), "edited_since_approved": edited})
        return
    if not required_roles(in_force):
        click.echo(f"Policy {in_force.name} version {in_force.version} asks for no approvals: "
                   f"`baton policy apply {file}` puts it in force without sign-off.")
        return
    _show(status, ws.policy.timezone, file)
    if edited:
        click.echo(f"  {file} was edited since version {status.version} was approved: an approval holds only "
                   "for the exact text approved, so it needs new approvals.")
    elif not status.approvals:
        click.echo("  No approvals yet for this exact text.")


def _show(status: TextStatus, zone: str, file: str | None = None) -> None:
    from statemachine.policy.signoff_refusals import short
    from statemachine.times import for_people

    where = f"{file}: " if file else ""
    click.echo(f"{where}version {status.version} of {status.policy} (sha256 {short(status.hash)})")
    for approval in status.approvals:
        click.echo(f"  {approval.role}: approved by {approval.actor} at {for_people(approval.at, zone)}")
    for role, people in status.awaiting.items():
        click.echo(f"  {role}: waiting for {', '.join(people) or 'nobody'}")
    if status.ready:
        click.echo(f"  Every required role has approved: `baton policy apply {file or 'FILE'}` with this text "
                   "puts it in force.")
