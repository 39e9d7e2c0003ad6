"""`baton policy simulate`: what a candidate policy would change, before it is
applied, in sentences a head reads; nothing is written."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

import click

from .app import App, plural

if TYPE_CHECKING:
    from statemachine.simulate import Simulation, Totals
    from statemachine.simulate_history import TriggerHistory


@click.command()
@click.argument("file", metavar="FILE")
@click.option("--map", "maps", multiple=True, metavar="OLD=NEW",
              help="Where leads in a state the candidate removes would go, as for `policy apply` (repeatable).")
@click.option("--history", is_flag=True,
              help="Judge every transition in the log again under FILE, instead of the open leads.")
@click.option("--since", metavar="TIME", help="With --history: only transitions at or after TIME.")
@click.option("--until", metavar="TIME", help="With --history: only transitions at or before TIME.")
@click.pass_obj
def simulate(app: App, file: str, maps: tuple[str, ...], history: bool, since: str | None,
             until: str | None) -> None:
    """What FILE would change, before it is applied.

    Lists each open lead for which something changes (a trigger allowed or
    refused, a checklist item met or missing, an SLA clock moved, stopped
    or started, another rep picked, a state removed), then totals.
    Nothing is written."""
    from statemachine.errors import BadUsage
    from statemachine.policy import read_policy_file
    from statemachine.policy.versions import check_maps, parse_maps

    moves = parse_maps(maps)
    _, candidate = read_policy_file(file)
    if (since or until) and not history:
        raise BadUsage("--since and --until choose which transitions of the log to judge; add --history")
    ws = app.workspace(write=False)
    ws.store.db.execute("PRAGMA query_only = ON")  # a simulation never writes, whatever it calls
    check_maps(ws.policy, candidate, moves)
    heading = (f"Policy {candidate.name} version {candidate.version} ({file}) against version "
               f"{ws.policy.version} in force")
    if candidate.version <= ws.policy.version:
        click.echo(f"Note: {file} is version {candidate.version}, not above version {ws.policy.version} in force; "
                   f"`policy approve` and `policy apply` will refuse it until you set `version: "
                   f"{ws.policy.version + 1}`.", err=True)
    if history:
        _history(app, ws, candidate, heading, since, until, moves)
        return
    from statemachine.simulate import Simulation
    from statemachine.times import for_people

    sim = Simulation(ws.store, ws.policy, candidate, moves, ws.actor, ws.now, ws.machine)
    zone = ws.policy.timezone
    with ws.store.snapshot():
        if not app.as_json:
            click.echo(f"{heading}, on the leads as of {for_people(ws.now, zone)}.")
        for found in sim.run():
            if app.as_json:
                app.emit(found.as_json())
                continue
            owner = found.owner or "no owner"
            click.echo(f"\n{found.lead} ({found.state}, {owner})")
            for change in found.changes:
                click.echo(f"  {_change(change, sim, zone)}")
    if not app.as_json:
        _totals(sim, sim.totals)
        _beyond_leads(ws.policy, candidate)


def _beyond_leads(in_force: Any, candidate: Any) -> None:
    """What the candidate changes for people rather than leads (who approves,
    erases or is acting, --now on changes, the witness), which no lead shows."""
    from statemachine.policy.diff_trust import beyond_leads

    changes = beyond_leads(in_force, candidate)
    if changes:
        click.echo("\nIt also changes, for people rather than leads (`baton policy diff` lists every change):")
        for change in changes:
            click.echo(f"  {change.text}")


def _change(change: dict[str, Any], sim: Simulation, zone: str) -> str:
    from statemachine.times import for_people

    kind = change["kind"]
    if kind == "allowed":
        return (f"{change['trigger']} becomes allowed for {', '.join(change['actors'])} "
                f"(it was refused: {'; '.join(change['was'])})")
    if kind == "refused":
        return f"{change['trigger']} becomes refused for {', '.join(change['actors'])}: {'; '.join(change['why'])}"
    if kind in ("item_met", "item_missing", "item_dropped"):
        verb = {"item_met": "becomes met", "item_missing": "becomes missing",
                "item_dropped": "is no longer asked (it was missing)"}[kind]
        return f"{change['checklist']} checklist: \"{change['item']}\" {verb}"
    if kind == "sla_due":
        notes = [note for note in (_shift(change["minutes"], change["business"]),
                                   "already overdue" if change["overdue"] else "") if note]
        said = f" ({'; '.join(notes)})" if notes else ""
        return (f"{change['sla']} clock: due {for_people(change['new'], zone)} instead of "
                f"{for_people(change['old'], zone)}{said}")
    if kind == "sla_stopped":
        return f"{change['sla']} clock stops (it was due {for_people(change['due'], zone)})"
    if kind == "sla_started":
        return f"{change['sla']} clock starts, due {for_people(change['due'], zone)}"
    if kind == "route":
        old, new = change["old"] or "nobody", change["new"] or "nobody"
        rule = f" (rule {change['rule']})" if change["rule"] else ""
        return f"routing would pick {new} instead of {old}{rule}"
    state = change["state"]
    return (f"{state} is not a state of version {sim.new.version}: applying it needs "
            f"--map {state}=STATE (states: {', '.join(sim.new.states)})")


def _shift(minutes: int | None, business: bool) -> str:
    """'2 business hours earlier', '1 day later'; '' when it varies or is nil."""
    if not minutes:
        return ""
    size = abs(minutes)
    if not business and size % 1440 == 0:
        amount = plural(size // 1440, "day")
    elif size % 60 == 0:
        amount = plural(size // 60, "business hour" if business else "hour")
    else:
        amount = plural(size, "business minute" if business else "minute")
    return f"{amount} {'later' if minutes > 0 else 'earlier'}"


def _totals(sim: Simulation, totals: Totals) -> None:
    lines = []
    for key, n in totals.counts.items():
        kind = key[0]
        if kind == "allowed":
            lines.append(f"{key[2]} becomes allowed for {plural(n, 'lead')} in {key[1]}.")
        elif kind == "refused":
            lines.append(f"{key[2]} becomes refused for {plural(n, 'lead')} in {key[1]}.")
        elif kind == "item_missing":
            lines.append(f"{plural(n, 'lead')} now miss{'es' if n == 1 else ''} \"{key[2]}\" ({key[1]} checklist).")
        elif kind == "item_met":
            lines.append(f"{plural(n, 'lead')} now meet{'s' if n == 1 else ''} \"{key[2]}\" ({key[1]} checklist).")
        elif kind == "item_dropped":
            lines.append(f"\"{key[2]}\" ({key[1]} checklist) is no longer asked of {plural(n, 'lead')} missing it.")
        elif kind == "sla_due":
            moved = _shift(key[2], key[3]) or "at other times"
            overdue = totals.overdue[key]
            also = f", {overdue} of them already overdue" if overdue else ""
            lines.append(f"{plural(n, key[1] + ' clock')} due {moved}{also}.")
        elif kind == "sla_stopped":
            lines.append(f"{plural(n, key[1] + ' clock')} stop{'s' if n == 1 else ''}.")
        elif kind == "sla_started":
            lines.append(f"{plural(n, key[1] + ' clock')} start{'s' if n == 1 else ''} at the apply.")
        elif kind == "route":
            lines.append(f"Routing would pick another rep for {plural(n, 'lead')} in {key[1]}.")
        else:
            lines.append(f"{plural(n, 'lead')} sit{'s' if n == 1 else ''} in {key[1]}, which version "
                         f"{sim.new.version} removes: apply it with --map {key[1]}=STATE.")
    if lines:
        click.echo("\nIn total:")
        for line in lines:
            click.echo(f"  {line}")
    changed = totals.changed
    click.echo(f"\n{changed} of {plural(totals.open_leads, 'open lead')} would change. Nothing was written."
               if changed else f"\nNothing changes for the {plural(totals.open_leads, 'open lead')}. "
               "Nothing was written.")


def _history(app: App, ws: Any, candidate: Any, heading: str, since: str | None, until: str | None,
             moves: dict[str, str]) -> None:
    from statemachine.simulate_history import rejudge
    from statemachine.times import iso, parse_time

    window = tuple(iso(parse_time(t, ws.policy.timezone, flag)) if t else None
                   for t, flag in ((since, "--since"), (until, "--until")))
    if window[0] and window[1] and window[0] > window[1]:
        from statemachine.errors import BadUsage

        raise BadUsage(f"--since {since} is after --until {until}; swap them")
    if sys.stderr.isatty() and not app.as_json:
        click.echo("Judging the log again ...", err=True)
    found = rejudge(ws.store, candidate, window=(window[0], window[1]), maps=moves)
    if app.as_json:
        app.emit_lines(tally.as_json(trigger) for trigger, tally in found.items())
        return
    _history_text(found, heading)


def _history_text(found: dict[str, TriggerHistory], heading: str) -> None:
    click.echo(f"{heading}, on every transition in the log:")
    refused = 0
    for trigger, tally in found.items():
        refused += tally.refused
        if not tally.refused:
            click.echo(f"  {trigger}: {plural(tally.fired, 'time')}, all allowed.")
            continue
        click.echo(f"  {trigger}: {plural(tally.fired, 'time')}, {tally.refused} would have been refused:")
        for reason, n in tally.why.most_common():
            click.echo(f"    {n} x {reason}")
    total = sum(t.fired for t in found.values())
    click.echo(f"{refused} of {plural(total, 'transition')} would have been refused. Nothing was written."
               if total else "The log holds no transitions yet. Nothing was written.")
