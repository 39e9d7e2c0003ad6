"""What `verify` finds: each problem, where it is (an event's seq, a lead,
a rep), and the report an auditor reads, in the order they read it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


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


@dataclass
class Report:
    events: int = 0
    leads: int = 0
    problems: list[Problem] = field(default_factory=list)
    chain_broken: bool = False
    back_filled: int = 0  # events written with a --now far from the wall clock: told, not a problem

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_json(self) -> dict[str, Any]:
        shown = {
            "ok": self.ok, "events": self.events, "leads": self.leads,
            "problems": [p.as_json() for p in self.problems],
        }
        if self.back_filled:  # only when there are some, as the text says it
            shown["back_filled"] = self.back_filled
        return shown


def _problem_order(problem: Problem) -> tuple[int, int]:
    """By seq first (both passes find them), then leads, then the rest, each in the order found."""
    if problem.seq is not None:
        return (0, problem.seq)
    return (1, 0) if problem.lead is not None else (2, 0)
