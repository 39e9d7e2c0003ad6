"""Moving leads through the default policy: guards, checklists, roles,
required keys, attempts and the refusals operators read."""

from __future__ import annotations

import pytest
from conftest import BANT, READY, Baton, add_ready_lead, as_json, json_lines, query, query_dicts, to_sql

pytestmark = pytest.mark.both_stores  # every test here runs on SQLite and on PostgreSQL


def test_new_lead_starts_in_the_initial_state_with_defaults(baton: Baton, db: object) -> None:
    shown = as_json(baton("--json", "lead", "add", "--id", "L-1", "email=ana@northwind.example"))
    assert shown["id"] == "L-1"
    assert shown["state"] == "MQL"
    assert shown["owner"] is None
    assert shown["fields"] == {"email": "ana@northwind.example", "score": 0}


def test_generated_ids_count_up_and_skip_taken_ones(baton: Baton, db: object) -> None:
    assert baton("lead", "add", "--id", "L-2").exit_code == 0
    first = as_json(baton("--json", "lead", "add"))
    second = as_json(baton("--json", "lead", "add"))
    third = as_json(baton("--json", "lead", "add"))
    assert [first["id"], second["id"], third["id"]] == ["L-1", "L-3", "L-4"]


def test_handover_with_everything_moves_the_lead_to_sal(baton: Baton, db: object) -> None:
    add_ready_lead(baton, "L-1")
    result = baton("lead", "advance", "L-1", "hand_over")
    assert result.exit_code == 0
    assert result.stdout == "L-1: MQL -> SAL (hand_over).\n"
    assert as_json(baton("--json", "lead", "show", "L-1"))["state"] == "SAL"


def test_handover_refusal_lists_every_missing_checklist_item(baton: Baton, db: object) -> None:
    baton("lead", "add", "--id", "L-1", "score=80", "persona=manager")
    result = baton("lead", "advance", "L-1", "hand_over")
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: cannot hand_over L-1: handover checklist is missing: "
        "contact details, lead source, product of interest, awareness level\n"
    )


def test_refusal_names_failed_guard_with_its_say_text_and_missing_items_together(baton: Baton, db: object) -> None:
    baton("lead", "add", "--id", "L-1", "score=20", "email=a@b.example")
    result = baton("lead", "advance", "L-1", "hand_over")
    assert result.exit_code == 1
    assert "handover checklist is missing: lead source, persona, product of interest, awareness level" in result.stderr
    assert "the score must reach 60 before marketing hands a lead over" in result.stderr


def test_phone_alone_is_enough_contact_detail(baton: Baton, db: object) -> None:
    ready = [f for f in READY if not f.startswith("email=")] + ["phone=+44 20 7946 0000"]
    baton("lead", "add", "--id", "L-1", *ready)
    assert baton("lead", "advance", "L-1", "hand_over").exit_code == 0


def test_wrong_role_is_refused_naming_who_may(baton: Baton, db: object) -> None:
    add_ready_lead(baton, "L-1")
    result = baton("lead", "advance", "L-1", "hand_over", actor="alice")
    assert result.exit_code == 1
    assert result.stderr == "Error: alice may not hand_over L-1: only marketing (jane, omar) may\n"


def test_only_the_owner_or_a_manager_may_accept(baton: Baton, db: object) -> None:
    assert to_sql(baton, "L-1").exit_code == 0  # routed to alice (least loaded, listed first)
    refused = baton("lead", "advance", "L-1", "accept", actor="bob")
    assert refused.exit_code == 1
    assert "bob may not accept L-1: only the lead's owner or sales_manager (sam) may" in refused.stderr
    assert baton("lead", "advance", "L-1", "accept", actor="alice").exit_code == 0


def test_trigger_from_the_wrong_state_says_where_the_lead_is(baton: Baton, db: object) -> None:
    add_ready_lead(baton, "L-1")
    result = baton("lead", "advance", "L-1", "accept", actor="sam")
    assert result.exit_code == 1
    assert result.stderr == "Error: L-1 is in MQL; 'accept' only moves a lead out of SQL\n"


def test_unknown_trigger_lists_the_transitions_and_the_nearest(baton: Baton, db: object) -> None:
    add_ready_lead(baton, "L-1")
    result = baton("lead", "advance", "L-1", "handover")
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: no transition 'handover' in the policy; did you mean 'hand_over'? "
        "(transitions: hand_over, qualify, accept, contact, win, disqualify, recycle, renurture)\n"
    )
    far = baton("lead", "advance", "L-1", "zzz")
    assert far.stderr.startswith("Error: no transition 'zzz' in the policy (transitions: hand_over, qualify,")


def test_unknown_lead_is_refused(baton: Baton, db: object) -> None:
    for args in (("lead", "show", "L-404"), ("lead", "advance", "L-404", "hand_over"),
                 ("lead", "set", "L-404", "score=1"), ("lead", "attempt", "L-404"), ("lead", "history", "L-404")):
        result = baton(*args)
        assert result.exit_code == 1, args
        assert result.stderr == "Error: no lead 'L-404'; `baton lead list` shows the leads there are\n"


def test_recycle_requires_a_reason(baton: Baton, db: object) -> None:
    add_ready_lead(baton, "L-1")
    baton("lead", "advance", "L-1", "hand_over")
    result = baton("lead", "advance", "L-1", "recycle", actor="alice")
    assert result.exit_code == 1
    assert result.stderr == "Error: 'recycle' needs reason: run `baton lead advance L-1 recycle reason=...`\n"
    blank = baton("lead", "advance", "L-1", "recycle", "reason=  ", actor="alice")
    assert blank.exit_code == 1


def test_a_key_baton_writes_itself_cannot_be_given_and_the_owner_stays(baton: Baton, db: object) -> None:
    """`released` in a transition's event clears the owner, so an operator
    typing released=... must not be able to strip a lead of its rep."""
    to_sql(baton, "L-1")
    result = baton("lead", "advance", "L-1", "accept", "released=alice", actor="alice")
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: released=... cannot be given: Baton itself records in it the rep a transition "
        "takes the lead from; leave released=... out\n"
    )
    shown = as_json(baton("--json", "lead", "show", "L-1"))
    assert (shown["state"], shown["owner"]) == ("SQL", "alice")
    accepted = as_json(baton("--json", "lead", "advance", "L-1", "accept", actor="alice"))
    assert (accepted["state"], accepted["owner"]) == ("accepted", "alice")


def test_recycle_from_contacted_needs_three_attempts(baton: Baton, db: object) -> None:
    to_sql(baton, "L-1")
    baton("lead", "advance", "L-1", "accept", actor="alice")
    baton("lead", "advance", "L-1", "contact", actor="alice")
    for _ in range(2):
        assert baton("lead", "attempt", "L-1", "--channel", "phone", actor="alice").exit_code == 0
    refused = baton("lead", "advance", "L-1", "recycle", "reason=silent", actor="alice")
    assert refused.exit_code == 1
    assert refused.stderr == "Error: cannot recycle L-1: make at least 3 contact attempts before recycling\n"
    baton("lead", "attempt", "L-1", actor="alice")
    done = as_json(baton("--json", "lead", "advance", "L-1", "recycle", "reason=silent", actor="alice"))
    assert done["state"] == "recycled"
    assert done["events"][0]["data"] == {"reason": "silent", "released": "alice"}


def test_recycled_lead_is_released_by_its_rep_and_may_be_renurtured(baton: Baton, db: object) -> None:
    to_sql(baton, "L-1")
    baton("lead", "advance", "L-1", "recycle", "reason=no budget", actor="alice")
    shown = as_json(baton("--json", "lead", "show", "L-1"))
    assert (shown["state"], shown["owner"]) == ("recycled", None)
    assert as_json(baton("--json", "lead", "advance", "L-1", "renurture"))["state"] == "MQL"


def test_attempts_start_again_in_each_state(baton: Baton, db: object) -> None:
    to_sql(baton, "L-1")
    baton("lead", "attempt", "L-1", actor="alice")
    assert as_json(baton("--json", "lead", "show", "L-1"))["attempts"] == 1
    baton("lead", "advance", "L-1", "accept", actor="alice")
    assert as_json(baton("--json", "lead", "show", "L-1"))["attempts"] == 0


def test_final_state_allows_nothing(baton: Baton, db: object) -> None:
    to_sql(baton, "L-1")
    for trigger in ("accept", "contact", "win"):
        assert baton("lead", "advance", "L-1", trigger, actor="alice").exit_code == 0
    shown = as_json(baton("--json", "lead", "show", "L-1", actor="sam"))
    assert shown["state"] == "won"
    assert shown["allowed"] == []


def test_show_lists_checklist_gaps_and_what_this_actor_may_do(baton: Baton, db: object) -> None:
    add_ready_lead(baton, "L-1")
    shown = as_json(baton("--json", "lead", "show", "L-1"))
    assert shown["checklists"] == {"handover": [], "qualification": ["budget", "authority", "need", "timeline"]}
    assert shown["allowed"] == ["hand_over"]
    assert as_json(baton("--json", "lead", "show", "L-1", actor="alice"))["allowed"] == []


def test_allowed_includes_triggers_that_need_keys(baton: Baton, db: object) -> None:
    to_sql(baton, "L-1")
    assert as_json(baton("--json", "lead", "show", "L-1", actor="alice"))["allowed"] == ["accept", "disqualify", "recycle"]


def test_set_parses_values_by_type_and_blank_clears(baton: Baton, db: object) -> None:
    baton("lead", "add", "--id", "L-1", "score=12.0", "authority=Y", "budget=1500.50", "timeline=2027-01-31")
    fields = as_json(baton("--json", "lead", "show", "L-1"))["fields"]
    assert fields == {"score": 12, "authority": True, "budget": 1500.5, "timeline": "2027-01-31"}
    baton("lead", "set", "L-1", "budget=", "authority=no")
    fields = as_json(baton("--json", "lead", "show", "L-1"))["fields"]
    assert "budget" not in fields and fields["authority"] is False


def test_bad_value_names_the_field_and_the_fix(baton: Baton, db: object) -> None:
    result = baton("lead", "add", "score=lots")
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: field 'score': 'lots' is not a whole number")


def test_unknown_field_suggests_the_nearest_and_lists_the_fields(baton: Baton, db: object) -> None:
    result = baton("lead", "add", "emial=a@b.example")
    assert result.exit_code == 1
    assert result.stderr.startswith(
        "Error: no field 'emial' in the policy; did you mean 'email'? (fields: first_name, last_name, email,"
    )


def test_malformed_assignment_is_a_clear_error(baton: Baton, db: object) -> None:
    result = baton("lead", "add", "score")
    assert result.exit_code == 2  # a usage error (SPEC: exit codes), issue 12
    assert result.stderr == "Error: 'score' is not FIELD=VALUE; write it like score=70 (an empty value clears a field)\n"


def test_duplicate_id_is_refused(baton: Baton, db: object) -> None:
    baton("lead", "add", "--id", "L-1")
    result = baton("lead", "add", "--id", "L-1")
    assert result.exit_code == 1
    assert result.stderr == "Error: lead 'L-1' already exists; choose another id or leave --id out\n"


def test_acting_as_system_is_refused(baton: Baton, db: object) -> None:
    result = baton("lead", "add", actor="system")
    assert result.exit_code == 1
    assert "'system' is Baton itself" in result.stderr


def test_set_with_no_change_writes_no_event(baton: Baton, db: object) -> None:
    baton("lead", "add", "--id", "L-1", "score=70")
    result = baton("lead", "set", "L-1", "score=70")
    assert result.stdout == "L-1 already had those values; nothing changed.\n"
    assert [e["event"] for e in json_lines(baton("--json", "lead", "history", "L-1"))] == ["created"]


def test_hours_in_state_guard_uses_the_command_clock(baton: Baton, policy_file: object, db_path: object, tmp_path: object) -> None:
    from pathlib import Path

    text = Path(str(policy_file)).read_text().replace(
        "  renurture: {from: recycled, to: MQL, by: [marketing]}",
        "  renurture:\n    from: recycled\n    to: MQL\n    by: [marketing]\n"
        "    when: {expr: hours_in_state >= 24, say: let a recycled lead rest a day first}",
    )
    Path(str(policy_file)).write_text(text)
    assert baton("init", "--policy", str(policy_file)).exit_code == 0
    add_ready_lead(baton, "L-1")
    baton("lead", "advance", "L-1", "hand_over")
    baton("lead", "advance", "L-1", "recycle", "reason=later", actor="alice", now="2026-11-23T10:00")
    early = baton("lead", "advance", "L-1", "renurture", now="2026-11-23T20:00")
    assert early.stderr == "Error: cannot renurture L-1: let a recycled lead rest a day first\n"
    assert baton("lead", "advance", "L-1", "renurture", now="2026-11-24T10:00").exit_code == 0


def test_history_lists_the_leads_events_in_order(baton: Baton, db: object) -> None:
    to_sql(baton, "L-1")
    events = json_lines(baton("--json", "lead", "history", "L-1"))
    assert [e["event"] for e in events] == ["created", "hand_over", "updated", "qualify", "assigned"]
    assert [e["seq"] for e in events] == sorted(e["seq"] for e in events)
    assert events[1]["from"] == "MQL" and events[1]["to"] == "SAL"


def test_bant_values_land_in_the_event(baton: Baton, db: object) -> None:
    add_ready_lead(baton, "L-1")
    baton("lead", "set", "L-1", *BANT, actor="alice")
    updated = json_lines(baton("--json", "lead", "history", "L-1"))[-1]
    assert updated["event"] == "updated"
    assert updated["data"] == {"fields": {"budget": 25000.0, "authority": True, "need": "Replace spreadsheets",
                                          "timeline": "2027-02-01"}}




@pytest.mark.parametrize(
    "assignment, field",
    [
        ("email=ana.example", "email"),
        ("phone=call me", "phone"),
        ("score=12.5", "score"),
        ("budget=lots", "budget"),
        ("authority=maybe", "authority"),
        ("timeline=25/12/2026", "timeline"),
        ("persona=ceo", "persona"),
        ("first_name=two\nlines", "first_name"),
    ],
)
def test_each_field_type_refuses_a_bad_value_and_writes_nothing(baton: Baton, db: object, assignment: str, field: str) -> None:
    baton("lead", "add", "--id", "L-1")
    result = baton("lead", "set", "L-1", assignment)
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: field '{field}': ")
    assert "\n" not in result.stderr.rstrip("\n")
    assert [e["event"] for e in json_lines(baton("--json", "lead", "history", "L-1"))] == ["created"]


# -- a lead nobody followed up (the follow_up SLA of the default policy) ----------------
def contacted_lead(baton: Baton, lead: str, attempts: int) -> None:
    to_sql(baton, lead, now="2026-11-27T15:00")
    for trigger in ("accept", "contact"):
        assert baton("lead", "advance", lead, trigger, actor="alice", now="2026-11-27T15:00").exit_code == 0
    for _ in range(attempts):
        assert baton("lead", "attempt", lead, actor="alice", now="2026-11-27T15:00").exit_code == 0


@pytest.mark.without_assigned_notices
def test_a_lead_left_in_contacted_with_no_attempts_is_recycled_and_the_rep_and_manager_told(
        baton: Baton, db: object) -> None:
    """The neglected lead is the one the follow_up clock is for: with no
    attempts logged, the 3-attempt rule for reps must not keep it stuck."""
    contacted_lead(baton, "L-1", attempts=0)
    result = baton("sla", "sweep", now="2026-12-11T15:00")
    assert result.exit_code == 0
    assert result.stdout.splitlines()[0] == (
        "L-1 breached follow_up (due 2026-12-11 15:00 GMT): notify alice, sam; fired recycle"
    )
    shown = as_json(baton("--json", "lead", "show", "L-1", now="2026-12-11T15:00"))
    assert (shown["state"], shown["owner"]) == ("recycled", None)
    recycle = json_lines(baton("--json", "lead", "history", "L-1"))[-1]
    assert (recycle["event"], recycle["actor"]) == ("recycle", "system")
    assert recycle["data"] == {"reason": "no response after follow-ups", "released": "alice"}
    assert query(db, "SELECT recipients FROM outbox") == [('["alice", "sam"]',)]


def test_a_rep_still_needs_three_attempts_to_recycle_from_contacted(baton: Baton, db: object) -> None:
    contacted_lead(baton, "L-1", attempts=0)
    refused = baton("lead", "advance", "L-1", "recycle", "reason=silent", actor="alice", now="2026-11-27T16:00")
    assert refused.stderr == "Error: cannot recycle L-1: make at least 3 contact attempts before recycling\n"


def test_the_leads_table_holds_each_change_a_command_makes(baton: Baton, db: object) -> None:
    """Commands write only the columns that changed; every change must land,
    a field cleared to null included, and nothing else may move."""
    add_ready_lead(baton, "L-1")
    add_ready_lead(baton, "L-2")
    assert baton("lead", "advance", "L-1", "hand_over", now="2026-11-30T10:00").exit_code == 0
    assert baton("lead", "set", "L-1", "budget=5000", "source=", actor="alice", now="2026-11-30T11:00").exit_code == 0
    assert baton("lead", "attempt", "L-1", "--channel", "call", actor="alice", now="2026-11-30T12:00").exit_code == 0
    one, two = (query_dicts(db, "SELECT * FROM leads WHERE id = ?", (lead,))[0] for lead in ("L-1", "L-2"))
    assert (one["state"], one["budget"], one["source"], one["attempts"]) == ("SAL", 5000, None, 1)
    assert (one["state_since"], one["updated_at"]) == ("2026-11-30T10:00:00+00:00", "2026-11-30T12:00:00+00:00")
    assert (two["state"], two["attempts"], two["source"], two["budget"]) == ("MQL", 0, "webinar", None)
    assert baton("audit", "verify").exit_code == 0
