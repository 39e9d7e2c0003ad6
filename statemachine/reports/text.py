"""The reports as a head reads them in a terminal: a sentence saying what is
counted and over which window, then a table with small bar charts drawn in
block characters (at most `BAR` wide), times in minutes, hours or days.
"""

from __future__ import annotations

from typing import Any

from ..times import for_people

BAR = 20
_EIGHTHS = " ▏▎▍▌▋▊▉"
_SHADES = "·░▒▓█"
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def bar(value: float, largest: float, width: int = BAR) -> str:
    """A bar of `value` against `largest`, in eighths of a character, padded to `width`."""
    if largest <= 0 or value <= 0:
        return " " * width
    eighths = max(1, round(value / largest * width * 8))
    full, part = divmod(eighths, 8)
    drawn = "█" * full + (_EIGHTHS[part] if part else "")
    return drawn.ljust(width)


def duration(hours: float | None) -> str:
    if hours is None:
        return "-"
    if hours < 1:
        return f"{round(hours * 60)} min"
    if hours < 48:
        return f"{hours:.1f} h"
    return f"{hours / 24:.1f} days"


def percent(rate: float | None) -> str:
    return "-" if rate is None else f"{rate * 100:.0f}%"


def window_words(window: dict[str, Any]) -> str:
    zone = window["zone"]
    since, until = window["since"], window["until"]
    if since and until:
        span = f"from {for_people(since, zone)} to {for_people(until, zone)}"
    elif since:
        span = f"since {for_people(since, zone)}"
    elif until:
        span = f"until {for_people(until, zone)}"
    else:
        span = "over the whole log"
    return f"{span}, as of {for_people(window['as_of'], zone)} (policy {window['policy']} version {window['version']})"


def _table(header: list[str], rows: list[list[str]], right: set[int]) -> list[str]:
    widths = [max(len(cell) for cell in column) for column in zip(header, *rows)]
    out = []
    for row in [header, *rows]:
        cells = [cell.rjust(w) if i in right else cell.ljust(w) for i, (cell, w) in enumerate(zip(row, widths))]
        out.append("  ".join(cells).rstrip())
    return out


def _group_label(line: dict[str, Any]) -> list[str]:
    return [] if line["group"] is None else [line["group"]]


# -- funnel ---------------------------------------------------------------------------------
def funnel(figures: dict[str, Any], by: str | None) -> list[str]:
    lines = figures["funnel"]
    out = [f"Funnel: leads that entered each state {window_words(figures['window'])}."]
    if not lines:
        return [*out, "No lead entered any state in this window."]
    largest = max(line["entered"] for line in lines)
    header = ["STATE", *([by.upper()] if by else []), "ENTERED", "", "LEFT", "WENT TO", "MEDIAN", "P90"]
    rows = [
        [line["state"], *_group_label(line), str(line["entered"]), bar(line["entered"], largest), str(line["left"]),
         ", ".join(f"{state} {count}" for state, count in line["to"].items()) or "-",
         duration(line["median_hours"]), duration(line["p90_hours"])]
        for line in lines
    ]
    offset = 1 if by else 0
    out += _table(header, rows, {1 + offset, 3 + offset, 5 + offset, 6 + offset})
    out.append("Median and P90: time spent in the state by the leads that left it.")
    if figures["conversion"]:
        out += ["", *conversion(figures, by)]
    return out


def conversion(figures: dict[str, Any], by: str | None) -> list[str]:
    lines = figures["conversion"]
    if not lines:
        return [f"Conversion {window_words(figures['window'])}: no lead entered any state in this window."]
    offset = 1 if by else 0
    return ["Conversion along the main path (" + " -> ".join(figures["main_path"]) + "):", *_table(
        ["FROM", "TO", *([by.upper()] if by else []), "REACHED", "OF", "RATE", ""],
        [[c["from"], c["to"], *_group_label(c), str(c["reached"]), str(c["entered"]), percent(c["rate"]),
          bar(c["rate"] or 0, 1)] for c in lines],
        {2 + offset, 3 + offset, 4 + offset},
    )]


def cohort(figures: dict[str, Any], lines: list[dict[str, Any]], by: str | None) -> list[str]:
    out = [f"Cohort: the leads created {window_words(figures['window'])}, and how far each got."]
    if not lines:
        return [*out, "No lead was created in this window."]
    header = ["REACHED", *([by.upper()] if by else []), "LEADS", "", "SHARE"]
    rows = [[line["state"], *_group_label(line), str(line["reached"]), bar(line["rate"] or 0, 1), percent(line["rate"])]
            for line in lines]
    offset = 1 if by else 0
    return out + _table(header, rows, {1 + offset, 3 + offset})


# -- SLAs -----------------------------------------------------------------------------------
def sla(figures: dict[str, Any], by: str | None) -> list[str]:
    lines = figures["sla"]
    out = [f"SLA clocks started {window_words(figures['window'])}."]
    if not lines:
        return [*out, "No SLA clock started in this window."]
    header = ["SLA", *([by.upper()] if by else []), "STARTED", "MET", "BREACHED", "RUNNING", "COMPLIANCE", "",
              "MEDIAN TO STOP"]
    rows = [[line["sla"], *_group_label(line), str(line["started"]), str(line["met"]), str(line["breached"]),
             str(line["running"]), percent(line["compliance"]), bar(line["compliance"] or 0, 1),
             duration(line["median_hours_to_stop"])] for line in lines]
    offset = 1 if by else 0
    out += _table(header, rows, {1 + offset, 2 + offset, 3 + offset, 4 + offset, 5 + offset, 7 + offset})
    out.append("Compliance: met / (met + breached); met means the lead left the state before the clock ran out.")
    if figures["sla_weekly"]:
        out += ["", *weekly(figures)]
    if figures["breaches_by_hour"]:
        out += ["", *hours(figures)]
    return out


def weekly(figures: dict[str, Any]) -> list[str]:
    lines = figures["sla_weekly"]
    if not lines:
        return ["No SLA clock has met or missed its deadline in this window."]
    out = ["Compliance by week the clocks started (weeks from Monday):"]
    rows = [[line["sla"], line["week"], percent(line["compliance"]), bar(line["compliance"] or 0, 1),
             f"{line['met']} met, {line['breached']} breached"] for line in lines]
    return out + _table(["SLA", "WEEK OF", "COMPLIANCE", "", ""], rows, {2})


def hours(figures: dict[str, Any]) -> list[str]:
    """A heat map per SLA: a row a weekday, a character an hour."""
    lines = figures["breaches_by_hour"]
    if not lines:
        return ["No SLA breached in this window."]
    zone = figures["window"]["zone"]
    out = [f"Breaches by hour of the week, when the deadline passed ({zone} time; darker is more):"]
    for name in dict.fromkeys(line["sla"] for line in lines):
        cells = {(line["weekday"], line["hour"]): line["breaches"] for line in lines if line["sla"] == name}
        most = max(cells.values())
        total = sum(cells.values())
        out.append(f"  {name}: {total} breach{'' if total == 1 else 'es'}")
        out.append("       " + "".join(f"{hour:<6}" for hour in range(0, 24, 6)).rstrip())
        for day, label in enumerate(_DAYS):
            row = "".join(_shade(cells.get((day, hour), 0), most) for hour in range(24))
            out.append(f"  {label}  {row}")
        (day, hour), count = max(cells.items(), key=lambda kv: (kv[1], -kv[0][0], -kv[0][1]))
        out.append(f"  most: {_DAYS[day]} {hour:02d}:00-{(hour + 1) % 24:02d}:00, {count} breach{'es' if count != 1 else ''}")
    return out


def _shade(count: int, most: int) -> str:
    if count == 0:
        return _SHADES[0]
    return _SHADES[min(4, 1 + (count * 4 - 1) // most)]


# -- recycling and reps ------------------------------------------------------------------
def recycle(figures: dict[str, Any]) -> list[str]:
    lines = figures["recycle"]
    out = [f"Recycled leads {window_words(figures['window'])}, most common reason first."]
    if not lines:
        return [*out, "No lead was recycled in this window."]
    largest = max(line["count"] for line in lines)
    rows = [[line["reason"], str(line["count"]), bar(line["count"], largest),
             "-" if line["median_attempts"] is None else f"{line['median_attempts']:g}",
             str(line["came_back"]), str(line["won_after"])] for line in lines]
    out += _table(["REASON", "RECYCLED", "", "MEDIAN ATTEMPTS", "CAME BACK", "WON AFTER"], rows, {1, 3, 4, 5})
    out.append("Attempts: contact attempts logged in the state the lead was recycled from. "
               "Came back: re-entered " + figures["main_path"][0] + " since; won after: of those, won since.")
    return out


def reps(figures: dict[str, Any]) -> list[str]:
    lines = figures["reps"]
    out = [f"Leads assigned to each rep {window_words(figures['window'])}."]
    if not lines:
        return [*out, "No lead was assigned to a rep in this window."]
    largest = max(line["assigned"] for line in lines)
    rows = [[line["rep"], str(line["assigned"]), bar(line["assigned"], largest),
             ", ".join(f"rule {rule}: {count}" for rule, count in line["by_rule"].items()) or "-",
             str(line["open"]), duration(line["median_hours_to_accept"]), str(line["breaches"])] for line in lines]
    out += _table(["REP", "ASSIGNED", "", "BY ROUTING RULE", "OPEN NOW", "MEDIAN TO ACCEPT", "BREACHES"], rows,
                  {1, 4, 5, 6})
    out.append("Open now: open leads they own at the as-of time. To accept: from assignment to the lead moving on "
               "from the routed state. Breaches: SLA clocks that ran out while they owned the lead.")
    return out
