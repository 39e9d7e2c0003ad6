"""The text for people (not `--json`): values as a person writes them, times
in the policy's zone, routing reasons and history lines in words, and short
help that is a whole phrase."""

from __future__ import annotations

from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from conftest import BANT, READY, Baton, add_ready_lead, as_json, change, to_sql

from cli.main import cli
from cli.sentences import history_text, routing_reason
from statemachine.events import Event

pytestmark = pytest.mark.both_stores  # every database test here runs on SQLite and on PostgreSQL

ZONE = "Europe/London"


def executive_to_sql(baton: Baton, lead_id: str) -> str:
    ready = [f for f in READY if not f.startswith("persona=")]
    assert baton("lead", "add", "--id", lead_id, *ready, "persona=executive").exit_code == 0
    assert baton("lead", "advance", lead_id, "hand_over").exit_code == 0
    assert baton("lead", "set", lead_id, *BANT, actor="alice").exit_code == 0
    return baton("lead", "advance", lead_id, "qualify", actor="alice").stdout


def history_lines(baton: Baton, lead_id: str) -> list[str]:
    return baton("lead", "history", lead_id).stdout.splitlines()


# -- lead show: values as a person writes them ----------------------------------------
def test_lead_show_writes_booleans_as_yes_or_no_and_whole_numbers_without_a_decimal_point(
        baton: Baton, db: object) -> None:
    add_ready_lead(baton, "L-1", "budget=25000", "authority=yes")
    add_ready_lead(baton, "L-2", "budget=25000.5", "authority=no")
    one = baton("lead", "show", "L-1").stdout.splitlines()
    two = baton("lead", "show", "L-2").stdout.splitlines()
    assert ("  budget: 25000", "  authority: yes") == (one[9], one[10])
    assert ("  budget: 25000.5", "  authority: no") == (two[9], two[10])
    assert as_json(baton("--json", "lead", "show", "L-1"))["fields"]["budget"] == 25000.0  # JSON as before


def test_lead_show_of_a_lead_with_no_fields_says_none(baton: Baton, policy_file: Path) -> None:
    policy_file.write_text(policy_file.read_text().replace("score: {type: integer, default: 0,", "score: {type: integer,"))
    assert baton("init", "--policy", str(policy_file)).exit_code == 0
    baton("lead", "add", "--id", "L-1")
    assert baton("lead", "show", "L-1").stdout == (
        "L-1  MQL  owner: -  since 2026-11-23 09:00 GMT\n"
        "  Marketing qualified - the score reached the agreed threshold\n"
        "fields: none\n"
        "checklists:\n"
        "  handover: missing contact details, lead source, persona, product of interest, awareness level\n"
        "  qualification: missing budget, authority, need, timeline\n"
        "you may: nothing right now\n"
    )


def test_lead_show_indents_every_line_of_a_long_text(baton: Baton, db: object) -> None:
    add_ready_lead(baton, "L-1", "content=Webinar\nPricing page")
    assert "  content: Webinar\n    Pricing page\n" in baton("lead", "show", "L-1").stdout


# -- times for people are in the policy's zone ----------------------------------------
def test_rep_away_until_reads_in_the_policy_zone(baton: Baton, db: object) -> None:
    result = baton("rep", "away", "bob", "--until", "2027-07-01T10:00", actor="bob")
    assert result.stdout == "bob is away until 2027-07-01 10:00 BST; routing skips them.\n"
    assert baton("rep", "list").stdout.splitlines()[-1] == f"{'bob':<12} {0:>10}  away until 2027-07-01 10:00 BST"
    again = as_json(baton("--json", "rep", "away", "bob", "--until", "2027-07-01T10:00", actor="bob"))
    assert again["until"] == "2027-07-01T09:00:00+00:00"  # JSON keeps UTC


def test_lead_show_list_and_history_read_in_the_policy_zone(baton: Baton, db: object) -> None:
    baton("lead", "add", "--id", "L-1", now="2026-07-01T09:00")  # London summer time
    assert baton("lead", "show", "L-1").stdout.splitlines()[0] == "L-1  MQL  owner: -  since 2026-07-01 09:00 BST"
    assert baton("lead", "list").stdout.splitlines()[1].split() == ["L-1", "MQL", "-", "0", "2026-07-01", "09:00", "BST"]
    assert history_lines(baton, "L-1") == ["     2  2026-07-01 09:00 BST  jane       created in MQL with score 0"]


def test_seconds_show_only_when_there_are_some(baton: Baton, db: object) -> None:
    baton("lead", "add", "--id", "L-1", now="2026-11-23T09:00:30")
    assert baton("lead", "show", "L-1").stdout.splitlines()[0] == "L-1  MQL  owner: -  since 2026-11-23 09:00:30 GMT"


def test_lead_show_gives_sla_due_times_in_the_policy_zone(baton: Baton, db: object) -> None:
    to_sql(baton, "L-1", now="2026-07-01T09:00")
    lines = baton("lead", "show", "L-1", now="2026-07-01T09:00").stdout.splitlines()
    assert "sla acknowledge: due 2026-07-01 13:00 BST" in lines


# -- routing reasons read like sentences --------------------------------------------
def test_a_one_rep_rule_says_who_it_gives_the_lead_to(baton: Baton, db: object) -> None:
    assert executive_to_sql(baton, "L-1").splitlines()[-1] == (
        "Assigned L-1 to carol: rule 1 (when persona == 'executive') gives the lead to carol."
    )


def test_a_tie_says_it_goes_to_the_rep_listed_first(baton: Baton, db: object) -> None:
    assert to_sql(baton, "L-1").stdout.splitlines()[-1] == (
        "Assigned L-1 to alice: rule 2 gives the lead to the one of alice and bob with fewer open leads; "
        "alice and bob have 0 open leads each, and a tie goes to the one listed first."
    )


def test_least_loaded_names_the_counts_of_the_reps_it_chose_between(baton: Baton, db: object) -> None:
    to_sql(baton, "L-1")
    assert to_sql(baton, "L-2").stdout.splitlines()[-1] == (
        "Assigned L-2 to bob: rule 2 gives the lead to the one of alice and bob with fewer open leads; "
        "bob has 0 open leads, alice 1."
    )


def test_a_skipped_rep_is_named_with_why_and_not_counted(baton: Baton, db: object) -> None:
    baton("rep", "away", "bob", "--until", "2026-11-23T14:00", actor="bob")
    assert to_sql(baton, "L-1").stdout.splitlines()[-1] == (
        "Assigned L-1 to alice: rule 2 gives the lead to the one of alice and bob with fewer open leads; "
        "bob is away until 2026-11-23 14:00 GMT, so alice gets it."
    )


def test_a_rule_with_nobody_available_is_explained_before_the_one_that_gave_the_lead(
        baton: Baton, db: object) -> None:
    baton("rep", "away", "carol", actor="carol")
    assert executive_to_sql(baton, "L-1").splitlines()[-1] == (
        "Assigned L-1 to alice: rule 1 (when persona == 'executive') gives the lead to carol, but carol is away; "
        "rule 2 gives the lead to the one of alice and bob with fewer open leads; "
        "alice and bob have 0 open leads each, and a tie goes to the one listed first."
    )


def test_no_rep_available_says_which_rules_were_tried(baton: Baton, db: object) -> None:
    for name in ("alice", "bob"):
        baton("rep", "away", name, actor="sam")
    assert to_sql(baton, "L-1").stdout.splitlines()[-1] == (
        "L-1 has no rep: no rep is available in any matching rule (rule 2 gives the lead to the one of alice "
        "and bob with fewer open leads, but alice is away and bob is away). It waits unassigned in SQL "
        "(see `baton lead list --unassigned`)."
    )


def test_round_robin_says_whose_turn_it_was() -> None:
    data = {"owner": "bob", "rule": 2, "when": None, "strategy": "round_robin", "skipped": {},
            "rotation": ["alice", "bob", "dan"], "position": 1}
    assert routing_reason(data, ZONE) == "rule 2 gives leads to alice, bob and dan in turn; it was bob's turn"


# -- history in words ------------------------------------------------------------------
def test_history_says_what_each_event_did_in_words(baton: Baton, db: object) -> None:
    add_ready_lead(baton, "L-1", "phone=+44 20 7946 0000")
    baton("lead", "set", "L-1", "phone=", "score=80", now="2026-11-23T09:05")
    baton("lead", "advance", "L-1", "hand_over", now="2026-11-23T09:10")
    baton("lead", "set", "L-1", *BANT, actor="alice", now="2026-11-23T09:15")
    baton("lead", "advance", "L-1", "qualify", actor="alice", now="2026-11-23T09:20")
    baton("lead", "advance", "L-1", "accept", actor="alice", now="2026-11-23T09:30")
    baton("lead", "advance", "L-1", "contact", actor="alice", now="2026-11-23T09:40")
    baton("lead", "attempt", "L-1", "--channel", "phone", "--note", "left a voicemail", actor="alice",
          now="2026-11-23T10:00")
    baton("lead", "attempt", "L-1", actor="alice", now="2026-11-23T11:00")
    baton("lead", "attempt", "L-1", "--channel", "email", actor="alice", now="2026-11-23T11:30")
    baton("lead", "advance", "L-1", "recycle", "reason=no budget this year", actor="sam", now="2026-11-23T12:00")
    assert history_lines(baton, "L-1") == [
        ("     2  2026-11-23 09:00 GMT  jane       created in MQL with email ana@northwind.example, "
         'phone "+44 20 7946 0000", persona manager, source webinar, product Forecasting, awareness solution, score 75'),
        "     3  2026-11-23 09:05 GMT  jane       set score to 80; cleared phone",
        "     4  2026-11-23 09:10 GMT  jane       hand_over MQL -> SAL",
        ('     5  2026-11-23 09:15 GMT  alice      set budget to 25000, authority to yes, need to "Replace spreadsheets", '
         "timeline to 2027-02-01"),
        "     6  2026-11-23 09:20 GMT  alice      qualify SAL -> SQL",
        ("     7  2026-11-23 09:20 GMT  alice      assigned to alice: rule 2 gives the lead to the one of alice and bob "
         "with fewer open leads; alice and bob have 0 open leads each, and a tie goes to the one listed first"),
        "     8  2026-11-23 09:30 GMT  alice      accept SQL -> accepted",
        "     9  2026-11-23 09:40 GMT  alice      contact accepted -> contacted",
        "    10  2026-11-23 10:00 GMT  alice      contact attempt by phone: left a voicemail",
        "    11  2026-11-23 11:00 GMT  alice      contact attempt",
        "    12  2026-11-23 11:30 GMT  alice      contact attempt by email",
        ("    13  2026-11-23 12:00 GMT  sam        recycle contacted -> recycled (reason: no budget this year); "
         "alice no longer owns it"),
    ]


def test_history_tells_an_sla_breach_and_the_reassignment_in_words(baton: Baton, db: object) -> None:
    to_sql(baton, "L-1")
    assert baton("sla", "sweep", now="2026-11-23T13:00").exit_code == 0
    assert history_lines(baton, "L-1")[-2:] == [
        ("     7  2026-11-23 13:00 GMT  system     missed the acknowledge deadline, due 2026-11-23 13:00 GMT, "
         "while alice owned it: queued a notification for alice and sam; reassigned it to bob"),
        ("     8  2026-11-23 13:00 GMT  system     reassigned to bob after the acknowledge deadline was missed: "
         "rule 2 gives the lead to the one of alice and bob with fewer open leads; "
         "alice had it when its SLA ran out, so bob gets it"),
    ]


def test_history_shows_an_erased_personal_value_as_erased(baton: Baton, db: Path) -> None:
    add_ready_lead(baton, "L-1")
    change(db, "DELETE FROM personal")
    assert history_lines(baton, "L-1")[0].startswith(
        "     2  2026-11-23 09:00 GMT  jane       created in MQL with email [erased], persona manager,"
    )


# -- short help is a whole phrase --------------------------------------------------------
def test_lead_help_lists_each_command_with_a_whole_phrase(baton: Baton) -> None:
    out = CliRunner().invoke(cli, ["lead", "--help"], terminal_width=80).stdout
    assert out[out.index("Commands:"):] == (
        "Commands:\n"
        "  add      Create a lead in the initial state.\n"
        "  advance  Move a lead on by firing a trigger.\n"
        "  attempt  Log a contact attempt.\n"
        "  forget   Erase a lead's personal data on request.\n"
        "  history  The lead's events, oldest first.\n"
        "  import   Bulk add leads from a CSV or JSON lines file.\n"
        "  list     Leads, filtered by state, owner or clock.\n"
        "  set      Change fields (FIELD= clears one).\n"
        "  show     One lead in full, and what you may do next.\n"
    )


def test_baton_help_says_the_policy_is_reviewed_and_signed_not_only_applied(baton: Baton) -> None:
    # `baton --help` is where a head finds diff, simulate and approve at all
    out = CliRunner().invoke(cli, ["--help"], terminal_width=80).stdout
    assert "  policy  Check, diff, simulate, approve and apply the policy.\n" in out


def every_command() -> list[click.Command]:
    """Each command and group under `baton`, loaded as `baton --help` loads them."""
    context = click.Context(cli)
    found = []
    for name in cli.list_commands(context):
        command = cli.get_command(context, name)
        assert command is not None
        found.append(command)
        if isinstance(command, click.Group):
            found.extend(command.commands.values())
    return found


@pytest.mark.parametrize("command", every_command(), ids=lambda c: c.name)
def test_short_help_fits_a_narrow_listing_uncut(command: click.Command) -> None:
    short = command.get_short_help_str(limit=52)  # `baton lead --help` in a 60-column terminal
    assert short.endswith(".") and not short.endswith("..."), short


def event(kind: str, from_: str | None, to: str | None, data: dict, actor: str = "system") -> Event:
    return Event(9, "L-1", "2026-11-23T09:00:00+00:00", actor, kind, from_, to, data, 2, "0" * 64, "0" * 64)


def test_history_tells_a_lead_moved_by_a_new_policy_version() -> None:
    moved = event("moved", "accepted", "acknowledged", {"map": "accepted=acknowledged"}, actor="sam")
    assert history_text(moved, {}, ZONE, []) == (
        "moved accepted -> acknowledged when policy version 2 came in (--map accepted=acknowledged)"
    )


def test_history_tells_a_breach_whose_fired_trigger_was_refused() -> None:
    breach = event("sla_breach", "contacted", "contacted", {
        "sla": "follow_up", "due": "2026-12-07T10:00:00+00:00", "owner": None,
        "actions": {"notify": [], "fire": "recycle", "refused": "cannot recycle L-1: make at least 3 contact attempts"},
    })
    assert history_text(breach, {}, ZONE, []) == (
        "missed the follow_up deadline, due 2026-12-07 10:00 GMT, with no owner: notified nobody (no one holds "
        "those roles); could not recycle: cannot recycle L-1: make at least 3 contact attempts"
    )
