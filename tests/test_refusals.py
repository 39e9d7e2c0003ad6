"""Refusals that name everything at once, usage errors that exit 2, `rep back`
and `rep away` that would change nothing, and errors as JSON with --json."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from conftest import DEFAULT_POLICY, Baton, add_ready_lead, json_lines, to_sql
from test_audit import forge, problems
from test_database import snapshot
from test_policy_apply import variant

pytestmark = pytest.mark.both_stores  # every database test here runs on SQLite and on PostgreSQL

FIELDS = ("first_name, last_name, email, phone, company, title, persona, source, product, awareness, content, "
          "next_steps, score, budget, authority, need, timeline")


def refused(result: Result, code: int = 1) -> str:
    """The one line a refused command prints on stderr, with nothing on stdout."""
    assert (result.exit_code, result.stdout) == (code, ""), result.output
    assert result.stderr.count("\n") == 1, result.stderr
    return result.stderr.rstrip("\n")


def json_error(result: Result) -> Any:
    """The one JSON object an error prints on stderr with --json."""
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1, result.stderr
    return json.loads(result.stderr)


def to_contacted(baton: Baton, lead: str) -> None:
    """A lead in `contacted`, owned by alice, with no contact attempts logged."""
    assert to_sql(baton, lead).exit_code == 0
    for trigger in ("accept", "contact"):
        assert baton("lead", "advance", lead, trigger, actor="alice").exit_code == 0


# -- every bad value and unknown field in one refusal ---------------------------------------
def test_lead_set_names_every_bad_value_and_unknown_field_in_one_refusal(baton: Baton, db: Path) -> None:
    add_ready_lead(baton, "L-1")
    before = snapshot(db)
    result = baton("lead", "set", "L-1", "score=abc", "emial=x@y.example", "persona=boss", "colour=red")
    assert refused(result) == (
        "Error: 4 values cannot be used: field 'score': 'abc' is not a whole number (use digits, like 12); "
        "no field 'emial' in the policy (did you mean 'email'?); "
        "field 'persona': 'boss' is not one of the choices (executive, manager, practitioner, assistant); "
        f"no field 'colour' in the policy; fields in the policy: {FIELDS}"
    )
    assert snapshot(db) == before


def test_lead_add_names_every_bad_value_and_adds_no_lead(baton: Baton, db: Path) -> None:
    result = baton("lead", "add", "--id", "L-9", "email=not-an-email", "score=lots")
    assert refused(result) == (
        "Error: 2 values cannot be used: field 'email': 'not-an-email' is not an email address "
        "(it has no @; write it like jane@example.com); field 'score': 'lots' is not a whole number "
        "(use digits, like 12)"
    )
    assert json_lines(baton("--json", "lead", "list")) == []


def test_a_field_given_twice_is_named_beside_an_unknown_one(baton: Baton, db: Path) -> None:
    add_ready_lead(baton, "L-1")
    result = baton("lead", "set", "L-1", "score=70", "score=80", "sorce=webinar")
    assert refused(result) == (
        "Error: 2 values cannot be used: field 'score': given twice ('70' and '80'); give each field once; "
        f"no field 'sorce' in the policy (did you mean 'source'?); fields in the policy: {FIELDS}"
    )


# -- a missing requires key and a failed guard, named together by the machine -----------------
def test_advance_missing_a_key_and_failing_a_guard_names_both(baton: Baton, db: Path) -> None:
    to_contacted(baton, "L-1")
    before = snapshot(db)
    result = baton("lead", "advance", "L-1", "recycle", actor="alice")
    assert refused(result) == (
        "Error: cannot recycle L-1: it needs reason=...; make at least 3 contact attempts before recycling"
    )
    assert snapshot(db) == before


def test_audit_verify_names_a_missing_key_and_a_failed_guard_together(baton: Baton, db: Path) -> None:
    """A forged recycle of a lead in `contacted`, with no reason and no attempts."""
    assert to_sql(baton, "L-1").exit_code == 0  # alice's
    for trigger, from_, to in (("accept", "SQL", "accepted"), ("contact", "accepted", "contacted")):
        forge(db, "L-1", "alice", trigger, from_, to)
    seq = forge(db, "L-1", "alice", "recycle", "contacted", "recycled")
    assert baton("audit", "rebuild").exit_code == 0
    assert problems(baton("audit", "verify")) == [
        f"seq {seq}: not legal under policy version 1: cannot recycle L-1: it needs reason=...; "
        "make at least 3 contact attempts before recycling"
    ]


def test_simulate_history_counts_a_missing_key_beside_a_failed_guard(
        baton: Baton, db: Path, tmp_path: Path) -> None:
    add_ready_lead(baton, "L-1")  # score 75
    assert baton("lead", "advance", "L-1", "hand_over").exit_code == 0
    v2 = variant(tmp_path, 2, replace=(
        "    by: [marketing]\n    when:\n      - expr: score >= 60\n        say: the score must reach 60",
        "    by: [marketing]\n    requires: [campaign]\n    when:\n      - expr: score >= 80\n"
        "        say: the score must reach 80"))
    result = baton("policy", "simulate", str(v2), "--history", now="2026-11-23T10:00")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[1:4] == [
        "  hand_over: 1 time, 1 would have been refused:",
        "    1 x needs campaign",
        "    1 x the score must reach 80 before marketing hands a lead over",
    ]


# -- usage errors exit 2 ----------------------------------------------------------------------
def test_an_assignment_without_equals_is_a_usage_error(baton: Baton, db: Path) -> None:
    add_ready_lead(baton, "L-1")
    before = snapshot(db)
    assert refused(baton("lead", "set", "L-1", "score"), 2) == (
        "Error: 'score' is not FIELD=VALUE; write it like score=70 (an empty value clears a field)"
    )
    assert refused(baton("lead", "advance", "L-1", "hand_over", "because"), 2) == (
        "Error: 'because' is not KEY=VALUE; write it like reason=\"no budget this year\""
    )
    assert snapshot(db) == before


@pytest.mark.parametrize(("args", "now", "message"), [
    (("lead", "add"), "next tuesday", "--now 'next tuesday' is not a time"),
    (("rep", "away", "alice", "--until", "friday"), "2026-11-23T09:00", "--until 'friday' is not a time"),
    (("audit", "log", "--since", "last week"), "2026-11-23T09:00", "--since 'last week' is not a time"),
], ids=["--now", "rep away --until", "audit log --since"])
def test_a_time_that_is_not_one_is_a_usage_error(baton: Baton, db: Path, args: tuple[str, ...], now: str,
                                                 message: str) -> None:
    before = snapshot(db)
    assert refused(baton(*args, actor="alice", now=now), 2) == (
        f"Error: {message}; write it as ISO 8601, like 2026-11-25T14:30 or 2026-11-25T14:30+00:00"
    )
    assert snapshot(db) == before


def test_an_import_map_without_a_column_is_a_usage_error(baton: Baton, db: Path, tmp_path: Path) -> None:
    export = tmp_path / "leads.csv"
    export.write_text("email\nana@example.com\n")
    assert refused(baton("lead", "import", str(export), "--map", "email"), 2) == (
        "Error: --map 'email' is not COLUMN=FIELD; write it like --map \"E-mail=email\""
    )
    assert json_lines(baton("--json", "lead", "list")) == []


def test_a_value_baton_refuses_stays_exit_1(baton: Baton, db: Path) -> None:
    """The shape is right, the value is not one Baton takes: a refusal, not usage."""
    assert refused(baton("rep", "away", "alice", "--until", "2026-11-20T09:00", actor="alice")) == (
        "Error: --until 2026-11-20T09:00 is already past; give a time after now (2026-11-23 09:00 GMT)"
    )


# -- rep away and rep back that would change nothing --------------------------------------------
def test_rep_back_for_a_rep_who_is_not_away_is_refused_and_logs_nothing(baton: Baton, db: Path) -> None:
    before = snapshot(db)
    assert refused(baton("rep", "back", "bob", actor="sam")) == (
        "Error: bob is not away, so there is nothing to mark back: routing may pick them already "
        "(`baton rep list` shows who is away)"
    )
    assert snapshot(db) == before


def test_rep_back_twice_logs_one_rep_back(baton: Baton, db: Path) -> None:
    assert baton("rep", "away", "bob", actor="bob").exit_code == 0
    assert baton("rep", "back", "bob", actor="bob").exit_code == 0
    assert baton("rep", "back", "bob", actor="bob").exit_code == 1
    events = [e["event"] for e in json_lines(baton("--json", "audit", "log"))]
    assert (events.count("rep_away"), events.count("rep_back")) == (1, 1)


def test_rep_back_after_the_time_away_ran_out_says_when_it_ended(baton: Baton, db: Path) -> None:
    assert baton("rep", "away", "bob", "--until", "2026-11-23T12:00", actor="bob").exit_code == 0
    assert refused(baton("rep", "back", "bob", actor="bob", now="2026-11-23T13:00")) == (
        "Error: bob is not away: their time away ended at 2026-11-23 12:00 GMT, so routing may pick them already "
        "(`baton rep list` shows who is away)"
    )


def test_rep_away_until_the_time_already_set_changes_nothing(baton: Baton, db: Path) -> None:
    """The manager's wish already holds: exit 0, as `lead set` with the values a lead has, and no second event."""
    assert baton("rep", "away", "bob", "--until", "2026-11-27T17:00", actor="bob").exit_code == 0
    before = snapshot(db)
    again = baton("rep", "away", "bob", "--until", "2026-11-27T17:00", actor="sam")
    assert (again.exit_code, again.stdout) == (0, "bob is already away until 2026-11-27 17:00 GMT; nothing changed.\n")
    assert snapshot(db) == before


def test_rep_away_again_with_no_end_changes_nothing(baton: Baton, db: Path) -> None:
    assert baton("rep", "away", "bob", actor="bob").exit_code == 0
    before = snapshot(db)
    again = baton("rep", "away", "bob", actor="bob")
    assert (again.exit_code, again.stdout) == (0, "bob is already away, until marked back; nothing changed.\n")
    assert snapshot(db) == before


def test_rep_away_with_a_new_end_is_logged(baton: Baton, db: Path) -> None:
    assert baton("rep", "away", "bob", "--until", "2026-11-27T17:00", actor="bob").exit_code == 0
    assert baton("rep", "away", "bob", "--until", "2026-11-30T09:00", actor="bob").exit_code == 0
    assert baton("rep", "away", "bob", actor="bob").exit_code == 0
    away = [e["data"]["until"] for e in json_lines(baton("--json", "audit", "log")) if e["event"] == "rep_away"]
    assert away == ["2026-11-27T17:00:00+00:00", "2026-11-30T09:00:00+00:00", None]


# -- errors as one JSON object with --json ------------------------------------------------------
@pytest.mark.parametrize("where", ["before", "after"])
def test_a_refusal_with_json_is_one_object_on_stderr(baton: Baton, db: Path, where: str) -> None:
    command = ("lead", "show", "L-404")
    result = baton("--json", *command) if where == "before" else baton(*command, "--json")
    assert result.exit_code == 1
    assert json_error(result) == {"error": "no lead 'L-404'; `baton lead list` shows the leads there are", "exit": 1}


@pytest.mark.parametrize("where", ["before", "after"])
def test_a_usage_error_with_json_is_one_object_with_exit_2(baton: Baton, db: Path, where: str) -> None:
    command = ("lead", "add", "score")
    result = baton("--json", *command) if where == "before" else baton(*command, "--json")
    assert result.exit_code == 2
    assert json_error(result) == {
        "error": "'score' is not FIELD=VALUE; write it like score=70 (an empty value clears a field)", "exit": 2,
    }


@pytest.mark.parametrize("args", [
    ("--json", "lead", "show", "L-1", "--colour"),
    ("lead", "show", "L-1", "--colour", "--json"),
    ("--json", "--colour", "lead", "show", "L-1"),
], ids=["json first", "json last", "before the command"])
def test_clicks_own_usage_errors_with_json_are_one_object(baton: Baton, db: Path, args: tuple[str, ...]) -> None:
    result = baton(*args)
    assert result.exit_code == 2
    assert json_error(result) == {"error": "No such option '--colour'.", "exit": 2}


def test_a_broken_policy_with_json_lists_its_located_problems(baton: Baton, tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text(DEFAULT_POLICY.read_text().replace("to: SAL", "to: SAl", 1))
    message = ("transition 'hand_over' goes to unknown state 'SAl' "
               "(states: MQL, SAL, SQL, accepted, contacted, won, disqualified, recycled); did you mean 'SAL'?")
    result = baton("--json", "init", "--policy", str(broken))
    assert result.exit_code == 1
    assert json_error(result) == {
        "error": f"{broken} is not a valid policy: {broken}:95:9: {message}",
        "exit": 1,
        "problems": [{"file": str(broken), "line": 95, "col": 9, "message": message}],
    }
    plain = baton("init", "--policy", str(broken))
    assert (plain.exit_code, plain.stderr) == (1, f"{broken}:95:9: {message}\n")

