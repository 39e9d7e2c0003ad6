"""The policy language as a JSON Schema (draft 2020-12), for editors.

The loader (`check.py`) stays the authority: it names `file:line:col` and
checks what a schema cannot, such as a role that is not defined or a state no
move reaches. This schema mirrors its keys, closed sets and written forms so
an editor completes the keys and flags the same typos as the heads type. The
closed sets and name rules are read from the loader's own constants, so the
two cannot drift apart; the words for each key are in `schema_words.py`.
"""

from __future__ import annotations

import json
import keyword
from typing import Any

from ..values import FIELD_TYPES
from .check import CLOCK, COUNTRY, DAYS, IDENTIFIER, NAME, RESERVED_FIELDS, STRATEGIES, TOP_KEYS, TRANSITION_KEYS
from .check_api import EXTRA, LEAD_ID
from .check_audit import WITNESSES
from .check_clock import IDENTITIES, NOW_ON_WRITES
from .model import OWNER, RESERVED_KEYS, SYSTEM
from .schema_words import WORDS

Schema = dict[str, Any]

SCHEMA_ID = "urn:baton:policy"
DRAFT = "https://json-schema.org/draft/2020-12/schema"

# The written forms the loader reads with code rather than a pattern; the
# schema's tests hold each against the loader on the same samples.
DURATION = r"^\s*0*[1-9][0-9]*\s*[mhd]\s*$"  # check.parse_duration, more than zero
DATE = r"^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"  # YYYY-MM-DD, as the README writes dates
EMAIL = r"^\s*[^\s@]+@[^\s@.]+(\.[^\s@.]+)+\s*$"  # values._email: one @, a dotted domain
PORT = r"0*([1-9][0-9]{0,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])"
HOST_PORT = rf"^\s*\S.*:{PORT}\s*$"  # check_notify._host_port
WEBHOOK = r"^[Hh][Tt][Tt][Pp][Ss]?://[^\s/?#]+([/?#]\S*)?$"  # check_notify._webhook: http(s), a host, no spaces
NOT_BLANK = r"\S"

# A scalar the loader reads as text (`Checker.text`): YAML may type `5` or
# `true`, and the loader takes them as the words they are.
TEXT = ["string", "number", "boolean"]


def _anycase(word: str) -> str:
    return "".join(f"[{c.upper()}{c.lower()}]" if c.isalpha() else c for c in word)


def _property(path: str, schema: Schema) -> Schema:
    return {"description": WORDS[path], **schema}


def _object(path: str, properties: dict[str, Schema], required: tuple[str, ...] = (), nullable: bool = False) -> Schema:
    """A set of entries whose keys are exactly `properties` (the loader refuses any other)."""
    schema: Schema = {"type": ["object", "null"] if nullable else "object", "properties": properties}
    if required:
        schema["required"] = list(required)
    schema["additionalProperties"] = False
    return _property(path, schema)


def _one_or_list(item: Schema, at_least_one: bool = False, nullable: bool = False) -> Schema:
    """A name or a list of names (`Checker.names`)."""
    listed: Schema = {"type": "array", "items": item}
    if at_least_one:
        listed["minItems"] = 1
    return {"anyOf": [*([{"type": "null"}] if nullable else []), item, listed]}


def _text(path: str, nullable: bool = True) -> Schema:
    return _property(path, {"type": [*TEXT, "null"] if nullable else TEXT})


# -- the names and values the language is made of ------------------------------------------------

STATE: Schema = {"type": "string", "pattern": NAME.pattern}
ROLE: Schema = {"type": "string", "pattern": NAME.pattern}
# A login listed under roles: YAML may type `42`, and the loader takes it as the name "42".
PERSON: Schema = {"type": ["string", "integer"]}
MEMBER: Schema = {**PERSON, "not": {"const": SYSTEM}}
DAY: Schema = {
    "type": "string",
    # The loader reads a day by its first three letters, in any case (Monday, MON).
    "anyOf": [{"enum": list(DAYS)}, {"pattern": f"^({'|'.join(_anycase(day) for day in DAYS)})"}],
}
DAY_OF_YEAR: Schema = {"type": "string", "pattern": DATE}
EXPRESSION: Schema = {"type": TEXT}
ADDRESS: Schema = {"type": "string", "pattern": EMAIL}


def _business_hours() -> Schema:
    country = _property("business_hours.holidays.country", {"type": ["string", "null"], "pattern": COUNTRY.pattern})
    dates = _property("business_hours.holidays.dates", _one_or_list(DAY_OF_YEAR))
    closed = {"type": "object", "properties": {"country": country, "dates": dates}, "additionalProperties": False}
    holidays = _property("business_hours.holidays", {"anyOf": [*_one_or_list(DAY_OF_YEAR, nullable=True)["anyOf"], closed]})
    return _object("business_hours", {
        "days": _property("business_hours.days", _one_or_list(DAY, at_least_one=True)),
        "start": _property("business_hours.start", {"type": "string", "pattern": CLOCK.pattern}),
        "end": _property("business_hours.end", {"type": "string", "pattern": CLOCK.pattern}),
        "holidays": holidays,
    }, nullable=True)


def _roles() -> Schema:
    return _property("roles", {
        "type": ["object", "null"],
        "propertyNames": {"pattern": NAME.pattern, "not": {"enum": [OWNER, SYSTEM]}},
        "additionalProperties": _property("roles.ROLE", _one_or_list(MEMBER, nullable=True)),
    })


def _fields() -> Schema:
    choice = {"type": ["string", "integer"]}
    spec = _object("fields.FIELD.settings", {
        "type": _property("fields.FIELD.type", {"enum": list(FIELD_TYPES)}),
        "personal": _property("fields.FIELD.personal", {"type": "boolean"}),
        "values": _property("fields.FIELD.values", _one_or_list(choice, at_least_one=True)),
        "default": _property("fields.FIELD.default", {"type": [*TEXT, "null"]}),
        "description": _text("fields.FIELD.description"),
    }, required=("type",))
    # Only a choice field has values, and it must have them.
    spec["if"] = {"properties": {"type": {"const": "choice"}}}
    spec["then"] = {"required": ["values"]}
    spec["else"] = {"not": {"required": ["values"]}}
    shorthand = {"enum": [t for t in FIELD_TYPES if t != "choice"]}  # `product: string`; a choice needs values
    return _property("fields", {
        "type": ["object", "null"],
        "propertyNames": {
            "pattern": IDENTIFIER.pattern,
            "not": {"enum": sorted(set(keyword.kwlist) | RESERVED_FIELDS)},
        },
        "additionalProperties": _property("fields.FIELD", {"anyOf": [shorthand, spec]}),
    })


def _states() -> Schema:
    state = _object("states.STATE", {
        "owner": _property("states.STATE.owner", {"type": ["string", "null"], "pattern": NAME.pattern}),
        "final": _property("states.STATE.final", {"type": "boolean"}),
        "description": _text("states.STATE.description"),
    }, nullable=True)
    return _property("states", {
        "type": "object",
        "minProperties": 1,
        "propertyNames": {"pattern": NAME.pattern},
        "additionalProperties": state,
    })


def _checklists() -> Schema:
    items = _property("checklists.CHECKLIST", {
        "type": ["object", "null"],
        "additionalProperties": _property("checklists.CHECKLIST.ITEM", EXPRESSION),
    })
    return _property("checklists", {"type": ["object", "null"], "additionalProperties": items})


def _transitions() -> Schema:
    condition = _object("transitions.MOVE.when.condition", {
        "expr": _property("transitions.MOVE.when.expr", EXPRESSION),
        "say": _text("transitions.MOVE.when.say"),
    }, required=("expr",))
    one_condition = {"anyOf": [EXPRESSION, condition]}
    key = {"type": "string", "pattern": IDENTIFIER.pattern, "not": {"enum": list(RESERVED_KEYS)}}
    properties = {
        "from": _property("transitions.MOVE.from", _one_or_list(STATE, at_least_one=True)),
        "to": _property("transitions.MOVE.to", STATE),
        "by": _property("transitions.MOVE.by", _one_or_list(ROLE, at_least_one=True)),
        "when": _property("transitions.MOVE.when", _one_or_list(one_condition, nullable=True)),
        "checklist": _property("transitions.MOVE.checklist", _one_or_list(PERSON, nullable=True)),
        "requires": _property("transitions.MOVE.requires", _one_or_list(key, nullable=True)),
        "description": _text("transitions.MOVE.description"),
    }
    assert tuple(properties) == TRANSITION_KEYS, "a key of a transition is missing from the schema"
    return _property("transitions", {
        "type": "object",
        "minProperties": 1,
        "propertyNames": {"pattern": IDENTIFIER.pattern},
        "additionalProperties": _object("transitions.MOVE", properties, required=("from", "to", "by")),
    })


def _routing() -> Schema:
    rule = _object("routing.rules.RULE", {
        "when": _property("routing.rules.RULE.when", EXPRESSION),
        "assign": _property("routing.rules.RULE.assign", _one_or_list(PERSON, at_least_one=True)),
        "strategy": _property("routing.rules.RULE.strategy", {"enum": [*STRATEGIES, None]}),
    }, required=("assign",))
    routing = _object("routing", {
        "on": _property("routing.on", _one_or_list(STATE, nullable=True)),
        "rules": _property("routing.rules", {"type": "array", "minItems": 1, "items": rule}),
        "notify": _property("routing.notify", _one_or_list(ROLE, nullable=True)),
    }, nullable=True)
    # An empty `routing:` means no routing; once it says anything, it needs both.
    routing["if"] = {"type": "object", "minProperties": 1}
    routing["then"] = {"required": ["on", "rules"]}
    return routing


def _sla() -> Schema:
    breach = _object("sla.CLOCK.breach", {
        "notify": _property("sla.CLOCK.breach.notify", _one_or_list(ROLE, nullable=True)),
        "reassign": _property("sla.CLOCK.breach.reassign", {"type": "boolean"}),
        "fire": _property("sla.CLOCK.breach.fire", {"type": ["string", "null"], "pattern": IDENTIFIER.pattern}),
        "reason": _text("sla.CLOCK.breach.reason"),
    }, nullable=True)
    clock = _object("sla.CLOCK", {
        "name": _property("sla.CLOCK.name", {"type": TEXT, "minLength": 1}),
        "state": _property("sla.CLOCK.state", STATE),
        "within": _property("sla.CLOCK.within", {"type": "string", "pattern": DURATION}),
        "business": _property("sla.CLOCK.business", {"type": "boolean"}),
        "breach": breach,
    }, required=("name", "state", "within"))
    return _property("sla", {"type": ["array", "null"], "items": clock})


def _notify() -> Schema:
    email = _object("notify.email", {
        "server": _property("notify.email.server", {"type": "string", "pattern": HOST_PORT}),
        "from": _property("notify.email.from", ADDRESS),
        "to": _property("notify.email.to", {
            "type": "object",
            "minProperties": 1,
            "additionalProperties": _property("notify.email.to.PERSON", ADDRESS),
        }),
    }, required=("server", "from", "to"))
    notify = _object("notify", {
        "webhook": _property("notify.webhook", {"type": "string", "pattern": WEBHOOK}),
        "email": email,
        "file": _property("notify.file", {"type": "string", "pattern": NOT_BLANK}),
    }, nullable=True)
    notify["minProperties"] = 1
    return notify


def _intake() -> Schema:
    target = {"anyOf": [{"type": "null"}, {"const": ""}, {"const": LEAD_ID},
                        {"type": "string", "pattern": IDENTIFIER.pattern}]}
    one = _object("intake.NAME", {
        "map": _property("intake.NAME.map", {
            "type": ["object", "null"],
            "additionalProperties": _property("intake.NAME.map.KEY", target),
        }),
        "null": _property("intake.NAME.null", _one_or_list({"type": ["string", "integer"], "pattern": NOT_BLANK},
                                                          nullable=True)),
        "extra": _property("intake.NAME.extra", {"enum": [*EXTRA, None]}),
        "id": _text("intake.NAME.id"),
    }, nullable=True)
    return _property("intake", {
        "type": ["object", "null"],
        "propertyNames": {"pattern": IDENTIFIER.pattern},
        "additionalProperties": one,
    })


def policy_schema() -> Schema:
    """The JSON Schema of the whole policy language."""
    properties = {
        "policy": _property("policy", {"type": TEXT, "minLength": 1}),
        "version": _property("version", {"type": "integer", "minimum": 1}),
        "description": _text("description"),
        "timezone": _property("timezone", {"type": "string", "minLength": 1}),
        "business_hours": _business_hours(),
        "roles": _roles(),
        "fields": _fields(),
        "states": _states(),
        "initial": _property("initial", STATE),
        "checklists": _checklists(),
        "transitions": _transitions(),
        "routing": _routing(),
        "sla": _sla(),
        "notify": _notify(),
        "approvals": _object("approvals", {
            "required": _property("approvals.required", _one_or_list(ROLE, nullable=True)),
        }, nullable=True),
        "erasure": _object("erasure", {"by": _property("erasure.by", _one_or_list(ROLE, at_least_one=True))},
                           required=("by",)),
        "clock": _object("clock", {
            "now_on_writes": _property("clock.now_on_writes", {"enum": [*NOW_ON_WRITES, None]}),
        }, nullable=True),
        "identity": _property("identity", {"enum": [*IDENTITIES, None]}),
        "logins": _property("logins", {"type": ["object", "null"], "additionalProperties": _property("logins.LOGIN", MEMBER)}),
        "audit": _object("audit", {
            "witness": _property("audit.witness", {"enum": [*WITNESSES, None]}),
        }, nullable=True),
    }
    properties["api"] = _object("api", {
        "admins": _property("api.admins", _one_or_list(ROLE, at_least_one=True)),
    }, nullable=True)
    properties["intake"] = _intake()
    assert tuple(properties) == TOP_KEYS, "a key of the policy is missing from the schema"
    return {
        "$schema": DRAFT,
        "$id": SCHEMA_ID,
        "title": "Baton policy",
        "description": WORDS["(policy)"],
        "type": "object",
        "required": ["policy", "version", "states", "initial", "transitions"],
        "properties": properties,
        "additionalProperties": False,
    }


def schema_text() -> str:
    """The schema as `baton policy schema` prints it and policies/policy.schema.json holds it."""
    return json.dumps(policy_schema(), indent=2, ensure_ascii=False) + "\n"


def policy_data(text: str) -> Any:
    """A policy's YAML as the plain data an editor validates: read by ruamel's
    safe loader (YAML 1.2), with dates kept as the text they are written as,
    since JSON has no dates."""
    from ruamel.yaml import YAML
    from ruamel.yaml.constructor import SafeConstructor

    class DatesAsText(SafeConstructor):
        pass

    # A subclass, so no other safe loader in the process changes.
    DatesAsText.add_constructor("tag:yaml.org,2002:timestamp", SafeConstructor.construct_yaml_str)
    yaml = YAML(typ="safe", pure=True)
    yaml.version = (1, 2)
    yaml.Constructor = DatesAsText
    return _as_json(yaml.load(text))


def _as_json(value: Any) -> Any:
    """Keys as text: YAML may type a role `42:`, and the loader takes it as the name "42"."""
    if isinstance(value, dict):
        # a key `null:` (intake's null tokens) is the name null, as the loader reads it
        return {"null" if key is None else str(key): _as_json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_as_json(item) for item in value]
    return value
