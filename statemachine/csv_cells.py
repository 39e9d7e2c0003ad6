"""Cells of every CSV Baton writes (`audit log --format csv`, the reports),
safe to open in a spreadsheet: a text cell that a spreadsheet would run as a
formula (starting with `=`, `+`, `-`, `@`, a tab or a carriage return) is
written with a leading `'`, as OWASP advises against CSV injection.

Only text is guarded: a number Baton wrote as a number (a seq, a count, a
negative median) is a number to the spreadsheet too, and runs nothing.
"""

from __future__ import annotations

from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """The value as a CSV cell: None as empty, formula-like text behind a `'`."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value
