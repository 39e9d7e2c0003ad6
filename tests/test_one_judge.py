"""One judge: whether a trigger may fire is decided in one place, the
compiled machine, so every command that asks gets the same answer. For each
case of a table, `lead show`'s allowed list, firing the trigger, `audit
verify` judging the event in the log, and `policy simulate --history`
re-judging it all agree."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import BANT, READY, Baton, add_ready_lead, as_json, json_lines, to_sql
from test_audit import forge

pytestmark = pytest.mark.both_stores  # every database test here runs on SQLite and on PostgreSQL

LOW = [r for r in READY if not r.startswith("score=")] + ["score=40"]
AT = "2026-11-23T10:00:00+00:00"


def in_sal(baton: Baton, *fields: str) -> None:
    assert baton("lead", "add", "--id", "L-1", *fields).exit_code == 0
    assert baton("lead", "advance", "L-1", "hand_over").exit_code == 0


def contacted(baton: Baton) -> None:
    to_sql(baton, "L-1")  # alice owns it
    for trigger in ("accept", "contact"):
        assert baton("lead", "advance", "L-1", trigger, actor="alice").exit_code == 0


# (name, setup, actor, trigger, args, from, to, allowed)
CASES = [
    ("marketing hands over a ready lead", lambda b: add_ready_lead(b, "L-1"), "jane", "hand_over", [], "MQL", "SAL", True),
    ("the score is under the threshold", lambda b: b("lead", "add", "--id", "L-1", *LOW), "jane", "hand_over", [],
     "MQL", "SAL", False),
    ("sales may not hand over", lambda b: add_ready_lead(b, "L-1"), "alice", "hand_over", [], "MQL", "SAL", False),
    ("the qualification checklist is missing", lambda b: in_sal(b, *READY), "alice", "qualify", [], "SAL", "SQL",
     False),
    ("sales qualifies a complete lead", lambda b: in_sal(b, *READY, *BANT), "alice", "qualify", [], "SAL", "SQL",
     True),
    ("only the owner acknowledges", lambda b: to_sql(b, "L-1"), "bob", "accept", [], "SQL", "accepted", False),
    ("the owner acknowledges", lambda b: to_sql(b, "L-1"), "alice", "accept", [], "SQL", "accepted", True),
    ("recycling after first contact needs 3 attempts", contacted, "alice", "recycle", ["reason=gone quiet"],
     "contacted", "recycled", False),
    ("a manager recycles from SAL with a reason", lambda b: in_sal(b, *READY), "sam", "recycle", ["reason=no fit"],
     "SAL", "recycled", True),
]


@pytest.mark.parametrize(("setup", "actor", "trigger", "args", "source", "dest", "allowed"),
                         [case[1:] for case in CASES], ids=[case[0] for case in CASES])
def test_allowed_firing_verify_and_simulate_agree(
        baton: Baton, db: Path, policy_file: Path, setup, actor, trigger, args, source, dest, allowed) -> None:  # type: ignore[no-untyped-def]
    setup(baton)
    shown = as_json(baton("--json", "lead", "show", "L-1", actor=actor, now="2026-11-23T10:00"))
    assert (trigger in shown["allowed"]) is allowed
    fired = baton("lead", "advance", "L-1", trigger, *args, actor=actor, now="2026-11-23T10:00")
    assert (fired.exit_code == 0) is allowed, fired.stderr
    if not allowed:  # what a forger would write: the move the policy refused, on an intact chain
        data = dict(arg.split("=", 1) for arg in args)
        forge(db, "L-1", actor, trigger, source, dest, data, at=AT)
    verified = baton("audit", "verify")
    assert (verified.exit_code == 0) is allowed, verified.stderr
    if not allowed:
        assert "not legal under policy version 1" in verified.stderr
    rejudged = {row["trigger"]: row for row in json_lines(
        baton("--json", "policy", "simulate", str(policy_file), "--history"))}
    assert rejudged[trigger]["refused"] == (0 if allowed else 1)
