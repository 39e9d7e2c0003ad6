"""`baton lead forget ID --reason TEXT`: a person asks to be forgotten, and
every personal value their lead ever had leaves the database for good,
while the log still proves itself and records who erased what and why."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import BANT, DEFAULT_POLICY, Baton, as_json, json_lines, query, to_sql

pytestmark = pytest.mark.both_stores  # every database test here runs on SQLite and on PostgreSQL

# Values found nowhere else in a Baton database, so a byte search means them.
FIRST = "Zelphinora"
OLD_EMAIL = "zelphinora.first@quillmarsh.example"
EMAIL = "zelphinora.second@quillmarsh.example"
PHONE = "+44 20 7946 0815"
TRACES = [FIRST, OLD_EMAIL, EMAIL, "7946 0815", "quillmarsh"]
OTHER_EMAIL = "bartholomew@keepme.example"
REASON = "asked by email on 3 March"


@pytest.fixture
def holder(db: Path) -> Iterator[sqlite3.Connection]:
    """A second connection kept open for the whole test, as `baton serve`
    would keep one: the WAL then outlives each command instead of being
    folded into the file when its last connection closes."""
    connection = sqlite3.connect(db)
    connection.execute("SELECT count(*) FROM events").fetchone()
    yield connection
    connection.close()


def sql_lead_with_history(baton: Baton) -> None:
    """L-1 routed to a rep in SQL (so an `assigned` notification carries its
    fields), with an email it had before the one it has now; L-2 another person."""
    assert to_sql(baton, "L-1", f"first_name={FIRST}", f"phone={PHONE}", "company=Northwind").exit_code == 0
    assert baton("lead", "set", "L-1", f"email={OLD_EMAIL}").exit_code == 0
    assert baton("lead", "set", "L-1", f"email={EMAIL}").exit_code == 0
    assert baton("lead", "add", "--id", "L-2", f"email={OTHER_EMAIL}", "company=Keepme").exit_code == 0


def forget(baton: Baton, lead: str = "L-1", actor: str = "sam", reason: str = REASON) -> object:
    return baton("lead", "forget", lead, "--reason", reason, actor=actor)


def file_bytes(db: Path) -> bytes:
    """The database file and its WAL, as a disk holds them."""
    wal = Path(f"{db}-wal")
    return db.read_bytes() + (wal.read_bytes() if wal.exists() else b"")


@pytest.mark.sqlite_only  # the file and its WAL, byte for byte
def test_no_byte_of_any_value_the_lead_ever_had_is_left_in_the_file_or_its_wal(
        baton: Baton, db: Path, holder: sqlite3.Connection) -> None:
    sql_lead_with_history(baton)
    before = file_bytes(db)
    assert all(trace.encode() in before for trace in TRACES)  # the search below can find them
    result = forget(baton)
    assert result.exit_code == 0, result.stderr
    after = file_bytes(db)
    assert [trace for trace in TRACES if trace.encode() in after] == []
    assert OTHER_EMAIL.encode() in after  # another person's data is theirs to keep
    assert as_json(baton("--json", "lead", "show", "L-2"))["fields"]["email"] == OTHER_EMAIL


def test_the_personal_table_and_the_leads_row_no_longer_hold_the_values(baton: Baton, db: Path) -> None:
    sql_lead_with_history(baton)
    forget(baton)
    assert query(db, "SELECT count(*) FROM personal WHERE lead = 'L-1'") == [(0,)]
    row = query(db, "SELECT first_name, email, phone, company, owner FROM leads WHERE id = 'L-1'")
    assert row == [(None, None, None, "Northwind", "alice")]


def test_the_assigned_notification_no_longer_carries_the_values(baton: Baton, db: Path) -> None:
    sql_lead_with_history(baton)
    told = "is yours: acknowledge by 2026-11-23 13:00 GMT."
    assert query(db, "SELECT text FROM outbox WHERE lead = 'L-1'")[0] == (
        f"L-1 ({FIRST}, Northwind, Forecasting) {told}",)
    forget(baton)
    [(text, fields)] = query(db, "SELECT text, fields FROM outbox WHERE lead = 'L-1' AND kind = 'assigned'")
    assert text == f"L-1 (Northwind, Forecasting) {told}"
    carried = json.loads(fields)
    assert "email" not in carried and "first_name" not in carried and "phone" not in carried
    assert carried["company"] == "Northwind" and carried["budget"] == 25000


def test_the_erased_event_says_who_why_and_which_fields(baton: Baton, db: Path) -> None:
    sql_lead_with_history(baton)
    shown = as_json(baton("--json", "lead", "forget", "L-1", "--reason", REASON, actor="sam"))
    [event] = shown["events"]
    assert (event["event"], event["actor"], event["lead"], event["from"], event["to"]) == \
        ("erased", "sam", "L-1", None, None)
    assert event["data"] == {"reason": REASON, "erased": ["first_name", "email", "phone"]}
    assert json_lines(baton("--json", "lead", "history", "L-1"))[-1] == event


def test_the_command_says_what_it_erased(baton: Baton, db: Path) -> None:
    sql_lead_with_history(baton)
    result = forget(baton)
    assert result.stdout == f"Erased L-1's personal data (first_name, email, phone): {REASON}.\n"


def test_lead_show_and_history_read_erased(baton: Baton, db: Path) -> None:
    sql_lead_with_history(baton)
    forget(baton)
    shown = baton("lead", "show", "L-1").stdout.splitlines()
    assert "  first_name: [erased]" in shown and "  email: [erased]" in shown and "  phone: [erased]" in shown
    assert "  company: Northwind" in shown
    fields = as_json(baton("--json", "lead", "show", "L-1"))["fields"]
    assert "email" not in fields and fields["company"] == "Northwind"
    history = baton("lead", "history", "L-1").stdout
    assert not any(trace in history for trace in TRACES)
    lines = history.splitlines()
    assert lines[-3].endswith("set email to [erased]")
    assert lines[-1].endswith(f"sam        erased first_name, email, phone on request: {REASON}")
    assert "created in MQL with first_name [erased], email [erased], phone [erased]" in lines[0]


def test_a_value_set_after_the_erasure_is_shown_again(baton: Baton, db: Path) -> None:
    sql_lead_with_history(baton)
    forget(baton)
    assert baton("lead", "set", "L-1", "email=new@fresh.example").exit_code == 0
    assert as_json(baton("--json", "lead", "show", "L-1"))["fields"]["email"] == "new@fresh.example"
    shown = baton("lead", "show", "L-1").stdout.splitlines()
    assert "  email: new@fresh.example" in shown and "  first_name: [erased]" in shown


def test_verify_replay_rebuild_simulate_and_reports_still_work(baton: Baton, db: Path, tmp_path: Path) -> None:
    sql_lead_with_history(baton)
    forget(baton)
    verified = baton("audit", "verify")
    assert verified.exit_code == 0, verified.output
    replayed = {row["id"]: row for row in json_lines(baton("--json", "audit", "replay", "--as-of", "2030-01-01"))}
    assert replayed["L-1"]["fields"]["email"] == "[erased]"
    assert replayed["L-2"]["fields"]["email"] == OTHER_EMAIL
    assert baton("audit", "rebuild").exit_code == 0
    assert baton("audit", "verify").exit_code == 0
    assert query(db, "SELECT email FROM leads WHERE id = 'L-1'") == [(None,)]
    simulated = baton("policy", "simulate", "--history", str(DEFAULT_POLICY))
    assert simulated.exit_code == 0, simulated.output
    for report in ("funnel", "sla", "reps", "recycle"):
        assert baton("report", report).exit_code == 0, report


def test_the_data_may_be_erased_in_any_state_after_any_move(baton: Baton, db: Path) -> None:
    sql_lead_with_history(baton)
    assert baton("lead", "advance", "L-1", "accept", actor="alice").exit_code == 0
    forget(baton)
    assert baton("lead", "advance", "L-1", "contact", actor="alice").exit_code == 0
    assert baton("audit", "verify").exit_code == 0


# -- refusals: one plain line, exit 1, nothing written ---------------------------------
def database_state(db: Path) -> tuple[object, ...]:
    return tuple(query(db, f"SELECT * FROM {table} ORDER BY 1") for table in ("events", "personal", "leads", "outbox"))


def refused(baton: Baton, db: Path, *args: str, actor: str = "sam") -> str:
    before = database_state(db)
    result = baton("lead", "forget", *args, actor=actor)
    assert result.exit_code == 1, result.output
    assert result.stdout == ""
    assert database_state(db) == before
    return result.stderr


def test_a_policy_without_erasure_refuses_everyone(baton: Baton, tmp_path: Path, db_path: Path) -> None:
    text = DEFAULT_POLICY.read_text(encoding="utf-8")
    policy = tmp_path / "no-erasure.yaml"
    policy.write_text(text[: text.index("\n# Erasure.")] + "\n", encoding="utf-8")
    assert baton("init", "--policy", str(policy)).exit_code == 0
    assert baton("lead", "add", "--id", "L-1", f"email={EMAIL}").exit_code == 0
    assert refused(baton, db_path, "L-1", "--reason", REASON) == (
        "Error: policy default-handover version 1 does not say who may erase a person's data; "
        "add `erasure: {by: [ROLE, ...]}` to it (like by: [sales_manager]) and apply it\n"
    )


def test_someone_the_policy_does_not_name_is_refused(baton: Baton, db: Path) -> None:
    sql_lead_with_history(baton)
    assert refused(baton, db, "L-1", "--reason", REASON, actor="jane") == (
        "Error: jane may not erase a person's data: the policy's erasure names sales_manager (sam); ask one of them\n"
    )


def test_an_outsider_is_refused(baton: Baton, db: Path) -> None:
    sql_lead_with_history(baton)
    assert refused(baton, db, "L-1", "--reason", REASON, actor="mallory").startswith(
        "Error: 'mallory' is in no role of the policy, so may not change leads;")


def test_an_unknown_lead_is_refused(baton: Baton, db: Path) -> None:
    sql_lead_with_history(baton)
    assert refused(baton, db, "L-9", "--reason", REASON) == (
        "Error: no lead 'L-9'; `baton lead list` shows the leads there are\n")


def test_a_lead_without_personal_data_is_refused(baton: Baton, db: Path) -> None:
    assert baton("lead", "add", "--id", "L-3", "company=Northwind").exit_code == 0
    assert refused(baton, db, "L-3", "--reason", REASON) == (
        "Error: L-3 holds no personal data, so there is nothing to erase; nothing was written\n")


def test_a_second_erasure_finds_nothing_left(baton: Baton, db: Path) -> None:
    sql_lead_with_history(baton)
    forget(baton)
    assert refused(baton, db, "L-1", "--reason", "asked again").startswith("Error: L-1 holds no personal data")


def test_an_empty_reason_is_refused(baton: Baton, db: Path) -> None:
    sql_lead_with_history(baton)
    assert refused(baton, db, "L-1", "--reason", "  ") == (
        'Error: --reason is empty; say why the data is erased, like --reason "asked by email on 3 March"\n')


def test_the_reason_must_be_given(baton: Baton, db: Path) -> None:
    result = baton("lead", "forget", "L-1", actor="sam")
    assert result.exit_code == 2 and "Missing option '--reason'" in result.stderr


# -- the policy's `erasure` key ----------------------------------------------------------
def check(baton: Baton, tmp_path: Path, erasure: str) -> list[str]:
    text = DEFAULT_POLICY.read_text(encoding="utf-8").replace("erasure:\n  by: [sales_manager]\n", erasure)
    policy = tmp_path / "p.yaml"
    policy.write_text(text, encoding="utf-8")
    result = baton("policy", "check", str(policy))
    return [line.split(": ", 1)[1] if line.startswith(str(policy)) else line for line in result.output.splitlines()]


def test_an_unknown_role_in_erasure_is_located(baton: Baton, tmp_path: Path) -> None:
    assert check(baton, tmp_path, "erasure:\n  by: [sales_manger]\n")[0].endswith(
        "erasure by unknown role 'sales_manger' (roles: marketing, sales, sales_manager, marketing_head, "
        "sales_head); did you mean 'sales_manager'?")


def test_erasure_without_roles_is_refused(baton: Baton, tmp_path: Path) -> None:
    said = check(baton, tmp_path, "erasure: {}\n")
    assert said[0].endswith("erasure needs the roles who may erase a person's data: "
                            "write `erasure: {by: [sales_manager]}`")
    assert check(baton, tmp_path, "erasure: {by: [sales], who: [sam]}\n")[0].endswith(
        "unknown key 'who' in erasure (keys: by)")


def test_policy_diff_names_a_change_of_who_may_erase(baton: Baton, tmp_path: Path) -> None:
    new = tmp_path / "new.yaml"
    new.write_text(DEFAULT_POLICY.read_text(encoding="utf-8").replace(
        "  by: [sales_manager]\n", "  by: [sales_head]\n"), encoding="utf-8")
    result = baton("policy", "diff", str(DEFAULT_POLICY), str(new))
    assert result.stdout.splitlines() == [
        "Erasure",
        "  erasure: sales_head may now erase a person's data on request",
        "  erasure: sales_manager may no longer erase a person's data",
        "2 changes.",
    ]


def test_erasure_applies_to_imported_leads_too(baton: Baton, db: Path, tmp_path: Path) -> None:
    source = tmp_path / "leads.csv"
    source.write_text(f"id,email,first_name,company\nL-7,{EMAIL},{FIRST},Northwind\nL-8,{OTHER_EMAIL},Bart,Keepme\n")
    assert baton("lead", "import", str(source)).exit_code == 0
    assert forget(baton, "L-7").exit_code == 0
    assert baton("audit", "verify").exit_code == 0
    if str(db).startswith("postgresql://"):  # every row of every table, as the server gives them
        held = repr([query(db, f"SELECT * FROM {table}") for table in
                     ("events", "leads", "personal", "outbox", "clocks", "meta")]).encode()
    else:
        held = file_bytes(db)
    assert not any(trace.encode() in held for trace in (EMAIL, FIRST))
    assert OTHER_EMAIL.encode() in held


def test_bant_values_that_are_not_personal_are_kept(baton: Baton, db: Path) -> None:
    sql_lead_with_history(baton)
    forget(baton)
    fields = as_json(baton("--json", "lead", "show", "L-1"))["fields"]
    assert {name: fields[name] for name in ("budget", "need")} == {"budget": 25000, "need": BANT[2].split("=")[1]}
