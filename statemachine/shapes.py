"""The JSON shapes Baton prints, as JSON Schemas (draft 2020-12), written once.

`lead_schema(policy)` is one lead as `lead show --json` prints it (and `lead
list --json`, one a line); `event_schema()` is one event as `audit log
--json` prints it. The HTTP API answers with the same objects, and its
OpenAPI document takes its schemas from here. A lead's shape depends on the
policy (its states, fields, checklists, triggers); an event's does not.
Both are closed: a key not written here is a change of the contract.
"""

from __future__ import annotations

from typing import Any

from .events import EVENT_COLUMNS
from .policy.model import Field, Policy

Schema = dict[str, Any]

DRAFT = "https://json-schema.org/draft/2020-12/schema"
# ISO 8601 with a UTC offset, as `times.iso` writes every time in JSON
TIME: Schema = {"type": "string", "pattern": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?"
                                              r"(Z|[+-][0-9]{2}:[0-9]{2})$"}
DAY: Schema = {"type": "string", "pattern": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"}
HASH: Schema = {"type": "string", "pattern": "^[0-9a-f]{64}$"}
NAME: Schema = {"type": "string", "minLength": 1}

# A field type's canonical value (`values.py`); choices are listed per field.
_VALUE_OF_TYPE: dict[str, Schema] = {
    "string": {"type": "string"},
    "text": {"type": "string"},
    "email": {"type": "string"},
    "phone": {"type": "string"},
    "integer": {"type": "integer"},
    "number": {"type": "number"},
    "boolean": {"type": "boolean"},
    "date": DAY,
}


def _closed(properties: dict[str, Schema], description: str, required: tuple[str, ...] | None = None) -> Schema:
    return {
        "type": "object",
        "description": description,
        "properties": properties,
        "required": list(properties if required is None else required),
        "additionalProperties": False,
    }


def field_value(field: Field) -> Schema:
    """The value of one field of the policy, as JSON holds it."""
    value: Schema = {"enum": list(field.choices)} if field.type == "choice" else dict(_VALUE_OF_TYPE[field.type])
    words = f"{field.type}{', personal data' if field.personal else ''}"
    value["description"] = f"{field.description} ({words})" if field.description else words
    return value


def _clock() -> Schema:
    return _closed({
        "name": {**NAME, "description": "the SLA clock's name in the policy"},
        "state": {**NAME, "description": "the state the clock runs in"},
        "started": {**TIME, "description": "when the lead entered that state"},
        "due": {**TIME, "description": "when the clock runs out"},
        "breached": {"type": "boolean", "description": "whether a sweep has acted on it running out"},
        "breached_at": {"anyOf": [TIME, {"type": "null"}], "description": "when a sweep acted, or null"},
        "overdue": {"type": "boolean", "description": "whether `due` is at or before now"},
    }, "one running SLA clock")


def lead_schema(policy: Policy) -> Schema:
    """One lead as `lead show --json` prints it, under `policy`."""
    fields = _closed({name: field_value(field) for name, field in policy.fields.items()},
                     "the fields that have a value; a field without one (never given, cleared or erased) is absent",
                     required=())
    checklists = _closed(
        {name: {"type": "array", "uniqueItems": True, "items": {"enum": [label for label, _ in checklist.items]},
                "description": f"the labels of checklist {name} that are not met yet; empty when it is complete"}
         for name, checklist in policy.checklists.items()},
        "each checklist of the policy and what it still misses")
    return {
        "$schema": DRAFT,
        "title": f"A lead under policy {policy.name} version {policy.version}",
        **_closed({
            "id": {**NAME, "description": "the lead id"},
            "state": {"enum": list(policy.states), "description": "the state the lead is in"},
            "owner": {"anyOf": [NAME, {"type": "null"}], "description": "the rep who owns it, or null"},
            "attempts": {"type": "integer", "minimum": 0, "description": "contact attempts logged in this state"},
            "state_since": {**TIME, "description": "when it entered this state"},
            "created_at": {**TIME, "description": "when it was created"},
            "fields": fields,
            "checklists": checklists,
            "sla": {"type": "array", "items": _clock(), "description": "its running SLA clocks, soonest due first"},
            "allowed": {"type": "array", "uniqueItems": True, "items": {"enum": list(policy.transitions)},
                        "description": "the triggers the acting person may fire on it now"},
        }, "one lead: where it stands and what may happen next"),
    }


_EVENT_WORDS: dict[str, tuple[Schema, str]] = {
    "seq": ({"type": "integer", "minimum": 1}, "its place in the log, from 1, with no gaps"),
    "lead": ({"anyOf": [NAME, {"type": "null"}]}, "the lead it is about, or null (a policy applied, a rep away)"),
    "at": (TIME, "when it happened"),
    "actor": (NAME, "who did it; system for Baton itself"),
    "event": (NAME, "what happened: created, updated, assigned, unrouted, attempt, sla_breach, policy_applied, "
                    "moved, approved, erased, rep_away, rep_back, or the name of the transition fired"),
    "from": ({"anyOf": [NAME, {"type": "null"}]}, "the state before, or null"),
    "to": ({"anyOf": [NAME, {"type": "null"}]}, "the state after, or null"),
    "data": ({"type": "object"}, "what it records, exactly as hashed; a personal value appears as "
                                 '{"personal": DIGEST}, never the value'),
    "policy_version": ({"anyOf": [{"type": "integer", "minimum": 1}, {"type": "null"}]},
                       "the policy version in force when it happened"),
    "prev": (HASH, "the hash of the event before it (64 zeros for the first)"),
    "hash": (HASH, "SHA-256 of the canonical JSON of every key above but hash"),
}


def event_schema() -> Schema:
    """One event as `audit log --json` prints it."""
    assert tuple(_EVENT_WORDS) == EVENT_COLUMNS, "an event column is missing from its shape"
    return {
        "$schema": DRAFT,
        "title": "An event of the log",
        **_closed({key: {**schema, "description": words} for key, (schema, words) in _EVENT_WORDS.items()},
                  "one event of the append-only, hash-chained log"),
    }
