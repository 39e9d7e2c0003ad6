"""A lead posted by a web form or another tool, in its own words, turned into
what `lead add` takes, through the policy's `intake: {NAME: ...}` mapping.

The posted object is judged exactly as a record of a JSON lines import is
(`leadimport.objects`): each key fills the field its `map` entry names (a
key mapped to nothing is left out), else the field of the same name (case
aside), else `id`, the lead id, as does the key the intake's `id:` names.
Values are JSON strings, numbers, booleans or null; a list or an object
fills no field. A null, a blank string or one of the intake's `null` tokens
is no value. Keys that fill nothing are left out, or refuse the lead with
`extra: error`. Nothing is written here: the caller adds the lead.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .errors import BadIntake, UnknownIntake
from .leadimport.columns import FieldSpec, Matching, quoted_list
from .policy.model import Intake, Policy

__all__ = ["intake_lead"]


def intake_lead(policy: Policy, name: str, payload: Mapping[str, Any]) -> tuple[str | None, list[tuple[str, str]]]:
    """(the lead id the post gives, or None to make one; FIELD/VALUE pairs as
    `lead add` takes them, an empty value for a field posted empty).

    Raises `UnknownIntake` for a NAME the policy lacks and `BadIntake` for a
    post that cannot be a lead, with the reason the import gives."""
    from .leadimport.objects import ObjectJudge

    intake = policy.intake.get(name)
    if intake is None:
        raise UnknownIntake(name, list(policy.intake))
    if not isinstance(payload, Mapping):
        raise BadIntake(name, 'a lead is posted as one JSON object of keys and values, like {"email": '
                              '"jane@example.com"}')
    specs = {field: FieldSpec(spec.type, spec.choices) for field, spec in policy.fields.items()}
    matching = Matching(specs, intake.mapping)
    judge = ObjectJudge(matching, intake.nulls, intake.extra, lambda keys: _unknown_keys(intake, keys, policy))
    lead_id, fields, blank, problem = judge.judge(payload)
    if problem is not None:
        raise BadIntake(name, problem)
    if not fields and not blank and lead_id is None:
        raise BadIntake(name, _fills_nothing(intake, list(payload), policy))
    pairs = [(field, _typed(value)) for field, value in fields.items()]
    pairs += [(field, "") for field in blank or ()]
    return lead_id, pairs


def _typed(value: Any) -> str:
    """A parsed value as `lead add` reads it back to the same value."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    return str(value)


def _map_hint(intake: Intake, keys: list[str], policy: Policy) -> str:
    from .errors import closest

    near = closest(keys[0], list(policy.fields)) if len(keys) == 1 else None
    example = f"{keys[0]}: {near}" if near else f"{keys[0]}: FIELD"
    return (f"map {'it' if len(keys) == 1 else 'each'} to a field under intake: {intake.name}: map: in the "
            f"policy, like `{example}` (fields: {', '.join(policy.fields)})")


def _unknown_keys(intake: Intake, keys: list[str], policy: Policy) -> str:
    noun = "a posted key that matches" if len(keys) == 1 else "posted keys that match"
    return (f"{noun} no field: {_some(keys)}. {_capital(_map_hint(intake, keys, policy))}, "
            "or set `extra: ignore` there to leave such keys out")


def _fills_nothing(intake: Intake, keys: list[str], policy: Policy) -> str:
    if not keys:
        return "the post has no keys, so there is no lead in it"
    return (f"none of the posted keys ({_some(keys)}) fills a field "
            f"or the id; {_map_hint(intake, keys, policy)}")


def _capital(sentence: str) -> str:
    return sentence[:1].upper() + sentence[1:]


def _some(keys: list[str]) -> str:
    """The keys quoted; past ten, the first ten and how many more (a post may hold thousands)."""
    if len(keys) <= 10:
        return quoted_list(keys)
    return f"{', '.join(repr(key) for key in keys[:10])} and {len(keys) - 10} more"
