"""One JSON object judged as a new lead: a record of a JSON lines export, or
a lead a web form or another tool posts through an intake (`intake.py`).

`ObjectJudge` says which field, or the lead id, each key fills (`columns`'
`Matching`: a map entry, else a field of the same name, else `id`), parses
each value as the import parses JSON values (`values.json_parser`: native
JSON where it fits, strings as typed text; a list or an object fills no
field), and turns a value that is null, blank or one of the null tokens
into no value. Keys that fill nothing are refused only with `extra: error`.
A problem is one plain reason, the same words for an import's bad row and a
refused post.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Mapping
from typing import Any

from ..values import BadValue, json_parser, lead_id_problem
from .columns import ID, Matching, clashing_keys
from .read import BAD_UTF8, HAS_NUL, line_problem

_KeyEntry = tuple[str | None, Callable[[Any], Any] | None, bool]


# What one object gives a new lead, or why it cannot: (the lead id it gives,
# or None to make one; the parsed values, only of the fields that are not
# null; the fields it gives empty, null rather than their default, or None;
# why the object is refused, or None). A plain tuple: one is made a record.
Judged = tuple[str | None, dict[str, Any], list[str] | None, str | None]


class ObjectJudge:
    """Judges JSON objects one after another, remembering what each key
    fills (an export repeats the same keys on every line)."""

    def __init__(self, matching: Matching, nulls: Collection[str], extra: str,
                 unknown_message: Callable[[list[str]], str]):
        self._matching = matching
        self._nulls = frozenset(n.strip() for n in nulls)
        self._extra_error = extra == "error"
        self._unknown_message = unknown_message
        self._known: dict[str, _KeyEntry] = {}  # key -> (target, parser, understood)
        # Two keys can fill one field ("Email" and "email") only once two
        # different keys have been seen for it; until then skip that check.
        self._key_of_target: dict[str, str] = {}
        self._ambiguous = False

    def _resolve(self, key: str) -> _KeyEntry:
        target, understood = self._matching.target(key)
        parse = None
        if target is not None:
            if self._key_of_target.setdefault(target, key) != key:
                self._ambiguous = True
            if target != ID:
                spec = self._matching.fields[target]
                parse = json_parser(spec.type, tuple(spec.choices))
        entry = (target, parse, understood)
        if len(self._known) < 10_000:  # ever new keys must not grow memory
            self._known[key] = entry
        return entry

    def judge(self, obj: Mapping[str, Any]) -> Judged:
        known, resolve, nulls = self._known, self._resolve, self._nulls
        fields: dict[str, Any] = {}
        blank: list[str] | None = None
        lead_id: str | None = None
        unknown: list[str] = []
        problems: list[str] = []
        for key, value in obj.items():
            target, parse, understood = known.get(key) or resolve(key)
            if target is None:
                if not understood:
                    unknown.append(key)
                continue
            empty = value is None or (
                isinstance(value, str) and (not value.strip() or value.strip() in nulls)
            )
            if empty:
                if parse is not None:
                    if blank is None:
                        blank = []
                    blank.append(target)
                continue
            if parse is None:  # the id
                lead_id, id_bad = json_id(value)
                if id_bad is not None:
                    problems.append(id_bad)
                continue
            try:
                fields[target] = parse(value)
            except BadValue as e:
                problems.append(f"field {target!r}: {e.reason}")
        if problems:
            return lead_id, fields, blank, "; ".join(problems)
        if self._ambiguous and (clash := clashing_keys(obj, lambda k: (known.get(k) or resolve(k))[0])):
            return lead_id, fields, blank, clash
        if unknown and self._extra_error:
            return lead_id, fields, blank, self._unknown_message(unknown)
        return lead_id, fields, blank, None


def _id_with_line_break(lead_id: str) -> str:
    return f"the id {lead_id!r} has a line break (an id is a single line)"


def id_problem(lead_id: str) -> str | None:
    """Why a (stripped) id from the file cannot be a lead id, or None."""
    if "\n" in lead_id or "\r" in lead_id:
        return _id_with_line_break(lead_id)
    problem = lead_id_problem(lead_id)
    return None if problem is None else f"the id {problem}"


def json_id(value: Any) -> tuple[str | None, str | None]:
    """(the lead id or None, the reason it is bad or None)."""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        shown = json.dumps(value, ensure_ascii=False)
        return None, f"the id {shown} is not text or a whole number"
    lead_id = value.strip() if isinstance(value, str) else str(value)
    if "\x00" in lead_id:
        return None, HAS_NUL
    if "\n" in lead_id or "\r" in lead_id:
        return None, _id_with_line_break(lead_id)
    if line_problem(lead_id) is not None:
        return None, BAD_UTF8
    if lead_id and (problem := id_problem(lead_id)) is not None:
        return None, problem
    return lead_id or None, None
