"""`baton report`: the handover in figures, from the log alone."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from .app import App

FORMATS = click.Choice(["text", "csv", "jsonl"])


@click.group()
def report() -> None:
    """The handover in figures, from the log alone.

    The funnel, SLAs, recycling and reps. Every figure comes from the event log alone, each move judged under the
    policy version in force when it was made, so --as-of gives the figures
    exactly as they stood then. --json: one object a line."""


def _window(command: Callable[..., Any]) -> Callable[..., Any]:
    for option in reversed((
        click.option("--since", metavar="TIME", help="Count what began at or after TIME (ISO 8601; naive times are in the policy's zone)."),
        click.option("--until", metavar="TIME", help="Count what began at or before TIME."),
        click.option("--as-of", "as_of", metavar="TIME",
                     help="The figures as the log stood at TIME (default: now, or --now)."),
        click.option("--format", "fmt", type=FORMATS, default=None,
                     help="text (default), csv (a header row) or jsonl (as --json)."),
    )):
        command = option(command)
    return command


def _by(command: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--by", metavar="FIELD|owner",
                        help="Split each line by a field's value (or the owner) when the lead entered the state.")(command)


def _figures(app: App, since: str | None, until: str | None, as_of: str | None, by: str | None = None) -> Any:
    from statemachine.reports import compute

    store = app.workspace(write=False).store
    return compute(store, since=since, until=until, as_of=as_of or app.now, by=by)


def _emit(app: App, fmt: str | None, lines: list[dict[str, Any]], csv: Callable[[], str],
          text: Callable[[], list[str]]) -> None:
    fmt = fmt or ("jsonl" if app.as_json else "text")
    if fmt == "jsonl":
        app.emit_lines(lines)
    elif fmt == "csv":
        click.echo(csv(), nl=False)
    else:
        click.echo("\n".join(text()))


def _exclusive(**flags: bool) -> None:
    chosen = [name for name, on in flags.items() if on]
    if len(chosen) > 1:
        from statemachine.errors import BadUsage

        raise BadUsage(f"--{chosen[0]} and --{chosen[1]} show different lists; give one of them")


@report.command()
@_window
@_by
@click.option("--conversion", is_flag=True, help="List the conversion between the states of the main path.")
@click.option("--cohort", is_flag=True, help="The leads created in the window, and how far along the main path each got.")
@click.pass_obj
def funnel(app: App, since: str | None, until: str | None, as_of: str | None, fmt: str | None, by: str | None,
           conversion: bool, cohort: bool) -> None:
    """Leads in and out of each state, and for how long.

    Per state, in the policy's order: leads that entered it in the window,
    how many of those have left, where they went, and the median and 90th
    percentile of their time there; then the conversion between the states
    of the main path. --cohort: the leads created in the window, and how many
    of them reached each state of the main path."""
    from statemachine.reports import table, text

    _exclusive(conversion=conversion, cohort=cohort)
    figures = _figures(app, since, until, as_of, by)
    shown = figures.as_json()
    if cohort:
        _emit(app, fmt, figures.cohort, lambda: table.write_csv(figures.cohort, ["state", "group", "reached", "rate"]),
              lambda: text.cohort(shown, figures.cohort, by))
    elif conversion:
        lines = shown["conversion"]
        _emit(app, fmt, lines, lambda: table.write_csv(lines, ["from", "to", "group", "entered", "reached", "rate"]),
              lambda: text.conversion(shown, by))
    else:
        _emit(app, fmt, shown["funnel"], lambda: table.funnel_csv(shown["funnel"], shown["states"]),
              lambda: text.funnel(shown, by))


@report.command()
@_window
@_by
@click.option("--weekly", is_flag=True, help="List compliance by the week the clocks started.")
@click.option("--hour-of-week", "hour_of_week", is_flag=True,
              help="List breaches by the hour of the week their deadline passed.")
@click.pass_obj
def sla(app: App, since: str | None, until: str | None, as_of: str | None, fmt: str | None, by: str | None,
        weekly: bool, hour_of_week: bool) -> None:
    """SLA clocks kept and missed.

    Per SLA: clocks started in the window, met (the lead left the state in
    time), breached, still running, compliance (met / (met + breached)) and
    the median time to stop; then compliance by week, and breaches by hour
    of the week, so a head sees when handovers are missed."""
    from statemachine.reports import table, text

    _exclusive(weekly=weekly, **{"hour-of-week": hour_of_week})
    shown = _figures(app, since, until, as_of, by).as_json()
    if weekly:
        lines = shown["sla_weekly"]
        _emit(app, fmt, lines, lambda: table.write_csv(lines, ["sla", "week", "met", "breached", "compliance"]),
              lambda: [f"SLA compliance {text.window_words(shown['window'])}.", *text.weekly(shown)])
    elif hour_of_week:
        lines = shown["breaches_by_hour"]
        _emit(app, fmt, lines, lambda: table.write_csv(lines, ["sla", "weekday", "hour", "breaches"]),
              lambda: [f"SLA breaches {text.window_words(shown['window'])}.", *text.hours(shown)])
    else:
        lines = shown["sla"]
        columns = ["sla", "group", "started", "met", "breached", "running", "compliance", "median_hours_to_stop"]
        _emit(app, fmt, lines, lambda: table.write_csv(lines, columns), lambda: text.sla(shown, by))


@report.command()
@_window
@click.pass_obj
def recycle(app: App, since: str | None, until: str | None, as_of: str | None, fmt: str | None) -> None:
    """Why leads went back, and what became of them.

    Recycle reasons ranked, with the contact attempts made before recycling,
    how many of those leads came back to the initial state, and how many of
    those were then won."""
    from statemachine.reports import table, text

    shown = _figures(app, since, until, as_of).as_json()
    lines = shown["recycle"]
    columns = ["reason", "count", "median_attempts", "came_back", "won_after"]
    _emit(app, fmt, lines, lambda: table.write_csv(lines, columns), lambda: text.recycle(shown))


@report.command()
@_window
@click.pass_obj
def reps(app: App, since: str | None, until: str | None, as_of: str | None, fmt: str | None) -> None:
    """Each rep's load, acceptance time and breaches.

    Per rep: leads assigned in the window (and by which routing rule), open
    leads they own now, the median time from assignment to acceptance, and
    SLA breaches while they owned the lead."""
    from statemachine.reports import table, text

    shown = _figures(app, since, until, as_of).as_json()
    _emit(app, fmt, shown["reps"], lambda: table.reps_csv(shown["reps"]), lambda: text.reps(shown))


from .report_html import html  # noqa: E402  (the page: its engine imports stay inside the command)

report.add_command(html)
