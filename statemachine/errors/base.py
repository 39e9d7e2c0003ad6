"""The root of the exception tree and what every refusal shares: did-you-mean,
lists in words, located policy problems, bad arguments and usage errors."""

from __future__ import annotations

from collections.abc import Iterable

from ..record import Record


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


class ClockRefused(BatonError):
    """A change whose --now the policy forbids, or a time out of any plausible range."""


class DatabaseProblem(BatonError):
    """The database file is missing, locked, read-only, or not a Baton database."""


class DatabaseBusy(DatabaseProblem):
    """Another command holds the database's write lock longer than Baton
    waits (BATON_BUSY_TIMEOUT_MS): nothing was written, and trying again
    later may well succeed (the HTTP API answers 409)."""


class BadArgument(BatonError):
    """An option or argument value of the right shape that Baton refuses
    (exit 1), like an id with a space or a time already past."""


class BadUsage(BadArgument):
    """An argument of the wrong shape: a KEY=VALUE without `=`, a time that
    is not one, options that do not go together. The CLI exits 2 for it, as
    for click's own usage errors."""
