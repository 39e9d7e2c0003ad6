"""`baton audit`: read, export, verify and replay the event log."""

from __future__ import annotations

import csv
import io
import sys
from typing import Any

import click

from .app import App, plural

# The SPEC's column names, in the order of `audit log --json`.
LOG_COLUMNS = ("seq", "lead", "at", "actor", "event", "from", "to", "data", "policy_version", "prev", "hash")


@click.group()
def audit() -> None:
    """Read, verify and replay the hash-chained log.

    The log is append-only: every change to a lead is one event, chained to
    the one before it by its SHA-256 hash."""


def _time(app: App, value: str | None, option: str) -> str | None:
    from statemachine.times import iso, parse_time

    if value is None:
        return None
    return iso(parse_time(value, app.workspace(write=False).policy.timezone, option))


@audit.command()
@click.option("--lead", "lead_id", metavar="ID", help="Only this lead's events.")
@click.option("--since", metavar="ISO", help="Only events at or after this time.")
@click.option("--until", metavar="ISO", help="Only events at or before this time.")
@click.option("--event", "kinds", multiple=True, metavar="EVENT",
              help="Only events of this kind (repeatable): created, hand_over, moved ...")
@click.option("--actor", metavar="ACTOR", help="Only events by this actor (system for Baton itself).")
@click.option("--format", "fmt", type=click.Choice(["text", "jsonl", "csv"]), default=None,
              help="text (default), jsonl (as --json) or csv (a header row; data as JSON text).")
@click.pass_obj
def log(app: App, lead_id: str | None, since: str | None, until: str | None, kinds: tuple[str, ...],
        actor: str | None, fmt: str | None) -> None:
    """The event log, oldest first.

    --json: one event a line."""
    from statemachine.audit import check_filter, log_filter, raw_events

    ws = app.workspace(write=False)
    check_filter(ws.store, ws.policy, lead_id, kinds, actor)
    start, end = _time(app, since, "--since"), _time(app, until, "--until")
    if start and end and start > end:
        from statemachine.errors import BadUsage

        raise BadUsage(f"--since {since} is after --until {until}, so no event could match; swap them")
    where, params = log_filter(lead_id, start, end, kinds, actor)
    fmt = fmt or ("jsonl" if app.as_json else "text")
    rows = raw_events(ws.store, where, params)
    if fmt == "csv":
        _write_csv(rows)
    elif fmt == "jsonl":
        for row in rows:
            app.emit(_event_json(row))
    else:
        for seq, lead, at, who, kind, from_, to, *_ in rows:
            move = "" if not to or from_ == to else f" in {to}" if from_ is None else f" {from_} -> {to}"
            click.echo(f"{seq:>6}  {at}  {lead or '-':<10} {who:<10} {kind}{move}")


def _event_json(row: tuple[Any, ...]) -> dict[str, Any]:
    import json

    event = dict(zip(LOG_COLUMNS, row))
    event["data"] = json.loads(event["data"])
    return event


def _write_csv(rows: Any) -> None:
    from statemachine.csv_cells import safe_cell

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(LOG_COLUMNS)
    for number, row in enumerate(rows, start=1):
        writer.writerow([safe_cell(cell) for cell in row])
        if number % 1000 == 0:
            click.echo(buffer.getvalue(), nl=False)
            buffer.seek(0)
            buffer.truncate()
    click.echo(buffer.getvalue(), nl=False)


@audit.command()
@click.option("--expect", "expected", multiple=True, metavar="SEQ:HASH",
              help="A head kept from an earlier audit (`baton audit head`): fail unless the log still "
                   "holds that event with that hash (repeatable).")
@click.pass_obj
def verify(app: App, expected: tuple[str, ...]) -> None:
    """Prove the log: chain, rules and leads table.

    Checks the hash chain, that every transition was legal under its policy
    version, and that replaying the log gives exactly the leads table. With
    --expect, that the log still holds a head kept earlier: a log rewritten
    with fresh hashes passes the chain, but not this."""
    from statemachine.audit import event_count, parse_expected
    from statemachine.audit import verify as walk
    from statemachine.audit.report import TABLE_HINT

    kept = [parse_expected(text) for text in expected]
    store = app.workspace(write=False).store
    if sys.stderr.isatty():
        with store.snapshot(), click.progressbar(length=event_count(store), label="verifying", file=sys.stderr) as bar:
            report = walk(store, bar.update, kept)
    else:
        report = walk(store, expected=kept)
    if app.as_json:
        app.emit(report.as_json())
    elif report.ok:
        head = "the log is empty" if report.head is None else f"head: seq {report.head.seq}, hash {report.head.hash}"
        held = f", {plural(len(kept), 'kept head')} still in the log" if kept else ""
        click.echo(
            f"verified {plural(report.events, 'event')}, {plural(report.leads, 'lead')}: the chain is intact, "
            f"every transition was legal, the leads table matches the log{held}; {head}"
        )
    else:
        for problem in report.problems:
            click.echo(str(problem), err=True)
        if report.table_differs:
            click.echo(TABLE_HINT, err=True)
    if report.back_filled and not app.as_json:
        were = "event was" if report.back_filled == 1 else "events were"
        click.echo(f"{report.back_filled} {were} written with a --now more than five minutes off the clock "
                   "(each records the real time as recorded_at)")
    if not report.ok:
        raise SystemExit(1)


@audit.command()
@click.pass_obj
def head(app: App) -> None:
    """The last event's seq and hash, for auditors to keep.

    Keep it outside the database; later, `baton audit verify --expect SEQ:HASH`
    fails if the log no longer holds that event with that hash.
    --json: one object with seq, hash and at."""
    from statemachine.audit import log_head
    from statemachine.times import for_people

    ws = app.workspace(write=False)
    last = log_head(ws.store)
    if app.as_json:
        app.emit(last.as_json() if last is not None else {"seq": None, "hash": None, "at": None})
    elif last is None:
        click.echo("The log is empty: it has no head yet.")
    else:
        click.echo(f"Head of the log: seq {last.seq}, hash {last.hash}, "
                   f"logged {for_people(last.at, ws.policy.timezone)}.")
        click.echo(f"Keep it; `baton audit verify --expect {last.seq}:{last.hash}` checks the log still holds it.")


@audit.command()
@click.option("--as-of", "as_of", required=True, metavar="TIME",
              help="The moment (ISO 8601; naive times are in the policy's zone).")
@click.option("--lead", "lead_id", metavar="ID", help="Only this lead.")
@click.pass_obj
def replay(app: App, as_of: str, lead_id: str | None) -> None:
    """Leads as they stood at TIME, from the log alone.

    --json: one object a line."""
    from statemachine.audit import replay as rebuild_rows
    from statemachine.errors import BadArgument
    from statemachine.times import for_people

    moment = _time(app, as_of, "--as-of")
    assert moment is not None  # --as-of is required
    zone = app.workspace(write=False).policy.timezone
    rows = rebuild_rows(app.workspace(write=False).store, moment, lead_id)
    if lead_id is not None and not rows:
        raise BadArgument(f"the log has no lead '{lead_id}' at {for_people(moment, zone)}; "
                          f"`baton audit log --lead {lead_id}` shows its events")
    shown = [
        {
            "id": row["id"], "state": row["state"], "owner": row["owner"], "attempts": row["attempts"],
            "state_since": row["state_since"], "created_at": row["created_at"], "updated_at": row["updated_at"],
            "fields": {k: v for k, v in row["fields"].items() if v is not None},
        }
        for row in rows.values()
    ]
    if app.as_json:
        app.emit_lines(shown)
        return
    if not shown:
        click.echo(f"No leads at {for_people(moment, zone)}.")
        return
    click.echo(f"Leads as of {for_people(moment, zone)}, from the log:")
    click.echo(f"{'ID':<12} {'STATE':<12} {'OWNER':<10} {'ATTEMPTS':>8}  SINCE")
    for row in shown:
        since = for_people(row["state_since"], zone)
        click.echo(f"{row['id']:<12} {row['state']:<12} {row['owner'] or '-':<10} {row['attempts']:>8}  {since}")


@audit.command()
@click.pass_obj
def rebuild(app: App) -> None:
    """Rewrite the leads table from the log.

    Rebuilds the leads table, SLA clocks and reps' open-lead counts from the
    log, in one transaction: use it after a restore."""
    from statemachine.audit import rebuild as rewrite

    store = app.workspace(write=True).store
    with store.transaction():
        count = rewrite(store)
    if app.as_json:
        app.emit({"leads": count})
    else:
        click.echo(f"Rebuilt the leads table from the log: {count} lead{'s' if count != 1 else ''}.")
