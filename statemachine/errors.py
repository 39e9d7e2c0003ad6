"""The exception tree of the engine.

Each error carries data (the lead, the trigger, the unmet items); `str()` gives
one plain sentence that says what is wrong and what would make it pass, so the
CLI can print it as it is. Nothing here knows about click or terminals.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from .record import Record


def closest(word: str, choices: Iterable[str]) -> str | None:
    """The choice nearest to a mistyped word, ignoring case (sql -> SQL), or None."""
    import difflib  # only needed on error paths

    by_lower = {choice.lower(): choice for choice in choices}
    close = difflib.get_close_matches(word.lower(), list(by_lower), n=1)
    return by_lower[close[0]] if close else None


def _and(items: list[str], word: str = "and") -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + f" {word} " + items[-1]


class BatonError(Exception):
    """Base: a refusal or invalid input. The CLI prints str(error) and exits 1."""


class PolicyProblem(Record):
    """One problem in a policy file, at a 1-based line and column."""

    file: str
    line: int
    col: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}: {self.message}"


class PolicyInvalid(BatonError):
    """A policy file with one or more problems; all of them are listed."""

    def __init__(self, problems: list[PolicyProblem]):
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


class DatabaseProblem(BatonError):
    """The database file is missing, locked, read-only, or not a Baton database."""


class UnknownLead(BatonError):
    def __init__(self, lead: str):
        super().__init__(f"no lead '{lead}'; `baton lead list` shows the leads there are")
        self.lead = lead


class DuplicateLead(BatonError):
    def __init__(self, lead: str):
        super().__init__(f"lead '{lead}' already exists; choose another id or leave --id out")
        self.lead = lead


class UnknownTrigger(BatonError):
    def __init__(self, trigger: str, known: list[str]):
        near = closest(trigger, known)
        hint = f"; did you mean '{near}'?" if near else ""
        super().__init__(f"no transition '{trigger}' in the policy{hint} (transitions: {', '.join(known)})")
        self.trigger = trigger


class UnknownField(BatonError):
    def __init__(self, field: str, known: list[str]):
        near = closest(field, known)
        hint = f"; did you mean '{near}'?" if near else ""
        super().__init__(f"no field '{field}' in the policy{hint} (fields: {', '.join(known)})")
        self.field = field


class UnknownState(BatonError):
    def __init__(self, state: str, known: list[str]):
        near = closest(state, known)
        hint = f"; did you mean '{near}'?" if near else ""
        super().__init__(f"no state '{state}' in the policy{hint} (states: {', '.join(known)})")
        self.state = state


class UnknownName(BatonError):
    """A name given where either a transition or a state would do (`policy explain`)."""

    def __init__(self, name: str, transitions: list[str], states: list[str]):
        near = closest(name, [*transitions, *states])
        hint = f"; did you mean '{near}'?" if near else ""
        super().__init__(
            f"no transition or state '{name}' in the policy{hint} "
            f"(transitions: {', '.join(transitions)}; states: {', '.join(states)})"
        )
        self.name = name


class BadFieldValue(BatonError):
    def __init__(self, field: str, reason: str):
        super().__init__(f"field '{field}': {reason}")
        self.field = field
        self.reason = reason


class BadArgument(BatonError):
    """A malformed KEY=VALUE, time or option value."""


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
    """Guards or checklist items that do not hold; each one is listed."""

    def __init__(self, lead: str, trigger: str, missing: dict[str, list[str]], failed: list[str]):
        parts = []
        for checklist, labels in missing.items():
            parts.append(f"{checklist} checklist is missing: {', '.join(labels)}")
        parts.extend(failed)
        super().__init__(f"cannot {trigger} {lead}: " + "; ".join(parts))
        self.lead, self.trigger = lead, trigger
        self.missing, self.failed = missing, failed


class MissingKeys(BatonError):
    def __init__(self, lead: str, trigger: str, keys: list[str]):
        example = " ".join(f"{k}=..." for k in keys)
        super().__init__(
            f"'{trigger}' needs {', '.join(keys)}: run `baton lead advance {lead} {trigger} {example}`"
        )
        self.keys = keys


class NotAllowedHere(BatonError):
    """The actor may not run this command (outside the lifecycle's `by` rules)."""


class BadImportRow(BatonError):
    def __init__(self, file: str, line: int, reason: str):
        super().__init__(
            f"{file}:{line}: {reason}; nothing was imported (fix that row, or pass --skip-bad to import the good rows)"
        )
        self.file, self.line, self.reason = file, line, reason


class ImportReaderStopped(BatonError):
    """The process that reads an import's file for it ended without a word."""

    def __init__(self, file: str, how: str):
        super().__init__(f"reading {file} stopped: its reader process {how}; nothing was imported")
        self.file, self.how = file, how
