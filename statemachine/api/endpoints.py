"""What each endpoint does, as engine calls: the functions `baton lead ...`
calls, with the request's actor acting, and the JSON `--json` prints.

Each takes the request's Workspace (and the path's lead, the body as bytes,
the query as a mapping) and gives an `Answer`: the status, the JSON value,
and the lead it concerns (kept with an idempotent answer). Nothing here
knows HTTP beyond the status numbers; refusals are the engine's errors,
which `statuses.status_of` turns into codes.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from typing import Any, NamedTuple

from ..errors import BadArgument, UnknownState
from ..lifecycle import Recorder
from ..workspace import Workspace
from .bodies import field_pairs, json_object, optional_text, parse_json, trigger_args


class Answer(NamedTuple):
    status: int
    value: Any
    lead: str | None = None


MAX_EVENTS = 1000  # events one GET /v1/events gives at most; follow with after=
LARGEST_NUMBER = 2**63 - 1  # the largest whole number SQLite and PostgreSQL's bigint hold


def written(ws: Workspace, recorder: Recorder, status: int = 200) -> Answer:
    """After a change: the lead as `lead show --json` prints it, plus the
    events written, as `lead add --json` (and set, advance, attempt) print."""
    from ..lifecycle import describe

    assert recorder.row is not None
    shown = {**describe(ws, recorder.row, recorder.clocks), "events": [event.as_json() for event in recorder.events]}
    return Answer(status, shown, recorder.row["id"])


def add(ws: Workspace, body: bytes) -> Answer:
    from ..lifecycle import add_lead

    given = json_object(body, ("id", "fields"), '{"fields": {"email": "ana@example.com", "score": 70}}')
    lead = optional_text(given, "id")
    if lead is not None and not lead.strip():
        raise BadArgument('"id" is empty; give an id like "L-100", or leave "id" out')
    pairs = field_pairs(ws.policy, given.get("fields", {}))
    return written(ws, add_lead(ws, lead.strip() if lead else None, pairs), 201)


def change(ws: Workspace, lead: str, body: bytes) -> Answer:
    from ..lifecycle import set_fields

    given = json_object(body, ("fields",), '{"fields": {"budget": 25000}}', required=("fields",))
    return written(ws, set_fields(ws, lead, field_pairs(ws.policy, given["fields"])))


def advance(ws: Workspace, lead: str, body: bytes) -> Answer:
    from ..lifecycle import advance as fire

    given = json_object(body, ("trigger", "args"), '{"trigger": "recycle", "args": {"reason": "no budget"}}',
                        required=("trigger",))
    trigger = given["trigger"]
    if not isinstance(trigger, str):
        raise BadArgument('"trigger" must be a string, the name of a transition, like "hand_over"')
    return written(ws, fire(ws, lead, trigger, trigger_args(given.get("args"))))


def attempt(ws: Workspace, lead: str, body: bytes) -> Answer:
    from ..lifecycle import log_attempt

    given = json_object(body or b"{}", ("channel", "note"), '{"channel": "call", "note": "left a message"}')
    return written(ws, log_attempt(ws, lead, optional_text(given, "channel"), optional_text(given, "note")), 201)


def intake(ws: Workspace, name: str, body: bytes) -> Answer:
    """A lead posted by another tool with its own field names, mapped by the
    policy's `intake: {NAME: ...}` as `lead import` maps a file's columns."""
    from ..intake import intake_lead
    from ..lifecycle import add_lead

    payload = parse_json(body, '{"Email Address": "ana@example.com"}')
    if not isinstance(payload, dict):
        raise BadArgument(f"intake {name} takes one JSON object of the tool's own field names; this body is not one")
    lead, pairs = intake_lead(ws.policy, name, payload)
    return written(ws, add_lead(ws, lead, pairs), 201)


def show(ws: Workspace, lead: str) -> Answer:
    from ..lifecycle import show as describe_lead

    return Answer(200, describe_lead(ws, lead), lead)


LIST_QUERY = ("state", "owner", "where", "unassigned", "overdue")


def listing(ws: Workspace, query: Mapping[str, str]) -> Answer:
    """`lead list --json`, as one JSON list."""
    from ..lifecycle import describe, list_rows
    from ..where import compile_where, matching

    known_query(query, LIST_QUERY)
    state = query.get("state")
    if state is not None and state not in ws.policy.states:
        raise UnknownState(state, list(ws.policy.states))
    rows = list_rows(ws, state, query.get("owner"), flag(query, "unassigned"), flag(query, "overdue"))
    if "where" in query:
        rows = matching(ws, compile_where(ws.policy, query["where"]), rows)
    return Answer(200, [describe(ws, row) for row in rows])


def events_after(ws: Workspace, after: int, limit: int) -> list[dict[str, Any]]:
    """The events after seq `after`, oldest first, as `audit log --json` prints them."""
    return [event.as_json() for event in itertools.islice(ws.store.events("WHERE seq > ?", (after,)), limit)]


def once_each(given: list[tuple[str, str]]) -> dict[str, str]:
    """The query's names and values, each name once: `?state=MQL&state=SAL` is
    refused rather than read as one of the two."""
    query: dict[str, str] = {}
    for name, value in given:
        if name in query:
            raise BadArgument(f"?{name} is given more than once; give it once, like ?{name}={query[name]}")
        query[name] = value
    return query


def known_query(query: Mapping[str, str], takes: tuple[str, ...]) -> None:
    unknown = [name for name in query if name not in takes]
    if unknown:
        raise BadArgument(f"this path does not take ?{', ?'.join(unknown)}; it takes ?{', ?'.join(takes)}")


def flag(query: Mapping[str, str], name: str) -> bool:
    value = query.get(name)
    if value is None or value.lower() in ("false", "0", "no"):
        return False
    if value.lower() in ("", "true", "1", "yes"):
        return True
    raise BadArgument(f"?{name}={value} is neither true nor false; write ?{name}=true or leave it out")


def whole_number(query: Mapping[str, str], name: str, default: int, most: int | None = None) -> int:
    value = query.get(name)
    if value is None:
        return default
    # ASCII digits only: str.isdigit() also takes a superscript two or an Arabic-Indic one.
    if not (value.isascii() and value.isdigit()):
        raise BadArgument(f"?{name}={value} is not a whole number; write it like ?{name}=0")
    # Beyond the largest number the database holds (a seq never gets there) means the same as it.
    return min(int(value), most if most is not None else LARGEST_NUMBER)
