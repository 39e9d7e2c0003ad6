"""`baton sla`: act on due clocks, and see where every clock stands."""

from __future__ import annotations

import json
from typing import Any

import click

from statemachine.times import for_people

from .app import App
from .notify import outbox_line, subject


@click.group()
def sla() -> None:
    """SLA clocks: sweep the due ones, see them all."""


@sla.command()
@click.pass_obj
def sweep(app: App) -> None:
    """Act on every clock due as of now.

    Running it twice acts once."""
    from statemachine.sweep import sweep as run_sweep

    ws = app.workspace(write=True)
    report = run_sweep(ws)
    if app.as_json:
        app.emit_lines(report.breaches)
        return
    for breach in report.breaches:
        click.echo(breach_sentence(breach, ws.policy.timezone))
    count = len(report.breaches)
    click.echo(f"Swept as of {for_people(ws.at, ws.policy.timezone)}: {count} breach{'es' if count != 1 else ''}.")


def breach_sentence(breach: dict[str, Any], zone: str) -> str:
    actions = breach["actions"]
    done = []
    if "notify" in actions:
        done.append("notify " + (", ".join(actions["notify"]) or "nobody (no one holds those roles)"))
    if "reassign" in actions:
        done.append(f"reassigned to {actions['reassign']}" if " " not in actions["reassign"] else actions["reassign"])
    if "fire" in actions:
        done.append(f"{actions['fire']} refused: {actions['refused']}" if "refused" in actions else f"fired {actions['fire']}")
    if "note" in actions:
        done.append(actions["note"])
    due = for_people(breach["due"], zone)
    return f"{breach['lead']} breached {breach['sla']} (due {due}): " + ("; ".join(done) or "recorded")


@sla.command()
@click.pass_obj
def status(app: App) -> None:
    """Every clock and waiting notification.

    Running clocks, due times and breaches, per owner; notifications waiting."""
    from statemachine.sla import all_clocks

    ws = app.workspace(write=False)
    clocks: list[dict[str, Any]] = []
    owners: dict[str, dict[str, int]] = {}
    for clock, owner in all_clocks(ws.store):
        shown = "breached" if clock.breached_at else ("due" if clock.due_at <= ws.at else "running")
        clocks.append({"lead": clock.lead, "name": clock.name, "state": clock.state, "owner": owner,
                       "due": clock.due_at, "status": shown})
        tally = owners.setdefault(owner or "(unassigned)", {"running": 0, "due": 0, "breached": 0})
        tally[shown] += 1
    rows = ws.store.db.execute(
        "SELECT id, lead, sla, recipients, tries, next_try_at, last_error, kind FROM outbox "
        "WHERE status = 'pending' ORDER BY id"
    ).fetchall()
    outbox = [
        {"id": row[0], "lead": row[1], "sla": row[2], "recipients": json.loads(row[3]), "tries": row[4],
         "next_try_at": row[5], "last_error": row[6]}
        for row in rows
    ]
    kinds = {row[0]: row[7] for row in rows}  # an approval's row is about no lead: its kind says what
    if app.as_json:
        app.emit({"now": ws.at, "clocks": clocks, "owners": owners, "outbox": outbox})
        return
    if not clocks:
        click.echo("No SLA clocks are running.")
    else:
        click.echo(f"{'LEAD':<12} {'CLOCK':<14} {'STATE':<12} {'OWNER':<10} {'DUE':<22} STATUS")
        for c in clocks:
            due = for_people(c["due"], ws.policy.timezone)
            click.echo(f"{c['lead']:<12} {c['name']:<14} {c['state']:<12} {c['owner'] or '-':<10} {due:<22} {c['status']}")
        click.echo("")
        click.echo(f"{'OWNER':<14} {'RUNNING':>8} {'DUE':>5} {'BREACHED':>9}")
        for owner, tally in owners.items():
            click.echo(f"{owner:<14} {tally['running']:>8} {tally['due']:>5} {tally['breached']:>9}")
    if outbox:
        click.echo(f"\n{len(outbox)} notification{'s' if len(outbox) != 1 else ''} waiting to be sent (`baton notify send`):")
        for row in outbox:
            click.echo(f"  {waiting_line(row, kinds[row['id']], ws.policy.timezone)}")


def waiting_line(row: dict[str, Any], kind: str, zone: str) -> str:
    return outbox_line(row["id"], subject(row["lead"], row["sla"], kind), row["recipients"], row["tries"],
                       row["next_try_at"], row["last_error"], (), zone)
