"""The exception tree of the engine.

Each error carries data (the lead, the trigger, the unmet items); `str()` gives
one plain sentence that says what is wrong and what would make it pass, so the
CLI can print it as it is. Nothing here knows about click or terminals.
"""

from __future__ import annotations

from dataclasses import dataclass


class BatonError(Exception):
    """Base: a refusal or invalid input. The CLI prints str(error) and exits 1."""


@dataclass(frozen=True)
class PolicyProblem:
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
        super().__init__(
            f"no transition '{trigger}' in the policy (transitions: {', '.join(known)})"
        )
        self.trigger = trigger


class UnknownField(BatonError):
    def __init__(self, field: str, known: list[str]):
        super().__init__(f"no field '{field}' in the policy (fields: {', '.join(known)})")
        self.field = field


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
    """The actor holds none of the roles the transition lists."""

    def __init__(self, lead: str, trigger: str, actor: str, allowed: str):
        super().__init__(f"{actor} may not {trigger} {lead}: only {allowed} may")
        self.lead, self.trigger, self.actor = lead, trigger, actor


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
