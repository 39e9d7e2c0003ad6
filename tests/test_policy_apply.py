"""`baton policy apply`: a new version goes in force only if its number goes
up; leads in flight go on under it; a removed state's leads need `--map`,
and each move is a `moved` event; every version's text stays readable."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest
from conftest import DEFAULT_POLICY, MONDAY_9AM, Baton, add_ready_lead, as_json, json_lines, sign_off
from test_database import reading, refusal, snapshot

pytestmark = pytest.mark.both_stores  # every database test here runs on SQLite and on PostgreSQL

STATES_V2 = "MQL, handed, SQL, accepted, contacted, won, disqualified, recycled"
SIGN_OFF = "approvals:\n  required: [marketing_head, sales_head]\n"  # the default policy's


def variant(tmp_path: Path, version: int, name: str = "v.yaml", rename_sal: bool = False,
            extra_field: str | None = None, replace: tuple[str, str] | None = None) -> Path:
    """The default policy as a new version, with a change or two."""
    text = DEFAULT_POLICY.read_text().replace("version: 1\n", f"version: {version}\n", 1)
    if rename_sal:
        text = re.sub(r"\bSAL\b", "handed", text)
    if extra_field:
        text = text.replace("fields:\n", f"fields:\n  {extra_field}: {{type: string}}\n", 1)
    if replace:
        assert replace[0] in text
        text = text.replace(*replace)
    path = tmp_path / name
    path.write_text(text)
    return path


def test_apply_puts_a_higher_version_in_force(baton: Baton, db: Path, tmp_path: Path) -> None:
    v2 = variant(tmp_path, 2)
    sign_off(baton, v2)
    result = baton("policy", "apply", str(v2))
    digest = hashlib.sha256(v2.read_bytes()).hexdigest()
    assert result.exit_code == 0, result.stderr
    assert result.stdout == f"Applied policy default-handover version 2 (was version 1), sha256 {digest}.\n"
    shown = as_json(baton("--json", "policy", "show"))
    assert (shown["version"], shown["hash"], shown["text"]) == (2, digest, v2.read_text())


def test_apply_logs_policy_applied_with_version_hash_and_maps(baton: Baton, db_path: Path, tmp_path: Path) -> None:
    # Under a policy that asks for no sign-off (with it, `approved_by` is logged too: test_policy_signoff)
    assert baton("init", "--policy", str(variant(tmp_path, 1, "v1.yaml", replace=(SIGN_OFF, "")))).exit_code == 0
    v2 = variant(tmp_path, 2)
    baton("policy", "apply", str(v2), actor="sam")
    event = json_lines(baton("--json", "audit", "log", "--event", "policy_applied"))[-1]
    assert (event["lead"], event["actor"], event["policy_version"]) == (None, "sam", 2)
    assert event["data"] == {
        "policy": "default-handover", "version": 2, "previous": 1,
        "hash": hashlib.sha256(v2.read_bytes()).hexdigest(), "maps": {},
    }


def test_past_versions_stay_readable(baton: Baton, db: Path, tmp_path: Path, policy_file: Path) -> None:
    sign_off(baton, variant(tmp_path, 2))
    baton("policy", "apply", str(variant(tmp_path, 2)))
    assert as_json(baton("--json", "policy", "show", "--version", "1"))["text"] == policy_file.read_text()


def test_apply_refuses_the_version_in_force(baton: Baton, db: Path, tmp_path: Path) -> None:
    path = variant(tmp_path, 1)
    before = snapshot(db)
    assert refusal(baton("policy", "apply", str(path))) == (
        f"Error: {path} is policy version 1, but version 1 is in force; "
        f"a new policy needs a higher version: set `version: 2` in {path}"
    )
    assert snapshot(db) == before


def test_apply_refuses_going_back_to_an_older_number(baton: Baton, db: Path, tmp_path: Path) -> None:
    sign_off(baton, variant(tmp_path, 3))
    baton("policy", "apply", str(variant(tmp_path, 3)))
    path = variant(tmp_path, 2, name="v2.yaml")
    assert refusal(baton("policy", "apply", str(path))) == (
        f"Error: {path} is policy version 2, but version 3 is in force; "
        f"a new policy needs a higher version: set `version: 4` in {path}"
    )


def test_apply_lists_every_policy_error_at_file_line_col(baton: Baton, db: Path, tmp_path: Path) -> None:
    path = variant(tmp_path, 2, replace=("qualify: {from: SAL, to: SQL,", "qualify: {from: SAL, to: SQl,"))
    result = baton("policy", "apply", str(path))
    assert result.exit_code == 1
    line = next(n for n, text in enumerate(path.read_text().splitlines(), 1) if "to: SQl," in text)
    column = path.read_text().splitlines()[line - 1].index("SQl,") + 1
    assert result.stderr.startswith(f"{path}:{line}:{column}: ")
    assert "transition 'qualify' goes to unknown state 'SQl'" in result.stderr


def test_apply_as_system_is_refused(baton: Baton, db: Path, tmp_path: Path) -> None:
    assert refusal(baton("policy", "apply", str(variant(tmp_path, 2)), actor="system")).startswith(
        "Error: 'system' is Baton itself and cannot be used with --as"
    )


def test_leads_in_flight_go_on_under_the_new_version(baton: Baton, db: Path, tmp_path: Path) -> None:
    add_ready_lead(baton, "L-1")  # score 75
    stricter = variant(tmp_path, 2, replace=("expr: score >= 60", "expr: score >= 80"))
    sign_off(baton, stricter)
    baton("policy", "apply", str(stricter))
    assert refusal(baton("lead", "advance", "L-1", "hand_over")) == (
        "Error: cannot hand_over L-1: the score must reach 60 before marketing hands a lead over"
    )
    assert baton("lead", "set", "L-1", "score=85").exit_code == 0
    assert baton("lead", "advance", "L-1", "hand_over").exit_code == 0
    assert json_lines(baton("--json", "lead", "history", "L-1"))[-1]["policy_version"] == 2
    assert baton("audit", "verify").exit_code == 0


def test_apply_adds_columns_for_new_fields(baton: Baton, db: Path, tmp_path: Path) -> None:
    add_ready_lead(baton, "L-1")
    sign_off(baton, variant(tmp_path, 2, extra_field="industry"))
    result = baton("policy", "apply", str(variant(tmp_path, 2, extra_field="industry")))
    assert result.stdout.splitlines()[-1] == "New fields: industry."
    assert baton("lead", "set", "L-1", "industry=Retail").exit_code == 0
    with reading(db) as conn:
        assert conn.execute("SELECT industry FROM leads WHERE id = 'L-1'").fetchone()[0] == "Retail"
    assert baton("audit", "verify").exit_code == 0


def test_removing_a_state_where_leads_sit_is_refused_without_map(baton: Baton, db: Path, tmp_path: Path) -> None:
    for lead in ("L-1", "L-2"):
        add_ready_lead(baton, lead)
        baton("lead", "advance", lead, "hand_over")
    sign_off(baton, variant(tmp_path, 2, rename_sal=True))
    before = snapshot(db)
    assert refusal(baton("policy", "apply", str(variant(tmp_path, 2, rename_sal=True)))) == (
        "Error: policy version 2 removes the state where leads sit: SAL (2 leads); "
        f"say where they go with --map SAL=STATE (states of version 2: {STATES_V2})"
    )
    assert snapshot(db) == before


def test_removing_a_state_nobody_is_in_needs_no_map(baton: Baton, db: Path, tmp_path: Path) -> None:
    add_ready_lead(baton, "L-1")
    sign_off(baton, variant(tmp_path, 2, rename_sal=True))
    assert baton("policy", "apply", str(variant(tmp_path, 2, rename_sal=True))).exit_code == 0
    assert baton("audit", "verify").exit_code == 0


def test_map_moves_the_leads_with_a_moved_event_each(baton: Baton, db: Path, tmp_path: Path) -> None:
    for lead in ("L-1", "L-2"):
        add_ready_lead(baton, lead)
        baton("lead", "advance", lead, "hand_over")
    baton("lead", "attempt", "L-1", actor="alice")
    sign_off(baton, variant(tmp_path, 2, rename_sal=True))
    result = baton("policy", "apply", str(variant(tmp_path, 2, rename_sal=True)), "--map", "SAL=handed", actor="sam")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[1] == "Moved 2 leads from SAL to handed: L-1, L-2."
    moved = json_lines(baton("--json", "audit", "log", "--event", "moved"))
    assert [(e["lead"], e["actor"], e["from"], e["to"], e["policy_version"]) for e in moved] == [
        ("L-1", "sam", "SAL", "handed", 2), ("L-2", "sam", "SAL", "handed", 2),
    ]
    shown = as_json(baton("--json", "lead", "show", "L-1"))
    assert (shown["state"], shown["attempts"]) == ("handed", 1)  # attempts kept
    applied = json_lines(baton("--json", "audit", "log", "--event", "policy_applied"))[-1]
    assert applied["data"]["maps"] == {"SAL": "handed"}
    assert baton("audit", "verify").exit_code == 0


def test_moved_leads_go_on_from_their_new_state(baton: Baton, db: Path, tmp_path: Path) -> None:
    add_ready_lead(baton, "L-1")
    baton("lead", "advance", "L-1", "hand_over")
    sign_off(baton, variant(tmp_path, 2, rename_sal=True))
    baton("policy", "apply", str(variant(tmp_path, 2, rename_sal=True)), "--map", "SAL=handed")
    assert baton("lead", "set", "L-1", "budget=1", "authority=yes", "need=x", "timeline=2027-01-01").exit_code == 0
    assert baton("lead", "advance", "L-1", "qualify", actor="alice").stdout.startswith("L-1: handed -> SQL (qualify).")
    assert baton("audit", "verify").exit_code == 0


@pytest.mark.parametrize(("option", "message"), [
    ("FOO=MQL",
     "--map FOO=MQL: FOO is not a state of policy version 1 (states: MQL, SAL, SQL, accepted, contacted, won, disqualified, recycled)"),
    ("SAL=nowhere", f"--map SAL=nowhere: nowhere is not a state of policy version 2 (states: {STATES_V2})"),
    ("SQL=MQL", "--map SQL=MQL: policy version 2 keeps SQL, so its leads stay there; "
                "--map only moves leads out of a state the new version removes"),
], ids=["unknown old state", "unknown new state", "state kept"])
def test_bad_map_is_refused_and_writes_nothing(baton: Baton, db: Path, tmp_path: Path, option: str, message: str) -> None:
    add_ready_lead(baton, "L-1")
    baton("lead", "advance", "L-1", "hand_over")
    sign_off(baton, variant(tmp_path, 2, rename_sal=True))
    before = snapshot(db)
    result = baton("policy", "apply", str(variant(tmp_path, 2, rename_sal=True)), "--map", option)
    assert refusal(result) == f"Error: {message}"
    assert snapshot(db) == before


# A --map of the wrong shape is a usage error (exit 2), issue 12; the messages are as they were.
@pytest.mark.parametrize(("option", "message"), [
    ("SAL", "--map 'SAL' is not OLD=NEW; write it like --map SAL=MQL"),
    ("=MQL", "--map '=MQL' is not OLD=NEW; write it like --map SAL=MQL"),
], ids=["no equals", "no old state"])
def test_map_that_is_not_old_equals_new_is_a_usage_error(baton: Baton, db: Path, tmp_path: Path, option: str,
                                                        message: str) -> None:
    add_ready_lead(baton, "L-1")
    baton("lead", "advance", "L-1", "hand_over")
    sign_off(baton, variant(tmp_path, 2, rename_sal=True))
    before = snapshot(db)
    result = baton("policy", "apply", str(variant(tmp_path, 2, rename_sal=True)), "--map", option)
    assert (result.exit_code, result.stdout, result.stderr) == (2, "", f"Error: {message}\n")
    assert snapshot(db) == before


def test_map_given_twice_differently_is_refused(baton: Baton, db: Path, tmp_path: Path) -> None:
    result = baton("policy", "apply", str(variant(tmp_path, 2, rename_sal=True)), "--map", "SAL=MQL", "--map", "SAL=SQL")
    assert (result.exit_code, result.stdout, result.stderr) == (
        2, "", "Error: --map SAL= is given twice (SAL=MQL, SAL=SQL); keep one\n")  # usage, issue 12


def test_apply_json_reports_what_changed(baton: Baton, db: Path, tmp_path: Path) -> None:
    add_ready_lead(baton, "L-1")
    baton("lead", "advance", "L-1", "hand_over")
    v2 = variant(tmp_path, 2, rename_sal=True, extra_field="industry")
    sign_off(baton, v2)
    assert as_json(baton("--json", "policy", "apply", str(v2), "--map", "SAL=MQL")) == {
        "policy": "default-handover", "version": 2, "previous": 1,
        "hash": hashlib.sha256(v2.read_bytes()).hexdigest(),
        "maps": {"SAL": "MQL"}, "moved": {"SAL": ["L-1"]}, "added_fields": ["industry"],
    }


def test_command_started_under_the_old_version_is_refused_after_an_apply(
    baton: Baton, db: Path, tmp_path: Path
) -> None:
    """A command that loaded version 1 must not record an event once version 2
    is in force (it would follow rules no longer agreed)."""
    from statemachine.errors import PolicyChanged
    from statemachine.lifecycle import advance
    from statemachine.workspace import Workspace

    add_ready_lead(baton, "L-1")
    sign_off(baton, variant(tmp_path, 2))
    stale = Workspace.open(str(db), "jane", MONDAY_9AM, write=True)
    try:
        assert baton("policy", "apply", str(variant(tmp_path, 2))).exit_code == 0
        with pytest.raises(PolicyChanged) as refused:
            advance(stale, "L-1", "hand_over", {})
        assert str(refused.value) == (
            "the policy in force changed from version 1 to version 2 while this command was starting; "
            "nothing was written: run it again"
        )
    finally:
        stale.close()
    assert baton("audit", "verify").exit_code == 0
