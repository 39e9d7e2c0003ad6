"""The reports as CSV: a header row, then one row a line of the report,
columns named as the JSON keys. A nested count (`to` of the funnel, a rep's
`by_rule`) is spread over one column each (`to_SAL`, `rule_1`), so a
spreadsheet can sum them. Every cell goes through `csv_cells.safe_cell`,
so a spreadsheet never runs one as a formula.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Any

from ..csv_cells import safe_cell


def spread(lines: list[dict[str, Any]], key: str, prefix: str, order: Iterable[str] = ()) -> tuple[
        list[str], list[dict[str, Any]]]:
    """The lines with the object at `key` spread into `prefix`+name columns
    (in `order`, then any others as met), and those column names."""
    names = list(dict.fromkeys([*order, *(name for line in lines for name in line[key])]))
    flat = []
    for line in lines:
        row = {k: v for k, v in line.items() if k != key}
        row.update({prefix + name: line[key].get(name, 0) for name in names})
        flat.append(row)
    return [prefix + name for name in names], flat


def write_csv(lines: list[dict[str, Any]], columns: list[str]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for line in lines:
        writer.writerow([safe_cell(line.get(column)) for column in columns])
    return buffer.getvalue()


def funnel_csv(lines: list[dict[str, Any]], states: list[str]) -> str:
    to_columns, flat = spread(lines, "to", "to_", states)
    return write_csv(flat, ["state", "group", "entered", "left", *to_columns, "median_hours", "p90_hours"])


def reps_csv(lines: list[dict[str, Any]]) -> str:
    rules = sorted({rule for line in lines for rule in line["by_rule"]}, key=lambda r: (len(r), r))
    rule_columns, flat = spread(lines, "by_rule", "rule_", rules)
    return write_csv(flat, ["rep", "assigned", *rule_columns, "open", "median_hours_to_accept", "breaches"])


