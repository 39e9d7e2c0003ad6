"""`baton policy simulate FILE`: what a candidate policy would change for the
open leads (and, with --history, for the transitions of the log), judged by
the machines of both policies; nothing is ever written."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from conftest import BANT, READY, Baton, add_ready_lead, change, json_lines, to_sql
from test_policy_apply import variant

pytestmark = pytest.mark.both_stores  # every database test here runs on SQLite and on PostgreSQL

HEADER = "Policy default-handover version 2 ({}) against version 1 in force, on the leads as of 2026-11-23 {} GMT."
LOW_SCORE = [r for r in READY if not r.startswith("score=")] + ["score=55"]
SCORE_60 = ("score >= 60\n        say: the score must reach 60", "score >= 50\n        say: the score must reach 50")


def simulate(baton: Baton, path: Path, *args: str, now: str = "2026-11-23T10:00") -> list[str]:
    result = baton("policy", "simulate", str(path), *args, now=now)
    assert result.exit_code == 0, result.stderr
    return result.stdout.splitlines()


def test_a_lower_score_threshold_lets_marketing_hand_over_the_leads_below_the_old_one(
        baton: Baton, db: Path, tmp_path: Path) -> None:
    assert baton("lead", "add", "--id", "L-1", *LOW_SCORE).exit_code == 0
    add_ready_lead(baton, "L-2")  # allowed under both: no change
    v2 = variant(tmp_path, 2, replace=SCORE_60)
    assert simulate(baton, v2) == [
        HEADER.format(v2, "10:00"),
        "",
        "L-1 (MQL, no owner)",
        "  hand_over becomes allowed for jane, omar (it was refused: the score must reach 60 before marketing "
        "hands a lead over)",
        "",
        "In total:",
        "  hand_over becomes allowed for 1 lead in MQL.",
        "",
        "1 of 2 open leads would change. Nothing was written.",
    ]


def test_a_change_to_who_may_erase_or_who_is_acting_is_named_after_the_leads(
        baton: Baton, db: Path, tmp_path: Path) -> None:
    """No lead shows these, so the summary names them, in policy diff's words."""
    add_ready_lead(baton, "L-1")
    v2 = variant(tmp_path, 2, replace=("erasure:\n  by: [sales_manager]\n",
                                       "erasure:\n  by: [sales_manager, marketing_head]\n"
                                       "identity: login\nlogins: {jsmith: jane}\n"))
    assert simulate(baton, v2) == [
        HEADER.format(v2, "10:00"),
        "",
        "Nothing changes for the 1 open lead. Nothing was written.",
        "",
        "It also changes, for people rather than leads (`baton policy diff` lists every change):",
        "  erasure: marketing_head may now erase a person's data on request",
        "  identity: who is acting is now the login name (identity: login, mapped through logins); "
        "--as and BATON_ACTOR are refused",
        "  logins: login jsmith now acts as jane",
    ]


def test_a_change_only_to_leads_names_nothing_beyond_them(baton: Baton, db: Path, tmp_path: Path) -> None:
    assert baton("lead", "add", "--id", "L-1", *LOW_SCORE).exit_code == 0
    assert not any(line.startswith("It also changes")
                   for line in simulate(baton, variant(tmp_path, 2, replace=SCORE_60)))


@pytest.mark.sqlite_only  # the file's bytes
def test_simulate_writes_nothing_to_the_database_file(baton: Baton, db: Path, tmp_path: Path) -> None:
    assert baton("lead", "add", "--id", "L-1", *LOW_SCORE).exit_code == 0
    to_sql(baton, "L-2")
    v2 = variant(tmp_path, 2, replace=("within: 4h", "within: 2h"))
    before = db.read_bytes()
    files = sorted(os.listdir(db.parent))
    assert len(simulate(baton, v2)) > 3
    assert len(simulate(baton, v2, "--history")) > 1
    assert db.read_bytes() == before
    assert sorted(os.listdir(db.parent)) == files


def test_a_stricter_guard_refuses_the_leads_that_met_the_old_one(baton: Baton, db: Path, tmp_path: Path) -> None:
    add_ready_lead(baton, "L-1")  # score 75
    v2 = variant(tmp_path, 2, replace=("score >= 60\n        say: the score must reach 60",
                                       "score >= 80\n        say: the score must reach 80"))
    lines = simulate(baton, v2)
    assert lines[2:4] == [
        "L-1 (MQL, no owner)",
        "  hand_over becomes refused for jane, omar: the score must reach 80 before marketing hands a lead over",
    ]
    assert "  hand_over becomes refused for 1 lead in MQL." in lines


def test_new_wording_of_the_same_refusal_is_no_change(baton: Baton, db: Path, tmp_path: Path) -> None:
    assert baton("lead", "add", "--id", "L-1", *LOW_SCORE).exit_code == 0
    v2 = variant(tmp_path, 2, replace=("say: the score must reach 60 before", "say: a score of 60 is needed before"))
    assert simulate(baton, v2)[1:] == ["", "Nothing changes for the 1 open lead. Nothing was written."]


def test_a_new_checklist_item_is_missing_for_the_leads_without_it(baton: Baton, db: Path, tmp_path: Path) -> None:
    add_ready_lead(baton, "L-1")
    add_ready_lead(baton, "L-2", "title=CFO")
    v2 = variant(tmp_path, 2, replace=("    awareness level: awareness\n",
                                       "    awareness level: awareness\n    job title: title\n"))
    lines = simulate(baton, v2)
    assert lines[2:5] == [
        "L-1 (MQL, no owner)",
        "  hand_over becomes refused for jane, omar: handover checklist: job title",
        '  handover checklist: "job title" becomes missing',
    ]
    assert "L-2 (MQL, no owner)" not in lines
    assert '  1 lead now misses "job title" (handover checklist).' in lines


def test_a_role_member_removed_loses_the_trigger_and_no_one_else_does(
        baton: Baton, db: Path, tmp_path: Path) -> None:
    add_ready_lead(baton, "L-1")
    v2 = variant(tmp_path, 2, replace=("marketing: [jane, omar]", "marketing: [jane]"))
    assert simulate(baton, v2)[3] == "  hand_over becomes refused for omar: not in a role that may fire it"


def test_a_shorter_sla_moves_each_running_clock_and_counts_the_overdue(
        baton: Baton, db: Path, tmp_path: Path) -> None:
    to_sql(baton, "L-1")  # acknowledge due 13:00
    to_sql(baton, "L-2", now="2026-11-23T10:30")  # due 14:30
    v2 = variant(tmp_path, 2, replace=("within: 4h", "within: 2h"))
    lines = simulate(baton, v2, now="2026-11-23T11:30")
    assert lines[2:] == [
        "L-1 (SQL, alice)",
        "  acknowledge clock: due 2026-11-23 11:00 GMT instead of 2026-11-23 13:00 GMT "
        "(2 business hours earlier; already overdue)",
        "",
        "L-2 (SQL, bob)",
        "  acknowledge clock: due 2026-11-23 12:30 GMT instead of 2026-11-23 14:30 GMT (2 business hours earlier)",
        "",
        "In total:",
        "  2 acknowledge clocks due 2 business hours earlier, 1 of them already overdue.",
        "",
        "2 of 2 open leads would change. Nothing was written.",
    ]


def test_a_clock_moved_by_new_business_hours_says_only_that_it_is_overdue(
        baton: Baton, db: Path, tmp_path: Path) -> None:
    # Another calendar moves each clock by its own amount, so no shift is
    # named; the note in brackets must still read as a sentence.
    to_sql(baton, "L-1")  # acknowledge due 13:00
    v2 = variant(tmp_path, 2, replace=("within: 4h", "within: 2h"))
    v2.write_text(v2.read_text().replace('end: "17:30"', 'end: "18:00"'))
    lines = simulate(baton, v2, now="2026-11-23T12:30")
    assert "  acknowledge clock: due 2026-11-23 11:00 GMT instead of 2026-11-23 13:00 GMT (already overdue)" in lines
    assert "  1 acknowledge clock due at other times, 1 of them already overdue." in lines


def test_a_removed_sla_stops_its_clocks_and_a_new_one_starts_at_the_apply(
        baton: Baton, db: Path, tmp_path: Path) -> None:
    from test_sla import ACKNOWLEDGE_BLOCK

    to_sql(baton, "L-1")
    add_ready_lead(baton, "L-2")
    v2 = variant(tmp_path, 2, replace=(ACKNOWLEDGE_BLOCK, "  - name: triage\n    state: MQL\n    within: 2h\n"))
    lines = simulate(baton, v2)
    assert "  acknowledge clock stops (it was due 2026-11-23 13:00 GMT)" in lines
    assert "  triage clock starts, due 2026-11-23 12:00 GMT" in lines
    assert lines[-5:-2] == ["In total:", "  1 triage clock starts at the apply.", "  1 acknowledge clock stops."]


def test_routing_names_the_rep_it_would_now_pick_for_a_lead_one_step_from_it(
        baton: Baton, db: Path, tmp_path: Path) -> None:
    add_ready_lead(baton, "L-1")
    assert baton("lead", "advance", "L-1", "hand_over").exit_code == 0  # in SAL: routed when qualified
    v2 = variant(tmp_path, 2, replace=("assign: [alice, bob]", "assign: [bob, alice]"))
    lines = simulate(baton, v2)
    assert lines[2:4] == ["L-1 (SAL, no owner)", "  routing would pick bob instead of alice (rule 2)"]
    assert "  Routing would pick another rep for 1 lead in SAL." in lines


def test_a_removed_state_needs_a_map_and_with_one_the_leads_are_judged_where_they_would_go(
        baton: Baton, db: Path, tmp_path: Path) -> None:
    add_ready_lead(baton, "L-1")
    assert baton("lead", "advance", "L-1", "hand_over").exit_code == 0
    v2 = variant(tmp_path, 2, rename_sal=True)
    lines = simulate(baton, v2)
    assert lines[2:4] == [
        "L-1 (SAL, no owner)",
        "  SAL is not a state of version 2: applying it needs --map SAL=STATE "
        "(states: MQL, handed, SQL, accepted, contacted, won, disqualified, recycled)",
    ]
    assert "  1 lead sits in SAL, which version 2 removes: apply it with --map SAL=STATE." in lines
    mapped = simulate(baton, v2, "--map", "SAL=handed")
    assert mapped[-1] == "Nothing changes for the 1 open lead. Nothing was written."


def test_json_gives_one_object_a_changed_lead(baton: Baton, db: Path, tmp_path: Path) -> None:
    assert baton("lead", "add", "--id", "L-1", *LOW_SCORE).exit_code == 0
    add_ready_lead(baton, "L-2")
    v2 = variant(tmp_path, 2, replace=SCORE_60)
    result = baton("--json", "policy", "simulate", str(v2))
    assert json_lines(result) == [{
        "lead": "L-1", "state": "MQL", "owner": None,
        "changes": [{"kind": "allowed", "trigger": "hand_over", "actors": ["jane", "omar"],
                     "was": ["the score must reach 60 before marketing hands a lead over"]}],
    }]


def test_history_counts_per_trigger_what_the_candidate_would_have_refused(
        baton: Baton, db: Path, tmp_path: Path) -> None:
    to_sql(baton, "L-1")
    assert baton("lead", "add", "--id", "L-2", *READY[:-1], "score=65").exit_code == 0
    assert baton("lead", "advance", "L-2", "hand_over").exit_code == 0
    v2 = variant(tmp_path, 2, replace=("score >= 60\n        say: the score must reach 60",
                                       "score >= 70\n        say: the score must reach 70"))
    assert simulate(baton, v2, "--history") == [
        f"Policy default-handover version 2 ({v2}) against version 1 in force, on every transition in the log:",
        "  hand_over: 2 times, 1 would have been refused:",
        "    1 x the score must reach 70 before marketing hands a lead over",
        "  qualify: 1 time, all allowed.",
        "1 of 3 transitions would have been refused. Nothing was written.",
    ]
    result = baton("--json", "policy", "simulate", str(v2), "--history")
    assert json_lines(result)[0] == {
        "trigger": "hand_over", "fired": 2, "refused": 1,
        "reasons": [{"reason": "the score must reach 70 before marketing hands a lead over", "count": 1}],
    }


def test_history_window_judges_only_the_transitions_inside_it(baton: Baton, db: Path, tmp_path: Path) -> None:
    to_sql(baton, "L-1")  # 09:00
    to_sql(baton, "L-2", now="2026-11-24T09:00")
    v2 = variant(tmp_path, 2, replace=SCORE_60)
    lines = simulate(baton, v2, "--history", "--since", "2026-11-24")
    assert lines[1:3] == ["  hand_over: 1 time, all allowed.", "  qualify: 1 time, all allowed."]


def test_history_judges_an_erased_value_as_present(baton: Baton, db: Path, tmp_path: Path) -> None:
    add_ready_lead(baton, "L-1")
    assert baton("lead", "advance", "L-1", "hand_over").exit_code == 0
    change(db, "DELETE FROM personal WHERE field = 'email'")  # what erasure leaves: the value gone, its digest in the log
    v2 = variant(tmp_path, 2, replace=SCORE_60)
    assert simulate(baton, v2, "--history")[1] == "  hand_over: 1 time, all allowed."


def test_bad_input_is_one_plain_line_and_a_broken_file_its_located_errors(
        baton: Baton, db: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text(variant(tmp_path, 2).read_text().replace("to: SAL", "to: SAl", 1))
    result = baton("policy", "simulate", str(broken))
    assert result.exit_code == 1
    assert result.stderr == baton("policy", "check", str(broken)).stderr
    v2 = variant(tmp_path, 2)
    result = baton("policy", "simulate", str(v2), "--map", "SQL=MQL")
    assert (result.exit_code, result.stderr) == (1, (
        "Error: --map SQL=MQL: policy version 2 keeps SQL, so its leads stay there; --map only moves leads out "
        "of a state the new version removes\n"))
    result = baton("policy", "simulate", str(v2), "--since", "2026-11-01")
    assert (result.exit_code, result.stderr) == (  # options that do not go together: usage, issue 12
        2, "Error: --since and --until choose which transitions of the log to judge; add --history\n")
    result = baton("policy", "simulate", str(v2), "--history", "--since", "2026-12-01", "--until", "2026-11-01")
    assert (result.exit_code, result.stderr) == (2, "Error: --since 2026-12-01 is after --until 2026-11-01; swap them\n")


def test_the_same_policy_changes_nothing(baton: Baton, db: Path, policy_file: Path) -> None:
    to_sql(baton, "L-1")
    assert baton("lead", "set", "L-1", *BANT, actor="alice").exit_code == 0
    assert simulate(baton, policy_file)[-1] == "Nothing changes for the 1 open lead. Nothing was written."


def test_history_judges_a_lead_in_a_renamed_state_where_the_map_sends_it(
        baton: Baton, db: Path, tmp_path: Path) -> None:
    to_sql(baton, "L-1")  # qualify fired from SAL, which version 2 calls handed
    v2 = variant(tmp_path, 2, rename_sal=True)
    assert simulate(baton, v2, "--history", "--map", "SAL=handed")[1:3] == [
        "  hand_over: 1 time, all allowed.", "  qualify: 1 time, all allowed."]


def test_a_candidate_whose_version_is_not_above_the_one_in_force_gets_a_note(
        baton: Baton, db: Path, policy_file: Path) -> None:
    result = baton("policy", "simulate", str(policy_file))
    assert result.exit_code == 0
    assert result.stderr == (f"Note: {policy_file} is version 1, not above version 1 in force; `policy approve` and "
                             "`policy apply` will refuse it until you set `version: 2`.\n")
