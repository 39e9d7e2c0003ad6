"""What `verify` finds: each problem, where it is (an event's seq, a lead,
a rep), the head it read, and the report an auditor reads, in the order
they read it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# What an auditor is told once, after the problems, when the `leads` table (or
# a rep's count) disagrees with the log: in the text on stderr, in --json as `hint`.
TABLE_HINT = (
    "The leads table and the log disagree: either one may be the one that was altered. "
    "`baton audit rebuild` rewrites the table from the log, so run it only once you trust the log "
    "(`baton audit verify --expect SEQ:HASH` holds it against a head kept earlier)."
)


@dataclass(frozen=True)
class Problem:
    message: str
    seq: int | None = None
    lead: str | None = None
    rep: str | None = None

    def __str__(self) -> str:
        if self.seq is not None:
            return f"seq {self.seq}: {self.message}"
        if self.lead is not None:
            return f"lead {self.lead}: {self.message}"
        if self.rep is not None:
            return f"rep {self.rep}: {self.message}"
        return self.message

    def as_json(self) -> dict[str, Any]:
        where: dict[str, Any]
        if self.seq is not None:
            where = {"seq": self.seq}
        elif self.rep is not None:
            where = {"rep": self.rep}
        else:
            where = {"lead": self.lead}
        return {**where, "message": self.message}


@dataclass(frozen=True)
class Head:
    """The log's last event, which an auditor keeps to hold later logs against."""

    seq: int
    hash: str
    at: str

    def as_json(self) -> dict[str, Any]:
        return {"seq": self.seq, "hash": self.hash, "at": self.at}


@dataclass
class Report:
    events: int = 0
    leads: int = 0
    problems: list[Problem] = field(default_factory=list)
    chain_broken: bool = False
    head: Head | None = None
    back_filled: int = 0  # events written with a --now far from the wall clock: told, not a problem

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def table_differs(self) -> bool:
        """Whether the leads table (or a rep's count) disagrees with the log:
        problems of a lead or a rep, not of an event."""
        return any(p.seq is None and (p.lead is not None or p.rep is not None) for p in self.problems)

    def as_json(self) -> dict[str, Any]:
        head = None if self.head is None else {"seq": self.head.seq, "hash": self.head.hash}
        shown: dict[str, Any] = {
            "ok": self.ok, "events": self.events, "leads": self.leads, "head": head,
            "problems": [p.as_json() for p in self.problems],
        }
        if self.table_differs:  # only then, as the text says it
            shown["hint"] = TABLE_HINT
        if self.back_filled:  # only when there are some, as the text says it
            shown["back_filled"] = self.back_filled
        return shown


def _problem_order(problem: Problem) -> tuple[int, int]:
    """By seq first (both passes find them), then leads, then the rest, each in the order found."""
    if problem.seq is not None:
        return (0, problem.seq)
    return (1, 0) if problem.lead is not None else (2, 0)
