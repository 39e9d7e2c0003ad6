"""The one page holding every report: `render(figures)` -> self-contained HTML.

It takes the figures as `Figures.as_json()` gives them (see the reports
contract) and draws them for a head who opens the page from an email
attachment: charts inline as SVG, styles inline, no script, no font and no
address on the network, laid out for a laptop screen and for A4 paper.
pygal and Jinja2 are imported inside `render`, so no other command loads them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ..times import for_people
from . import page_words as words
from .page_charts import BLUE, LIGHT_BLUE, ORANGE, RED, Series, bar_chart, line_chart

Row = Mapping[str, Any]


def render(figures: Mapping[str, Any]) -> str:
    """The page for figures computed without `by` (the page shows the whole
    team; the text reports split by group)."""
    import jinja2
    from markupsafe import Markup

    grouped = [row for key in ("funnel", "conversion", "sla") for row in figures[key] if row.get("group") is not None]
    if grouped:
        raise ValueError("the page draws figures computed without `by`; compute them again without it")
    sections = [_funnel(figures), _time_in_state(figures), _sla(figures), _breaches(figures),
                _recycle(figures), _reps(figures)]
    for section in sections:
        if section["chart"] is not None:
            section["chart"] = Markup(section["chart"])  # pygal's SVG, built by us, with every label escaped
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("statemachine.reports", "templates"), autoescape=True,
        trim_blocks=True, lstrip_blocks=True, undefined=jinja2.StrictUndefined,
    )
    page = environment.get_template("page.html.j2")
    return page.render(heading=_heading(figures["window"]), tiles=_tiles(figures), sections=sections)


def _heading(window: Row) -> dict[str, str]:
    zone = window["zone"]
    since = for_people(window["since"], zone) if window["since"] else None
    until = for_people(window["until"], zone) if window["until"] else None
    if since and until:
        span = f"Events from {since} to {until}"
    elif since:
        span = f"Events from {since} on"
    elif until:
        span = f"Events up to {until}"
    else:
        span = "Every event in the log"
    return {"policy": f"{window['policy']}, version {window['version']}", "window": span,
            "as_of": for_people(window["as_of"], zone), "zone": zone}


def _tiles(figures: Mapping[str, Any]) -> list[dict[str, str]]:
    """The few numbers both heads look for first."""
    entered = {row["state"]: row["entered"] for row in figures["funnel"]}
    path = figures["main_path"]
    tiles = []
    if path:
        tiles.append({"number": str(entered.get(path[0], 0)), "words": f"leads entered {path[0]}"})
        tiles.append({"number": str(entered.get(path[-1], 0)), "words": f"leads reached {path[-1]}"})
    met = sum(row["met"] for row in figures["sla"])
    stopped = met + sum(row["breached"] for row in figures["sla"])
    tiles.append({"number": words.percent(met / stopped) if stopped else "\u2014",
                  "words": "of SLA clocks met in time" if stopped else "no SLA clock met or breached yet"})
    tiles.append({"number": str(sum(row["count"] for row in figures["recycle"])), "words": "leads recycled"})
    tiles.append({"number": str(sum(row["open"] for row in figures["reps"])), "words": "leads open with reps now"})
    return tiles


def _section(id_: str, title: str, about: str, empty: str) -> dict[str, Any]:
    return {"id": id_, "title": title, "about": about, "empty": empty, "chart": None, "heatmap": None,
            "captions": [], "table": None}


def _funnel(figures: Mapping[str, Any]) -> dict[str, Any]:
    section = _section("funnel", "Funnel: how far leads get",
                       "Leads that entered each state of the main path in the window, and the share that went on"
                       " from the state before.",
                       "Nothing yet: no lead entered a state in this window.")
    rows = {row["state"]: row for row in figures["funnel"]}
    if not any(row["entered"] for row in rows.values()):
        return section
    path = [state for state in figures["main_path"] if state in rows]
    rates = {row["to"]: row for row in figures["conversion"]}
    labels = []
    for state in path:
        entered = rows[state]["entered"]
        step = rates.get(state)
        labels.append(f"{entered} ({words.percent(step['rate'])} from {step['from']})"
                      if step and step["rate"] is not None else str(entered))
    if any(rows[state]["entered"] for state in path):
        section["chart"] = bar_chart("Leads that entered each state", path,
                                     [Series("Entered", [rows[state]["entered"] for state in path], labels)],
                                     colours=[BLUE], horizontal=True, whole=True)
    section["captions"] = words.conversion_sentences(figures["conversion"])
    order = [state for state in figures["states"] if state in rows] + [s for s in rows if s not in figures["states"]]
    section["table"] = {
        "head": ["State", "Entered", "Left", "Went on to", "Median time in it", "9 in 10 left within"],
        "numeric": [False, True, True, False, True, True],
        "rows": [[state, rows[state]["entered"], rows[state]["left"], words.went_to(rows[state]["to"]),
                  _maybe(words.duration, rows[state]["median_hours"]), _maybe(words.duration, rows[state]["p90_hours"])]
                 for state in order],
    }
    return section


def _time_in_state(figures: Mapping[str, Any]) -> dict[str, Any]:
    section = _section("time-in-state", "Time in each state",
                       "How long leads stayed in a state before leaving it: the median, and the time within"
                       " which 9 in 10 left (p90).",
                       "Nothing yet: no lead has left a state in this window.")
    left = [row for row in figures["funnel"] if row["left"] and row["median_hours"] is not None]
    if not left:
        return section
    longest = max(row["p90_hours"] or row["median_hours"] for row in left)
    unit, per = ("days", 24.0) if longest >= 72 else ("hours", 1.0)

    def series(name: str, key: str) -> Series:
        hours = [row[key] for row in left]
        return Series(name, [None if value is None else value / per for value in hours],
                      [_maybe(words.duration, value) for value in hours])

    section["chart"] = bar_chart(f"Time in each state, in {unit}", [row["state"] for row in left],
                                 [series("Median", "median_hours"), series("9 in 10 left within", "p90_hours")],
                                 colours=[BLUE, LIGHT_BLUE], horizontal=True, axis_title=unit)
    section["captions"] = words.time_in_state_sentences(figures["funnel"])
    return section


def _sla(figures: Mapping[str, Any]) -> dict[str, Any]:
    section = _section("sla-compliance", "SLA compliance by week",
                       "The share of each SLA's clocks that stopped in time, week by week; a week is named by its Monday.",
                       "Nothing yet: no SLA clock started in this window.")
    if not figures["sla"] and not figures["sla_weekly"]:
        return section
    weekly = figures["sla_weekly"]
    weeks = sorted({row["week"] for row in weekly})
    names = list(dict.fromkeys([row["sla"] for row in figures["sla"]] + [row["sla"] for row in weekly]))
    by_week = {(row["sla"], row["week"]): row["compliance"] for row in weekly}
    if weeks:
        series = []
        for name in names:
            values = [by_week.get((name, week)) for week in weeks]
            series.append(Series(name, [None if value is None else round(value * 100, 1) for value in values]))
        section["chart"] = line_chart("SLA clocks met in time, by week", words.week_labels(weeks),
                                      series, axis_title="% met in time", axis_range=(0, 100),
                                      value_text=lambda value: f"{value:.0f}%")
    section["captions"] = words.sla_sentences(figures["sla"], weekly)
    section["table"] = {
        "head": ["SLA", "Clocks started", "Met in time", "Breached", "Still running", "Met in time (%)",
                 "Median time to stop"],
        "numeric": [False, True, True, True, True, True, True],
        "rows": [[row["sla"], row["started"], row["met"], row["breached"], row["running"],
                  words.percent(row["compliance"]) if row["compliance"] is not None else "\u2014",
                  _maybe(words.duration, row["median_hours_to_stop"])] for row in figures["sla"]],
    }
    return section


def _breaches(figures: Mapping[str, Any]) -> dict[str, Any]:
    section = _section("breaches-by-hour", "When SLAs are breached",
                       "Breaches by the hour of the week they happened in; the darker the cell, the more breaches.",
                       "Nothing yet: no SLA was breached in this window.")
    cells: dict[tuple[int, int], int] = {}
    by_sla: dict[str, int] = {}
    for row in figures["breaches_by_hour"]:
        if row["breaches"]:
            key = (row["weekday"], row["hour"])
            cells[key] = cells.get(key, 0) + row["breaches"]
            by_sla[row["sla"]] = by_sla.get(row["sla"], 0) + row["breaches"]
    if not cells:
        return section
    section["heatmap"] = _heatmap(cells)
    section["captions"] = words.breach_sentences(cells, by_sla, figures["window"]["zone"])
    return section


def _heatmap(cells: Mapping[tuple[int, int], int]) -> dict[str, Any]:
    """pygal has no heat map (its closest, a dot chart, hides the grid's shape),
    so the hour-of-week grid is an HTML table of coloured cells: it reads at a
    glance, prints in colour or grey, and its numbers can be copied."""
    most = max(cells.values())
    light, dark = (253, 236, 230), (165, 29, 22)
    rows = []
    for day, name in enumerate(words.DAYS):
        row = []
        for hour in range(24):
            number = cells.get((day, hour), 0)
            shade = 0.2 + 0.8 * number / most if number else 0.0
            colour = "#{:02x}{:02x}{:02x}".format(*(round(a + (b - a) * shade) for a, b in zip(light, dark)))
            row.append({"number": number or "", "colour": colour if number else "#fafafa",
                        "ink": "#fff" if shade > 0.55 else "#222",
                        "title": f"{name} {hour:02d}:00\u2013{(hour + 1) % 24:02d}:00: {words.count(number, 'breach')}"})
        rows.append({"day": name[:3], "cells": row, "total": sum(cells.get((day, hour), 0) for hour in range(24))})
    return {"hours": [f"{hour:02d}" for hour in range(24)], "rows": rows}


def _recycle(figures: Mapping[str, Any]) -> dict[str, Any]:
    section = _section("recycle-reasons", "Why leads are recycled",
                       "Leads handed back to marketing, by the reason given, most common first.",
                       "Nothing yet: no lead was recycled in this window.")
    recycle: Sequence[Row] = [row for row in figures["recycle"] if row["count"]]
    if not recycle:
        return section
    section["chart"] = bar_chart("Leads recycled, by reason", [row["reason"] for row in recycle],
                                 [Series("Recycled", [row["count"] for row in recycle])],
                                 colours=[ORANGE], horizontal=True, whole=True)
    initial = figures["main_path"][0] if figures["main_path"] else "the first state"
    section["captions"] = words.recycle_sentences(recycle, initial)
    section["table"] = {
        "head": ["Reason", "Recycled", "Contact attempts before (median)", f"Came back to {initial}", "Won after"],
        "numeric": [False, True, True, True, True],
        "rows": [[row["reason"], row["count"], _maybe(lambda attempts: f"{attempts:g}", row["median_attempts"]),
                  row["came_back"], row["won_after"]] for row in recycle],
    }
    return section


def _reps(figures: Mapping[str, Any]) -> dict[str, Any]:
    section = _section("rep-load", "Rep load",
                       "Leads each rep was given in the window, those still open with them now, and their breaches.",
                       "Nothing yet: no lead was assigned to a rep in this window.")
    reps = sorted(figures["reps"], key=lambda row: (-row["assigned"], row["rep"]))
    if not reps:
        return section
    section["chart"] = bar_chart("Leads per rep", [row["rep"] for row in reps], [
        Series("Assigned", [row["assigned"] for row in reps]),
        Series("Open now", [row["open"] for row in reps]),
        Series("Breaches", [row["breaches"] for row in reps]),
    ], colours=[BLUE, ORANGE, RED], whole=True)
    section["captions"] = words.rep_sentences(reps)
    section["table"] = {
        "head": ["Rep", "Assigned", "By routing rule", "Open now", "Median time to accept", "Breaches"],
        "numeric": [False, True, False, True, True, True],
        "rows": [[row["rep"], row["assigned"], words.by_rule(row["by_rule"]), row["open"],
                  _maybe(words.duration, row["median_hours_to_accept"]), row["breaches"]] for row in reps],
    }
    return section


def _maybe(show: Callable[[float], str], value: float | None) -> str:
    return "\u2014" if value is None else show(value)
