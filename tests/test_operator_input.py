"""What operators type, refused with a message that says what is wrong and
what would fix it: who may change leads, the keys a trigger takes, and
`lead add` arguments given twice, empty, or not fitting their field."""

from __future__ import annotations

import pytest
from conftest import Baton, add_ready_lead, as_json, json_lines, to_sql

pytestmark = pytest.mark.both_stores  # every database test here runs on SQLite and on PostgreSQL

ROLES = "marketing: jane, omar; sales: alice, bob, carol; sales_manager: sam; marketing_head: hana; sales_head: sam"


def history(baton: Baton, lead: str) -> list[str]:
    return [e["event"] for e in json_lines(baton("--json", "lead", "history", lead))]


# -- an actor in no role of the policy ------------------------------------------------
@pytest.mark.parametrize(
    "args",
    [("lead", "add", "score=99"), ("lead", "set", "L-1", "budget=1"), ("lead", "attempt", "L-1")],
)
def test_someone_in_no_role_may_not_change_leads(baton: Baton, db: object, args: tuple[str, ...]) -> None:
    add_ready_lead(baton, "L-1")
    result = baton(*args, actor="nobody")
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: 'nobody' is in no role of the policy, so may not change leads; "
        f"act as someone who is, like --as jane ({ROLES})\n"
    )
    assert history(baton, "L-1") == ["created"]
    assert [lead["id"] for lead in json_lines(baton("--json", "lead", "list"))] == ["L-1"]


def test_a_mistyped_actor_is_told_the_name_it_is_likely_meant_to_be(baton: Baton, db: object) -> None:
    add_ready_lead(baton, "L-1")
    result = baton("lead", "set", "L-1", "budget=1", actor="alcie")
    assert result.stderr == (
        "Error: 'alcie' is in no role of the policy (did you mean 'alice'?), so may not change leads; "
        f"act as someone who is, like --as alice ({ROLES})\n"
    )


def test_import_by_someone_in_no_role_is_refused_before_the_file_is_read(
        baton: Baton, db: object, tmp_path: object) -> None:
    from pathlib import Path

    source = Path(str(tmp_path)) / "leads.csv"
    source.write_text("email\njane@example.com\n")
    result = baton("lead", "import", str(source), actor="alcie")
    assert result.exit_code == 1
    assert result.stderr.startswith(
        "Error: 'alcie' is in no role of the policy (did you mean 'alice'?), so may not change leads"
    )
    missing = baton("lead", "import", str(Path(str(tmp_path)) / "none.csv"), actor="alcie")
    assert "in no role" in missing.stderr
    assert json_lines(baton("--json", "lead", "list")) == []


def test_advance_by_someone_in_no_role_says_so_as_well_as_who_may(baton: Baton, db: object) -> None:
    assert to_sql(baton, "L-1").exit_code == 0
    result = baton("lead", "advance", "L-1", "accept", actor="alcie")
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: alcie may not accept L-1: 'alcie' is in no role of the policy (did you mean 'alice'?); "
        "only the lead's owner or sales_manager (sam) may\n"
    )


def test_advance_by_someone_in_another_role_is_refused_as_before(baton: Baton, db: object) -> None:
    assert to_sql(baton, "L-1").exit_code == 0
    result = baton("lead", "advance", "L-1", "accept", actor="bob")
    assert result.stderr == "Error: bob may not accept L-1: only the lead's owner or sales_manager (sam) may\n"


def test_an_attempt_on_a_won_lead_is_refused(baton: Baton, db: object) -> None:
    assert to_sql(baton, "L-1").exit_code == 0
    for trigger in ("accept", "contact", "win"):
        assert baton("lead", "advance", "L-1", trigger, actor="alice").exit_code == 0
    result = baton("lead", "attempt", "L-1", "--channel", "phone", actor="alice")
    assert result.exit_code == 1
    assert result.stderr == "Error: L-1 is won, a final state: contact attempts are logged only on open leads\n"
    assert "attempt" not in history(baton, "L-1")


# -- the keys a trigger takes ---------------------------------------------------------
def test_a_mistyped_key_is_named_with_what_the_trigger_takes(baton: Baton, db: object) -> None:
    assert to_sql(baton, "L-1").exit_code == 0
    result = baton("lead", "advance", "L-1", "recycle", "reson=x", actor="alice")
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: 'recycle' does not take 'reson' (did you mean 'reason'?); it takes reason (needed) "
        "and note (optional): run `baton lead advance L-1 recycle reason=...`\n"
    )
    assert as_json(baton("--json", "lead", "show", "L-1"))["state"] == "SQL"


def test_a_key_no_trigger_takes_is_refused_and_nothing_is_logged(baton: Baton, db: object) -> None:
    assert to_sql(baton, "L-1").exit_code == 0
    result = baton("lead", "advance", "L-1", "accept", "budget=1", "colour=red", actor="alice")
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: 'accept' does not take 'budget' or 'colour'; it takes reason and note (both optional): "
        "run `baton lead advance L-1 accept reason=...`\n"
    )
    assert "accept" not in history(baton, "L-1")


def test_reason_and_note_are_taken_by_every_trigger(baton: Baton, db: object) -> None:
    assert to_sql(baton, "L-1").exit_code == 0
    done = as_json(baton("--json", "lead", "advance", "L-1", "accept", "reason=called back", "note=keen",
                         actor="alice"))
    assert done["events"][0]["data"] == {"reason": "called back", "note": "keen"}


# -- lead add ------------------------------------------------------------------------
def test_a_field_given_twice_is_refused(baton: Baton, db: object) -> None:
    result = baton("lead", "add", "persona=executive", "persona=manager")
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: field 'persona': given twice ('executive' and 'manager'); give each field once\n"
    )
    assert json_lines(baton("--json", "lead", "list")) == []


def test_a_date_with_a_time_of_day_is_refused(baton: Baton, db: object) -> None:
    result = baton("lead", "add", "timeline=2027-02-01T10:00")
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: field 'timeline': '2027-02-01T10:00' has a time of day, but this field holds a date only "
        "(write the date alone as YYYY-MM-DD, like 2027-02-01)\n"
    )


def test_an_empty_value_on_add_is_null_even_for_a_field_with_a_default(baton: Baton, db: object) -> None:
    shown = as_json(baton("--json", "lead", "add", "--id", "L-1", "score="))
    assert shown["fields"] == {}
    created = json_lines(baton("--json", "lead", "history", "L-1"))[0]
    assert created["data"] == {"fields": {}}
    assert as_json(baton("--json", "lead", "add", "--id", "L-2"))["fields"] == {"score": 0}


@pytest.mark.parametrize("lead_id, why", [("a b", "a space"), ("a\tb", "a space"), ("a\x1bb", "a control or invisible character")])
def test_an_id_with_a_space_or_control_character_is_refused(baton: Baton, db: object, lead_id: str, why: str) -> None:
    result = baton("lead", "add", "--id", lead_id)
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: --id {lead_id!r} has {why} in it "
        "(an id is one word: letters, digits and marks like - _ . : or /, like L-100)\n"
    )
    assert json_lines(baton("--json", "lead", "list")) == []
