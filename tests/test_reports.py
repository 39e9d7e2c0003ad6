"""`baton report`: the handover's figures from the log alone, checked against
a scripted week whose numbers are worked out by hand.

The week (Europe/London, GMT in November; acknowledge: 4 business hours in
SQL, business hours 09:00-17:30; follow_up: 14 days in contacted):

- L-1 (manager): created Mon 09:00, handed over 10:00, qualified 11:00
  (alice, rule 2), accepted 12:00, contacted Tue 12:00, won Thu 12:00.
- L-2 (executive): created Mon 09:00, handed over 11:00, qualified 13:00
  (carol, rule 1; due 17:00); the sweep at 17:30 breaches it and gives it
  to bob (rule 2; the clock starts again, due Tue 13:00). Version 2 (acknowledge
  within 2 business hours) is applied Tue 08:00, so that clock is due Tue
  11:00; bob accepts Tue 12:00 (late), disqualifies it Wed 12:00.
- L-3 (manager): created Mon 09:00, handed over 12:00, qualified 14:00
  (bob), two attempts, recycled Mon 16:00 ("no budget this year"),
  renurtured Tue 09:00.
- L-4 (manager), under version 2: created Tue 09:00, handed over 10:00,
  qualified 11:00 (alice; due 13:00), accepted Tue 14:00 (late).
"""

from __future__ import annotations

import csv
import io
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from conftest import BANT, DEFAULT_POLICY, Baton, connect_raw, json_lines, sign_off

pytestmark = pytest.mark.both_stores  # every database test here runs on SQLite and on PostgreSQL

MANAGER = ["email=ana@northwind.example", "source=webinar", "persona=manager", "product=Forecasting",
           "awareness=solution", "score=75"]
EXECUTIVE = [*MANAGER[:2], "persona=executive", *MANAGER[3:]]
LATER = "2026-11-27T12:00"  # the as-of time of most reports: Friday noon


def ok(result: Any) -> Any:
    assert result.exit_code == 0, result.stderr or result.output
    return result


def handed_and_qualified(baton: Baton, lead: str, fields: list[str], created: str, handed: str, qualified: str) -> None:
    ok(baton("lead", "add", "--id", lead, *fields, now=created))
    ok(baton("lead", "advance", lead, "hand_over", now=handed))
    ok(baton("lead", "set", lead, *BANT, actor="alice", now=handed))
    ok(baton("lead", "advance", lead, "qualify", actor="alice", now=qualified))


def monday(baton: Baton) -> None:
    handed_and_qualified(baton, "L-1", MANAGER, "2026-11-23T09:00", "2026-11-23T10:00", "2026-11-23T11:00")
    handed_and_qualified(baton, "L-2", EXECUTIVE, "2026-11-23T09:00", "2026-11-23T11:00", "2026-11-23T13:00")
    ok(baton("lead", "advance", "L-1", "accept", actor="alice", now="2026-11-23T12:00"))
    handed_and_qualified(baton, "L-3", MANAGER, "2026-11-23T09:00", "2026-11-23T12:00", "2026-11-23T14:00")
    for _ in range(2):
        ok(baton("lead", "attempt", "L-3", actor="bob", now="2026-11-23T15:00"))
    ok(baton("lead", "advance", "L-3", "recycle", "reason=no budget this year", actor="bob", now="2026-11-23T16:00"))
    ok(baton("sla", "sweep", now="2026-11-23T17:30"))


def version_2(baton: Baton, tmp_path: Path) -> None:
    text = DEFAULT_POLICY.read_text(encoding="utf-8").replace("version: 1\n", "version: 2\n", 1)
    text = text.replace("    within: 4h\n", "    within: 2h\n", 1)
    path = tmp_path / "v2.yaml"
    path.write_text(text, encoding="utf-8")
    sign_off(baton, path, now="2026-11-24T08:00")
    ok(baton("policy", "apply", str(path), actor="sam", now="2026-11-24T08:00"))


def rest_of_week(baton: Baton, tmp_path: Path) -> None:
    version_2(baton, tmp_path)
    ok(baton("lead", "advance", "L-3", "renurture", now="2026-11-24T09:00"))
    handed_and_qualified(baton, "L-4", MANAGER, "2026-11-24T09:00", "2026-11-24T10:00", "2026-11-24T11:00")
    ok(baton("lead", "advance", "L-2", "accept", actor="bob", now="2026-11-24T12:00"))
    ok(baton("lead", "advance", "L-1", "contact", actor="alice", now="2026-11-24T12:00"))
    ok(baton("lead", "advance", "L-4", "accept", actor="alice", now="2026-11-24T14:00"))
    ok(baton("lead", "advance", "L-2", "disqualify", "reason=chose a competitor", actor="bob",
             now="2026-11-25T12:00"))
    ok(baton("lead", "advance", "L-1", "win", actor="alice", now="2026-11-26T12:00"))


@pytest.fixture
def week(baton: Baton, db: Path, tmp_path: Path) -> Path:
    monday(baton)
    rest_of_week(baton, tmp_path)
    return db


def report(baton: Baton, *args: str, now: str = LATER) -> list[dict[str, Any]]:
    return json_lines(baton("report", *args, "--json", now=now))  # type: ignore[no-any-return]


def funnel_rows(lines: list[dict[str, Any]]) -> dict[str, tuple[Any, ...]]:
    return {line["state"]: (line["entered"], line["left"], line["to"], line["median_hours"], line["p90_hours"])
            for line in lines}


# -- the funnel -----------------------------------------------------------------------------
@pytest.mark.without_assigned_notices
def test_funnel_counts_entries_exits_destinations_and_times_in_state(baton: Baton, week: Path) -> None:
    assert funnel_rows(report(baton, "funnel")) == {
        "MQL": (5, 4, {"SAL": 4}, 1.5, 2.7),
        "SAL": (4, 4, {"SQL": 4}, 1.5, 2.0),
        "SQL": (4, 4, {"accepted": 3, "recycled": 1}, 2.5, 17.0),
        "accepted": (3, 2, {"contacted": 1, "disqualified": 1}, 24.0, 24.0),
        "contacted": (1, 1, {"won": 1}, 48.0, 48.0),
        "won": (1, 0, {}, None, None),
        "disqualified": (1, 0, {}, None, None),
        "recycled": (1, 1, {"MQL": 1}, 17.0, 17.0),
    }


@pytest.mark.without_assigned_notices
def test_conversion_follows_the_main_path_without_recycling(baton: Baton, week: Path) -> None:
    lines = report(baton, "funnel", "--conversion")
    assert [(c["from"], c["to"], c["reached"], c["entered"], c["rate"]) for c in lines] == [
        ("MQL", "SAL", 4, 5, 0.8),
        ("SAL", "SQL", 4, 4, 1.0),
        ("SQL", "accepted", 3, 4, 0.75),
        ("accepted", "contacted", 1, 3, 0.3333),
        ("contacted", "won", 1, 1, 1.0),
    ]


@pytest.mark.without_assigned_notices
def test_the_window_counts_what_began_in_it(baton: Baton, week: Path) -> None:
    """From Tuesday: L-3's return to MQL and L-4; L-4 left MQL, L-3 is still there."""
    rows = funnel_rows(report(baton, "funnel", "--since", "2026-11-24"))
    assert rows["MQL"] == (2, 1, {"SAL": 1}, 1.0, 1.0)
    assert rows["SQL"] == (1, 1, {"accepted": 1}, 3.0, 3.0)
    assert rows["recycled"] == (0, 0, {}, None, None)
    assert funnel_rows(report(baton, "funnel", "--until", "2026-11-23T23:59"))["MQL"] == (3, 3, {"SAL": 3}, 2.0, 2.8)


@pytest.mark.without_assigned_notices
def test_cohort_says_how_far_the_leads_created_in_the_window_got(baton: Baton, week: Path) -> None:
    lines = report(baton, "funnel", "--cohort")
    assert [(c["state"], c["reached"], c["rate"]) for c in lines] == [
        ("MQL", 4, 1.0), ("SAL", 4, 1.0), ("SQL", 4, 1.0), ("accepted", 3, 0.75), ("contacted", 1, 0.25),
        ("won", 1, 0.25),
    ]
    assert report(baton, "funnel", "--cohort", "--since", "2026-11-24")[-3:] == [
        {"state": "accepted", "group": None, "reached": 1, "rate": 1.0},
        {"state": "contacted", "group": None, "reached": 0, "rate": 0.0},
        {"state": "won", "group": None, "reached": 0, "rate": 0.0},
    ]


# -- SLAs -------------------------------------------------------------------------------------
@pytest.mark.without_assigned_notices
def test_sla_clocks_judged_under_the_version_in_force_with_restarts_and_late_stops(baton: Baton, week: Path) -> None:
    """acknowledge: L-1 met, L-2 breached by the sweep, then (restarted for bob,
    re-timed to 2 hours by version 2) stopped late, L-3 met, L-4 late under version 2."""
    assert report(baton, "sla") == [
        {"sla": "acknowledge", "group": None, "started": 5, "met": 2, "breached": 3, "running": 0,
         "compliance": 0.4, "median_hours_to_stop": 2.5},
        {"sla": "follow_up", "group": None, "started": 1, "met": 1, "breached": 0, "running": 0,
         "compliance": 1.0, "median_hours_to_stop": 48.0},
    ]
    assert report(baton, "sla", "--weekly") == [
        {"sla": "acknowledge", "week": "2026-11-23", "met": 2, "breached": 3, "compliance": 0.4},
        {"sla": "follow_up", "week": "2026-11-23", "met": 1, "breached": 0, "compliance": 1.0},
    ]
    assert report(baton, "sla", "--hour-of-week") == [
        {"sla": "acknowledge", "weekday": 0, "hour": 17, "breaches": 1},
        {"sla": "acknowledge", "weekday": 1, "hour": 11, "breaches": 1},
        {"sla": "acknowledge", "weekday": 1, "hour": 13, "breaches": 1},
    ]


@pytest.mark.without_assigned_notices
def test_a_clock_still_running_counts_as_running(baton: Baton, week: Path) -> None:
    """As of Monday 13:30: L-1 acknowledged, L-2 in SQL since 13:00 with its clock running."""
    assert report(baton, "sla", "--as-of", "2026-11-23T13:30") == [
        {"sla": "acknowledge", "group": None, "started": 2, "met": 1, "breached": 0, "running": 1,
         "compliance": 1.0, "median_hours_to_stop": 1.0},
        {"sla": "follow_up", "group": None, "started": 0, "met": 0, "breached": 0, "running": 0,
         "compliance": None, "median_hours_to_stop": None},
    ]


# -- recycling and reps -----------------------------------------------------------------
@pytest.mark.without_assigned_notices
def test_recycle_reasons_with_attempts_and_what_came_back(baton: Baton, week: Path) -> None:
    assert report(baton, "recycle") == [
        {"reason": "no budget this year", "count": 1, "median_attempts": 2.0, "came_back": 1, "won_after": 0},
    ]


@pytest.mark.without_assigned_notices
def test_reps_load_by_rule_open_acceptance_and_breaches(baton: Baton, week: Path) -> None:
    assert report(baton, "reps") == [
        {"rep": "carol", "assigned": 1, "by_rule": {"1": 1}, "open": 0, "median_hours_to_accept": None, "breaches": 1},
        {"rep": "alice", "assigned": 2, "by_rule": {"2": 2}, "open": 1, "median_hours_to_accept": 2.0, "breaches": 1},
        {"rep": "bob", "assigned": 2, "by_rule": {"2": 2}, "open": 0, "median_hours_to_accept": 18.5, "breaches": 1},
    ]


# -- groups -----------------------------------------------------------------------------
@pytest.mark.without_assigned_notices
def test_by_owner_takes_the_rep_routing_gave_on_entry(baton: Baton, week: Path) -> None:
    sql = [(f["group"], f["entered"], f["to"]) for f in report(baton, "funnel", "--by", "owner") if f["state"] == "SQL"]
    assert sql == [("alice", 2, {"accepted": 2}), ("bob", 1, {"recycled": 1}), ("carol", 1, {"accepted": 1})]
    acknowledge = [(s["group"], s["started"], s["met"], s["breached"])
                   for s in report(baton, "sla", "--by", "owner") if s["sla"] == "acknowledge"]
    assert acknowledge == [("alice", 2, 1, 1), ("bob", 2, 1, 1), ("carol", 1, 0, 1)]


@pytest.mark.without_assigned_notices
def test_by_a_field_takes_its_value_when_the_lead_entered(baton: Baton, week: Path) -> None:
    lines = report(baton, "funnel", "--by", "persona")
    assert [(f["state"], f["group"], f["entered"]) for f in lines if f["state"] in ("MQL", "disqualified")] == [
        ("MQL", "executive", 1), ("MQL", "manager", 4), ("disqualified", "executive", 1),
    ]
    conversion = report(baton, "funnel", "--by", "persona", "--conversion")
    assert [(c["group"], c["reached"], c["entered"]) for c in conversion if c["from"] == "SQL"] == [
        ("executive", 1, 1), ("manager", 2, 3),
    ]


# -- the log alone, at any moment ------------------------------------------------------------
@pytest.mark.without_assigned_notices
def test_as_of_gives_the_figures_as_they_stood(baton: Baton, db: Path, tmp_path: Path) -> None:
    monday(baton)
    then = {kind: report(baton, kind, now="2026-11-23T18:00") for kind in ("funnel", "sla", "recycle", "reps")}
    assert funnel_rows(then["funnel"])["SQL"] == (3, 2, {"accepted": 1, "recycled": 1}, 1.5, 1.9)
    rest_of_week(baton, tmp_path)
    later = {kind: report(baton, kind, "--as-of", "2026-11-23T18:00") for kind in ("funnel", "sla", "recycle", "reps")}
    assert later == then
    assert report(baton, "funnel") != then["funnel"]


@pytest.mark.without_assigned_notices
def test_as_of_before_the_first_policy_names_the_first_version_not_todays(baton: Baton, week: Path) -> None:
    # Version 2 went in force mid-week; on 1 November there was no log yet, and
    # the empty report must not claim that version 2 was in force then.
    out = ok(baton("report", "funnel", "--as-of", "2026-11-01", now=LATER)).stdout.splitlines()
    assert out == ["Funnel: leads that entered each state over the whole log, as of 2026-11-01 00:00 GMT "
                   "(policy default-handover version 1).", "No lead entered any state in this window."]


@pytest.mark.without_assigned_notices
def test_an_erased_personal_value_changes_no_figure(baton: Baton, week: Path) -> None:
    before = {kind: report(baton, kind) for kind in ("funnel", "sla", "recycle", "reps")}
    with closing(connect_raw(week)) as conn, conn:
        assert conn.execute("DELETE FROM personal WHERE lead = 'L-1' AND field = 'email'").rowcount == 1
    assert {kind: report(baton, kind) for kind in ("funnel", "sla", "recycle", "reps")} == before


def test_an_empty_database_gives_empty_reports(baton: Baton, db: Path) -> None:
    for kind in ("funnel", "sla", "recycle", "reps"):
        assert report(baton, kind) == []
    assert ok(baton("report", "funnel")).stdout.splitlines()[1:] == ["No lead entered any state in this window."]
    assert ok(baton("report", "reps", "--format", "csv")).stdout == (
        "rep,assigned,open,median_hours_to_accept,breaches\n")


# -- output ---------------------------------------------------------------------------------
@pytest.mark.without_assigned_notices
def test_text_reads_as_a_sentence_and_a_table_with_bars(baton: Baton, week: Path) -> None:
    out = ok(baton("report", "funnel", now=LATER)).stdout.splitlines()
    assert out[0] == ("Funnel: leads that entered each state over the whole log, as of 2026-11-27 12:00 GMT "
                      "(policy default-handover version 2).")
    assert out[1].split() == ["STATE", "ENTERED", "LEFT", "WENT", "TO", "MEDIAN", "P90"]
    assert out[2] == "MQL                 5  ████████████████████     4  SAL 4                           1.5 h     2.7 h"
    assert out[3].startswith("SAL                 4  ████████████████     ")
    assert "Conversion along the main path (MQL -> SAL -> SQL -> accepted -> contacted -> won):" in out


@pytest.mark.without_assigned_notices
def test_csv_has_a_header_and_a_column_per_destination(baton: Baton, week: Path) -> None:
    rows = list(csv.reader(io.StringIO(ok(baton("report", "funnel", "--format", "csv", now=LATER)).stdout)))
    assert rows[0] == ["state", "group", "entered", "left", "to_MQL", "to_SAL", "to_SQL", "to_accepted", "to_contacted",
                       "to_won", "to_disqualified", "to_recycled", "median_hours", "p90_hours"]
    assert rows[3] == ["SQL", "", "4", "4", "0", "0", "0", "3", "0", "0", "0", "1", "2.5", "17.0"]
    reps = list(csv.reader(io.StringIO(ok(baton("report", "reps", "--format", "csv", now=LATER)).stdout)))
    assert reps[0] == ["rep", "assigned", "rule_1", "rule_2", "open", "median_hours_to_accept", "breaches"]
    assert reps[1] == ["carol", "1", "1", "0", "0", "", "1"]


@pytest.mark.without_assigned_notices
def test_csv_cells_a_spreadsheet_would_run_are_quoted(baton: Baton, db: Path) -> None:
    handed_and_qualified(baton, "L-1", MANAGER, "2026-11-23T09:00", "2026-11-23T10:00", "2026-11-23T11:00")
    ok(baton("lead", "advance", "L-1", "recycle", "reason==HYPERLINK(\"http://x.example\")", actor="alice",
             now="2026-11-23T12:00"))
    rows = list(csv.reader(io.StringIO(ok(baton("report", "recycle", "--format", "csv", now=LATER)).stdout)))
    assert rows == [["reason", "count", "median_attempts", "came_back", "won_after"],
                    ["'=HYPERLINK(\"http://x.example\")", "1", "0.0", "0", "0"]]


# -- bad input ------------------------------------------------------------------------------
def test_an_unknown_by_field_gets_a_did_you_mean(baton: Baton, db: Path) -> None:
    result = baton("report", "funnel", "--by", "persnoa")
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == (
        "Error: --by persnoa: the policy has no field 'persnoa'; did you mean 'persona'? (--by takes owner, company, "
        "title, persona, source, product, awareness, content, next_steps, score, budget, authority, need or timeline)\n"
    )


def test_a_personal_field_is_never_a_group(baton: Baton, db: Path) -> None:
    result = baton("report", "sla", "--by", "email")
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr.startswith(
        "Error: --by email: email is personal data, which reports never show; group by another field (--by takes owner,")


def test_since_after_until_is_a_usage_error(baton: Baton, db: Path) -> None:
    result = baton("report", "recycle", "--since", "2026-12-01", "--until", "2026-11-01")
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == ("Error: --since 2026-12-01 00:00 GMT is after --until 2026-11-01 00:00 GMT, "
                             "so nothing could be counted; swap them\n")


def test_a_time_that_is_not_one_is_a_usage_error(baton: Baton, db: Path) -> None:
    result = baton("report", "reps", "--as-of", "last friday")
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == ("Error: --as-of 'last friday' is not a time; write it as ISO 8601, like "
                             "2026-11-25T14:30 or 2026-11-25T14:30+00:00\n")


def test_two_lists_at_once_is_a_usage_error(baton: Baton, db: Path) -> None:
    result = baton("report", "funnel", "--cohort", "--conversion")
    assert (result.exit_code, result.stderr) == (2, "Error: --conversion and --cohort show different lists; give one of them\n")


def test_reports_write_nothing(baton: Baton, week: Path) -> None:
    def events() -> int:
        with closing(connect_raw(week)) as conn:
            return int(conn.execute("SELECT count(*) FROM events").fetchone()[0])

    count = events()
    for args in (("funnel",), ("sla", "--by", "owner"), ("recycle",), ("reps",), ("funnel", "--by", "nope")):
        baton("report", *args, now=LATER)
    assert events() == count


def test_the_engine_returns_every_list_the_page_reads(baton: Baton, week: Path) -> None:
    from statemachine.reports import compute
    from statemachine.store import Store

    store = Store.open(str(week), write=False)
    try:
        figures = compute(store, as_of="2026-11-27T12:00").as_json()
    finally:
        store.close()
    assert list(figures) == ["window", "states", "main_path", "funnel", "conversion", "sla", "sla_weekly",
                             "breaches_by_hour", "recycle", "reps"]
    assert figures["window"] == {"since": None, "until": None, "as_of": "2026-11-27T12:00:00+00:00",
                                 "policy": "default-handover", "version": 2, "zone": "Europe/London"}
    assert figures["states"] == ["MQL", "SAL", "SQL", "accepted", "contacted", "won", "disqualified", "recycled"]
    assert figures["main_path"] == ["MQL", "SAL", "SQL", "accepted", "contacted", "won"]
    assert report(baton, "sla") == figures["sla"]


def test_a_way_back_beside_a_way_on_is_not_a_recycle() -> None:
    """SAL with a `reject` back to MQL is still on the main path; recycled,
    whose only way on is back to MQL, is where recycled leads wait."""
    from statemachine.policy import parse_policy
    from statemachine.reports.policy_facts import facts_of

    text = DEFAULT_POLICY.read_text(encoding="utf-8").replace(
        "  renurture: {from: recycled, to: MQL, by: [marketing]}\n",
        "  renurture: {from: recycled, to: MQL, by: [marketing]}\n"
        "  reject: {from: SAL, to: MQL, by: [sales], requires: [reason]}\n",
    )
    facts = facts_of(parse_policy(text, "reject.yaml"))
    assert facts.main_path == ("MQL", "SAL", "SQL", "accepted", "contacted", "won")
    assert (facts.recycle_states, facts.recycle_triggers) == ({"recycled"}, {"recycle"})
    assert facts.next_on_path["SQL"] == "accepted"



@pytest.mark.without_assigned_notices
def test_the_page_written_from_the_scripted_week_carries_its_figures(baton: Baton, week: Path, tmp_path: Path) -> None:
    """The week's numbers, worked out by hand above (a policy change mid-week,
    an erased value), as a head reads them on the page."""
    with closing(connect_raw(week)) as conn, conn:
        conn.execute("DELETE FROM personal WHERE lead = 'L-1' AND field = 'email'")
    page = tmp_path / "week.html"
    ok(baton("report", "html", str(page), now=LATER))
    text = page.read_text(encoding="utf-8")
    for caption in (
        "Of 5 leads that entered MQL, 4 reached SAL (80%).",
        "Of 4 leads that entered SQL, 3 reached accepted (75%).",
        "Of 4 leads that entered SQL, 4 left it; median 2.5 hours, 9 in 10 within 17 hours.",
        "acknowledge: 2 of 5 clocks met in time (40%), 3 breached, 0 still running; median 2.5 hours to stop.",
    ):
        assert caption in text, caption
