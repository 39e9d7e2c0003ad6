"""Who gets a lead on entering SQL, and how the log explains it."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import Result
from conftest import BANT, READY, Baton, as_json, json_lines, to_sql

pytestmark = pytest.mark.both_stores  # every database test here runs on SQLite and on PostgreSQL


def executive_to_sql(baton: Baton, lead: str) -> Result:
    """`to_sql` for a ready lead whose persona is executive (a field is given once)."""
    ready = [f for f in READY if not f.startswith("persona=")]
    assert baton("lead", "add", "--id", lead, *ready, "persona=executive").exit_code == 0
    assert baton("lead", "advance", lead, "hand_over").exit_code == 0
    assert baton("lead", "set", lead, *BANT, actor="alice").exit_code == 0
    return baton("lead", "advance", lead, "qualify", actor="alice")


def assigned_event(baton: Baton, lead: str) -> dict:
    events = [e for e in json_lines(baton("--json", "lead", "history", lead)) if e["event"] in ("assigned", "unrouted")]
    return events[-1]


def test_first_matching_rule_wins(baton: Baton, db: object) -> None:
    executive_to_sql(baton, "L-1")
    event = assigned_event(baton, "L-1")
    assert event["data"]["owner"] == "carol"
    assert event["data"]["rule"] == 1
    assert event["data"]["when"] == "persona == 'executive'"


def test_least_loaded_counts_open_leads_and_ties_go_to_the_first_listed(baton: Baton, db: object) -> None:
    to_sql(baton, "L-1")
    to_sql(baton, "L-2")
    to_sql(baton, "L-3")
    owners = [as_json(baton("--json", "lead", "show", lead))["owner"] for lead in ("L-1", "L-2", "L-3")]
    assert owners == ["alice", "bob", "alice"]
    event = assigned_event(baton, "L-3")
    assert event["data"]["strategy"] == "least_loaded"
    assert event["data"]["open_leads"] == {"alice": 1, "bob": 1}


def test_won_leads_do_not_count_as_load(baton: Baton, db: object) -> None:
    to_sql(baton, "L-1")
    for trigger in ("accept", "contact", "win"):
        baton("lead", "advance", "L-1", trigger, actor="alice")
    to_sql(baton, "L-2")
    assert assigned_event(baton, "L-2")["data"]["open_leads"] == {"alice": 0, "bob": 0}
    assert as_json(baton("--json", "lead", "show", "L-2"))["owner"] == "alice"


def test_away_rep_is_skipped_and_the_log_says_why(baton: Baton, db: object) -> None:
    assert baton("rep", "away", "alice", actor="alice").exit_code == 0
    to_sql(baton, "L-1")
    event = assigned_event(baton, "L-1")
    assert event["data"]["owner"] == "bob"
    assert event["data"]["skipped"] == {"alice": "away"}


def test_away_rep_falls_through_to_the_next_matching_rule(baton: Baton, db: object) -> None:
    baton("rep", "away", "carol", "--until", "2026-11-30T09:00", actor="sam")
    result = executive_to_sql(baton, "L-1")
    assert "Assigned L-1 to alice" in result.stdout
    event = assigned_event(baton, "L-1")
    assert event["data"]["rule"] == 2
    assert event["data"]["passed_over"] == [
        {"rule": 1, "when": "persona == 'executive'", "strategy": "round_robin",
         "skipped": {"carol": "away until 2026-11-30T09:00:00+00:00"}}
    ]


def test_away_until_a_past_time_counts_as_back(baton: Baton, db: object) -> None:
    baton("rep", "away", "alice", "--until", "2026-11-23T12:00", actor="alice")
    to_sql(baton, "L-1", now="2026-11-23T13:00")
    assert assigned_event(baton, "L-1")["data"]["owner"] == "alice"


def test_no_available_rep_leaves_the_lead_unassigned_and_findable(baton: Baton, db: object) -> None:
    for rep in ("alice", "bob"):
        baton("rep", "away", rep, actor="sam")
    result = to_sql(baton, "L-1")
    assert result.exit_code == 0
    assert "L-1 has no rep: no rep is available in any matching rule" in result.stdout
    event = assigned_event(baton, "L-1")
    assert event["event"] == "unrouted"
    unassigned = json_lines(baton("--json", "lead", "list", "--unassigned"))
    assert [lead["id"] for lead in unassigned] == ["L-1"]
    baton("rep", "back", "bob", actor="bob")
    assert json_lines(baton("--json", "lead", "list", "--unassigned"))[0]["owner"] is None


def test_only_the_rep_or_a_manager_may_change_availability(baton: Baton, db: object) -> None:
    result = baton("rep", "away", "alice", actor="bob")
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: bob may not change alice's availability: only alice or a sales_manager (sam) may\n"
    )


def test_unknown_rep_is_refused(baton: Baton, db: object) -> None:
    result = baton("rep", "away", "zed", actor="sam")
    assert result.exit_code == 1
    assert result.stderr == "Error: 'zed' is not a rep in the policy (reps: carol, alice, bob)\n"


def test_rep_list_shows_open_leads_and_who_is_away(baton: Baton, db: object) -> None:
    to_sql(baton, "L-1")
    baton("rep", "away", "bob", "--until", "2026-11-24T09:00", actor="bob")
    rows = json_lines(baton("--json", "rep", "list"))
    assert rows == [
        {"rep": "carol", "open_leads": 0, "away": False, "until": None},
        {"rep": "alice", "open_leads": 1, "away": False, "until": None},
        {"rep": "bob", "open_leads": 0, "away": True, "until": "2026-11-24T09:00:00+00:00"},
    ]


def test_availability_changes_are_events(baton: Baton, db: object) -> None:
    baton("rep", "away", "bob", actor="bob")
    baton("rep", "back", "bob", actor="bob")
    events = json_lines(baton("--json", "audit", "log"))
    assert [(e["event"], e["lead"], e["data"]) for e in events[-2:]] == [
        ("rep_away", None, {"rep": "bob", "until": None}),
        ("rep_back", None, {"rep": "bob"}),
    ]


def test_round_robin_rotates_and_remembers_its_place(baton: Baton, policy_file: Path, db_path: Path) -> None:
    text = policy_file.read_text().replace("      strategy: least_loaded", "      strategy: round_robin")
    policy_file.write_text(text)
    assert baton("init", "--policy", str(policy_file)).exit_code == 0
    for lead in ("L-1", "L-2", "L-3"):
        to_sql(baton, lead)
    owners = [as_json(baton("--json", "lead", "show", lead))["owner"] for lead in ("L-1", "L-2", "L-3")]
    assert owners == ["alice", "bob", "alice"]
    event = assigned_event(baton, "L-2")
    assert event["data"]["rotation"] == ["alice", "bob"]
    assert event["data"]["position"] == 1


def test_round_robin_skips_an_away_rep_without_losing_the_turn(baton: Baton, policy_file: Path, db_path: Path) -> None:
    text = policy_file.read_text().replace("      strategy: least_loaded", "      strategy: round_robin")
    text = text.replace("assign: [alice, bob]", "assign: [alice, bob, carol]")
    policy_file.write_text(text)
    assert baton("init", "--policy", str(policy_file)).exit_code == 0
    baton("rep", "away", "bob", actor="bob")
    for lead in ("L-1", "L-2", "L-3"):
        to_sql(baton, lead)
    owners = [as_json(baton("--json", "lead", "show", lead))["owner"] for lead in ("L-1", "L-2", "L-3")]
    assert owners == ["alice", "carol", "alice"]


def test_the_running_load_count_matches_a_recount_of_the_leads(baton: Baton, db_path: Path, db: object) -> None:
    from conftest import query

    to_sql(baton, "L-1")
    executive_to_sql(baton, "L-2")
    to_sql(baton, "L-3")
    baton("lead", "advance", "L-1", "recycle", "reason=no budget", actor="alice")
    for trigger in ("accept", "contact", "win"):
        baton("lead", "advance", "L-3", trigger, actor="sam")
    kept = dict(query(db_path, "SELECT rep, open_leads FROM rep_load WHERE open_leads > 0"))
    recount = dict(query(
        db_path, "SELECT owner, count(*) FROM leads WHERE owner IS NOT NULL AND state != 'won' GROUP BY owner"
    ))
    assert kept == recount == {"carol": 1}
