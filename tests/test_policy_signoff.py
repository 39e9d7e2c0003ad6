"""Two-team sign-off: only people in a role of the policy in force change it,
and while it declares `approvals: {required: [...]}` a new version goes in
force only once one person of each required role has approved its exact
text; the log proves both, and `audit verify` checks them."""

from __future__ import annotations

import hashlib
import json
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from conftest import MONDAY_9AM, Baton, add_ready_lead, as_json, connect_raw, json_lines, sign_off
from test_database import reading, refusal, snapshot
from test_policy_apply import SIGN_OFF, variant

pytestmark = pytest.mark.both_stores  # every database test here runs on SQLite and on PostgreSQL

HEADS = "marketing_head: hana; sales_head: sam"


def short(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:8] + "..."


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def approve(baton: Baton, path: Path, actor: str, *args: str, now: str = MONDAY_9AM) -> Any:
    return baton("policy", "approve", str(path), *args, actor=actor, now=now)


def outbox(db: Path) -> list[dict[str, Any]]:
    with reading(db) as conn:
        return [dict(row) for row in conn.execute("SELECT * FROM outbox ORDER BY id")]


def events(db: Path) -> list[dict[str, Any]]:
    with reading(db) as conn:
        return [dict(row) for row in conn.execute("SELECT * FROM events ORDER BY seq")]


def policies(db: Path) -> list[tuple[Any, ...]]:
    with reading(db) as conn:
        return [tuple(row) for row in conn.execute("SELECT * FROM policies ORDER BY version")]


# -- who may change the policy ---------------------------------------------------------
def test_someone_in_no_role_cannot_apply_a_new_version(baton: Baton, db: Path, tmp_path: Path) -> None:
    v2 = variant(tmp_path, 2)
    sign_off(baton, v2)
    count, versions = len(events(db)), policies(db)
    assert refusal(baton("policy", "apply", str(v2), actor="mallory")) == (
        "Error: 'mallory' is in no role of policy default-handover version 1, so may not change it; "
        "act as someone who is, like --as jane (marketing: jane, omar; sales: alice, bob, carol; "
        f"sales_manager: sam; {HEADS})"
    )
    assert (len(events(db)), policies(db)) == (count, versions)


def test_a_mistyped_name_applying_is_told_who_it_likely_meant(baton: Baton, db: Path, tmp_path: Path) -> None:
    v2 = variant(tmp_path, 2)
    sign_off(baton, v2)
    assert refusal(baton("policy", "apply", str(v2), actor="hanna")).startswith(
        "Error: 'hanna' is in no role of policy default-handover version 1 (did you mean 'hana'?), "
        "so may not change it; act as someone who is, like --as hana ("
    )


def test_init_needs_no_role(baton: Baton, db_path: Path, policy_file: Path) -> None:
    assert baton("init", "--policy", str(policy_file), actor="mallory").exit_code == 0


# -- apply waits for every required role ------------------------------------------------
def test_apply_without_approvals_names_each_missing_role_and_the_command_that_fixes_it(
        baton: Baton, db: Path, tmp_path: Path) -> None:
    v2 = variant(tmp_path, 2)
    before = snapshot(db)
    assert refusal(baton("policy", "apply", str(v2))) == (
        f"Error: cannot apply version 2 of default-handover yet: policy default-handover version 1 needs "
        f"marketing_head and sales_head to approve this exact text (sha256 {short(v2)}) first; "
        f"waiting for marketing_head (hana): run `baton --as hana policy approve {v2}`; "
        f"waiting for sales_head (sam): run `baton --as sam policy approve {v2}`"
    )
    assert snapshot(db) == before


def test_apply_with_one_approval_names_only_the_role_still_missing(baton: Baton, db: Path, tmp_path: Path) -> None:
    v2 = variant(tmp_path, 2)
    assert approve(baton, v2, "hana").exit_code == 0
    before = snapshot(db)
    assert refusal(baton("policy", "apply", str(v2))) == (
        f"Error: cannot apply version 2 of default-handover yet: policy default-handover version 1 needs "
        f"marketing_head and sales_head to approve this exact text (sha256 {short(v2)}) first; "
        f"marketing_head approved it (hana); waiting for sales_head (sam): run `baton --as sam policy approve {v2}`"
    )
    assert snapshot(db) == before


def test_apply_after_both_heads_approved_records_who_approved(baton: Baton, db: Path, tmp_path: Path) -> None:
    v2 = variant(tmp_path, 2)
    sign_off(baton, v2)
    assert baton("policy", "apply", str(v2), actor="jane").exit_code == 0
    applied = json_lines(baton("--json", "audit", "log", "--event", "policy_applied"))[-1]
    assert applied["data"] == {
        "policy": "default-handover", "version": 2, "previous": 1, "hash": digest(v2), "maps": {},
        "approved_by": {"marketing_head": "hana", "sales_head": "sam"},
    }
    assert baton("audit", "verify").exit_code == 0


def test_an_approval_is_bound_to_the_exact_text(baton: Baton, db: Path, tmp_path: Path) -> None:
    v2 = variant(tmp_path, 2)
    sign_off(baton, v2)
    v2.write_text(v2.read_text().replace("score >= 60", "score >= 50", 1))  # one character
    before = snapshot(db)
    assert refusal(baton("policy", "apply", str(v2))) == (
        f"Error: cannot apply version 2 of default-handover yet: policy default-handover version 1 needs "
        f"marketing_head and sales_head to approve this exact text (sha256 {short(v2)}) first; "
        f"{v2} was edited since version 2 was approved, and an approval holds only for the exact text approved; "
        f"waiting for marketing_head (hana): run `baton --as hana policy approve {v2}`; "
        f"waiting for sales_head (sam): run `baton --as sam policy approve {v2}`"
    )
    assert snapshot(db) == before
    sign_off(baton, v2)
    assert baton("policy", "apply", str(v2)).exit_code == 0


def test_approvals_count_only_under_the_version_they_were_given_in(baton: Baton, db: Path, tmp_path: Path) -> None:
    """Once another version is in force, a pending text is looked at again."""
    v3 = variant(tmp_path, 3, name="v3.yaml")
    sign_off(baton, v3)
    v2 = variant(tmp_path, 2, name="v2.yaml")
    sign_off(baton, v2)
    assert baton("policy", "apply", str(v2)).exit_code == 0
    assert refusal(baton("policy", "apply", str(v3))).startswith(
        "Error: cannot apply version 3 of default-handover yet: policy default-handover version 2 needs "
        "marketing_head and sales_head to approve this exact text"
    )


def test_a_policy_without_approvals_applies_with_no_sign_off(baton: Baton, db_path: Path, tmp_path: Path) -> None:
    v1 = variant(tmp_path, 1, name="v1.yaml", replace=(SIGN_OFF, ""))
    assert baton("init", "--policy", str(v1)).exit_code == 0
    result = baton("policy", "apply", str(variant(tmp_path, 2)), actor="omar")
    assert result.exit_code == 0, result.stderr
    applied = json_lines(baton("--json", "audit", "log", "--event", "policy_applied"))[-1]
    assert "approved_by" not in applied["data"]
    assert baton("audit", "verify").exit_code == 0


# -- approving --------------------------------------------------------------------------
def test_approving_says_who_is_still_awaited_then_that_all_are_in(baton: Baton, db: Path, tmp_path: Path) -> None:
    v2 = variant(tmp_path, 2)
    assert approve(baton, v2, "sam").stdout == (
        f"Approved version 2 of default-handover as sales_head (sha256 {short(v2)}). "
        "Still waiting for marketing_head (hana).\n"
        "A notification for hana waits in the outbox (`baton notify send`).\n"
    )
    assert approve(baton, v2, "hana").stdout == (
        f"Approved version 2 of default-handover as marketing_head (sha256 {short(v2)}). "
        f"All required approvals are in: run `baton policy apply {v2}`.\n"
    )


def test_approving_the_same_text_again_records_nothing(baton: Baton, db: Path, tmp_path: Path) -> None:
    v2 = variant(tmp_path, 2)
    assert approve(baton, v2, "hana").exit_code == 0
    before = snapshot(db)
    again = approve(baton, v2, "hana", now="2026-11-23T10:00")
    assert (again.exit_code, again.stdout) == (0, (
        f"You already approved version 2 of default-handover as marketing_head (sha256 {short(v2)}) "
        "at 2026-11-23 09:00 GMT; nothing new was recorded. Still waiting for sales_head (sam).\n"
    ))
    assert snapshot(db) == before


def test_approval_by_someone_outside_the_required_roles_is_refused(baton: Baton, db: Path, tmp_path: Path) -> None:
    v2 = variant(tmp_path, 2)
    before = snapshot(db)
    assert refusal(approve(baton, v2, "jane")) == (
        "Error: jane is in none of the roles that approve a change to policy default-handover "
        f"({HEADS}), so cannot approve {v2}; ask one of them to run `baton --as hana policy approve {v2}`"
    )
    assert refusal(approve(baton, v2, "sam", "--role", "marketing_head")) == (
        "Error: sam is not in marketing_head (hana), so cannot approve for it; "
        f"ask one of them to run `baton --as hana policy approve {v2}`"
    )
    assert snapshot(db) == before


def test_a_head_naming_a_role_that_signs_nothing_is_pointed_at_their_own(
        baton: Baton, db: Path, tmp_path: Path) -> None:
    # sam is sales_manager and sales_head: the fix is his own approval, not hana's
    v2 = variant(tmp_path, 2)
    before = snapshot(db)
    assert refusal(approve(baton, v2, "sam", "--role", "sales_manager")) == (
        "Error: --role sales_manager: sales_manager is not a role that approves a change to policy "
        f"default-handover (those are {HEADS}); you are in sales_head: run `baton --as sam policy approve {v2}`"
    )
    assert snapshot(db) == before


def test_the_same_person_cannot_approve_for_both_roles(baton: Baton, db_path: Path, tmp_path: Path) -> None:
    v1 = variant(tmp_path, 1, name="v1.yaml", replace=("marketing_head: [hana]", "marketing_head: [hana, sam]"))
    assert baton("init", "--policy", str(v1)).exit_code == 0
    v2 = variant(tmp_path, 2)
    assert refusal(approve(baton, v2, "sam")) == (
        "Error: sam is in marketing_head and sales_head, which must each approve; say which one you approve "
        "for with --role marketing_head or --role sales_head (each role needs its own person)"
    )
    assert approve(baton, v2, "sam", "--role", "sales_head").exit_code == 0
    before = snapshot(db_path)
    assert refusal(approve(baton, v2, "sam", "--role", "marketing_head")) == (
        "Error: sam already approved this text as sales_head, and one person cannot also sign for "
        "marketing_head: two-team sign-off needs another person of marketing_head (hana) to approve it"
    )
    assert snapshot(db_path) == before
    assert refusal(baton("policy", "apply", str(v2))).endswith(
        "sales_head approved it (sam); waiting for marketing_head (hana): run "
        f"`baton --as hana policy approve {v2}`"
    )


def test_approving_a_broken_file_gives_the_located_errors_of_policy_check(
        baton: Baton, db: Path, tmp_path: Path) -> None:
    v2 = variant(tmp_path, 2, replace=("qualify: {from: SAL, to: SQL,", "qualify: {from: SAL, to: SQl,"))
    before = snapshot(db)
    approved = approve(baton, v2, "hana")
    checked = baton("policy", "check", str(v2))
    assert approved.exit_code == checked.exit_code == 1
    assert approved.stderr == checked.stderr
    assert f"{v2}:" in approved.stderr and "transition 'qualify' goes to unknown state 'SQl'" in approved.stderr
    assert snapshot(db) == before


def test_approving_a_version_not_above_the_one_in_force_is_refused(baton: Baton, db: Path, tmp_path: Path) -> None:
    v1 = variant(tmp_path, 1)
    assert refusal(approve(baton, v1, "hana")) == (
        f"Error: {v1} is policy version 1, but version 1 is in force, so it could never be applied and there "
        f"is nothing to approve; set `version: 2` in {v1}"
    )


def test_approving_under_a_policy_that_asks_for_no_approvals_is_refused(
        baton: Baton, db_path: Path, tmp_path: Path) -> None:
    v1 = variant(tmp_path, 1, name="v1.yaml", replace=(SIGN_OFF, ""))
    assert baton("init", "--policy", str(v1)).exit_code == 0
    v2 = variant(tmp_path, 2)
    assert refusal(approve(baton, v2, "hana")) == (
        "Error: policy default-handover version 1 asks for no approvals, so there is nothing to approve: "
        f"`baton policy apply {v2}` puts a new version in force without sign-off"
    )


def test_an_approval_that_would_leave_another_role_nobody_to_sign_it_is_refused(
        baton: Baton, db_path: Path, tmp_path: Path) -> None:
    """hana alone is marketing_head; signing for sales_head would leave
    marketing_head waiting for nobody, and the text could never be applied."""
    v1 = variant(tmp_path, 1, name="v1.yaml", replace=("sales_head: [sam]", "sales_head: [sam, hana]"))
    assert baton("init", "--policy", str(v1)).exit_code == 0
    v2 = variant(tmp_path, 2)
    before = snapshot(db_path)
    assert refusal(approve(baton, v2, "hana", "--role", "sales_head")) == (
        "Error: hana is the only one left who can approve for marketing_head, and one person signs one role; "
        "approve for marketing_head instead (--role marketing_head) and leave sales_head to sam"
    )
    assert snapshot(db_path) == before
    assert approve(baton, v2, "hana", "--role", "marketing_head").exit_code == 0


def test_an_approval_role_with_nobody_in_it_is_a_policy_error(baton: Baton, tmp_path: Path) -> None:
    path = variant(tmp_path, 1, replace=("marketing_head: [hana]", "marketing_head: []"))
    result = baton("policy", "check", str(path))
    line = next(n for n, text in enumerate(path.read_text().splitlines(), 1) if "required: [" in text)
    assert result.stderr == (
        f"{path}:{line}:14: approval by role 'marketing_head', which has nobody in it, so no new version "
        "could ever be approved; name its people under roles: marketing_head\n"
    )


def test_required_roles_one_person_alone_would_sign_are_a_policy_error(baton: Baton, tmp_path: Path) -> None:
    # sam may sign one role of a text, so with him alone in both heads' roles
    # no later version could ever be applied: the policy would lock itself
    path = variant(tmp_path, 1, replace=("marketing_head: [hana]", "marketing_head: [sam]"))
    result = baton("policy", "check", str(path))
    line = next(n for n, text in enumerate(path.read_text().splitlines(), 1) if "required: [" in text)
    assert result.exit_code == 1
    assert result.stderr == (
        f"{path}:{line}:13: marketing_head and sales_head must each approve a new version, one person for each "
        "role, but only sam is in them, so no new version could ever be approved; put someone else in one of "
        "these roles\n"
    )
    # one person in two roles is fine while another can take one of them
    shared = variant(tmp_path, 1, name="shared.yaml", replace=("marketing_head: [hana]", "marketing_head: [hana, sam]"))
    assert baton("policy", "check", str(shared)).exit_code == 0


# -- the log ----------------------------------------------------------------------------
def test_approvals_are_approved_events_in_the_log(baton: Baton, db: Path, tmp_path: Path) -> None:
    v2 = variant(tmp_path, 2)
    sign_off(baton, v2)
    logged = json_lines(baton("--json", "audit", "log", "--event", "approved"))
    assert [(e["lead"], e["actor"], e["from"], e["to"], e["policy_version"]) for e in logged] == [
        (None, "hana", None, None, 1), (None, "sam", None, None, 1),
    ]
    assert [e["data"] for e in logged] == [
        {"policy": "default-handover", "version": 2, "hash": digest(v2), "role": "marketing_head"},
        {"policy": "default-handover", "version": 2, "hash": digest(v2), "role": "sales_head"},
    ]


def test_approved_events_pass_verify_replay_and_rebuild(baton: Baton, db: Path, tmp_path: Path) -> None:
    add_ready_lead(baton, "L-1")
    v2 = variant(tmp_path, 2)
    sign_off(baton, v2)
    assert baton("lead", "advance", "L-1", "hand_over").exit_code == 0
    assert baton("audit", "verify").stdout.startswith("verified 5 events, 1 lead: the chain is intact")
    assert [row["id"] for row in json_lines(baton("--json", "audit", "replay", "--as-of", "2026-11-24"))] == ["L-1"]
    assert baton("audit", "rebuild").stdout == "Rebuilt the leads table from the log: 1 lead.\n"
    assert baton("policy", "apply", str(v2)).exit_code == 0
    assert baton("audit", "verify").exit_code == 0


# -- telling the other head -------------------------------------------------------------
def test_the_first_approval_queues_one_notification_for_the_heads_still_awaited(
        baton: Baton, db: Path, tmp_path: Path) -> None:
    v2 = variant(tmp_path, 2)
    assert approve(baton, v2, "hana").exit_code == 0
    assert approve(baton, v2, "sam").exit_code == 0
    [row] = outbox(db)
    assert (row["lead"], row["kind"], json.loads(row["recipients"]), row["status"]) == (
        None, "approval", ["sam"], "pending")
    assert row["text"] == "hana approved version 2 of default-handover; waiting for sales_head (sam)."


def test_an_approval_notification_waits_in_sla_status(baton: Baton, db: Path, tmp_path: Path) -> None:
    assert approve(baton, variant(tmp_path, 2), "sam").exit_code == 0
    assert baton("sla", "status").stdout.splitlines()[-1] == (
        "  #1 approval for hana: not tried yet; first try at 2026-11-23 09:00 GMT"
    )


@pytest.mark.sqlite_only  # the file channel sits beside the database file
def test_an_approval_notification_is_delivered_to_a_file_channel(
        baton: Baton, db_path: Path, tmp_path: Path) -> None:
    v1 = tmp_path / "v1.yaml"
    v1.write_text(variant(tmp_path, 1).read_text() + "\nnotify:\n  file: notices.jsonl\n")
    assert baton("init", "--policy", str(v1)).exit_code == 0
    assert approve(baton, variant(tmp_path, 2), "sam").exit_code == 0
    sent = baton("notify", "send")
    assert sent.exit_code == 0, sent.stderr
    assert sent.stdout.splitlines()[0] == "#1 approval: sent (file)."
    [line] = (db_path.parent / "notices.jsonl").read_text().splitlines()
    body = json.loads(line)
    assert {k: body[k] for k in ("lead", "kind", "recipients", "text")} == {
        "lead": None, "kind": "approval", "recipients": ["hana"],
        "text": "sam approved version 2 of default-handover; waiting for marketing_head (hana).",
    }


# -- policy approvals -------------------------------------------------------------------
def test_policy_approvals_lists_each_text_with_who_approved_and_who_is_awaited(
        baton: Baton, db: Path, tmp_path: Path) -> None:
    v2 = variant(tmp_path, 2)
    assert approve(baton, v2, "hana").exit_code == 0
    assert baton("policy", "approvals").stdout == (
        f"version 2 of default-handover (sha256 {short(v2)})\n"
        "  marketing_head: approved by hana at 2026-11-23 09:00 GMT\n"
        "  sales_head: waiting for sam\n"
    )
    assert approve(baton, v2, "sam", now="2026-11-23T10:15").exit_code == 0
    assert baton("policy", "approvals", str(v2)).stdout == (
        f"{v2}: version 2 of default-handover (sha256 {short(v2)})\n"
        "  marketing_head: approved by hana at 2026-11-23 09:00 GMT\n"
        "  sales_head: approved by sam at 2026-11-23 10:15 GMT\n"
        f"  Every required role has approved: `baton policy apply {v2}` with this text puts it in force.\n"
    )


def test_policy_approvals_json_has_one_object_a_text(baton: Baton, db: Path, tmp_path: Path) -> None:
    v2 = variant(tmp_path, 2)
    assert approve(baton, v2, "hana").exit_code == 0
    other = variant(tmp_path, 2, name="other.yaml", extra_field="industry")
    assert approve(baton, other, "sam").exit_code == 0
    assert json_lines(baton("--json", "policy", "approvals")) == [
        {"policy": "default-handover", "version": 2, "hash": digest(v2), "ready": False,
         "approved": [{"role": "marketing_head", "actor": "hana", "at": "2026-11-23T09:00:00+00:00", "seq": 2}],
         "awaiting": ["sales_head"]},
        {"policy": "default-handover", "version": 2, "hash": digest(other), "ready": False,
         "approved": [{"role": "sales_head", "actor": "sam", "at": "2026-11-23T09:00:00+00:00", "seq": 3}],
         "awaiting": ["marketing_head"]},
    ]


def test_policy_approvals_of_a_file_edited_since_it_was_approved_says_so(
        baton: Baton, db: Path, tmp_path: Path) -> None:
    v2 = variant(tmp_path, 2)
    sign_off(baton, v2)
    v2.write_text(v2.read_text() + "# one more note\n")
    assert baton("policy", "approvals", str(v2)).stdout == (
        f"{v2}: version 2 of default-handover (sha256 {short(v2)})\n"
        "  marketing_head: waiting for hana\n"
        "  sales_head: waiting for sam\n"
        f"  {v2} was edited since version 2 was approved: an approval holds only for the exact text approved, "
        "so it needs new approvals.\n"
    )
    shown = as_json(baton("--json", "policy", "approvals", str(v2)))
    assert (shown["hash"], shown["approved"], shown["awaiting"], shown["edited_since_approved"]) == (
        digest(v2), [], ["marketing_head", "sales_head"], True)


def test_policy_approvals_of_a_text_nobody_approved_says_so(baton: Baton, db: Path, tmp_path: Path) -> None:
    v2 = variant(tmp_path, 2)
    assert baton("policy", "approvals").stdout == (
        "No new text has been approved since policy default-handover version 1 was applied; "
        "a head approves one with `baton policy approve FILE`.\n"
    )
    assert baton("policy", "approvals", str(v2)).stdout.splitlines()[-1] == "  No approvals yet for this exact text."


# -- audit verify -----------------------------------------------------------------------
def forge_apply(db: Path, path: Path, actor: str = "jane") -> int:
    """Put `path` in force through the store itself, as someone with the
    database file could, with a correct chain: only the sign-off rule breaks."""
    from statemachine.policy import read_policy_file
    from statemachine.policy.versions import store_policy
    from statemachine.store import Store

    text, checked = read_policy_file(str(path))
    store = Store.open(str(db), write=True)
    try:
        with store.transaction():
            store_policy(store, text, checked, actor, "2026-11-23T11:00:00+00:00", {"previous": checked.version - 1, "maps": {}})
            seq, _ = store.chain_tail()
    finally:
        store.close()
    return seq


def test_verify_names_a_policy_applied_without_the_approvals_its_predecessor_required(
        baton: Baton, db: Path, tmp_path: Path) -> None:
    v2 = variant(tmp_path, 2)
    assert approve(baton, v2, "hana").exit_code == 0
    seq = forge_apply(db, v2)
    result = baton("audit", "verify")
    assert (result.exit_code, result.stderr) == (1, (
        f"seq {seq}: it applies version 2 without the approval that policy version 1 required of "
        "sales_head (sam): no `approved` event for its text (by hash) before it\n"
    ))


def test_verify_does_not_count_approvals_of_another_text(baton: Baton, db: Path, tmp_path: Path) -> None:
    approved = variant(tmp_path, 2, name="approved.yaml")
    sign_off(baton, approved)
    seq = forge_apply(db, variant(tmp_path, 2, name="edited.yaml", extra_field="industry"))
    assert baton("audit", "verify").stderr == (
        f"seq {seq}: it applies version 2 without the approval that policy version 1 required of "
        "marketing_head (hana) and sales_head (sam): no `approved` event for its text (by hash) before it\n"
    )


def test_verify_names_an_approval_by_someone_outside_its_role(baton: Baton, db: Path, tmp_path: Path) -> None:
    from statemachine.store import Store

    v2 = variant(tmp_path, 2)
    store = Store.open(str(db), write=True)
    try:
        with store.transaction():
            data = {"policy": "default-handover", "version": 2, "hash": digest(v2), "role": "sales_head"}
            forged = store.append(None, "2026-11-23T10:00:00+00:00", "jane", "approved", None, None, data, 1)
    finally:
        store.close()
    assert baton("audit", "verify").stderr == (
        f"seq {forged.seq}: jane approved as sales_head, but under policy version 1 sales_head is sam\n"
    )


def test_verify_passes_a_signed_apply(baton: Baton, db: Path, tmp_path: Path) -> None:
    v2 = variant(tmp_path, 2)
    sign_off(baton, v2)
    forge_apply(db, v2)  # the store itself, but with both approvals before it
    assert baton("audit", "verify").exit_code == 0


def test_verify_of_a_broken_chain_still_judges_the_sign_off_before_the_break(
        baton: Baton, db: Path, tmp_path: Path) -> None:
    """The walk in seq order, which names the first break, reads approvals too."""
    v2 = variant(tmp_path, 2)
    sign_off(baton, v2)
    signed = forge_apply(db, v2)
    unsigned = forge_apply(db, variant(tmp_path, 3, name="v3.yaml"))
    add_ready_lead(baton, "L-1")
    with closing(connect_raw(db)) as conn:
        conn.execute("UPDATE events SET actor = 'omar' WHERE lead = 'L-1'")
        conn.commit()
    assert baton("audit", "verify").stderr.splitlines() == [
        f"seq {unsigned}: it applies version 3 without the approval that policy version 2 required of "
        "marketing_head (hana) and sales_head (sam): no `approved` event for its text (by hash) before it",
        f"seq {unsigned + 1}: its content does not match its hash (it was changed)",
    ]
    assert signed < unsigned
