"""Reading a request's JSON body: the shape each endpoint takes, checked
before the engine sees it, in the plain sentences of the CLI.

JSON values become the text a `FIELD=VALUE` would carry (12, 12.5, true,
false; null clears, as `FIELD=` does), so the engine parses them by the
field's type exactly as it parses the command line's.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ..errors import BadArgument, BadFields, FieldProblem, closest
from ..policy.model import Policy


def parse_json(body: bytes, example: str) -> Any:
    """The body as JSON, or BadArgument saying where it stops being JSON."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise BadArgument(f"the request body is not UTF-8 (byte {error.start + 1}); send JSON in UTF-8") from None
    if not text.strip():
        raise BadArgument(f"the request body is empty; send one JSON object, like {example}")
    try:
        return _DECODER.decode(text)
    except json.JSONDecodeError as error:
        raise BadArgument(
            f"the request body is not valid JSON (line {error.lineno}, column {error.colno}: {error.msg}); "
            f"send one JSON object, like {example}"
        ) from None
    except RecursionError:  # lists in lists a thousand deep: Python's decoder runs out of stack
        raise BadArgument(f"the request body nests lists or objects too deeply to read; "
                          f"send one JSON object of plain values, like {example}") from None


def _no_constant(name: str) -> Any:
    raise BadArgument(f"the request body holds {name}, which is not a JSON number; give a number like 12.5, or null")


# Made once: `json.loads` with options builds a new decoder each call.
_DECODER = json.JSONDecoder(parse_constant=_no_constant)


def json_object(body: bytes, takes: tuple[str, ...], example: str, *, required: tuple[str, ...] = ()) -> dict[str, Any]:
    """The body as a JSON object with only the keys `takes`, and all of `required`."""
    value = parse_json(body, example)
    if not isinstance(value, dict):
        raise BadArgument(f"the request body is a JSON {_kind(value)}, not an object; send one like {example}")
    unknown = [key for key in value if key not in takes]
    if unknown:
        named = []
        for key in unknown:
            near = closest(key, takes)
            named.append(f"'{key}' (did you mean '{near}'?)" if near else f"'{key}'")
        raise BadArgument(f"the request body has {', '.join(named)}, which it does not take; "
                          f"it takes {', '.join(takes)}, like {example}")
    missing = [key for key in required if key not in value]
    if missing:
        raise BadArgument(f"the request body has no {', '.join(missing)}; send it like {example}")
    return value


def optional_text(body: Mapping[str, Any], key: str) -> str | None:
    value = body.get(key)
    if value is None or isinstance(value, str):
        return value
    raise BadArgument(f"'{key}' is a JSON {_kind(value)}; give it as a string")


def as_text(value: Any) -> str | None:
    """A JSON value as FIELD=VALUE's text ("" for null), or None when it is a list or object."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, int, float)):
        return value if isinstance(value, str) else str(value)
    return None


def field_pairs(policy: Policy, fields: Any, key: str = "fields") -> list[tuple[str, str]]:
    """A `fields` object as the FIELD=VALUE pairs `lead add` and `lead set` take;
    a list or object as a value is named, with every other problem, at once."""
    if not isinstance(fields, dict):
        raise BadArgument(f"'{key}' is a JSON {_kind(fields)}; give an object of field names and values, "
                          'like {"score": 70, "email": "ana@example.com"}')
    pairs: list[tuple[str, str]] = []
    problems: list[FieldProblem] = []
    for name, value in fields.items():
        text = as_text(value)
        if text is None:
            problems.append(FieldProblem(name, f"is a JSON {_kind(value)}; give a string, a number, true, false or null"))
        else:
            pairs.append((name, text))
    if problems:
        raise BadFields(problems, list(policy.fields))
    return pairs


def trigger_args(args: Any) -> dict[str, str]:
    """An advance's `args` object as the KEY=VALUE arguments of `lead advance`."""
    if args is None:
        return {}
    if not isinstance(args, dict):
        raise BadArgument(f"'args' is a JSON {_kind(args)}; give an object, like {{\"reason\": \"no budget this year\"}}")
    out = {}
    for key, value in args.items():
        text = as_text(value)
        if text is None:
            raise BadArgument(f"args '{key}' is a JSON {_kind(value)}; give a string, like \"no budget this year\"")
        out[key] = text
    return out


def _kind(value: Any) -> str:
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "list"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    return "null"
