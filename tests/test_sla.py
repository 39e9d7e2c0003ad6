"""SLA clocks and the sweep on the default policy: acknowledge within 4
business hours in SQL (notify owner and manager, reassign), follow up within
14 days in contacted (fire recycle)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from conftest import Baton, as_json, json_lines, to_sql

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
    assert sqlite3.connect(db).execute("SELECT count(*) FROM clocks").fetchone()[0] == 0


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


def test_sweep_records_the_breach_notifies_and_reassigns(baton: Baton, db: Path) -> None:
    to_sql(baton, "L-1", now=FRIDAY_3PM)
    result = baton("sla", "sweep", now="2026-11-30T11:00")
    assert result.stdout == (
        f"L-1 breached acknowledge (due {ACK_DUE}): notify alice, sam; reassigned to bob\n"
        "Swept as of 2026-11-30T11:00:00+00:00: 1 breach.\n"
    )
    breach, assigned = events(baton, "L-1")[-2:]
    assert (breach["event"], breach["actor"]) == ("sla_breach", "system")
    assert breach["data"] == {"sla": "acknowledge", "due": ACK_DUE, "owner": "alice",
                              "actions": {"notify": ["alice", "sam"], "reassign": "bob"}}
    assert (assigned["event"], assigned["data"]["owner"], assigned["data"]["sla"]) == ("assigned", "bob", "acknowledge")
    assert assigned["data"]["skipped"] == {"alice": "had it when its SLA ran out"}
    outbox = sqlite3.connect(db).execute("SELECT lead, sla, recipients, owner, status, breach_seq FROM outbox").fetchall()
    assert outbox == [("L-1", "acknowledge", '["alice", "sam"]', "alice", "pending", breach["seq"])]


def test_reassign_restarts_the_clock_for_the_new_owner(baton: Baton, db: Path) -> None:
    to_sql(baton, "L-1", now=FRIDAY_3PM)
    baton("sla", "sweep", now="2026-11-30T11:00")
    [clock] = clocks(baton, "L-1", now="2026-11-30T11:00")
    assert (clock["due"], clock["breached"]) == ("2026-11-30T15:00:00+00:00", False)
    assert as_json(baton("--json", "lead", "show", "L-1", now="2026-11-30T11:00"))["owner"] == "bob"


def test_sweeping_twice_acts_once(baton: Baton, db: Path) -> None:
    to_sql(baton, "L-1", now=FRIDAY_3PM)
    first = json_lines(baton("--json", "sla", "sweep", now="2026-11-30T11:00"))
    again = baton("sla", "sweep", now="2026-11-30T11:00")
    assert len(first) == 1
    assert again.stdout == "Swept as of 2026-11-30T11:00:00+00:00: 0 breaches.\n"
    assert [e["event"] for e in events(baton, "L-1")].count("sla_breach") == 1
    assert sqlite3.connect(db).execute("SELECT count(*) FROM outbox").fetchone()[0] == 1


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


def test_fire_recycles_a_lead_nobody_followed_up_as_system(baton: Baton, db: Path) -> None:
    contacted(baton, "L-1", attempts=3)
    [breach] = json_lines(baton("--json", "sla", "sweep", now="2026-12-11T15:00"))
    assert breach["actions"] == {"fire": "recycle"}
    recycle = events(baton, "L-1")[-1]
    assert (recycle["event"], recycle["actor"], recycle["to"]) == ("recycle", "system", "recycled")
    assert recycle["data"] == {"reason": "no response after follow-ups", "released": "alice"}


def test_a_refused_fire_stays_recorded_and_the_sweep_goes_on(baton: Baton, db: Path) -> None:
    contacted(baton, "L-1", attempts=1)   # the policy wants 3 attempts before recycling
    contacted(baton, "L-2", attempts=3)
    result = baton("sla", "sweep", now="2026-12-11T15:00")
    assert result.exit_code == 0
    assert result.stdout.splitlines()[:2] == [
        "L-1 breached follow_up (due 2026-12-11T15:00:00+00:00): recycle refused: "
        "cannot recycle L-1: make at least 3 contact attempts before recycling",
        "L-2 breached follow_up (due 2026-12-11T15:00:00+00:00): fired recycle",
    ]
    assert as_json(baton("--json", "lead", "show", "L-1", now="2026-12-11T15:00"))["state"] == "contacted"
    assert as_json(baton("--json", "lead", "show", "L-2", now="2026-12-11T15:00"))["state"] == "recycled"
    assert json_lines(baton("--json", "sla", "sweep", now="2026-12-12T15:00")) == []


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
