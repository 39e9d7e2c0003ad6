"""Refusals of whole commands: the import, `serve`, policy versions, the
audit, bulk advance, reps, reports and erasure."""

from __future__ import annotations

from .base import BadUsage, BatonError, _and, closest


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


class AlreadyServing(BatonError):
    def __init__(self, db: str, pid: int | None):
        who = f"pid {pid}" if pid else "its pid is not written yet"
        super().__init__(
            f"another `baton serve` is already running on {db} ({who}); "
            "stop it first, only one may serve a database"
        )
        self.db, self.pid = db, pid


class VersionNotHigher(BatonError):
    def __init__(self, file: str, version: int, active: int):
        super().__init__(
            f"{file} is policy version {version}, but version {active} is in force; "
            f"a new policy needs a higher version: set `version: {active + 1}` in {file}"
        )
        self.version, self.active = version, active


class LeadsInRemovedStates(BatonError):
    """The new version drops states where leads sit, and no --map moves them."""

    def __init__(self, version: int, counts: dict[str, int], states: list[str]):
        where = ", ".join(f"{state} ({n} lead{'s' if n != 1 else ''})" for state, n in counts.items())
        fix = " ".join(f"--map {state}=STATE" for state in counts)
        noun = "state" if len(counts) == 1 else "states"
        super().__init__(
            f"policy version {version} removes the {noun} where leads sit: {where}; "
            f"say where they go with {fix} (states of version {version}: {', '.join(states)})"
        )
        self.version, self.counts = version, counts


class ImportRefused(BatonError):
    """A problem with the whole file or the options: nothing can be imported."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class BadMapOption(ImportRefused, BadUsage):
    """A `--map` of the wrong shape: a usage error (exit 2), not a problem of the file."""


class PolicyChanged(BatonError):
    def __init__(self, loaded: int, active: int):
        super().__init__(
            f"the policy in force changed from version {loaded} to version {active} while this command "
            "was starting; nothing was written: run it again"
        )
        self.loaded, self.active = loaded, active


class LogBroken(BatonError):
    """The chain is broken or an event cannot be replayed; nothing was rebuilt."""


class UnknownFilter(BatonError):
    """An `audit log` filter names something the log has never held: a typo
    would otherwise look like "nothing happened"."""


class BadWhere(BatonError):
    """A `--where` expression the policy's language refuses; `offset` is
    where in `source` (0-based) the problem starts, as a policy file's
    expressions are located by line and column."""

    def __init__(self, source: str, offset: int, reason: str):
        rest = source[offset:].rstrip()
        if not rest:
            at = "at the end"
        else:
            shown = rest if len(rest) <= 24 else rest[:21] + "..."
            at = f'at column {offset + 1} ("{shown}")'
        super().__init__(f"--where, {at}: {reason}")
        self.source, self.offset, self.reason = source, offset, reason


class NoLongerMatches(BatonError):
    """A lead `--where` picked that changed before its turn came."""

    def __init__(self, lead: str, where: str):
        super().__init__(f"{lead} changed meanwhile and no longer matches --where {where!r}; it was left as it is")
        self.lead, self.where = lead, where


class BulkStopped(BatonError):
    """`lead advance --where` stopped part way, for a reason other than the
    policy refusing a lead (the database, a new policy version)."""

    def __init__(self, lead: str, error: BatonError, not_tried: int, dry_run: bool):
        done = "judged" if dry_run else "moved"
        more = f"it and the {not_tried - 1} after it were" if not_tried > 1 else "it was"
        super().__init__(f"stopped at {lead}, so {more} not {done}: {error}")
        self.lead, self.error, self.not_tried = lead, error, not_tried


class RepNotAway(BatonError):
    """`rep back` for a rep who is not away: logging it would record a return
    that never happened. `ended` is when their last time away ran out, if it did."""

    def __init__(self, rep: str, ended: str | None = None):
        why = f": their time away ended at {ended}, so" if ended else ", so there is nothing to mark back:"
        super().__init__(f"{rep} is not away{why} routing may pick them already "
                         "(`baton rep list` shows who is away)")
        self.rep, self.ended = rep, ended


class UnknownGrouping(BatonError):
    """`report --by` names neither `owner` nor a field a report may show:
    personal values never appear in reports."""

    def __init__(self, name: str, choices: list[str], personal: bool = False):
        listed = f"(--by takes {_and(choices, 'or')})"
        if personal:
            message = f"--by {name}: {name} is personal data, which reports never show; group by another field {listed}"
        else:
            near = closest(name, choices)
            hint = f"; did you mean '{near}'?" if near else ""
            message = f"--by {name}: the policy has no field '{name}'{hint} {listed}"
        super().__init__(message)
        self.name, self.choices, self.personal = name, choices, personal


class BadExpectedHead(BadUsage):
    """`audit verify --expect` given something that is not SEQ:HASH."""

    def __init__(self, given: str):
        super().__init__(
            f"--expect {given!r} is not a head; write it as SEQ:HASH, the seq and the 64-character "
            "hash `baton audit head` printed, e.g. --expect 42:9f86d081884c7d65..."
        )
        self.given = given


class ErasureRefused(BatonError):
    """`lead forget` refused: the policy names no one who may erase, the actor is not named, or nothing to erase."""


class UnknownIntake(BatonError):
    """A post to an intake the policy does not name."""

    def __init__(self, name: str, known: list[str]):
        near = closest(name, known)
        hint = f"; did you mean '{near}'?" if near else ""
        have = f"intakes: {', '.join(known)}" if known else "it has none yet; add one under intake:"
        super().__init__(f"no intake '{name}' in the policy{hint} ({have})")
        self.name, self.known = name, known


class BadIntake(BatonError):
    """A lead posted through an intake that cannot be taken as it is: a bad
    value, a bad id, two keys filling one field, or keys that fill no field
    when the intake says `extra: error`; `reason` is the import's words."""

    def __init__(self, name: str, reason: str):
        super().__init__(f"intake '{name}': {reason}; no lead was added")
        self.name, self.reason = name, reason
