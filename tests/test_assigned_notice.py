"""The rep is told at once that a lead is theirs: with `routing: {notify:
[owner, ...]}` each assignment, by routing or by an SLA reassign, queues an
`assigned` notification (in the assignment's transaction) carrying the
lead's fields and its first deadline, and `notify send` delivers it."""

from __future__ import annotations

import email.message
import importlib
import json
import sys
from pathlib import Path
from textwrap import dedent, indent
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import (
    DEFAULT_POLICY,
    ROUTING_NOTIFY,
    Baton,
    add_ready_lead,
    as_json,
    change,
    to_sql,
    without_assigned_notices,
)
from test_notify import LocalWebhook, MailRecorder, outbox
from test_policy_check import position, problems

from cli.main import cli

pytestmark = pytest.mark.both_stores  # every database test here runs on SQLite and on PostgreSQL

FRIDAY_3PM = "2026-11-27T15:00"
SWEEP_AT = "2026-11-30T11:00"
ANA = ["first_name=Ana", "last_name=Ortiz", "company=Northwind", "title=CFO", "phone=+44 20 7946 0000"]
# READY + ANA + BANT, in the policy's field order, as the rep gets them
ANA_FIELDS = {
    "first_name": "Ana", "last_name": "Ortiz", "email": "ana@northwind.example", "phone": "+44 20 7946 0000",
    "company": "Northwind", "title": "CFO", "persona": "manager", "source": "webinar", "product": "Forecasting",
    "awareness": "solution", "score": 75, "budget": 25000.0, "authority": True, "need": "Replace spreadsheets",
    "timeline": "2027-02-01",
}
ANA_TEXT = "L-7 (Ana Ortiz, Northwind, CFO, Forecasting) is yours: acknowledge by 2026-11-23 13:00 GMT."


def init(baton: Baton, tmp_path: Path, text: str, notify: str | None = None) -> None:
    """A database on `text`, plus a `notify:` channels block (YAML under it)."""
    if notify is not None:
        text += "\nnotify:\n" + indent(dedent(notify), "  ")
    policy = tmp_path / "policy.yaml"
    policy.write_text(text)
    result = baton("init", "--policy", str(policy))
    assert result.exit_code == 0, result.stderr


def assigned_rows(db: Path) -> list[dict[str, Any]]:
    return [row for row in outbox(db) if row["kind"] == "assigned"]


# -- queued with the assignment -----------------------------------------------------------
def test_routing_a_lead_queues_one_assigned_notification_for_its_new_rep(baton: Baton, db: Path) -> None:
    assert to_sql(baton, "L-7", *ANA).exit_code == 0
    [row] = outbox(db)
    assert {k: row[k] for k in ("lead", "kind", "sla", "due", "owner", "recipients", "text", "status")} == {
        "lead": "L-7", "kind": "assigned", "sla": "acknowledge", "due": "2026-11-23T13:00:00+00:00",
        "owner": "alice", "recipients": '["alice"]', "text": ANA_TEXT, "status": "pending",
    }
    assert json.loads(row["fields"]) == ANA_FIELDS
    assert list(json.loads(row["fields"])) == list(ANA_FIELDS)  # the policy's order


def test_a_refused_advance_queues_nothing(baton: Baton, db: Path) -> None:
    add_ready_lead(baton, "L-1")
    assert baton("lead", "advance", "L-1", "hand_over").exit_code == 0
    assert baton("lead", "advance", "L-1", "qualify", actor="alice").exit_code == 1  # no BANT yet
    assert outbox(db) == []


def test_an_sla_reassign_tells_the_new_rep(baton: Baton, db: Path) -> None:
    assert to_sql(baton, "L-7", *ANA, now=FRIDAY_3PM).exit_code == 0
    assert baton("sla", "sweep", now=SWEEP_AT).exit_code == 0
    rows = outbox(db)
    assert [(r["kind"], r["owner"], json.loads(r["recipients"])) for r in rows] == [
        ("assigned", "alice", ["alice"]), ("sla_breach", "alice", ["alice", "sam"]), ("assigned", "bob", ["bob"]),
    ]
    reassigned = rows[2]
    assert reassigned["text"] == (
        "L-7 (Ana Ortiz, Northwind, CFO, Forecasting) is yours, passed on from alice when its acknowledge "
        "deadline ran out: acknowledge by 2026-11-30 15:00 GMT."
    )
    # the clock restarts for bob: 4 business hours from the sweep at 11:00
    assert (reassigned["sla"], reassigned["due"]) == ("acknowledge", "2026-11-30T15:00:00+00:00")
    assert json.loads(reassigned["fields"]) == ANA_FIELDS


def test_recipients_are_resolved_owner_as_the_new_rep_and_roles_as_their_members(
        baton: Baton, tmp_path: Path, db_path: Path) -> None:
    text = DEFAULT_POLICY.read_text().replace(ROUTING_NOTIFY, "  notify: [owner, sales_manager, owner]\n")
    init(baton, tmp_path, text)
    assert to_sql(baton, "L-1").exit_code == 0
    [row] = outbox(db_path)
    assert (row["owner"], json.loads(row["recipients"])) == ("alice", ["alice", "sam"])
    assert row["text"] == "L-1 (Forecasting) is now alice's: acknowledge by 2026-11-23 13:00 GMT."


def test_a_state_without_clocks_gives_no_due(baton: Baton, tmp_path: Path, db_path: Path) -> None:
    from test_sla import ACKNOWLEDGE_BLOCK

    init(baton, tmp_path, DEFAULT_POLICY.read_text().replace(ACKNOWLEDGE_BLOCK, "", 1))
    assert to_sql(baton, "L-1").exit_code == 0
    [row] = outbox(db_path)
    assert (row["sla"], row["due"], row["text"]) == (None, None, "L-1 (Forecasting) is yours.")


@pytest.mark.without_assigned_notices
def test_without_routing_notify_no_assigned_row_is_queued(baton: Baton, db: Path) -> None:
    assert to_sql(baton, "L-1", now=FRIDAY_3PM).exit_code == 0
    assert baton("sla", "sweep", now=SWEEP_AT).exit_code == 0
    assert [row["kind"] for row in outbox(db)] == ["sla_breach"]  # the reassign to bob tells nobody


def test_an_unrouted_lead_queues_nothing(baton: Baton, db: Path) -> None:
    for rep in ("alice", "bob"):
        assert baton("rep", "away", rep, actor=rep).exit_code == 0
    assert to_sql(baton, "L-1").exit_code == 0
    assert as_json(baton("--json", "lead", "show", "L-1"))["owner"] is None
    assert outbox(db) == []


# -- the bulk import -----------------------------------------------------------------------
def routed_on_entry(baton: Baton, tmp_path: Path) -> None:
    """The default policy, routing leads as they are created (in MQL)."""
    init(baton, tmp_path, DEFAULT_POLICY.read_text().replace("  on: SQL\n", "  on: MQL\n", 1))


def test_an_import_that_routes_tells_each_rep(baton: Baton, tmp_path: Path, db_path: Path) -> None:
    routed_on_entry(baton, tmp_path)
    export = tmp_path / "leads.csv"
    export.write_text("id,first_name,company,persona\nI-1,Ana,Northwind,executive\nI-2,Ben,Contoso,manager\n")
    assert baton("lead", "import", str(export)).exit_code == 0
    rows = assigned_rows(db_path)
    assert [(r["lead"], r["recipients"], r["text"]) for r in rows] == [
        ("I-1", '["carol"]', "I-1 (Ana, Northwind) is yours."),
        ("I-2", '["alice"]', "I-2 (Ben, Contoso) is yours."),
    ]
    assert json.loads(rows[0]["fields"]) == {"first_name": "Ana", "company": "Northwind", "persona": "executive",
                                             "score": 0}


def test_an_import_refused_for_a_bad_row_queues_nothing(baton: Baton, tmp_path: Path, db_path: Path) -> None:
    routed_on_entry(baton, tmp_path)
    export = tmp_path / "leads.csv"
    export.write_text("id,first_name,score\nI-1,Ana,80\nI-2,Ben,lots\n")
    result = baton("lead", "import", str(export))
    assert result.exit_code == 1
    assert "nothing was imported" in result.stderr
    assert outbox(db_path) == []


# -- delivery -------------------------------------------------------------------------------
def test_the_webhook_and_the_file_get_the_body_with_fields_and_due(
        baton: Baton, tmp_path: Path, db_path: Path, notices_folder: Path, webhook: LocalWebhook) -> None:
    init(baton, tmp_path, DEFAULT_POLICY.read_text(), f"webhook: {webhook.url}\nfile: notices.jsonl\n")
    assert to_sql(baton, "L-7", *ANA).exit_code == 0
    result = baton("notify", "send", now="2026-11-23T09:01")
    assert (result.exit_code, result.stdout) == (
        0, "#1 L-7 assigned: sent (webhook, file).\nAs of 2026-11-23 09:01 GMT: 1 sent, 0 pending.\n")
    body = {
        "id": 1, "lead": "L-7", "kind": "assigned", "sla": "acknowledge", "due": "2026-11-23T13:00:00+00:00",
        "owner": "alice", "recipients": ["alice"], "text": ANA_TEXT, "created_at": "2026-11-23T09:00:00+00:00",
        "fields": ANA_FIELDS,
    }
    assert webhook.accepted == [body]
    assert [json.loads(line) for line in (notices_folder / "notices.jsonl").read_text().splitlines()] == [body]
    assert outbox(db_path)[0]["status"] == "sent"


def test_send_with_json_says_which_kind_of_notification_each_line_is(
        baton: Baton, tmp_path: Path, webhook: LocalWebhook) -> None:
    # An assigned notice has an `sla` too (the clock the rep must beat): without
    # `kind` a script reading `notify send --json` would take it for a breach.
    init(baton, tmp_path, DEFAULT_POLICY.read_text(), f"webhook: {webhook.url}\n")
    assert to_sql(baton, "L-7", *ANA).exit_code == 0
    result = baton("--json", "notify", "send", now="2026-11-23T09:01")
    assert result.exit_code == 0
    [line] = [json.loads(line) for line in result.stdout.splitlines()]
    assert (line["lead"], line["kind"], line["sla"], line["status"]) == ("L-7", "assigned", "acknowledge", "sent")


def test_the_email_lists_the_fields_for_the_first_call(
        baton: Baton, tmp_path: Path, smtp: tuple[MailRecorder, str]) -> None:
    recorder, server = smtp
    init(baton, tmp_path, DEFAULT_POLICY.read_text(),
         f"email:\n  server: {server}\n  from: baton@acme.example\n  to: {{alice: alice@acme.example}}\n")
    assert to_sql(baton, "L-7", *ANA).exit_code == 0
    assert baton("notify", "send", now="2026-11-23T09:01").exit_code == 0
    [message] = recorder.messages
    assert (message["To"], message["Subject"]) == ("alice@acme.example", "Lead L-7 is assigned to alice")
    assert isinstance(message, email.message.EmailMessage)
    assert message.get_content().splitlines() == [
        ANA_TEXT,
        "",
        "What we know about the lead:",
        "  First name: Ana", "  Last name: Ortiz", "  Email: ana@northwind.example", "  Phone: +44 20 7946 0000",
        "  Company: Northwind", "  Title: CFO", "  Persona: manager", "  Source: webinar", "  Product: Forecasting",
        "  Awareness: solution", "  Score: 75", "  Budget: 25000", "  Authority: yes",
        "  Need: Replace spreadsheets", "  Timeline: 2027-02-01",
        "",
        "Lead: L-7", "Deadline: acknowledge", "Due: 2026-11-23T13:00:00+00:00", "Owner: alice", "Notified: alice",
        "",
        "Sent by Baton (notification #1).",
    ]


def test_a_database_made_before_assigned_notices_gains_the_fields_column(baton: Baton, db: Path) -> None:
    """An older database's outbox has no `fields` column: the first row that
    needs it adds it, and the rows already there deliver as before."""
    change(db, "ALTER TABLE outbox DROP COLUMN fields")
    assert to_sql(baton, "L-7", *ANA).exit_code == 0
    assert json.loads(outbox(db)[0]["fields"]) == ANA_FIELDS


def test_send_reads_an_older_outbox_without_the_fields_column(
        baton: Baton, tmp_path: Path, db_path: Path, webhook: LocalWebhook) -> None:
    init(baton, tmp_path, without_assigned_notices(DEFAULT_POLICY.read_text()), f"webhook: {webhook.url}\n")
    assert to_sql(baton, "L-1", now=FRIDAY_3PM).exit_code == 0
    assert baton("sla", "sweep", now=SWEEP_AT).exit_code == 0
    change(db_path, "ALTER TABLE outbox DROP COLUMN fields")
    assert baton("notify", "send", now=SWEEP_AT).exit_code == 0
    assert [body["kind"] for body in webhook.accepted] == ["sla_breach"]
    assert "fields" not in webhook.accepted[0]


# -- the policy ------------------------------------------------------------------------------
def test_policy_check_locates_an_unknown_role_in_routing_notify() -> None:
    text = DEFAULT_POLICY.read_text().replace(ROUTING_NOTIFY, "  notify: [owner, sales_mgr]\n")
    assert problems(text) == [
        f"p.yaml:{position(text, 'sales_mgr')}: routing notifies unknown role 'sales_mgr' (roles: marketing, sales, sales_manager, "
        "marketing_head, sales_head, owner); did you mean 'sales_manager'?"
    ]


def test_policy_diff_names_a_change_of_who_is_told(baton: Baton, tmp_path: Path) -> None:
    new = tmp_path / "new.yaml"
    new.write_text(DEFAULT_POLICY.read_text().replace(ROUTING_NOTIFY, "  notify: [owner, sales_manager]\n"))
    result = baton("policy", "diff", str(DEFAULT_POLICY), str(new))
    assert result.stdout == "Routing\n  routing: on an assignment notifies owner became owner, sales_manager\n1 change.\n"
    [change] = [json.loads(line) for line in baton("--json", "policy", "diff", str(DEFAULT_POLICY), str(new)).stdout.splitlines()]
    assert (change["kind"], change["attribute"], change["old"], change["new"]) == (
        "routing", "notify", ["owner"], ["owner", "sales_manager"])


def test_policy_explain_says_who_is_told_when_a_rep_gets_the_lead(baton: Baton, db: Path) -> None:
    result = baton("policy", "explain", "SQL")
    assert ("  - otherwise: alice or bob, whoever has fewer open leads\n"
            "When a rep gets the lead, Baton tells the lead's owner at once, with the lead's fields and its "
            "first deadline.\n") in result.stdout
    assert as_json(baton("--json", "policy", "explain", "qualify"))["routing_notify"] == [{"who": "owner"}]


def test_the_schema_describes_routing_notify() -> None:
    schema = json.loads((DEFAULT_POLICY.parent / "policy.schema.json").read_text())
    described = schema["properties"]["routing"]["properties"]["notify"]["description"]
    assert described.startswith("Who is told at once when a lead gets a rep")


# -- the demo ------------------------------------------------------------------------------
@pytest.fixture
def shipped_policies(monkeypatch: pytest.MonkeyPatch) -> None:
    """`baton demo` reads the default policy from the installed package
    `baton_policies`: make that this checkout's policies/ folder."""
    monkeypatch.setitem(sys.modules, "baton_policies", importlib.import_module("policies"))


def test_the_demo_shows_what_the_rep_is_told_after_the_first_routing(tmp_path: Path, shipped_policies: None) -> None:
    result = CliRunner().invoke(cli, ["demo", "--keep", str(tmp_path / "demo.db")], input="")
    assert result.exit_code == 0, result.output
    assert (
        "$ baton --as alice lead advance L-1 qualify\n"
        "L-1: SAL -> SQL (qualify).\n"
        "Assigned L-1 to carol: rule 1 (when persona == 'executive') gives the lead to carol.\n"
        "\n"
        "# 10:02 Carol is told at once that L-1 is hers, with everything marketing learned about Ana, so her "
        "first call is not a cold one. `baton notify send` delivers it by webhook, email or, in this demo, a file:\n"
        "$ baton notify send\n"
        "#1 L-1 assigned: sent (file).\n"
        "As of 2026-11-23 10:02 GMT: 1 sent, 0 pending.\n"
        "What carol received:\n"
        "  L-1 (Ana Ortiz, Northwind, CFO, Forecasting) is yours: acknowledge by 2026-11-23 14:01 GMT.\n"
        "  First name: Ana\n"
    ) in result.stdout
    assert "  Content: Attended the Q4 forecasting webinar; asked about pricing\n" in result.stdout

