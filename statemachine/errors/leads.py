"""Refusals about leads and their moves: unknown names, bad values, who may
fire what, and the guards and checklist items that do not hold."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from ..record import Record
from .base import BatonError, _and, closest


class UnknownLead(BatonError):
    def __init__(self, lead: str):
        super().__init__(f"no lead '{lead}'; `baton lead list` shows the leads there are")
        self.lead = lead


class DuplicateLead(BatonError):
    def __init__(self, lead: str):
        super().__init__(f"lead '{lead}' already exists; choose another id or leave --id out")
        self.lead = lead


def _not_in_policy(kind: str, name: str, known: list[str]) -> str:
    """`no field 'emial' in the policy; did you mean 'email'? (fields: ...)`."""
    near = closest(name, known)
    hint = f"; did you mean '{near}'?" if near else ""
    return f"no {kind} '{name}' in the policy{hint} ({kind}s: {', '.join(known)})"


class UnknownTrigger(BatonError):
    def __init__(self, trigger: str, known: list[str]):
        super().__init__(_not_in_policy("transition", trigger, known))
        self.trigger = trigger


class UnknownField(BatonError):
    def __init__(self, field: str, known: list[str]):
        super().__init__(_not_in_policy("field", field, known))
        self.field = field


class UnknownState(BatonError):
    def __init__(self, state: str, known: list[str]):
        super().__init__(_not_in_policy("state", state, known))
        self.state = state


class UnknownName(BatonError):
    """A name given where either a transition or a state would do (`policy explain`)."""

    def __init__(self, name: str, transitions: list[str], states: list[str], settings: list[str] | None = None):
        near = closest(name, [*transitions, *states, *(settings or [])])
        hint = f"; did you mean '{near}'?" if near else ""
        what = "transition, state or setting" if settings else "transition or state"
        listed = f"; settings: {', '.join(settings)}" if settings else ""
        super().__init__(
            f"no {what} '{name}' in the policy{hint} "
            f"(transitions: {', '.join(transitions)}; states: {', '.join(states)}{listed})"
        )
        self.name = name


class BadFieldValue(BatonError):
    def __init__(self, field: str, reason: str):
        super().__init__(f"field '{field}': {reason}")
        self.field = field
        self.reason = reason


class FieldProblem(Record):
    """One FIELD=VALUE that cannot be used: `reason` why its value is bad, or
    None when the policy has no field of that name."""

    field: str
    reason: str | None


class BadFields(BatonError):
    """Every FIELD=VALUE of one command that cannot be used, named at once.

    One problem reads as `UnknownField` or `BadFieldValue` would; several are
    counted and listed in the order given, with the policy's fields once at
    the end when a name is unknown."""

    def __init__(self, problems: list[FieldProblem], known: list[str]):
        self.problems, self.known = problems, known
        if len(problems) == 1:
            only = problems[0]
            one = UnknownField(only.field, known) if only.reason is None else BadFieldValue(only.field, only.reason)
            super().__init__(str(one))
            return
        parts = []
        for problem in problems:
            if problem.reason is not None:
                parts.append(str(BadFieldValue(problem.field, problem.reason)))
                continue
            near = closest(problem.field, known)
            hint = f" (did you mean '{near}'?)" if near else ""
            parts.append(f"no field '{problem.field}' in the policy{hint}")
        listed = f"; fields in the policy: {', '.join(known)}" if any(p.reason is None for p in problems) else ""
        super().__init__(f"{len(problems)} values cannot be used: {'; '.join(parts)}{listed}")


class WrongState(BatonError):
    def __init__(self, lead: str, trigger: str, state: str, sources: list[str]):
        super().__init__(
            f"{lead} is in {state}; '{trigger}' only moves a lead out of {', '.join(sources)}"
        )
        self.lead, self.trigger, self.state, self.sources = lead, trigger, state, sources


class NotAllowed(BatonError):
    """The actor holds none of the roles the transition lists.

    `roles` (role -> actors) is given when the actor is in no role of the
    policy at all: most likely a mistyped --as, which the message then says."""

    def __init__(self, lead: str, trigger: str, actor: str, allowed: str,
                 roles: Mapping[str, Iterable[str]] | None = None):
        message = f"{actor} may not {trigger} {lead}: only {allowed} may"
        if roles is not None:
            message = f"{actor} may not {trigger} {lead}: {_no_role(actor, roles)}; only {allowed} may"
        super().__init__(message)
        self.lead, self.trigger, self.actor = lead, trigger, actor


def _no_role(actor: str, roles: Mapping[str, Iterable[str]], policy: str = "the policy") -> str:
    people = [a for members in roles.values() for a in members]
    near = closest(actor, people)
    hint = f" (did you mean '{near}'?)" if near and near != actor else ""
    return f"'{actor}' is in no role of {policy}{hint}"


class NoRole(BatonError):
    """The actor is in no role of the policy, so may change no lead (and,
    with `policy` naming the one in force, not the policy itself)."""

    def __init__(self, actor: str, roles: Mapping[str, Iterable[str]], policy: str | None = None):
        listed = "; ".join(f"{role}: {', '.join(members) or 'nobody yet'}" for role, members in roles.items())
        people = [a for members in roles.values() for a in members]
        example = closest(actor, people) or (people[0] if people else "NAME")
        what = "may not change leads" if policy is None else "may not change it"
        super().__init__(
            f"{_no_role(actor, roles, policy or 'the policy')}, so {what}; act as someone who is, "
            f"like --as {example} ({listed or 'the policy lists no roles'})"
        )
        self.actor = actor


class UnknownKeys(BatonError):
    """KEY=VALUE arguments a trigger does not take."""

    def __init__(self, lead: str, trigger: str, keys: list[str], required: list[str], optional: list[str]):
        takes = list(dict.fromkeys([*required, *optional]))
        named = []
        for key in keys:
            near = closest(key, takes)
            named.append(f"'{key}' (did you mean '{near}'?)" if near else f"'{key}'")
        if required and optional:
            parts = f"{_and(required)} (needed) and {_and(optional)} (optional)"
        elif required:
            parts = f"{_and(required)} (needed)"
        else:
            parts = f"{_and(optional)} ({'both ' if len(optional) == 2 else ''}optional)"
        example = " ".join(f"{k}=..." for k in required) or f"{optional[0]}=..."
        super().__init__(
            f"'{trigger}' does not take {_and(named, 'or')}; it takes {parts}: "
            f"run `baton lead advance {lead} {trigger} {example}`"
        )
        self.lead, self.trigger, self.keys = lead, trigger, keys


class FinalLead(BatonError):
    """A lead in a final state takes no more contact attempts."""

    def __init__(self, lead: str, state: str):
        super().__init__(
            f"{lead} is {state}, a final state: contact attempts are logged only on open leads"
        )
        self.lead, self.state = lead, state


class Refused(BatonError):
    """Guards or checklist items that do not hold; each one is listed, after
    the `requires` keys not given (`keys`) when some are missing too."""

    def __init__(self, lead: str, trigger: str, missing: dict[str, list[str]], failed: list[str],
                 keys: list[str] | None = None):
        parts = [f"it needs {_and([f'{key}=...' for key in keys])}"] if keys else []
        for checklist, labels in missing.items():
            parts.append(f"{checklist} checklist is missing: {', '.join(labels)}")
        parts.extend(failed)
        super().__init__(f"cannot {trigger} {lead}: " + "; ".join(parts))
        self.lead, self.trigger = lead, trigger
        self.missing, self.failed = missing, failed
        self.keys = keys or []


class MissingKeys(BatonError):
    def __init__(self, lead: str, trigger: str, keys: list[str]):
        example = " ".join(f"{k}=..." for k in keys)
        super().__init__(
            f"'{trigger}' needs {', '.join(keys)}: run `baton lead advance {lead} {trigger} {example}`"
        )
        self.keys = keys


class NotAllowedHere(BatonError):
    """The actor may not run this command (outside the lifecycle's `by` rules)."""
