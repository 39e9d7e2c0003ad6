"""Field values by type: what a person types (a CLI `FIELD=VALUE`, a CSV cell)
or a JSON lines file holds, turned into the canonical value Baton stores.

Canonical values are JSON-native because they go into events and SQLite:

- string, text, email, phone, choice -> str
- integer -> int (a whole number that fits SQLite: 64-bit signed)
- number  -> float, always (`12` -> `12.0`), so a field never changes type
             between leads; NaN and infinity are refused
- boolean -> bool
- date    -> str `YYYY-MM-DD`

An empty value (None, or only whitespace) is None for every type. Surrounding
whitespace is stripped for every type except `text`, which is kept as written.
No type accepts a NUL character or text that was not valid UTF-8 (a command
line argument with bad bytes arrives as lone surrogates).

A value that does not fit its type raises `BadValue`, whose `reason` is plain
words for a sales operator: what is wrong and how to write it instead.
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from collections.abc import Callable
from datetime import date, datetime, time
from functools import lru_cache
from typing import Any

from .limits import SURELY_FITS, oversize

__all__ = [
    "FIELD_TYPES",
    "BadValue",
    "parse_text",
    "parse_json",
    "text_parser",
    "clean_parser",
    "json_parser",
    "lead_id_problem",
]

FIELD_TYPES: tuple[str, ...] = (
    "string",
    "text",
    "email",
    "phone",
    "integer",
    "number",
    "boolean",
    "date",
    "choice",
)

# SQLite stores integers as 64-bit signed; a larger one would fail at insert.
INTEGER_MIN = -(2**63)
INTEGER_MAX = 2**63 - 1

TextParser = Callable[[str | None], Any]
JsonParser = Callable[[Any], Any]


class BadValue(Exception):
    """A value that does not fit its field type; `reason` says why in plain words."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def _show(value: str) -> str:
    """The value quoted for a message, shortened when long."""
    if len(value) > 40:
        value = value[:37] + "..."
    return repr(value)


def _refuse_bad_utf8(s: str) -> None:
    try:
        s.encode("utf-8")
    except UnicodeEncodeError:
        raise BadValue("contains bytes that are not valid UTF-8") from None


# --- one function per type: takes the stripped, non-empty text -------------

_SPACE = re.compile(r"\s")
_PHONE_CHARACTERS = re.compile(r"\+?[0-9 ().\-]+")
_PHONE = re.compile(r"\+?[ ().\-]*(?:[0-9][ ().\-]*){5,}")  # and at least 5 digits
_WHOLE = re.compile(r"([+-]?[0-9]+)(?:\.0*)?")
_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_THOUSANDS = re.compile(r"[+-]?[0-9]{1,3}(?:,[0-9]{3})+(?:\.0*)?")
_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})(?:[T ].*)?", re.DOTALL)

_BOOLEANS = {
    "true": True,
    "yes": True,
    "y": True,
    "1": True,
    "false": False,
    "no": False,
    "n": False,
    "0": False,
}

_EMAIL_EXAMPLE = "write it like jane@example.com"


def _string(s: str) -> str:
    if "\n" in s or "\r" in s:  # twice as fast as a pattern, on every cell of an import
        raise BadValue(
            f"{_show(s)} has a line break (this field takes a single line: remove the line break)"
        )
    return s


def _email(s: str) -> str:
    if _SPACE.search(s):
        why = "it has a space in it"
    elif "@" not in s:
        why = "it has no @"
    elif s.count("@") > 1:
        why = "it has more than one @"
    else:
        local, domain = s.split("@")
        if not local:
            why = "nothing comes before the @"
        elif "." not in domain:
            why = "the part after the @ needs a dot, like example.com"
        elif not all(domain.split(".")):
            why = "the part after the @ is not a domain name like example.com"
        else:
            return s
    raise BadValue(f"{_show(s)} is not an email address ({why}; {_EMAIL_EXAMPLE})")


def _phone(s: str) -> str:
    if _PHONE.fullmatch(s):
        return s
    if not _PHONE_CHARACTERS.fullmatch(s):
        raise BadValue(
            f"{_show(s)} is not a phone number (use digits, with an optional leading + "
            "and spaces, dashes, dots or brackets, like +44 20 7946 0958)"
        )
    raise BadValue(f"{_show(s)} is too short for a phone number (it needs at least 5 digits)")


def _integer_in_range(value: int, shown: Callable[[], str]) -> int:
    if value > INTEGER_MAX:
        raise BadValue(f"{shown()} is too large (whole numbers go up to {INTEGER_MAX})")
    if value < INTEGER_MIN:
        raise BadValue(f"{shown()} is too small (whole numbers go down to {INTEGER_MIN})")
    return value


def _integer(s: str) -> int:
    if s.isdigit() and s.isascii() and len(s) <= 18:
        return int(s)  # the usual cell, plain digits too few to overflow: no pattern needed
    m = _WHOLE.fullmatch(s)
    if m is None:
        if _THOUSANDS.fullmatch(s):
            raise BadValue(
                f"{_show(s)} is not a whole number (leave out the thousands separators, like 1000)"
            )
        raise BadValue(f"{_show(s)} is not a whole number (use digits, like 12)")
    return _integer_in_range(int(m.group(1)), lambda: _show(s))


def _finite(value: float, shown: Callable[[], str]) -> float:
    if not math.isfinite(value):
        raise BadValue(f"{shown()} is too large for a number")
    return value + 0.0  # turns -0.0 into 0.0


def _number(s: str) -> float:
    if not _DECIMAL.fullmatch(s):
        if "," in s:
            raise BadValue(
                f"{_show(s)} is not a number (leave out the thousands separators and use "
                "a dot for decimals, like 1000 or 1.5)"
            )
        raise BadValue(f"{_show(s)} is not a number (use digits, with a dot for decimals, like 1.5)")
    return _finite(float(s), lambda: _show(s))


def _boolean(s: str) -> bool:
    try:
        return _BOOLEANS[s.lower()]
    except KeyError:
        raise BadValue(
            f"{_show(s)} is not yes or no (use true/false, yes/no, y/n or 1/0)"
        ) from None


@lru_cache(maxsize=4096)  # exports repeat dates; only good ones are cached
def _date(s: str) -> str:
    """ISO 8601 `YYYY-MM-DD`. A date and time at midnight is accepted too and
    keeps the calendar date as written (no time zone conversion): CRM exports
    often write dates as midnight timestamps. Any other time of day is refused,
    since storing the date alone would silently drop it."""
    m = _DATE.fullmatch(s)
    hint = "use YYYY-MM-DD, like 2026-12-25"
    if m is None:
        raise BadValue(f"{_show(s)} is not a date ({hint})")
    try:
        date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        raise BadValue(f"{_show(s)} is not a real date (check the month and the day)") from None
    day = f"{m.group(1)}-{m.group(2)}-{m.group(3)}"
    if len(s) > 10:
        try:
            written = datetime.fromisoformat(s)
        except ValueError:
            raise BadValue(f"{_show(s)} is not a date ({hint})") from None
        if written.time() != time(0):
            raise BadValue(
                f"{_show(s)} has a time of day, but this field holds a date only "
                f"(write the date alone as YYYY-MM-DD, like {day})"
            )
    return day


def _choice_parser(choices: tuple[str, ...]) -> Callable[[str], str]:
    exact = frozenset(choices)
    folded: dict[str, str] = {}
    for choice in choices:
        folded.setdefault(choice.casefold(), choice)
    listed = ", ".join(choices) if choices else "this field has no choices"

    def parse(s: str) -> str:
        if s in exact:
            return s
        try:
            return folded[s.casefold()]
        except KeyError:
            raise BadValue(f"{_show(s)} is not one of the choices ({listed})") from None

    return parse


_STRIPPED: dict[str, Callable[[str], Any]] = {
    "string": _string,
    "email": _email,
    "phone": _phone,
    "integer": _integer,
    "number": _number,
    "boolean": _boolean,
    "date": _date,
}


def _check_type(ftype: str) -> None:
    if ftype not in FIELD_TYPES:
        raise ValueError(f"unknown field type {ftype!r} (known: {', '.join(FIELD_TYPES)})")


@lru_cache(maxsize=256)
def clean_parser(ftype: str, choices: tuple[str, ...] = ()) -> Callable[[str], Any]:
    """The parser for a value already known to be non-empty and free of NUL
    and bad UTF-8 (the importer checks whole lines). It takes the stripped
    text, except for type text, which takes the text as written."""
    _check_type(ftype)
    if ftype == "text":
        return str
    if ftype == "choice":
        return _choice_parser(tuple(str(c) for c in choices))
    return _STRIPPED[ftype]


@lru_cache(maxsize=256)
def text_parser(ftype: str, choices: tuple[str, ...] = ()) -> TextParser:
    """The parser for text values of one field: build once, call per value."""
    one = clean_parser(ftype, choices)
    keep_as_written = ftype == "text"

    def parse(raw: str | None) -> Any:
        if raw is None:
            return None
        s = raw.strip()
        if not s:
            return None
        if "\x00" in s:
            raise BadValue("contains a NUL byte")
        if len(s) > SURELY_FITS and (why := oversize(s)):
            raise BadValue(why)
        if not s.isascii():
            _refuse_bad_utf8(s)
        return one(raw if keep_as_written else s)

    return parse


_TYPE_WORDS = {
    "string": "text",
    "text": "text",
    "email": "an email address",
    "phone": "a phone number",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "yes or no",
    "date": "a date",
    "choice": "one of the choices",
}


def _json_show(value: Any) -> str:
    shown = json.dumps(value, ensure_ascii=False)
    return shown if len(shown) <= 40 else shown[:37] + "..."


@lru_cache(maxsize=256)
def json_parser(ftype: str, choices: tuple[str, ...] = ()) -> JsonParser:
    """The parser for JSON values of one field: build once, call per value.

    Strings go through `text_parser`. Native JSON values are taken where they
    fit: true/false (and 1/0) for boolean; whole numbers for integer (12.0 is
    12); any number for number. For the text-like types (string, text, email,
    phone, choice) and date a JSON number is read as the text it is written
    as (a phone exported as 447700900123). true/false fit only boolean;
    lists and objects fit nothing."""
    by_text = text_parser(ftype, choices)
    words = _TYPE_WORDS[ftype]

    def parse(value: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, str):
            return by_text(value)
        if isinstance(value, bool):
            if ftype == "boolean":
                return value
            raise BadValue(f"{_json_show(value)} is a yes/no value, not {words}")
        if isinstance(value, (int, float)):
            if ftype == "integer":
                if isinstance(value, float):
                    if not value.is_integer():
                        raise BadValue(f"{_json_show(value)} is not a whole number (use digits, like 12)")
                    value = int(value)
                return _integer_in_range(value, lambda: _json_show(value))
            if ftype == "number":
                return _finite(float(value), lambda: _json_show(value))
            if ftype == "boolean":
                if value == 1 or value == 0:
                    return bool(value)
                raise BadValue(
                    f"{_json_show(value)} is not yes or no (use true or false, or 1 or 0)"
                )
            return by_text(repr(value))
        if isinstance(value, list):
            raise BadValue(f"{_json_show(value)} is a list, but a field holds a single value")
        if isinstance(value, dict):
            raise BadValue(f"{_json_show(value)} is an object, but a field holds a single value")
        raise BadValue(f"{value!r} is not {words}")

    return parse


def parse_text(ftype: str, raw: str | None, choices: tuple[str, ...] = ()) -> Any:
    """A value typed by a person (CLI FIELD=VALUE, a CSV cell).
    None or '' (after strip) -> None for every type."""
    return text_parser(ftype, tuple(choices))(raw)


def parse_json(ftype: str, value: Any, choices: tuple[str, ...] = ()) -> Any:
    """A value from a JSON lines file: native JSON types accepted where they fit
    (true -> boolean, 12 -> integer, 1.5 -> number), strings go through
    parse_text; null -> None; lists and objects are BadValue."""
    return json_parser(ftype, tuple(choices))(value)


ID_RULE = "an id is one word: letters, digits and marks like - _ . : or /, like L-100"


def lead_id_problem(lead_id: str) -> str | None:
    """Why `lead_id` cannot be a lead id (it follows the id, quoted), or None.

    Ids are typed in commands and shown in columns, so they hold no spaces and
    no control or invisible characters."""
    if len(lead_id) > SURELY_FITS and (why := oversize(lead_id)):
        return f"the id {why}"
    for char in lead_id:
        if char.isspace() or unicodedata.category(char).startswith("Z"):
            why = "a line break" if char in "\r\n" else "a space"
            return f"{_show(lead_id)} has {why} in it ({ID_RULE})"
        if unicodedata.category(char).startswith("C"):
            return f"{_show(lead_id)} has a control or invisible character in it ({ID_RULE})"
    return None
