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


class ClockRefused(BatonError):
    """A change whose --now the policy forbids, or a time out of any plausible range."""


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


class BadArgument(BatonError):
    """An option or argument value of the right shape that Baton refuses
    (exit 1), like an id with a space or a time already past."""


class BadUsage(BadArgument):
    """An argument of the wrong shape: a KEY=VALUE without `=`, a time that
    is not one, options that do not go together. The CLI exits 2 for it, as
    for click's own usage errors."""


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
