"""`baton notify send`: deliver the outbox by the policy's `notify:` channels."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

import click

from .app import App, plural

if TYPE_CHECKING:
    from statemachine.notify import Notification


@click.group()
def notify() -> None:
    """Notifications waiting in the outbox."""


@notify.command()
@click.pass_context
def send(ctx: click.Context) -> None:
    """Deliver the notifications that are due.

    Sends every notification whose (re)try time has come.
    Exits 1 while any notification is still pending, naming each with what
    failed and when it is tried again. With `file: "-"` in the policy the
    notifications go to stdout and this report to stderr.
    """
    from statemachine.notify import send_due
    from statemachine.times import for_people

    app: App = ctx.obj
    ws = app.workspace(write=True)
    report = send_due(ws.store, ws.policy.notify, ws.now, sys.stdout)
    to_stderr = report.writes_stdout
    if app.as_json:
        for attempt in report.attempts:
            click.echo(json.dumps(attempt.as_json(), ensure_ascii=False), err=to_stderr)
    elif not report.configured:
        waiting = len(report.pending)
        click.echo(
            f"The policy has no notify: block, so nothing was sent; {plural(waiting, 'notification')} "
            f"{'waits' if waiting == 1 else 'wait'} in the outbox (`baton sla status` lists them)."
        )
    else:
        for attempt in report.attempts:
            if attempt.status == "sent":
                note = attempt.note
                where = ", ".join(attempt.accepted) or f"no channel reaches {', '.join(note.recipients) or 'anyone'}"
                click.echo(f"#{note.id} {subject(note.lead, note.sla, note.kind)}: sent ({where}).", err=to_stderr)
        click.echo(f"As of {for_people(ws.at, ws.policy.timezone)}: {report.sent} sent, {len(report.pending)} pending.",
                   err=to_stderr)
    if report.configured and report.pending:
        click.echo(f"{plural(len(report.pending), 'notification')} still pending:", err=True)
        for note in report.pending:
            click.echo(f"  {pending_line(note, ws.policy.timezone)}", err=True)
        ctx.exit(1)


def pending_line(note: Notification, zone: str) -> str:
    return outbox_line(note.id, subject(note.lead, note.sla, note.kind), note.recipients, note.tries,
                       note.next_try_at, note.last_error, note.delivered, zone)


def subject(lead: str | None, sla: str | None, kind: str) -> str:
    """What a notification is about: `L-1 acknowledge` (a breach), `L-1
    assigned` (its `sla` is only the first deadline), or its kind when it is
    about no lead (`approval`: a new version of the policy)."""
    if lead is None:
        return kind
    return f"{lead} {kind if kind == 'assigned' else sla or kind}"


def outbox_line(number: int, about: str, recipients: Sequence[str], tries: int, next_try_at: str,
                last_error: str | None, delivered: Sequence[str], zone: str) -> str:
    """One pending notification: for whom, what failed, and when it is tried again."""
    from statemachine.times import for_people

    head = f"#{number} {about} for {', '.join(recipients) or 'nobody'}"
    when = for_people(next_try_at, zone)
    if tries == 0:
        return f"{head}: not tried yet; first try at {when}"
    done = f"; already delivered to {', '.join(delivered)}" if delivered else ""
    return f"{head}: {last_error}{done}; next try at {when} (after {tries} failed {'try' if tries == 1 else 'tries'})"
