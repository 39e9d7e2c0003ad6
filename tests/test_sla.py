"""SLA clocks and the sweep on the default policy: acknowledge within 4
business hours in SQL (notify owner and manager, reassign), follow up within
14 days in contacted (fire recycle)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from conftest import (
    DEFAULT_POLICY,
    Baton,
    add_ready_lead,
    as_json,
    json_lines,
    query,
    sign_off,
    to_sql,
    without_assigned_notices,
)

pytestmark = pytest.mark.both_stores  # every database test here runs on SQLite and on PostgreSQL

FRIDAY_3PM = "2026-11-27T15:00"          # London = UTC in November
ACK_DUE = "2026-11-30T10:30:00+00:00"    # 2.5h on Friday + 1.5h on Monday


def clocks(baton: Baton, lead: str, now: str = FRIDAY_3PM) -> list[dict]:
    return as_json(baton("--json", "lead", "show", lead, now=now))["sla"]


def events(baton: Baton, lead: str) -> list[dict]:
    return json_lines(baton("--json", "lead", "history", lead))


def test_entering_sql_starts_the_acknowledge_clock_in_business_time(baton: Baton, db: Path) -> None:
    to_sql(baton, "L-1", now=FRIDAY_3PM)
    [clock] = clocks(baton, "L-1")
    assert (clock["name"], clock["due"], clock["breached"], clock["overdue"]) == ("acknowledge", ACK_DUE, False, False)


def test_leaving_the_state_stops_its_clock(baton: Baton, db: Path) -> None:
    to_sql(baton, "L-1", now=FRIDAY_3PM)
    baton("lead", "advance", "L-1", "accept", actor="alice", now=FRIDAY_3PM)
    assert clocks(baton, "L-1") == []
    assert query(db, "SELECT count(*) FROM clocks")[0][0] == 0


def test_follow_up_clock_counts_wall_time(baton: Baton, db: Path) -> None:
    to_sql(baton, "L-1", now=FRIDAY_3PM)
    baton("lead", "advance", "L-1", "accept", actor="alice", now=FRIDAY_3PM)
    baton("lead", "advance", "L-1", "contact", actor="alice", now=FRIDAY_3PM)
    [clock] = clocks(baton, "L-1")
    assert (clock["name"], clock["due"]) == ("follow_up", "2026-12-11T15:00:00+00:00")


def test_a_lead_is_overdue_once_due_even_before_a_sweep(baton: Baton, db: Path) -> None:
    to_sql(baton, "L-1", now=FRIDAY_3PM)
    to_sql(baton, "L-2", now="2026-11-30T10:00")
    assert json_lines(baton("--json", "lead", "list", "--overdue", now="2026-11-30T10:29")) == []
    overdue = json_lines(baton("--json", "lead", "list", "--overdue", now="2026-11-30T10:30"))
    assert [lead["id"] for lead in overdue] == ["L-1"]


@pytest.mark.without_assigned_notices
def test_sweep_records_the_breach_notifies_and_reassigns(baton: Baton, db: Path) -> None:
    to_sql(baton, "L-1", now=FRIDAY_3PM)
    result = baton("sla", "sweep", now="2026-11-30T11:00")
    assert result.stdout == (
        "L-1 breached acknowledge (due 2026-11-30 10:30 GMT): notify alice, sam; reassigned to bob\n"
        "Swept as of 2026-11-30 11:00 GMT: 1 breach.\n"
    )
    breach, assigned = events(baton, "L-1")[-2:]
    assert (breach["event"], breach["actor"]) == ("sla_breach", "system")
    assert breach["data"] == {"sla": "acknowledge", "due": ACK_DUE, "owner": "alice",
                              "actions": {"notify": ["alice", "sam"], "reassign": "bob"}}
    assert (assigned["event"], assigned["data"]["owner"], assigned["data"]["sla"]) == ("assigned", "bob", "acknowledge")
    assert assigned["data"]["skipped"] == {"alice": "had it when its SLA ran out"}
    outbox = query(db, "SELECT lead, sla, recipients, owner, status, breach_seq FROM outbox")
    assert outbox == [("L-1", "acknowledge", '["alice", "sam"]', "alice", "pending", breach["seq"])]


def test_reassign_restarts_the_clock_for_the_new_owner(baton: Baton, db: Path) -> None:
    to_sql(baton, "L-1", now=FRIDAY_3PM)
    baton("sla", "sweep", now="2026-11-30T11:00")
    [clock] = clocks(baton, "L-1", now="2026-11-30T11:00")
    assert (clock["due"], clock["breached"]) == ("2026-11-30T15:00:00+00:00", False)
    assert as_json(baton("--json", "lead", "show", "L-1", now="2026-11-30T11:00"))["owner"] == "bob"


@pytest.mark.without_assigned_notices
def test_sweeping_twice_acts_once(baton: Baton, db: Path) -> None:
    to_sql(baton, "L-1", now=FRIDAY_3PM)
    first = json_lines(baton("--json", "sla", "sweep", now="2026-11-30T11:00"))
    again = baton("sla", "sweep", now="2026-11-30T11:00")
    assert len(first) == 1
    assert again.stdout == "Swept as of 2026-11-30 11:00 GMT: 0 breaches.\n"
    assert [e["event"] for e in events(baton, "L-1")].count("sla_breach") == 1
    assert query(db, "SELECT count(*) FROM outbox")[0][0] == 1


def test_sweep_before_the_due_time_does_nothing(baton: Baton, db: Path) -> None:
    to_sql(baton, "L-1", now=FRIDAY_3PM)
    assert json_lines(baton("--json", "sla", "sweep", now="2026-11-30T10:29")) == []


def test_reassign_with_nobody_else_free_keeps_the_owner(baton: Baton, db: Path) -> None:
    to_sql(baton, "L-1", now=FRIDAY_3PM)
    baton("rep", "away", "bob", actor="bob", now=FRIDAY_3PM)
    [breach] = json_lines(baton("--json", "sla", "sweep", now="2026-11-30T11:00"))
    assert breach["actions"]["reassign"] == "nobody else is available; alice keeps it"
    shown = as_json(baton("--json", "lead", "show", "L-1", now="2026-11-30T11:00"))
    assert shown["owner"] == "alice"
    assert shown["sla"][0]["breached"] is True
    assert [lead["id"] for lead in json_lines(baton("--json", "lead", "list", "--overdue", now="2026-11-30T11:00"))] == ["L-1"]


def contacted(baton: Baton, lead: str, attempts: int) -> None:
    to_sql(baton, lead, now=FRIDAY_3PM)
    baton("lead", "advance", lead, "accept", actor="sam", now=FRIDAY_3PM)
    baton("lead", "advance", lead, "contact", actor="sam", now=FRIDAY_3PM)
    for _ in range(attempts):
        baton("lead", "attempt", lead, actor="sam", now=FRIDAY_3PM)


def test_the_clocks_a_change_answers_with_are_the_ones_lead_show_reads_back(baton: Baton, tmp_path: Path) -> None:
    """`lead advance --json` gives the clocks the lead entered with, in `lead
    show`'s order (earliest due first, then by name), without reading them back."""
    three = tmp_path / "three.yaml"
    three.write_text(DEFAULT_POLICY.read_text().replace("sla:\n", (
        "sla:\n  - name: a_review\n    state: contacted\n    within: 14d\n"
        "  - name: zz_nudge\n    state: contacted\n    within: 1h\n"), 1))
    assert baton("init", "--policy", str(three)).exit_code == 0
    to_sql(baton, "L-1", now=FRIDAY_3PM)
    assert baton("lead", "advance", "L-1", "accept", actor="sam", now=FRIDAY_3PM).exit_code == 0
    answer = as_json(baton("--json", "lead", "advance", "L-1", "contact", actor="sam", now=FRIDAY_3PM))
    assert [clock["name"] for clock in answer["sla"]] == ["zz_nudge", "a_review", "follow_up"]
    assert answer["sla"] == clocks(baton, "L-1")


def test_fire_recycles_a_lead_nobody_followed_up_as_system(baton: Baton, db: Path) -> None:
    contacted(baton, "L-1", attempts=3)
    [breach] = json_lines(baton("--json", "sla", "sweep", now="2026-12-11T15:00"))
    assert breach["actions"] == {"notify": ["alice", "sam"], "fire": "recycle"}
    recycle = events(baton, "L-1")[-1]
    assert (recycle["event"], recycle["actor"], recycle["to"]) == ("recycle", "system", "recycled")
    assert recycle["data"] == {"reason": "no response after follow-ups", "released": "alice"}


def test_a_refused_fire_stays_recorded_and_the_sweep_goes_on(baton: Baton, tmp_path: Path) -> None:
    """A policy whose recycle guard holds even for Baton itself (the default
    lets `system` recycle a neglected lead)."""
    strict = tmp_path / "strict.yaml"
    strict.write_text(DEFAULT_POLICY.read_text().replace("actor == 'system' or ", "", 1))
    assert baton("init", "--policy", str(strict)).exit_code == 0
    contacted(baton, "L-1", attempts=1)   # the policy wants 3 attempts before recycling
    contacted(baton, "L-2", attempts=3)
    result = baton("sla", "sweep", now="2026-12-11T15:00")
    assert result.exit_code == 0
    assert result.stdout.splitlines()[:2] == [
        ("L-1 breached follow_up (due 2026-12-11 15:00 GMT): notify alice, sam; recycle refused: "
         "cannot recycle L-1: make at least 3 contact attempts before recycling"),
        "L-2 breached follow_up (due 2026-12-11 15:00 GMT): notify bob, sam; fired recycle",
    ]
    assert as_json(baton("--json", "lead", "show", "L-1", now="2026-12-11T15:00"))["state"] == "contacted"
    assert as_json(baton("--json", "lead", "show", "L-2", now="2026-12-11T15:00"))["state"] == "recycled"
    assert json_lines(baton("--json", "sla", "sweep", now="2026-12-12T15:00")) == []


@pytest.mark.without_assigned_notices
def test_sla_status_sums_clocks_per_owner_and_lists_waiting_notifications(baton: Baton, db: Path) -> None:
    to_sql(baton, "L-1", now=FRIDAY_3PM)
    to_sql(baton, "L-2", now=FRIDAY_3PM)
    baton("rep", "away", "alice", actor="alice", now=FRIDAY_3PM)
    baton("sla", "sweep", now="2026-11-30T11:00")
    status = as_json(baton("--json", "sla", "status", now="2026-11-30T11:00"))
    assert [(c["lead"], c["owner"], c["status"]) for c in status["clocks"]] == [
        ("L-2", "bob", "breached"), ("L-1", "bob", "running"),
    ]
    assert status["owners"] == {"bob": {"running": 1, "due": 0, "breached": 1}}
    assert [row["lead"] for row in status["outbox"]] == ["L-1", "L-2"]


def test_reentering_a_state_starts_its_clocks_afresh(baton: Baton, db: Path) -> None:
    to_sql(baton, "L-1", now=FRIDAY_3PM)
    baton("lead", "advance", "L-1", "recycle", "reason=not now", actor="alice", now=FRIDAY_3PM)
    baton("lead", "advance", "L-1", "renurture", now="2026-12-01T09:00")
    baton("lead", "advance", "L-1", "hand_over", now="2026-12-01T09:00")
    baton("lead", "advance", "L-1", "qualify", actor="alice", now="2026-12-01T09:00")
    [clock] = clocks(baton, "L-1", now="2026-12-01T09:00")
    assert (clock["due"], clock["breached"]) == ("2026-12-01T13:00:00+00:00", False)


@pytest.mark.sqlite_only  # SQLite's query plan
def test_the_sweep_finds_due_clocks_by_their_index_not_a_table_scan(baton: Baton, db: Path) -> None:
    from statemachine.sla import DUE_LEADS_SQL

    to_sql(baton, "L-1", now=FRIDAY_3PM)
    plan = sqlite3.connect(db).execute(f"EXPLAIN QUERY PLAN {DUE_LEADS_SQL}", ("2026-11-30T11:00:00+00:00",)).fetchall()
    assert [row[-1] for row in plan] == ["SEARCH clocks USING INDEX clocks_due (due_at<?)"]


@pytest.mark.sqlite_only  # SQLite's query plan
def test_lead_list_overdue_finds_its_clocks_by_an_index_breached_or_not(db: Path) -> None:
    """`lead list --overdue` runs its own query; what SQLite plans for it, as run."""
    from statemachine.lifecycle import list_rows
    from statemachine.workspace import Workspace

    ws = Workspace.open(str(db), "sam", "2026-11-30T11:00", write=False)
    queries: list[str] = []
    ws.store.db.set_trace_callback(queries.append)
    try:
        assert list(list_rows(ws, overdue=True)) == []
        ws.store.db.set_trace_callback(None)
        (query,) = [q for q in queries if "FROM leads" in q]
        plan = [row[-1] for row in ws.store.db.execute(f"EXPLAIN QUERY PLAN {query}")]
    finally:
        ws.close()
    assert not any(step.startswith("SCAN clocks") for step in plan), plan
    assert any("clocks USING" in step and "INDEX clocks_by_due" in step for step in plan), plan


@pytest.mark.sqlite_only  # SQLite's query plan
@pytest.mark.parametrize(("filters", "index"), [
    ({"owner": "bob"}, "leads_by_owner (owner=?)"),
    ({"state": "SAL"}, "leads_by_state (state=?)"),
    ({"unassigned": True}, "leads_by_state (state=?)"),
])
def test_lead_list_filters_find_leads_by_an_index(db: Path, filters: dict, index: str) -> None:
    """`lead list --owner / --state / --unassigned` on a million leads must
    not read them all; what SQLite plans for each query, as run."""
    from statemachine.lifecycle import list_rows
    from statemachine.workspace import Workspace

    ws = Workspace.open(str(db), "sam", "2026-11-30T11:00", write=False)
    queries: list[str] = []
    ws.store.db.set_trace_callback(queries.append)
    try:
        assert list(list_rows(ws, **filters)) == []
        ws.store.db.set_trace_callback(None)
        (query,) = [q for q in queries if "FROM leads" in q]
        plan = [row[-1] for row in ws.store.db.execute(f"EXPLAIN QUERY PLAN {query}")]
    finally:
        ws.close()
    assert f"SEARCH leads USING INDEX {index}" in plan, plan


def test_lead_show_lists_each_clock_with_its_due_time_then_overdue_then_breached(baton: Baton, db: Path) -> None:
    to_sql(baton, "L-1", now=FRIDAY_3PM)
    baton("rep", "away", "bob", actor="bob", now=FRIDAY_3PM)  # so the breach cannot reassign it

    def sla_lines(now: str) -> list[str]:
        return [line for line in baton("lead", "show", "L-1", now=now).stdout.splitlines() if line.startswith("sla ")]
    assert sla_lines("2026-11-30T10:29") == ["sla acknowledge: due 2026-11-30 10:30 GMT"]
    assert sla_lines("2026-11-30T10:30") == ["sla acknowledge: due 2026-11-30 10:30 GMT (overdue)"]
    baton("sla", "sweep", now="2026-11-30T11:00")
    assert sla_lines("2026-11-30T11:00") == ["sla acknowledge: due 2026-11-30 10:30 GMT (breached)"]


@pytest.mark.without_assigned_notices
def test_sla_status_shows_each_clock_per_owner_and_whom_each_waiting_notification_is_for(
        baton: Baton, db: Path) -> None:
    to_sql(baton, "L-1", now=FRIDAY_3PM)
    baton("sla", "sweep", now="2026-11-30T11:00")
    result = baton("sla", "status", now="2026-11-30T11:00")
    assert result.stdout == (
        f"{'LEAD':<12} {'CLOCK':<14} {'STATE':<12} {'OWNER':<10} {'DUE':<22} STATUS\n"
        f"{'L-1':<12} {'acknowledge':<14} {'SQL':<12} {'bob':<10} {'2026-11-30 15:00 GMT':<22} running\n"
        "\n"
        f"{'OWNER':<14} {'RUNNING':>8} {'DUE':>5} {'BREACHED':>9}\n"
        f"{'bob':<14} {1:>8} {0:>5} {0:>9}\n"
        "\n"
        "1 notification waiting to be sent (`baton notify send`):\n"
        "  #1 L-1 acknowledge for alice, sam: not tried yet; first try at 2026-11-30 11:00 GMT\n"
    )
    [row] = as_json(baton("--json", "sla", "status", now="2026-11-30T11:00"))["outbox"]
    assert row == {"id": 1, "lead": "L-1", "sla": "acknowledge", "recipients": ["alice", "sam"], "tries": 0,
                   "next_try_at": "2026-11-30T11:00:00+00:00", "last_error": None}


def test_sla_status_with_no_clocks_says_so(baton: Baton, db: Path) -> None:
    assert baton("sla", "status").stdout == "No SLA clocks are running.\n"


def test_a_clock_longer_than_ten_years_is_a_policy_error_at_its_place(
        baton: Baton, db_path: Path, tmp_path: Path) -> None:
    """It could never run out (the calendar would place it past year 9999)."""
    from conftest import DEFAULT_POLICY

    policy = tmp_path / "long.yaml"
    text = DEFAULT_POLICY.read_text()
    assert text.count("within: 14d") == 1
    policy.write_text(text.replace("within: 14d", "within: 99999999d"))
    line = next(n for n, row in enumerate(policy.read_text().splitlines(), 1) if "within: 99999999d" in row)
    column = policy.read_text().splitlines()[line - 1].index("99999999d") + 1
    result = baton("init", "--policy", str(policy))
    assert result.exit_code == 1
    assert result.stderr == (
        f"{policy}:{line}:{column}: SLA 'follow_up': '99999999d' is longer than ten years, so the clock would never "
        "run out; write a shorter time, like 30d\n"
    )
    assert not db_path.exists()


# -- SLA mistakes in the policy: named at their place -----------------------------------
def sla_problems(sla_yaml: str) -> list[str]:
    from textwrap import dedent

    from test_policy_check import MINIMAL, problems

    return problems(MINIMAL + dedent(sla_yaml))


def test_an_sla_on_an_unknown_state_is_a_policy_error_at_its_place() -> None:
    assert sla_problems("""\
        sla:
          - {name: pick_up, state: wroking, within: 4h}
        """) == [
        ("p.yaml:17:28: SLA 'pick_up' runs in unknown state 'wroking' (states: new, working, done); "
         "did you mean 'working'?")
    ]


def test_an_sla_that_fires_an_unknown_transition_is_a_policy_error_at_its_place() -> None:
    assert sla_problems("""\
        sla:
          - name: pick_up
            state: working
            within: 4h
            breach: {fire: finsh}
        """) == [
        ("p.yaml:20:20: SLA 'pick_up' fires unknown transition 'finsh' (transitions: start, finish); "
         "did you mean 'finish'?")
    ]


def test_init_refuses_a_policy_with_a_bad_clock_naming_file_line_and_column(
        baton: Baton, db_path: Path, tmp_path: Path) -> None:
    from conftest import DEFAULT_POLICY

    policy = tmp_path / "bad-sla.yaml"
    text = DEFAULT_POLICY.read_text()
    policy.write_text(text.replace("within: 4h", "within: 0h"))
    line = next(n for n, row in enumerate(text.splitlines(), 1) if "within: 4h" in row)
    result = baton("init", "--policy", str(policy))
    assert result.exit_code == 1
    assert f"{policy}:{line}:13: SLA 'acknowledge': within must be more than zero, not '0h'" in result.stderr
    assert not db_path.exists()


ACKNOWLEDGE_BLOCK = ("  - name: acknowledge\n    state: SQL\n    within: 4h\n    business: true\n    breach:\n"
                     "      notify: [owner, sales_manager]\n"
                     "      reassign: true           # give it to another rep if nobody acknowledged it\n")


def clocks_table(db: Path) -> list[tuple[str, ...]]:
    return query(db, "SELECT lead, name, state, started_at, due_at, breached_at FROM clocks ORDER BY lead, name")


def test_a_running_clock_whose_sla_a_new_policy_removed_stops_when_it_is_applied(
        baton: Baton, db_path: Path, tmp_path: Path) -> None:
    from test_policy_apply import SIGN_OFF, variant

    # A policy that asks for no sign-off: approving would leave a notification in the outbox.
    # Nor does it tell the rep of the assignment, for the same reason.
    v1 = variant(tmp_path, 1, "v1.yaml", replace=(SIGN_OFF, ""))
    v1.write_text(without_assigned_notices(v1.read_text()))
    assert baton("init", "--policy", str(v1)).exit_code == 0
    db = db_path
    to_sql(baton, "L-1", now=FRIDAY_3PM)
    without = variant(tmp_path, 2, replace=(ACKNOWLEDGE_BLOCK, ""))
    assert baton("policy", "apply", str(without), now=FRIDAY_3PM).exit_code == 0
    assert baton("sla", "sweep", now="2026-11-30T11:00").stdout == "Swept as of 2026-11-30 11:00 GMT: 0 breaches.\n"
    assert as_json(baton("--json", "lead", "show", "L-1", now="2026-11-30T11:00"))["sla"] == []
    assert query(db, "SELECT count(*) FROM outbox")[0][0] == 0
    assert baton("audit", "verify").exit_code == 0


def test_a_running_clock_takes_the_new_length_from_its_own_start_when_a_policy_is_applied(
        baton: Baton, db: Path, tmp_path: Path) -> None:
    from test_policy_apply import variant

    to_sql(baton, "L-1", now=FRIDAY_3PM)  # due Monday 10:30 with 4 business hours
    shorter = variant(tmp_path, 2, replace=("within: 4h", "within: 2h"))
    sign_off(baton, shorter)
    assert baton("policy", "apply", str(shorter), now=FRIDAY_3PM).exit_code == 0
    clock = as_json(baton("--json", "lead", "show", "L-1", now=FRIDAY_3PM))["sla"][0]
    assert (clock["name"], clock["started"], clock["due"]) == (
        "acknowledge", "2026-11-27T15:00:00+00:00", "2026-11-27T17:00:00+00:00")
    before = clocks_table(db)
    assert baton("audit", "rebuild", actor="sam").exit_code == 0
    assert clocks_table(db) == before


def test_a_clock_a_new_policy_adds_starts_at_the_apply_for_the_leads_already_there(
        baton: Baton, db: Path, tmp_path: Path) -> None:
    from test_policy_apply import variant

    add_ready_lead(baton, "L-1")
    timed = variant(tmp_path, 2, replace=("sla:\n", "sla:\n  - name: triage\n    state: MQL\n    within: 2h\n"))
    sign_off(baton, timed)
    assert baton("policy", "apply", str(timed), now="2026-11-23T10:00").exit_code == 0
    clock = as_json(baton("--json", "lead", "show", "L-1", now="2026-11-23T10:00"))["sla"][0]
    assert (clock["name"], clock["started"], clock["due"]) == (
        "triage", "2026-11-23T10:00:00+00:00", "2026-11-23T12:00:00+00:00")
    before = clocks_table(db)
    assert baton("audit", "rebuild", actor="sam").exit_code == 0
    assert clocks_table(db) == before


def test_a_reassign_without_routing_is_a_policy_error_at_its_place() -> None:
    assert sla_problems("""\
        sla:
          - name: pick_up
            state: working
            within: 4h
            breach: {reassign: true}
        """) == [
        ("p.yaml:20:24: SLA 'pick_up' reassigns the lead, but the policy has no `routing:` to choose another rep; "
         "add routing, or notify a manager instead")
    ]


def test_business_days_are_working_days_not_24_hour_blocks(baton: Baton, tmp_path: Path) -> None:
    """`within: 2d, business: true` with hours 09:00-17:30: a lead qualified
    at 13:00 on Monday is due at 13:00 on Wednesday, two working days on."""
    from conftest import DEFAULT_POLICY

    policy = tmp_path / "days.yaml"
    text = DEFAULT_POLICY.read_text()
    assert text.count("    within: 4h\n    business: true\n") == 1
    policy.write_text(text.replace("    within: 4h\n    business: true\n", "    within: 2d\n    business: true\n"))
    assert baton("init", "--policy", str(policy)).exit_code == 0
    to_sql(baton, "L-1", now="2026-11-23T13:00")
    [clock] = clocks(baton, "L-1", now="2026-11-23T13:00")
    assert (clock["name"], clock["due"]) == ("acknowledge", "2026-11-25T13:00:00+00:00")
