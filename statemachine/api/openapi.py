"""GET /v1/openapi.json: the OpenAPI 3.1 document of the API under the policy in force.

The lead and the event are the JSON Schemas of what `lead show --json` and
`audit log --json` print (`shapes.py`, documented once); the fields a
request may give, the triggers and each trigger's keys come from the policy,
so a client generated from the document knows today's agreement.
"""

from __future__ import annotations

from typing import Any

from ..lifecycle import OPTIONAL_KEYS
from ..policy.model import Field, Policy

# What a request may give a field of each type: the JSON the value parses
# from (`bodies.as_text`), so a number may come as text, as on the command line.
_INPUT: dict[str, dict[str, Any]] = {
    "integer": {"type": ["integer", "string", "null"]},
    "number": {"type": ["number", "string", "null"]},
    "boolean": {"type": ["boolean", "string", "null"]},
    "date": {"type": ["string", "null"], "format": "date"},
    "email": {"type": ["string", "null"], "format": "email"},
}
_ERRORS = {
    "401": "No token, or one unknown or revoked.",
    "403": "The token's actor may not do this.",
    "404": "No such lead (or intake, or path).",
    "409": "Refused by the policy, or a conflicting change (try again).",
    "413": "The body is over 1 MB.",
    "422": "Invalid input: not JSON, an unknown field or trigger, a bad value.",
}


def field_input(field: Field) -> dict[str, Any]:
    schema = dict(_INPUT.get(field.type, {"type": ["string", "null"]}))
    if field.choices:
        schema = {"enum": [*field.choices, None]}
    if field.description:
        schema["description"] = field.description
    return schema


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _body(name: str) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": _ref(name)}}}


def _answers(status: str, what: str, schema: dict[str, Any], *errors: str) -> dict[str, Any]:
    out: dict[str, Any] = {status: {"description": what, "content": {"application/json": {"schema": schema}}}}
    for code in ("401", *errors):
        out[code] = {"description": _ERRORS[code], "content": {"application/json": {"schema": _ref("Error")}}}
    return out


def _advance_schema(policy: Policy) -> dict[str, Any]:
    """One alternative a trigger: its name, and the keys it needs and takes."""
    choices = []
    for name, transition in policy.transitions.items():
        keys = list(dict.fromkeys([*transition.requires, *OPTIONAL_KEYS]))
        args: dict[str, Any] = {"type": "object", "additionalProperties": False,
                                "properties": {key: {"type": "string"} for key in keys}}
        if transition.requires:
            args["required"] = list(transition.requires)
        choice: dict[str, Any] = {
            "type": "object", "additionalProperties": False, "required": ["trigger"],
            "properties": {"trigger": {"const": name}, "args": args},
        }
        if transition.description:
            choice["description"] = transition.description
        if transition.requires:
            choice["required"] = ["trigger", "args"]
        choices.append(choice)
    return {"oneOf": choices}


def document(policy: Policy) -> dict[str, Any]:
    from ..shapes import event_schema, lead_schema

    idempotency = {"name": "Idempotency-Key", "in": "header", "required": False, "schema": {"type": "string"},
                   "description": "Repeat a POST with the same key: the first answer again, nothing written."}
    lead_id = {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}
    written = _ref("LeadWritten")
    fields = {"type": "object", "additionalProperties": False,
              "properties": {name: field_input(field) for name, field in policy.fields.items()}}
    lead = lead_schema(policy)
    # A change answers with the lead and the events it wrote, as `lead add --json` prints them.
    lead_with_events = {**lead, "title": f"{lead['title']}, with the events a change wrote",
                        "properties": {**lead["properties"], "events": {"type": "array", "items": _ref("Event")}},
                        "required": [*lead["required"], "events"]}
    return {
        "openapi": "3.1.0",
        "info": {"title": f"Baton: {policy.name}", "version": str(policy.version),
                 "description": policy.description or "The lead handover as the policy in force says."},
        "security": [{"bearer": []}],
        "paths": {
            "/v1/leads": {
                "post": {"summary": "Add a lead (baton lead add)", "parameters": [idempotency],
                         "requestBody": _body("NewLead"), "responses": _answers("201", "The lead", written, "403", "409", "413", "422")},
                "get": {"summary": "Leads, filtered (baton lead list)", "parameters": [
                    {"name": name, "in": "query", "required": False, "schema": {"type": "string"}}
                    for name in ("state", "owner", "where", "unassigned", "overdue")],
                    "responses": _answers("200", "The leads", {"type": "array", "items": _ref("Lead")}, "422")},
            },
            "/v1/leads/{id}": {
                "parameters": [lead_id],
                "get": {"summary": "One lead (baton lead show)", "responses": _answers("200", "The lead", _ref("Lead"), "404")},
                "patch": {"summary": "Change fields (baton lead set)", "parameters": [idempotency],
                          "requestBody": _body("FieldChange"),
                          "responses": _answers("200", "The lead", written, "403", "404", "409", "413", "422")},
            },
            "/v1/leads/{id}/advance": {"parameters": [lead_id], "post": {
                "summary": "Fire a trigger (baton lead advance)", "parameters": [idempotency],
                "requestBody": _body("Advance"),
                "responses": _answers("200", "The lead", written, "403", "404", "409", "413", "422")}},
            "/v1/leads/{id}/attempts": {"parameters": [lead_id], "post": {
                "summary": "Log a contact attempt (baton lead attempt)", "parameters": [idempotency],
                "requestBody": {**_body("Attempt"), "required": False},  # an empty body logs a plain attempt
                "responses": _answers("201", "The lead", written, "403", "404", "409", "413", "422")}},
            "/v1/intake/{name}": {"parameters": [{"name": "name", "in": "path", "required": True,
                                                  "schema": {"enum": list(policy.intake)}}],
                                  "post": {"summary": "Add a lead posted with another tool's field names (the policy's intake)",
                                           "parameters": [idempotency],
                                           "requestBody": {"required": True, "content": {"application/json": {"schema": {"type": "object"}}}},
                                           "responses": _answers("201", "The lead", written, "403", "404", "409", "413", "422")}},
            "/v1/events": {"get": {
                "summary": "The log after a seq, oldest first (baton audit log --json)",
                "parameters": [
                    {"name": "after", "in": "query", "schema": {"type": "integer", "minimum": 0}},
                    {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 1000}},
                    {"name": "wait", "in": "query", "schema": {"type": "integer", "minimum": 0, "maximum": 60},
                     "description": "Seconds to wait for an event when there is none yet (a long poll)."},
                ],
                "responses": _answers("200", "The events", {"type": "array", "items": _ref("Event")}, "422")}},
            "/v1/openapi.json": {"get": {"summary": "This document",
                                         "responses": _answers("200", "OpenAPI 3.1", {"type": "object"})}},
        },
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer",
                                           "description": "A token from `baton token create ACTOR`."}},
            "schemas": {
                "Lead": lead,
                "LeadWritten": lead_with_events,
                "Event": event_schema(),
                "Fields": fields,
                "NewLead": {"type": "object", "additionalProperties": False,
                            "properties": {"id": {"type": "string"}, "fields": _ref("Fields")}},
                "FieldChange": {"type": "object", "additionalProperties": False, "required": ["fields"],
                                "properties": {"fields": _ref("Fields")}},
                "Advance": _advance_schema(policy),
                "Attempt": {"type": "object", "additionalProperties": False,
                            "properties": {"channel": {"type": ["string", "null"]}, "note": {"type": ["string", "null"]}}},
                "Error": {"type": "object", "required": ["error"], "properties": {"error": {"type": "string"}}},
            },
        },
    }
