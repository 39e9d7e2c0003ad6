"""Operators at scale: `lead list --where EXPR`, in the policy's own expression language."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from conftest import READY, Baton, as_json, json_lines, to_sql

SCORE = "the score must reach 60 before marketing hands a lead over"
KNOWN = ("actor, attempts, authority, awareness, budget, company, content, email, first_name, hours_in_state, "
         "last_name, need, next_steps, owner, persona, phone, product, score, source, state, timeline, title")


def add(baton: Baton, lead: str, **changes: str) -> None:
    """A lead ready for hand_over, but for `changes` (field -> value; '' clears it)."""
    fields = dict(pair.split("=", 1) for pair in READY)
    fields.update(changes)
    result = baton("lead", "add", "--id", lead, *(f"{k}={v}" for k, v in fields.items()))
    assert result.exit_code == 0, result.stderr


@pytest.fixture
def mixed(baton: Baton, db: Path) -> Path:
    """Six leads in MQL: L-1 and L-4 ready to hand over, L-2 and L-6 short of
    the score, L-3 and L-5 without a persona."""
    add(baton, "L-1")
    add(baton, "L-2", score="40")
    add(baton, "L-3", persona="")
    add(baton, "L-4")
    add(baton, "L-5", persona="")
    add(baton, "L-6", score="50")
    return db


def event_count(db: Path) -> int:
    with closing(sqlite3.connect(db)) as conn:
        return int(conn.execute("SELECT count(*) FROM events").fetchone()[0])


def states(baton: Baton) -> dict[str, str]:
    return {lead["id"]: lead["state"] for lead in json_lines(baton("--json", "lead", "list"))}


def listed(baton: Baton, *args: str, **kwargs: Any) -> list[str]:
    return [lead["id"] for lead in json_lines(baton("--json", "lead", "list", *args, **kwargs))]


# -- lead list --where ------------------------------------------------------------------
def test_list_where_picks_the_leads_for_which_the_expression_holds(baton: Baton, mixed: Path) -> None:
    assert listed(baton, "--where", "score < 60") == ["L-2", "L-6"]
    assert listed(baton, "--where", "not persona or score == 40") == ["L-2", "L-3", "L-5"]
    result = baton("lead", "list", "--where", "persona == 'manager' and score >= 60")
    assert result.exit_code == 0
    assert [line.split()[0] for line in result.stdout.splitlines()] == ["ID", "L-1", "L-4"]


def test_list_where_combines_with_state_owner_unassigned_and_overdue(baton: Baton, db: Path) -> None:
    for lead in ("L-1", "L-2", "L-3"):
        assert to_sql(baton, lead).exit_code == 0  # alice, bob, alice: the one with fewer open leads
    add(baton, "L-4", score="90")
    assert baton("rep", "away", "alice", actor="alice").exit_code == 0
    assert baton("rep", "away", "bob", actor="bob").exit_code == 0
    assert to_sql(baton, "L-5").exit_code == 0  # nobody free: waits unassigned
    assert baton("lead", "set", "L-3", "budget=90000", actor="alice").exit_code == 0

    assert listed(baton, "--where", "budget > 50000") == ["L-3"]
    assert listed(baton, "--state", "SQL", "--where", "budget < 50000") == ["L-1", "L-2", "L-5"]
    assert listed(baton, "--owner", "alice", "--where", "budget < 50000") == ["L-1"]
    assert listed(baton, "--unassigned", "--where", "score > 0") == ["L-5"]
    assert listed(baton, "--unassigned", "--where", "score > 80") == []
    later = "2026-11-23T14:00"  # past the 4 business hours to acknowledge
    assert listed(baton, "--overdue", "--where", "owner == 'alice'", now=later) == ["L-1", "L-3"]
    assert listed(baton, "--overdue", "--state", "MQL", "--where", "true", now=later) == []
    assert listed(baton, "--where", "state == 'MQL'", now=later) == ["L-4"]


def test_list_where_hours_in_state_counts_from_entering_the_state(baton: Baton, mixed: Path) -> None:
    assert baton("lead", "advance", "L-1", "hand_over", now="2026-11-25T09:00").exit_code == 0
    thursday = "2026-11-26T09:00"
    assert listed(baton, "--where", "hours_in_state >= 72", now=thursday) == ["L-2", "L-3", "L-4", "L-5", "L-6"]
    assert listed(baton, "--where", "state == 'SAL' and hours_in_state < 25", now=thursday) == ["L-1"]


def test_list_where_actor_is_the_person_asking(baton: Baton, db: Path) -> None:
    for lead in ("L-1", "L-2", "L-3"):
        assert to_sql(baton, lead).exit_code == 0
    assert listed(baton, "--where", "owner == actor", actor="alice") == ["L-1", "L-3"]
    assert listed(baton, "--where", "owner == actor", actor="bob") == ["L-2"]


def test_list_where_json_is_one_lead_show_object_a_line(baton: Baton, mixed: Path) -> None:
    everyone = {lead["id"]: lead for lead in json_lines(baton("--json", "lead", "list"))}
    picked = json_lines(baton("--json", "lead", "list", "--where", "score == 40"))
    assert picked == [everyone["L-2"]]
    assert picked[0] == as_json(baton("--json", "lead", "show", "L-2"))


def test_list_where_matching_nothing_says_so(baton: Baton, mixed: Path) -> None:
    result = baton("lead", "list", "--where", "score > 100")
    assert (result.exit_code, result.stdout) == (0, "No leads match.\n")


# -- a bad expression --------------------------------------------------------------------
@pytest.mark.parametrize("command", [("lead", "list")])
def test_a_bad_expression_says_where_it_breaks_and_writes_nothing(baton: Baton, mixed: Path,
                                                                  command: tuple[str, ...]) -> None:
    before = event_count(mixed)
    group, name, *rest = command
    result = baton(group, name, "--where", "score >= 60 and persona = 'manager'", *rest)
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: --where, at column 25 (\"= 'manager'\"): this is not a valid expression: "
        "to compare, write == instead of =\n"
    )
    assert result.stdout == ""
    ended = baton(group, name, "--where", "score >=", *rest)
    assert ended.stderr == "Error: --where, at the end: this is not a valid expression: it ends too early\n"
    assert event_count(mixed) == before


def test_an_unknown_name_gets_a_did_you_mean(baton: Baton, mixed: Path) -> None:
    result = baton("lead", "list", "--where", "stat == 'SAL' and hours_in_state > 72")
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: --where, at column 1 (\"stat == 'SAL' and hou...\"): unknown name 'stat'; did you mean 'state'? "
        f"(known: {KNOWN})\n"
    )


def test_a_misspelt_state_or_choice_is_refused_not_silently_matching_nothing(baton: Baton, mixed: Path) -> None:
    state = baton("lead", "list", "--where", "state == 'SQl'")
    assert state.stderr == (
        "Error: --where, at column 10 (\"'SQl'\"): 'SQl' is not one of the values of state; did you mean 'SQL'? "
        "(values: MQL, SAL, SQL, accepted, contacted, won, recycled)\n"
    )
    choice = baton("lead", "list", "--where", "persona in ['manager', 'exec']")
    assert choice.exit_code == 1
    assert choice.stderr.startswith(
        "Error: --where, at column 24 (\"'exec']\"): 'exec' is not one of the values of persona; "
        "did you mean 'executive'?"
    )
