"""Operators at scale: `lead list --where EXPR` and `lead advance --where EXPR
TRIGGER`, in the policy's own expression language. Each lead is judged as
`lead advance ID` judges it and moved in its own transaction; the summary
counts the moved and groups the refused by reason; `--dry-run` writes nothing."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from conftest import BANT, MONDAY_9AM, READY, ROOT, Baton, as_json, json_lines, query, run_process, to_sql

import statemachine.bulk_advance
from statemachine.bulk_advance import BulkAdvance, Outcome

pytestmark = pytest.mark.both_stores  # every database test here runs on SQLite and on PostgreSQL

SCORE = "the score must reach 60 before marketing hands a lead over"
KNOWN = ("actor, attempts, authority, awareness, budget, company, content, email, first_name, hours_in_state, "
         "last_name, need, next_steps, owner, persona, phone, product, score, source, state, timeline, title")


def add(baton: Baton, lead: str, **changes: str) -> None:
    """A lead ready for hand_over, but for `changes` (field -> value; '' clears it)."""
    fields = dict(pair.split("=", 1) for pair in READY)
    fields.update(changes)
    result = baton("lead", "add", "--id", lead, *(f"{k}={v}" for k, v in fields.items()))
    assert result.exit_code == 0, result.stderr


@pytest.fixture
def mixed(baton: Baton, db: Path) -> Path:
    """Six leads in MQL: L-1 and L-4 ready to hand over, L-2 and L-6 short of
    the score, L-3 and L-5 without a persona."""
    add(baton, "L-1")
    add(baton, "L-2", score="40")
    add(baton, "L-3", persona="")
    add(baton, "L-4")
    add(baton, "L-5", persona="")
    add(baton, "L-6", score="50")
    return db


def event_count(db: Path) -> int:
    return int(query(db, "SELECT count(*) FROM events")[0][0])


def states(baton: Baton) -> dict[str, str]:
    return {lead["id"]: lead["state"] for lead in json_lines(baton("--json", "lead", "list"))}


def listed(baton: Baton, *args: str, **kwargs: Any) -> list[str]:
    return [lead["id"] for lead in json_lines(baton("--json", "lead", "list", *args, **kwargs))]


# -- lead list --where ------------------------------------------------------------------
def test_list_where_picks_the_leads_for_which_the_expression_holds(baton: Baton, mixed: Path) -> None:
    assert listed(baton, "--where", "score < 60") == ["L-2", "L-6"]
    assert listed(baton, "--where", "not persona or score == 40") == ["L-2", "L-3", "L-5"]
    result = baton("lead", "list", "--where", "persona == 'manager' and score >= 60")
    assert result.exit_code == 0
    assert [line.split()[0] for line in result.stdout.splitlines()] == ["ID", "L-1", "L-4"]


def test_list_where_combines_with_state_owner_unassigned_and_overdue(baton: Baton, db: Path) -> None:
    for lead in ("L-1", "L-2", "L-3"):
        assert to_sql(baton, lead).exit_code == 0  # alice, bob, alice: the one with fewer open leads
    add(baton, "L-4", score="90")
    assert baton("rep", "away", "alice", actor="alice").exit_code == 0
    assert baton("rep", "away", "bob", actor="bob").exit_code == 0
    assert to_sql(baton, "L-5").exit_code == 0  # nobody free: waits unassigned
    assert baton("lead", "set", "L-3", "budget=90000", actor="alice").exit_code == 0

    assert listed(baton, "--where", "budget > 50000") == ["L-3"]
    assert listed(baton, "--state", "SQL", "--where", "budget < 50000") == ["L-1", "L-2", "L-5"]
    assert listed(baton, "--owner", "alice", "--where", "budget < 50000") == ["L-1"]
    assert listed(baton, "--unassigned", "--where", "score > 0") == ["L-5"]
    assert listed(baton, "--unassigned", "--where", "score > 80") == []
    later = "2026-11-23T14:00"  # past the 4 business hours to acknowledge
    assert listed(baton, "--overdue", "--where", "owner == 'alice'", now=later) == ["L-1", "L-3"]
    assert listed(baton, "--overdue", "--state", "MQL", "--where", "true", now=later) == []
    assert listed(baton, "--where", "state == 'MQL'", now=later) == ["L-4"]


def test_list_where_hours_in_state_counts_from_entering_the_state(baton: Baton, mixed: Path) -> None:
    assert baton("lead", "advance", "L-1", "hand_over", now="2026-11-25T09:00").exit_code == 0
    thursday = "2026-11-26T09:00"
    assert listed(baton, "--where", "hours_in_state >= 72", now=thursday) == ["L-2", "L-3", "L-4", "L-5", "L-6"]
    assert listed(baton, "--where", "state == 'SAL' and hours_in_state < 25", now=thursday) == ["L-1"]


def test_list_where_actor_is_the_person_asking(baton: Baton, db: Path) -> None:
    for lead in ("L-1", "L-2", "L-3"):
        assert to_sql(baton, lead).exit_code == 0
    assert listed(baton, "--where", "owner == actor", actor="alice") == ["L-1", "L-3"]
    assert listed(baton, "--where", "owner == actor", actor="bob") == ["L-2"]


def test_list_where_json_is_one_lead_show_object_a_line(baton: Baton, mixed: Path) -> None:
    everyone = {lead["id"]: lead for lead in json_lines(baton("--json", "lead", "list"))}
    picked = json_lines(baton("--json", "lead", "list", "--where", "score == 40"))
    assert picked == [everyone["L-2"]]
    assert picked[0] == as_json(baton("--json", "lead", "show", "L-2"))


def test_list_where_matching_nothing_says_so(baton: Baton, mixed: Path) -> None:
    result = baton("lead", "list", "--where", "score > 100")
    assert (result.exit_code, result.stdout) == (0, "No leads match.\n")


# -- a bad expression --------------------------------------------------------------------
@pytest.mark.parametrize("command", [("lead", "list"), ("lead", "advance", "hand_over")])
def test_a_bad_expression_says_where_it_breaks_and_writes_nothing(baton: Baton, mixed: Path,
                                                                  command: tuple[str, ...]) -> None:
    before = event_count(mixed)
    group, name, *rest = command
    result = baton(group, name, "--where", "score >= 60 and persona = 'manager'", *rest)
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: --where, at column 25 (\"= 'manager'\"): this is not a valid expression: "
        "to compare, write == instead of =\n"
    )
    assert result.stdout == ""
    ended = baton(group, name, "--where", "score >=", *rest)
    assert ended.stderr == "Error: --where, at the end: this is not a valid expression: it ends too early\n"
    assert event_count(mixed) == before


def test_an_unknown_name_gets_a_did_you_mean(baton: Baton, mixed: Path) -> None:
    result = baton("lead", "list", "--where", "stat == 'SAL' and hours_in_state > 72")
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: --where, at column 1 (\"stat == 'SAL' and hou...\"): unknown name 'stat'; did you mean 'state'? "
        f"(known: {KNOWN})\n"
    )


def test_a_misspelt_state_or_choice_is_refused_not_silently_matching_nothing(baton: Baton, mixed: Path) -> None:
    state = baton("lead", "list", "--where", "state == 'SQl'")
    assert state.stderr == (
        "Error: --where, at column 10 (\"'SQl'\"): 'SQl' is not one of the values of state; did you mean 'SQL'? "
        "(values: MQL, SAL, SQL, accepted, contacted, won, disqualified, recycled)\n"
    )
    choice = baton("lead", "advance", "--where", "persona in ['manager', 'exec']", "hand_over")
    assert choice.exit_code == 1
    assert choice.stderr.startswith(
        "Error: --where, at column 24 (\"'exec']\"): 'exec' is not one of the values of persona; "
        "did you mean 'executive'?"
    )


# -- lead advance --where ---------------------------------------------------------------
def test_advance_where_moves_some_and_groups_the_refused_by_reason(baton: Baton, mixed: Path) -> None:
    result = baton("lead", "advance", "--where", "state == 'MQL'", "hand_over")
    assert result.exit_code == 1  # a script is told that some leads were refused
    assert result.stdout == "Moved 2 leads from MQL to SAL (hand_over).\n"
    assert result.stderr == (
        "Refused 4:\n"
        f"  2 x {SCORE} (L-2, L-6)\n"
        "  2 x handover checklist is missing: persona (L-3, L-5)\n"
    )
    assert states(baton) == {"L-1": "SAL", "L-2": "MQL", "L-3": "MQL", "L-4": "SAL", "L-5": "MQL", "L-6": "MQL"}


def test_advance_where_with_every_lead_moved_exits_0_and_says_who_got_them(baton: Baton, db: Path) -> None:
    for lead in ("L-1", "L-2", "L-3"):
        add(baton, lead, score="70")
        assert baton("lead", "advance", lead, "hand_over").exit_code == 0
        assert baton("lead", "set", lead, *BANT, actor="alice").exit_code == 0
    result = baton("lead", "advance", "--where", "state == 'SAL'", "qualify", actor="alice")
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout == "Moved 3 leads from SAL to SQL (qualify).\nAssigned 2 to alice and 1 to bob.\n"
    assert {lead["id"]: lead["owner"] for lead in json_lines(baton("--json", "lead", "list"))} == {
        "L-1": "alice", "L-2": "bob", "L-3": "alice"}


def test_advance_where_names_leads_in_another_state_and_roles_that_may_not(baton: Baton, db: Path) -> None:
    assert to_sql(baton, "L-1").exit_code == 0  # alice's
    assert to_sql(baton, "L-2").exit_code == 0  # bob's
    add(baton, "L-3")
    add(baton, "L-4")
    assert baton("lead", "advance", "L-4", "hand_over").exit_code == 0
    result = baton("lead", "advance", "--where", "score > 0", "accept", actor="alice")
    assert result.exit_code == 1
    assert result.stdout == "Moved 1 lead from SQL to accepted (accept).\n"
    assert result.stderr == (
        "Refused 3:\n"
        "  1 x alice may not accept them: only the lead's owner or sales_manager (sam) may (L-2)\n"
        "  1 x in MQL, and accept only moves a lead out of SQL (L-3)\n"
        "  1 x in SAL, and accept only moves a lead out of SQL (L-4)\n"
    )


def test_advance_where_out_of_several_states_counts_each(baton: Baton, db: Path) -> None:
    assert to_sql(baton, "L-1").exit_code == 0
    for lead in ("L-2", "L-3"):
        add(baton, lead)
        assert baton("lead", "advance", lead, "hand_over").exit_code == 0
    result = baton("lead", "advance", "--where", "state in ['SAL', 'SQL']", "recycle", "reason=budget frozen",
                   actor="sam")
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout == "Moved 3 leads to recycled (recycle): 1 from SQL, 2 from SAL.\n"
    assert [e["data"] for e in json_lines(baton("--json", "lead", "history", "L-2"))][-1] == {"reason": "budget frozen"}


def test_a_required_key_left_out_refuses_every_lead_for_that_one_reason(baton: Baton, db: Path) -> None:
    for lead in ("L-1", "L-2"):
        add(baton, lead)
        assert baton("lead", "advance", lead, "hand_over").exit_code == 0
    result = baton("lead", "advance", "--where", "state == 'SAL'", "recycle", actor="alice")
    assert result.exit_code == 1
    assert result.stdout == "No lead moved (recycle).\n"
    assert result.stderr == "Refused 2:\n  2 x recycle needs reason: give reason=... (L-1, L-2)\n"


def test_a_trigger_or_key_the_policy_does_not_have_refuses_the_whole_command(baton: Baton, mixed: Path) -> None:
    before = event_count(mixed)
    unknown = baton("lead", "advance", "--where", "state == 'MQL'", "handover")
    assert unknown.exit_code == 1
    assert unknown.stderr.startswith("Error: no transition 'handover' in the policy; did you mean 'hand_over'?")
    key = baton("lead", "advance", "--where", "state == 'MQL'", "hand_over", "reson=x")
    assert key.stderr == (
        "Error: 'hand_over' does not take 'reson' (did you mean 'reason'?); it takes reason and note (both optional): "
        "run `baton lead advance --where \"state == 'MQL'\" hand_over reason=...`\n"
    )
    nobody = baton("lead", "advance", "--where", "state == 'MQL'", "hand_over", actor="jnae")
    assert nobody.stderr.startswith("Error: 'jnae' is in no role of the policy (did you mean 'jane'?)")
    assert event_count(mixed) == before


def test_leads_matching_no_one_is_a_plain_message(baton: Baton, mixed: Path) -> None:
    result = baton("lead", "advance", "--where", "state == 'SAL'", "qualify", actor="alice")
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout == "No leads match --where \"state == 'SAL'\"; nothing to qualify.\n"


def test_dry_run_says_what_would_happen_and_writes_nothing(baton: Baton, mixed: Path) -> None:
    before = event_count(mixed)
    result = baton("lead", "advance", "--where", "state == 'MQL'", "hand_over", "--dry-run")
    assert result.exit_code == 1  # as the real run would exit
    assert result.stdout == "Would move 2 leads from MQL to SAL (hand_over).\nNothing was written (--dry-run).\n"
    assert result.stderr == (
        "Would refuse 4:\n"
        f"  2 x {SCORE} (L-2, L-6)\n"
        "  2 x handover checklist is missing: persona (L-3, L-5)\n"
    )
    assert event_count(mixed) == before
    assert set(states(baton).values()) == {"MQL"}
    real = baton("lead", "advance", "--where", "state == 'MQL'", "hand_over")
    assert real.stderr == result.stderr.replace("Would refuse", "Refused")


@pytest.mark.sqlite_only  # a read-only file
def test_dry_run_works_on_a_read_only_database(baton: Baton, mixed: Path) -> None:
    mixed.chmod(0o444)
    try:
        result = baton("lead", "advance", "--where", "score >= 60", "hand_over", "--dry-run")
    finally:
        mixed.chmod(0o644)
    assert result.exit_code == 1
    assert result.stdout.startswith("Would move 2 leads from MQL to SAL (hand_over).\n")


def test_json_gives_one_object_a_lead_then_the_summary(baton: Baton, mixed: Path) -> None:
    result = baton("--json", "lead", "advance", "--where", "score < 60 or not persona", "hand_over")
    assert result.exit_code == 1
    lines = [__import__("json").loads(line) for line in result.stdout.splitlines()]
    assert lines[0] == {
        "lead": "L-2", "moved": False, "from": "MQL", "to": None, "dry_run": False,
        "error": f"cannot hand_over L-2: {SCORE}",
    }
    assert [line["lead"] for line in lines[:-1]] == ["L-2", "L-3", "L-5", "L-6"]
    assert lines[-1] == {"summary": {
        "trigger": "hand_over", "to": "SAL", "dry_run": False, "matched": 4, "moved": 0, "moved_from": {},
        "refused": 4,
        "reasons": [
            {"count": 2, "reason": SCORE, "leads": ["L-2", "L-6"]},
            {"count": 2, "reason": "handover checklist is missing: persona", "leads": ["L-3", "L-5"]},
        ],
        "assigned": {}, "unrouted": 0, "stopped": None,
    }}
    moved = json_lines(baton("--json", "lead", "advance", "--where", "score >= 60 and persona", "hand_over"))
    assert moved[:-1] == [
        {"lead": lead, "moved": True, "from": "MQL", "to": "SAL", "error": None, "dry_run": False}
        for lead in ("L-1", "L-4")
    ]
    assert moved[-1]["summary"]["moved_from"] == {"MQL": 2}
    assert json_lines(baton("--json", "lead", "advance", "--where", "score > 100", "hand_over")) == [{"summary": {
        "trigger": "hand_over", "to": "SAL", "dry_run": False, "matched": 0, "moved": 0, "moved_from": {},
        "refused": 0, "reasons": [], "assigned": {}, "unrouted": 0, "stopped": None,
    }}]


def test_a_refused_lead_leaves_the_others_moved_and_the_log_verifies(baton: Baton, mixed: Path) -> None:
    assert baton("lead", "advance", "--where", "true", "hand_over").exit_code == 1
    assert [e["event"] for e in json_lines(baton("--json", "lead", "history", "L-4"))] == ["created", "hand_over"]
    assert [e["event"] for e in json_lines(baton("--json", "lead", "history", "L-3"))] == ["created"]
    verify = baton("audit", "verify")
    assert verify.exit_code == 0, verify.stdout
    assert "the chain is intact" in verify.stdout


def test_a_lead_changed_after_it_was_picked_is_judged_again(baton: Baton, mixed: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """Each lead is judged against --where again inside its own transaction:
    another operator may change it while a long run works through the others."""
    picked = BulkAdvance.leads

    def pick_then_someone_lowers_a_score(self: BulkAdvance) -> list[str]:
        leads = picked(self)
        assert baton("lead", "set", "L-4", "score=10").exit_code == 0
        return leads

    monkeypatch.setattr(BulkAdvance, "leads", pick_then_someone_lowers_a_score)
    result = baton("lead", "advance", "--where", "score >= 60 and persona", "hand_over")
    assert result.exit_code == 1
    assert result.stdout == "Moved 1 lead from MQL to SAL (hand_over).\n"
    assert result.stderr == (
        "Refused 1:\n  1 x changed meanwhile and no longer matched --where; left as they were (L-4)\n"
    )


@pytest.mark.sqlite_only  # another program holds SQLite's write lock
def test_a_run_that_cannot_go_on_stops_and_says_how_far_it_got(baton: Baton, mixed: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    advance_one = BulkAdvance._advance

    def locked_at_the_second(self: BulkAdvance, lead: str) -> Outcome:
        if lead == "L-4":
            with closing(sqlite3.connect(mixed, isolation_level=None)) as other:
                other.execute("BEGIN IMMEDIATE")  # another program holds the write lock
                return advance_one(self, lead)
        return advance_one(self, lead)

    monkeypatch.setattr(statemachine.bulk_advance.BulkAdvance, "_advance", locked_at_the_second)
    result = baton("lead", "advance", "--where", "state == 'MQL'", "hand_over")
    assert result.exit_code == 1
    assert result.stdout == "Moved 1 lead from MQL to SAL (hand_over).\n"
    assert result.stderr == (
        "Refused 2:\n"
        f"  1 x {SCORE} (L-2)\n"
        "  1 x handover checklist is missing: persona (L-3)\n"
        f"Error: stopped at L-4, so it and the 2 after it were not moved: {mixed} is locked by another "
        "Baton command or program; try again in a moment\n"
    )
    assert states(baton)["L-1"] == "SAL" and states(baton)["L-4"] == "MQL"


@pytest.mark.parametrize(("args", "message"), [
    (("--where", "true"), "give the trigger to fire on the leads that match, like "
                          "`baton lead advance --where \"state == 'MQL'\" hand_over`"),
    (("--where", "true", "L-1", "hand_over"), "'hand_over' is not KEY=VALUE: with --where, give the trigger and "
                                              "its KEY=VALUE arguments, and no lead id"),
    (("L-1", "hand_over", "--dry-run"), "--dry-run goes with --where; `baton lead show ID` says what you may do "
                                        "with one lead"),
    (("L-1",), "give the lead's id and the trigger, like `baton lead advance L-3 hand_over`, "
               "or --where EXPR and the trigger"),
])
def test_advance_arguments_that_do_not_fit_are_a_usage_error(baton: Baton, mixed: Path, args: tuple[str, ...],
                                                             message: str) -> None:
    result = baton("lead", "advance", *args)
    assert result.exit_code == 2
    assert result.stderr.endswith(f"Error: {message}\n")


def test_one_lead_is_advanced_by_id_as_before(baton: Baton, mixed: Path) -> None:
    result = baton("lead", "advance", "L-1", "hand_over")
    assert (result.exit_code, result.stdout) == (0, "L-1: MQL -> SAL (hand_over).\n")


# -- on a terminal -----------------------------------------------------------------------
def run_advance(db: Path, stderr_on_a_terminal: bool) -> tuple[int, str, str]:
    """`baton lead advance --where` as a real process running this checkout:
    (exit code, stdout, stderr), its stderr a pseudo-terminal or a pipe."""
    import os
    import sys

    command = [sys.executable, "-c", "from cli.main import main; main()",
               "lead", "advance", "--where", "score >= 60 and persona", "hand_over"]
    env = {**os.environ, "BATON_DB": str(db), "BATON_ACTOR": "jane", "BATON_NOW": MONDAY_9AM,
           "PYTHONPATH": str(ROOT)}
    return run_process(command, env, stderr_on_a_terminal, cwd=ROOT)


@pytest.mark.sqlite_only  # copies the file
def test_advance_where_draws_a_progress_bar_on_a_terminal_only(baton: Baton, mixed: Path, tmp_path: Path) -> None:
    import shutil

    copy = tmp_path / "copy.db"
    shutil.copy(mixed, copy)
    code, stdout, terminal = run_advance(mixed, stderr_on_a_terminal=True)
    assert (code, stdout) == (0, "Moved 2 leads from MQL to SAL (hand_over).\n")
    assert "Advancing 2 leads (hand_over)" in terminal and "100%" in terminal
    assert run_advance(copy, stderr_on_a_terminal=False) == (0, stdout, "")


def test_a_state_written_without_quotes_is_told_to_take_them(baton: Baton, mixed: Path) -> None:
    result = baton("lead", "list", "--where", "state == MQL")
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == (
        "Error: --where, at column 10 (\"MQL\"): 'MQL' is a value of state, not a name: put it in quotes, "
        "like state == 'MQL'\n")
