"""How the page writes numbers, and the plain sentences under its charts.

Each sentence is built from the figures alone, so what a head reads under a
chart is what the chart shows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

Row = Mapping[str, Any]
DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
# Spelled here, not by strftime's %b, which follows the machine's locale.
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def count(number: int, noun: str) -> str:
    """'1 lead', '2 leads', '2 breaches'."""
    if number == 1:
        return f"{number} {noun}"
    plural = noun + "es" if noun.endswith(("ch", "s")) else noun + "s"
    return f"{number} {plural}"


def percent(rate: float | None) -> str:
    return "no rate yet" if rate is None else f"{_half_up(rate * 100, '1')}%"


def duration(hours: float | None) -> str:
    """A span as a person says it: '45 minutes', '3.2 hours', '4.5 days'."""
    if hours is None:
        return "not known yet"
    minutes = int(_half_up(hours * 60, "1"))
    if minutes == 0:
        return "under a minute"
    if minutes < 60:
        return count(minutes, "minute")
    if hours < 48:
        return _unit(hours, "hour")
    return _unit(hours / 24, "day")


def _unit(amount: float, noun: str) -> str:
    text = _half_up(amount, "0.1").removesuffix(".0")
    return f"{text} {noun}" if text == "1" else f"{text} {noun}s"


def _half_up(number: float, step: str) -> str:
    """Rounded as people do on paper (5.25 -> 5.3, 43.75% -> 44%), where
    Python's own rounding goes to the even digit (5.2). The float is first cut
    to 9 places, so 0.845 x 100 counts as 84.5 (85%), not 84.4999... (84%)."""
    from decimal import ROUND_HALF_UP, Decimal

    return str(Decimal(repr(round(number, 9))).quantize(Decimal(step), rounding=ROUND_HALF_UP))


def day_name(date: str) -> str:
    """'Monday 9 Nov 2026' for 2026-11-09."""
    day = dt.date.fromisoformat(date)
    return f"{DAYS[day.weekday()]} {day.day} {MONTHS[day.month - 1]} {day.year}"


def week_labels(weeks: Sequence[str]) -> list[str]:
    """'2 Nov' for the week starting 2026-11-02; with the year when the weeks span two."""
    days = [dt.date.fromisoformat(week) for week in weeks]
    with_year = len({day.year for day in days}) > 1
    return [f"{day.day} {MONTHS[day.month - 1]}" + (f" {day.year}" if with_year else "") for day in days]


def quoted(text: str) -> str:
    return f"\u201c{text}\u201d"


def conversion_sentences(conversion: Sequence[Row]) -> list[str]:
    return [
        f"Of {count(row['entered'], 'lead')} that entered {row['from']}, {row['reached']} reached {row['to']}"
        f" ({percent(row['rate'])})." for row in conversion if row["entered"]
    ]


def time_in_state_sentences(funnel: Sequence[Row]) -> list[str]:
    sentences = []
    for row in funnel:
        if not row["left"]:
            continue
        sentence = (f"Of {count(row['entered'], 'lead')} that entered {row['state']}, {row['left']} left it;"
                    f" median {duration(row['median_hours'])}")
        if row["p90_hours"] is not None:
            sentence += f", 9 in 10 within {duration(row['p90_hours'])}"
        sentences.append(sentence + ".")
    return sentences


def went_to(to: Mapping[str, int]) -> str:
    ranked = sorted(to.items(), key=lambda item: (-item[1], item[0]))
    return ", ".join(f"{state} {number}" for state, number in ranked) or "\u2014"


def sla_sentences(sla: Sequence[Row], weekly: Sequence[Row]) -> list[str]:
    sentences = []
    for row in sla:
        stopped = row["met"] + row["breached"]
        if stopped:
            sentence = (f"{row['sla']}: {row['met']} of {count(stopped, 'clock')} met in time"
                        f" ({percent(row['compliance'])}), {row['breached']} breached, {row['running']} still running")
            if row["median_hours_to_stop"] is not None:
                sentence += f"; median {duration(row['median_hours_to_stop'])} to stop"
        else:
            sentence = f"{row['sla']}: {count(row['started'], 'clock')} started, none met or breached yet, {row['running']} still running"
        weeks = [week for week in weekly if week["sla"] == row["sla"] and week["compliance"] is not None]
        if len(weeks) > 1:
            worst = min(weeks, key=lambda week: (week["compliance"], week["week"]))
            sentence += f". Worst week: the one starting {day_name(worst['week'])}, {percent(worst['compliance'])} met"
        sentences.append(sentence + ".")
    return sentences


def breach_sentences(cells: Mapping[tuple[int, int], int], by_sla: Mapping[str, int], zone: str) -> list[str]:
    total = sum(cells.values())
    (day, hour), most = max(cells.items(), key=lambda item: (item[1], -item[0][0], -item[0][1]))
    per_day = {weekday: sum(n for (d, _), n in cells.items() if d == weekday) for weekday in range(7)}
    busiest = max(range(7), key=lambda weekday: (per_day[weekday], -weekday))
    sentences = [
        f"{count(total, 'breach')} in all; the most in one hour: {DAYS[day]} {hour:02d}:00\u2013{(hour + 1) % 24:02d}:00"
        f" ({most}). The worst day: {DAYS[busiest]} ({count(per_day[busiest], 'breach')}).",
        f"Hours are {zone} time.",
    ]
    if len(by_sla) > 1:
        ranked = sorted(by_sla.items(), key=lambda item: (-item[1], item[0]))
        sentences.insert(1, "By SLA: " + ", ".join(f"{name} {number}" for name, number in ranked) + ".")
    return sentences


def recycle_sentences(recycle: Sequence[Row], initial: str) -> list[str]:
    total = sum(row["count"] for row in recycle)
    top = recycle[0]
    came_back = sum(row["came_back"] for row in recycle)
    won = sum(row["won_after"] for row in recycle)
    return [
        f"{count(total, 'lead')} recycled; the most common reason: {quoted(top['reason'])}"
        f" ({top['count']}, {percent(top['count'] / total)}).",
        f"{came_back} of them came back to {initial}"
        f" and {won} of those {'was' if won == 1 else 'were'} won.",
    ]


def rep_sentences(reps: Sequence[Row]) -> list[str]:
    total = sum(row["assigned"] for row in reps)
    if not total:
        return [f"No leads assigned to the {count(len(reps), 'rep')} in this window."]
    ranked = sorted(reps, key=lambda row: (-row["assigned"], row["rep"]))
    most, fewest = ranked[0], ranked[-1]
    sentence = (f"{count(total, 'lead')} assigned to {count(len(reps), 'rep')}."
                f" Most: {most['rep']} ({most['assigned']}, {percent(most['assigned'] / total)})")
    if len(reps) > 1:
        sentence += f"; fewest: {fewest['rep']} ({fewest['assigned']}, {percent(fewest['assigned'] / total)})"
    sentences = [sentence + "."]
    for key, words in (("open", "Most open now"), ("breaches", "Most breaches")):
        top = min(reps, key=lambda row: (-row[key], row["rep"]))
        if top[key]:
            sentences.append(f"{words}: {top['rep']} ({top[key]}).")
    return sentences


def by_rule(rules: Mapping[str, int]) -> str:
    return ", ".join(f"rule {rule}: {number}" if rule.isdigit() else f"{rule}: {number}"
                     for rule, number in rules.items()) or "\u2014"
