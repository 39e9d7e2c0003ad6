"""`baton policy explain TRIGGER|STATE|SETTING`: what the agreement says about one
trigger, one state or one setting, in the words a head of sales or marketing reads."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import Result
from conftest import DEFAULT_POLICY, Baton, add_ready_lead, as_json, json_lines, to_sql

pytestmark = pytest.mark.both_stores  # every database test here runs on SQLite and on PostgreSQL

SQL_ROUTING = [
    "Routing: entering SQL assigns a rep, by the first rule that matches and has a rep who is not away:",
    "  - when persona == 'executive': carol",
    "  - otherwise: alice or bob, whoever has fewer open leads",
]
ACKNOWLEDGE = (
    "acknowledge: 4 business hours in SQL; when it runs out, Baton tells the lead's owner and "
    "sales_manager (sam), and gives the lead to another rep"
)
KNOWN = (
    "(transitions: hand_over, qualify, accept, contact, win, disqualify, recycle, renurture; "
    "states: MQL, SAL, SQL, accepted, contacted, won, disqualified, recycled; "
    "settings: approvals, erasure, identity, logins, clock, audit, api, intake)"
)


def lines(result: Result) -> list[str]:
    assert result.exit_code == 0, result.stderr
    return result.stdout.splitlines()


def edited(tmp_path: Path, old: str, new: str) -> Path:
    text = DEFAULT_POLICY.read_text(encoding="utf-8")
    assert old in text
    target = tmp_path / "edited.yaml"
    target.write_text(text.replace(old, new), encoding="utf-8")
    return target


def test_hand_over_says_who_what_must_hold_and_what_it_starts(baton: Baton, db: Path) -> None:
    assert lines(baton("policy", "explain", "hand_over")) == [
        "hand_over moves a lead from MQL to SAL.",
        "Who may fire it: marketing (jane, omar).",
        "What must hold:",
        "  - the score must reach 60 before marketing hands a lead over",
        "  - the handover checklist: contact details, lead source, persona, product of interest, awareness level",
        "Keys: none needed; reason and note are optional.",
        "Clocks it starts: none (no SLA clock runs in SAL).",
        "Clocks it stops: none (no SLA clock runs in MQL).",
        "Routing: none; entering SAL assigns no rep.",
    ]


def test_recycle_needs_a_reason_and_is_fired_by_the_follow_up_sla(baton: Baton, db: Path) -> None:
    assert lines(baton("policy", "explain", "recycle")) == [
        "recycle moves a lead from SAL, SQL, accepted or contacted to recycled.",
        "Who may fire it: sales (alice, bob, carol) or sales_manager (sam) or Baton itself (system).",
        "What must hold:",
        "  - make at least 3 contact attempts before recycling",
        "Keys: reason is needed; note is optional.",
        "Clocks it starts: none (no SLA clock runs in recycled).",
        "Clocks it stops: acknowledge (SQL), follow_up (contacted).",
        "Routing: none; entering recycled assigns no rep.",
        'Baton fires it itself when the follow_up clock runs out (14 days in contacted), '
        'with reason "no response after follow-ups".',
    ]


@pytest.mark.without_assigned_notices
def test_qualify_starts_the_acknowledge_clock_and_runs_routing(baton: Baton, db: Path) -> None:
    assert lines(baton("policy", "explain", "qualify")) == [
        "qualify moves a lead from SAL to SQL.",
        "Who may fire it: sales (alice, bob, carol).",
        "What must hold:",
        "  - the qualification checklist: budget, authority, need, timeline",
        "Keys: none needed; reason and note are optional.",
        "Clocks it starts (on entering SQL):",
        f"  - {ACKNOWLEDGE}",
        "Clocks it stops: none (no SLA clock runs in SAL).",
        *SQL_ROUTING,
    ]


def test_win_names_its_destination_as_final(baton: Baton, db: Path) -> None:
    out = lines(baton("policy", "explain", "win"))
    assert out[:3] == [
        "win moves a lead from contacted to won, a final state.",
        "Who may fire it: the lead's owner or sales_manager (sam).",
        "What must hold: nothing more than who fires it.",
    ]


@pytest.mark.without_assigned_notices
def test_sql_state_shows_moves_clock_routing_and_the_leads_there_now(baton: Baton, db: Path) -> None:
    assert to_sql(baton, "L-1").exit_code == 0
    add_ready_lead(baton, "L-2")
    assert lines(baton("policy", "explain", "SQL")) == [
        "State SQL: Sales qualified (BANT) - a rep is assigned on entry.",
        "Owner team: sales (alice, bob, carol).",
        "Into SQL:",
        "  - qualify from SAL, by sales (alice, bob, carol)",
        "Out of SQL:",
        "  - accept to accepted, by the lead's owner or sales_manager (sam)",
        "  - disqualify to disqualified, by sales (alice, bob, carol) or sales_manager (sam)",
        "  - recycle to recycled, by sales (alice, bob, carol) or sales_manager (sam) or Baton itself (system)",
        "SLA clocks:",
        f"  - {ACKNOWLEDGE}",
        *SQL_ROUTING,
        "Leads here now: 1.",
    ]


def test_initial_and_final_states_say_so(baton: Baton, db: Path) -> None:
    assert lines(baton("policy", "explain", "MQL"))[:2] == [
        "State MQL: Marketing qualified - the score reached the agreed threshold.",
        "Every new lead starts here (the initial state).",
    ]
    assert lines(baton("policy", "explain", "won"))[:6] == [
        "State won: Closed won.",
        "A final state: nothing moves a lead out of it.",
        "Owner team: none.",
        "Into won:",
        "  - win from contacted, by the lead's owner or sales_manager (sam)",
        "Out of won: none.",
    ]


def test_an_unknown_trigger_gets_a_did_you_mean(baton: Baton, db: Path) -> None:
    result = baton("policy", "explain", "hand_ovr")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == (
        f"Error: no transition, state or setting 'hand_ovr' in the policy; did you mean 'hand_over'? {KNOWN}\n"
    )


def test_a_state_in_the_wrong_case_gets_a_did_you_mean(baton: Baton, db: Path) -> None:
    result = baton("policy", "explain", "sql")
    assert result.exit_code == 1
    assert result.stderr == f"Error: no transition, state or setting 'sql' in the policy; did you mean 'SQL'? {KNOWN}\n"


def test_a_name_like_nothing_in_the_policy_lists_what_there_is(baton: Baton, db: Path) -> None:
    result = baton("policy", "explain", "zzzz")
    assert result.exit_code == 1
    assert result.stderr == f"Error: no transition, state or setting 'zzzz' in the policy {KNOWN}\n"


def test_a_misspelt_setting_gets_a_did_you_mean(baton: Baton, db: Path) -> None:
    result = baton("policy", "explain", "erasre")
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == f"Error: no transition, state or setting 'erasre' in the policy; did you mean 'erasure'? {KNOWN}\n"


def test_erasure_and_approvals_name_the_roles_and_their_people(baton: Baton, db: Path) -> None:
    assert lines(baton("policy", "explain", "erasure")) == [
        "erasure:",
        "  On a person's request, these may erase every personal value of their lead "
        "(`baton lead forget ID --reason TEXT`): sales_manager (sam).",
    ]
    assert lines(baton("policy", "explain", "approvals")) == [
        "approvals:",
        "  A new version goes in force only once one person of each of these roles has approved its exact text "
        "(`baton policy approve FILE`): marketing_head (hana), sales_head (sam).",
    ]


def test_without_erasure_it_says_nobody_may_erase(baton: Baton, tmp_path: Path) -> None:
    policy = edited(tmp_path, "erasure:\n  by: [sales_manager]\n", "")
    assert lines(baton("policy", "explain", "erasure", "--file", str(policy)))[1] == (
        "  Nobody may erase a person's data: the policy does not say who may; add `erasure: {by: [ROLE, ...]}` "
        "to let them.")


def test_identity_clock_and_audit_say_what_the_policy_chose(baton: Baton, tmp_path: Path) -> None:
    policy = edited(tmp_path, "erasure:\n", "identity: login\nlogins: {jsmith: jane}\nclock: {now_on_writes: refuse}\n"
                    "audit: {witness: daily}\nnotify: {webhook: 'http://127.0.0.1:9000/baton'}\nerasure:\n")
    said = {name: lines(baton("policy", "explain", name, "--file", str(policy)))
            for name in ("identity", "logins", "clock", "audit")}
    login = ["  Who is acting is the login name; --as and BATON_ACTOR are refused.", "  Login jsmith acts as jane."]
    assert (said["identity"], said["logins"]) == (["identity:", *login], ["logins:", *login])
    assert said["clock"] == ["clock:", "  A change may not give its own time with --now: each is dated when it is made."]
    assert said["audit"][1].startswith("  Once a day `baton serve` sends the head of the log")
    default = {name: lines(baton("policy", "explain", name, "--file", str(DEFAULT_POLICY)))[1]
               for name in ("identity", "clock", "audit")}
    assert default == {
        "identity": "  Who is acting is given with --as (or BATON_ACTOR); without it, the login name.",
        "clock": "  A change may give its own time with --now (to record one made earlier); one more than five "
                 "minutes from the clock also records when it was really made.",
        "audit": "  No witness: the head of the log is sent nowhere; keep it yourself with `baton audit head`.",
    }


def test_json_setting_holds_its_value_and_sentences(baton: Baton, tmp_path: Path) -> None:
    policy = edited(tmp_path, "erasure:\n", "identity: login\nlogins: {jsmith: jane}\nerasure:\n")
    [logins] = json_lines(baton("policy", "explain", "logins", "--file", str(policy), "--json"))
    assert logins == {"kind": "setting", "name": "logins", "value": {"jsmith": "jane"},
                      "says": ["Who is acting is the login name; --as and BATON_ACTOR are refused.",
                               "Login jsmith acts as jane."]}
    [erasure] = json_lines(baton("policy", "explain", "erasure", "--file", str(policy), "--json"))
    assert (erasure["kind"], erasure["value"]) == ("setting", ["sales_manager"])


def test_api_and_intake_say_who_makes_tokens_and_how_a_post_is_read(baton: Baton, tmp_path: Path) -> None:
    policy = edited(tmp_path, "erasure:\n", "api: {admins: [marketing]}\n"
                    "intake:\n  web_form:\n    map: {E-mail: email, submit: }\n    extra: error\nerasure:\n")
    assert lines(baton("policy", "explain", "api", "--file", str(policy))) == [
        "api:",
        "  API tokens (`baton token create ACTOR`, `revoke`) are made and ended by: marketing (jane, omar); "
        "a request through the API acts as its token's person.",
    ]
    assert lines(baton("policy", "explain", "intake", "--file", str(policy))) == [
        "intake:",
        "  `POST /v1/intake/web_form` reads a posted lead: E-mail fills email, submit is left out, a key named as a "
        "field (in any case) fills that field; a post with any other key is refused.",
    ]
    [intake] = json_lines(baton("policy", "explain", "intake", "--file", str(policy), "--json"))
    assert intake["value"] == {"web_form": {"map": {"E-mail": "email", "submit": ""}, "null": [], "extra": "error"}}
    assert lines(baton("policy", "explain", "intake", "--file", str(DEFAULT_POLICY)))[1] == (
        "  No intakes: other tools post leads with Baton's own field names (`POST /v1/leads`).")


def test_intake_explained_names_what_a_post_fills_beyond_its_map(baton: Baton, tmp_path: Path) -> None:
    # a key named as a field fills it, and the `null` tokens mean no value, as
    # `intake_lead` reads a post: the explanation said only "other keys are left out"
    policy = edited(tmp_path, "erasure:\n", "intake:\n  web_form:\n    map: {E-mail: email}\n"
                    "    null: [N/A, \"-\"]\nerasure:\n")
    assert lines(baton("policy", "explain", "intake", "--file", str(policy)))[1] == (
        "  `POST /v1/intake/web_form` reads a posted lead: E-mail fills email, a key named as a field (in any case) "
        'fills that field; "N/A", "-" mean no value; any other key is left out.')


def test_a_name_that_is_both_a_trigger_and_a_state_is_explained_as_both(baton: Baton, tmp_path: Path) -> None:
    both = edited(tmp_path, "  renurture: {from: recycled", "  recycled: {from: recycled")
    out = lines(baton("policy", "explain", "recycled", "--file", str(both)))
    assert out[0] == "recycled moves a lead from recycled to MQL."
    state = out.index("State recycled: Back with marketing for nurturing, with a reason.")
    assert out[state - 1] == ""
    assert "  - recycled to MQL, by marketing (jane, omar)" in out[state:]
    kinds = [x["kind"] for x in json_lines(baton("policy", "explain", "recycled", "--file", str(both), "--json"))]
    assert kinds == ["trigger", "state"]


def test_file_is_explained_without_a_database(baton: Baton, tmp_path: Path, db_path: Path) -> None:
    lower = edited(tmp_path, "score >= 60\n        say: the score must reach 60 before marketing hands a lead over\n",
                   "score >= 45\n")
    out = lines(baton("policy", "explain", "hand_over", "--file", str(lower)))
    assert out[2:4] == ["What must hold:", "  - needs score >= 45"]
    assert not db_path.exists()


@pytest.mark.sqlite_only  # no file there (on PostgreSQL: a database without Baton's tables, test_postgres.py)
def test_without_a_database_it_points_at_file(baton: Baton, db_path: Path) -> None:
    # a head reading the policy before anyone ran `init` learns that --file exists
    result = baton("policy", "explain", "hand_over")
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert result.stderr.splitlines() == [
        f"Error: no Baton database at {db_path}; create one with `baton init --policy policies/default.yaml`, "
        "or point --db (or BATON_DB) at yours; to read a policy file without one, run "
        "`baton policy explain hand_over --file policies/default.yaml`"
    ]
    assert not db_path.exists()


def test_file_explains_the_file_not_the_policy_in_force(baton: Baton, db: Path, tmp_path: Path) -> None:
    lower = edited(tmp_path, "- expr: score >= 60", "- expr: score >= 45")
    assert lines(baton("policy", "explain", "hand_over", "--file", str(lower)))[3] == (
        "  - the score must reach 60 before marketing hands a lead over"
    )
    assert as_json(baton("policy", "explain", "hand_over", "--file", str(lower), "--json"))["guards"] == [
        {"expr": "score >= 45", "say": "the score must reach 60 before marketing hands a lead over"}
    ]
    assert as_json(baton("policy", "explain", "hand_over", "--json"))["guards"][0]["expr"] == "score >= 60"


def test_a_broken_file_gives_the_same_located_errors_as_policy_check(baton: Baton, tmp_path: Path) -> None:
    broken = edited(tmp_path, "  qualify: {from: SAL, to: SQL", "  qualify: {from: SLA, to: SQL")
    checked = baton("policy", "check", str(broken))
    explained = baton("policy", "explain", "qualify", "--file", str(broken))
    assert explained.exit_code == checked.exit_code == 1
    assert explained.stdout == ""
    assert explained.stderr == checked.stderr
    assert f"{broken}:" in explained.stderr and "'SLA'" in explained.stderr


def test_json_trigger_is_one_object_with_its_parts(baton: Baton, db: Path) -> None:
    result = baton("policy", "explain", "recycle", "--json")
    assert len(result.stdout.splitlines()) == 1
    got = as_json(result)
    assert got["kind"] == "trigger"
    assert got["name"] == "recycle"
    assert got["from"] == ["SAL", "SQL", "accepted", "contacted"]
    assert got["to"] == "recycled"
    assert got["final"] is False
    assert got["by"] == [
        {"who": "sales", "members": ["alice", "bob", "carol"]},
        {"who": "sales_manager", "members": ["sam"]},
        {"who": "system"},
    ]
    assert got["guards"] == [{
        "expr": "actor == 'system' or state != 'contacted' or attempts >= 3",
        "say": "make at least 3 contact attempts before recycling",
    }]
    assert got["checklists"] == []
    assert got["requires"] == ["reason"]
    assert got["optional"] == ["note"]
    assert got["starts"] == []
    assert [c["name"] for c in got["stops"]] == ["acknowledge", "follow_up"]
    assert got["routing"] is None
    assert got["fired_by"] == [{
        "name": "follow_up", "state": "contacted", "within": "14d", "within_minutes": 14 * 1440,
        "business": False, "notify": [{"who": "owner"}, {"who": "sales_manager", "members": ["sam"]}],
        "reassign": False, "fire": "recycle", "reason": "no response after follow-ups",
    }]


def test_json_state_counts_leads_from_the_database_only(baton: Baton, db: Path) -> None:
    assert to_sql(baton, "L-1").exit_code == 0
    got = as_json(baton("policy", "explain", "SQL", "--json"))
    assert got["kind"] == "state"
    assert got["owner"] == {"who": "sales", "members": ["alice", "bob", "carol"]}
    assert (got["initial"], got["final"], got["leads"]) == (False, False, 1)
    assert [m["trigger"] for m in got["into"]] == ["qualify"]
    assert [m["trigger"] for m in got["out_of"]] == ["accept", "disqualify", "recycle"]
    assert got["clocks"][0]["within"] == "4h" and got["clocks"][0]["business"] is True
    assert got["routing"] == [
        {"when": "persona == 'executive'", "assign": ["carol"], "strategy": "round_robin"},
        {"when": None, "assign": ["alice", "bob"], "strategy": "least_loaded"},
    ]
    from_file = as_json(baton("policy", "explain", "SQL", "--file", str(DEFAULT_POLICY), "--json"))
    assert from_file["leads"] is None


def test_clock_lengths_read_as_the_policy_wrote_them(baton: Baton, tmp_path: Path) -> None:
    """A business `2d` is two working days, not 2 x 24 business hours; a
    clock with no breach action is only marked breached."""
    policy = edited(tmp_path, "    within: 4h\n    business: true\n", "    within: 2d\n    business: true\n")
    text = policy.read_text(encoding="utf-8").replace(
        "  - name: follow_up\n    state: contacted\n    within: 14d\n",
        "  - name: nudge\n    state: accepted\n    within: 90m\n  - name: follow_up\n    state: contacted\n    within: 14d\n",
    )
    policy.write_text(text, encoding="utf-8")
    assert lines(baton("policy", "explain", "SQL", "--file", str(policy)))[9] == (
        "  - acknowledge: 2 working days in SQL; when it runs out, Baton tells the lead's owner and "
        "sales_manager (sam), and gives the lead to another rep"
    )
    assert lines(baton("policy", "explain", "accepted", "--file", str(policy)))[-2:] == [
        "  - nudge: 90 minutes in accepted; when it runs out, Baton marks it breached",
        "Routing: none; entering accepted assigns no rep.",
    ]
    got = json.loads(baton("policy", "explain", "SQL", "--file", str(policy), "--json").stdout)
    assert (got["clocks"][0]["within"], got["clocks"][0]["within_minutes"]) == ("2d", 2 * 510)


def test_the_readme_example_is_what_the_command_prints(baton: Baton, db: Path) -> None:
    readme = (DEFAULT_POLICY.parent.parent / "README.md").read_text(encoding="utf-8")
    example = readme.split("$ baton policy explain recycle\n", 1)[1].split("```", 1)[0]
    assert baton("policy", "explain", "recycle").stdout == example
