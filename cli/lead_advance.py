"""`baton lead advance`: fire a trigger on one lead, or, with `--where`, on
every lead an expression picks, then say what moved and what was refused."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

import click

from .app import App, plural, split_pairs

if TYPE_CHECKING:
    from statemachine.bulk_advance import Outcome, Summary
    from statemachine.errors import BatonError
    from statemachine.policy.model import Policy


@click.command()
@click.option("--where", metavar="EXPR",
              help="Fire TRIGGER on every lead for which EXPR holds (then give no ID), "
                   "e.g. \"state == 'SAL' and hours_in_state > 72\".")
@click.option("--dry-run", is_flag=True, help="With --where: say what would move and what would be refused; write nothing.")
@click.argument("words", nargs=-1, metavar="ID TRIGGER [KEY=VALUE]...")
@click.pass_obj
def advance(app: App, where: str | None, dry_run: bool, words: tuple[str, ...]) -> None:
    """Move a lead on by firing a trigger.

    With --where EXPR instead of an ID, every lead for which EXPR holds.

    The policy's transitions name the triggers; KEY=VALUE gives what one
    requires, for example:

    \b
        baton lead advance L-3 recycle reason="no budget this year"
        baton lead advance --where "state == 'SAL' and hours_in_state > 72" \\
            recycle reason="no answer in three days" --dry-run

    With --where, each lead is judged as `lead advance ID` would judge it and
    moved on its own, so a refused lead leaves the others moved; a summary
    counts the moved ones and groups the refused by reason. Exit 1 when any
    lead was refused.
    """
    if where is None:
        if dry_run:
            raise click.UsageError("--dry-run goes with --where; `baton lead show ID` says what you may do with one lead")
        if len(words) < 2:
            raise click.UsageError("give the lead's id and the trigger, like `baton lead advance L-3 hand_over`, "
                                   "or --where EXPR and the trigger")
        from statemachine.lifecycle import advance as fire

        from .lead import _report

        lead_id, trigger, *arguments = words
        _report(app, fire(app.workspace(write=True), lead_id, trigger, dict(split_pairs(arguments, "KEY=VALUE"))))
        return
    if not words:
        raise click.UsageError("give the trigger to fire on the leads that match, like "
                               "`baton lead advance --where \"state == 'MQL'\" hand_over`")
    trigger, *arguments = words
    for word in arguments:
        if "=" not in word:
            raise click.UsageError(f"'{word}' is not KEY=VALUE: with --where, give the trigger and its "
                                   "KEY=VALUE arguments, and no lead id")
    _advance_where(app, where, trigger, dict(split_pairs(arguments, "KEY=VALUE")), dry_run)


def _advance_where(app: App, where_text: str, trigger: str, args: dict[str, str], dry_run: bool) -> None:
    from statemachine.bulk_advance import BulkAdvance, where_words
    from statemachine.where import compile_where

    app.acting_as()  # even a dry run judges for someone who may act: not Baton itself
    ws = app.workspace(write=not dry_run)
    bulk = BulkAdvance(ws, compile_where(ws.policy, where_text), trigger, args, dry_run=dry_run)
    leads = bulk.leads()
    summary = bulk.summary(len(leads))
    if leads:
        # JSON lines on a terminal and a bar on the same terminal would garble each other
        if sys.stderr.isatty() and not (app.as_json and sys.stdout.isatty()):
            label = f"{'Judging' if dry_run else 'Advancing'} {plural(len(leads), 'lead')} ({trigger})"
            with click.progressbar(length=len(leads), label=label, file=sys.stderr) as bar:
                for outcome in bulk.run(leads, summary, lambda: bar.update(1)):
                    _emit_outcome(app, outcome, dry_run)
        else:
            for outcome in bulk.run(leads, summary):
                _emit_outcome(app, outcome, dry_run)
    if app.as_json:
        app.emit({"summary": _summary_json(summary, ws.policy)})
    elif not leads:
        click.echo(f"No leads match {where_words(where_text)}; nothing to {trigger}.")
    else:
        _say_summary(summary, ws.policy)
    if summary.stopped is not None:
        raise summary.stopped
    if not summary.ok:
        click.get_current_context().exit(1)


def _emit_outcome(app: App, outcome: Outcome, dry_run: bool) -> None:
    if app.as_json:
        app.emit({
            "lead": outcome.lead, "moved": outcome.moved, "from": outcome.from_, "to": outcome.to,
            "error": None if outcome.refusal is None else str(outcome.refusal), "dry_run": dry_run,
        })


def refusal_reason(error: BatonError, trigger: str, policy: Policy) -> str:
    """Why leads were refused, in words that hold for every lead of the group."""
    from statemachine.errors import MissingKeys, NoLongerMatches, NotAllowed, Refused, WrongState
    from statemachine.machine import describe_by

    if isinstance(error, Refused):
        parts = [f"{name} checklist is missing: {', '.join(labels)}" for name, labels in error.missing.items()]
        return "; ".join([*parts, *error.failed])
    if isinstance(error, WrongState):
        return f"in {error.state}, and {trigger} only moves a lead out of {', '.join(error.sources)}"
    if isinstance(error, NotAllowed):
        return f"{error.actor} may not {trigger} them: only {describe_by(policy.transitions[trigger], policy)} may"
    if isinstance(error, MissingKeys):
        return f"{trigger} needs {', '.join(error.keys)}: give {' '.join(f'{key}=...' for key in error.keys)}"
    if isinstance(error, NoLongerMatches):
        return "changed meanwhile and no longer matched --where; left as they were"
    return str(error)


def _leads_text(leads: list[str], shown: int = 5) -> str:
    if len(leads) <= shown:
        return ", ".join(leads)
    return f"{', '.join(leads[:shown])} and {len(leads) - shown} more"


def _say_summary(summary: Summary, policy: Policy) -> None:
    from .sentences import names_text

    verb = "Would move" if summary.dry_run else "Moved"
    trigger, moved = summary.trigger, summary.moved
    if moved == 0:
        click.echo(f"No lead {'would move' if summary.dry_run else 'moved'} ({trigger}).")
    elif len(summary.moved_from) == 1:
        source = next(iter(summary.moved_from))
        click.echo(f"{verb} {plural(moved, 'lead')} from {source} to {summary.dest} ({trigger}).")
    else:
        sources = ", ".join(f"{count} from {state}" for state, count in summary.moved_from.items())
        click.echo(f"{verb} {plural(moved, 'lead')} to {summary.dest} ({trigger}): {sources}.")
    if summary.assigned:
        click.echo("Assigned " + names_text([f"{count} to {rep}" for rep, count in summary.assigned.items()]) + ".")
    if summary.unrouted:
        have = "has" if summary.unrouted == 1 else "have"
        click.echo(f"{plural(summary.unrouted, 'lead')} {have} no rep and wait{'s' if summary.unrouted == 1 else ''} "
                   f"unassigned in {summary.dest} (see `baton lead list --unassigned`).")
    if summary.refusals:
        click.echo(f"{'Would refuse' if summary.dry_run else 'Refused'} {summary.refused}:", err=True)
        for group in summary.groups():
            reason = refusal_reason(group.error, trigger, policy)
            click.echo(f"  {len(group.leads)} x {reason} ({_leads_text(group.leads)})", err=True)
    if summary.dry_run:
        click.echo("Nothing was written (--dry-run).")


def _summary_json(summary: Summary, policy: Policy) -> dict[str, Any]:
    return {
        "trigger": summary.trigger, "to": summary.dest, "dry_run": summary.dry_run,
        "matched": summary.matched, "moved": summary.moved, "moved_from": summary.moved_from,
        "refused": summary.refused,
        "reasons": [
            {"count": len(group.leads), "reason": refusal_reason(group.error, summary.trigger, policy),
             "leads": group.leads}
            for group in summary.groups()
        ],
        "assigned": summary.assigned, "unrouted": summary.unrouted,
        "stopped": None if summary.stopped is None else str(summary.stopped),
    }
