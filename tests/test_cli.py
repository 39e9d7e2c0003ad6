"""The command line as users and scripts rely on it: JSON shapes, filters,
diagrams, the audit log, the operational log and the demo."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import ROOT, Baton, add_ready_lead, as_json, json_lines, to_sql

from cli.main import cli
from statemachine.chain import GENESIS

pytestmark = pytest.mark.both_stores  # every test here runs on SQLite and on PostgreSQL


def test_init_reports_what_it_created(baton: Baton, policy_file: Path, db_path: Path) -> None:
    result = baton("init", "--policy", str(policy_file))
    assert result.exit_code == 0
    assert result.stdout == f"Created {db_path} with policy default-handover version 1 (8 states, 8 transitions).\n"


def test_lead_show_json_has_the_contracted_keys(baton: Baton, db: object) -> None:
    add_ready_lead(baton, "L-1")
    shown = as_json(baton("--json", "lead", "show", "L-1"))
    assert {"id", "state", "owner", "fields", "checklists", "sla", "allowed"} <= set(shown)


def test_lead_show_for_people_is_readable(baton: Baton, db: object) -> None:
    add_ready_lead(baton, "L-1")
    out = baton("lead", "show", "L-1").stdout
    assert out.splitlines()[0] == "L-1  MQL  owner: -  since 2026-11-23 09:00 GMT"
    assert "  handover: complete" in out
    assert "  qualification: missing budget, authority, need, timeline" in out
    assert out.endswith("you may: hand_over\n")


def test_lead_list_filters_by_state_and_owner(baton: Baton, db: object) -> None:
    add_ready_lead(baton, "L-1")
    to_sql(baton, "L-2")
    to_sql(baton, "L-3")
    assert [r["id"] for r in json_lines(baton("--json", "lead", "list", "--state", "SQL"))] == ["L-2", "L-3"]
    assert [r["id"] for r in json_lines(baton("--json", "lead", "list", "--owner", "bob"))] == ["L-3"]
    assert len(json_lines(baton("--json", "lead", "list"))) == 3


def test_lead_list_refuses_an_unknown_state_and_suggests_the_nearest(baton: Baton, db: object) -> None:
    result = baton("lead", "list", "--state", "sql")
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: no state 'sql' in the policy; did you mean 'SQL'? (states: MQL, SAL, SQL,")


def test_lead_list_table_for_people(baton: Baton, db: object) -> None:
    assert baton("lead", "list").stdout == "No leads match.\n"
    add_ready_lead(baton, "L-1")
    lines = baton("lead", "list").stdout.splitlines()
    assert lines[0].split() == ["ID", "STATE", "OWNER", "ATTEMPTS", "SINCE"]
    assert lines[1].split() == ["L-1", "MQL", "-", "0", "2026-11-23", "09:00", "GMT"]


def test_audit_log_json_is_the_chained_event_format(baton: Baton, db: object) -> None:
    add_ready_lead(baton, "L-1")
    events = json_lines(baton("--json", "audit", "log"))
    keys = {"seq", "lead", "at", "actor", "event", "from", "to", "data", "policy_version", "prev", "hash"}
    assert all(keys <= set(e) for e in events)
    assert events[0]["event"] == "policy_applied" and events[0]["lead"] is None
    assert events[0]["prev"] == GENESIS
    assert events[1]["prev"] == events[0]["hash"]
    assert events[1]["at"] == "2026-11-23T09:00:00+00:00"


def test_audit_log_filters_by_lead_and_time(baton: Baton, db: object) -> None:
    add_ready_lead(baton, "L-1")
    baton("lead", "add", "--id", "L-2", now="2026-11-24T09:00")
    assert [e["lead"] for e in json_lines(baton("--json", "audit", "log", "--lead", "L-2"))] == ["L-2"]
    later = json_lines(baton("--json", "audit", "log", "--since", "2026-11-24"))
    assert [e["lead"] for e in later] == ["L-2"]


def test_now_accepts_offsets_and_refuses_nonsense(baton: Baton, db: object) -> None:
    add_ready_lead(baton, "L-1")
    baton("lead", "advance", "L-1", "hand_over", now="2026-11-23T12:00:00-05:00")
    assert json_lines(baton("--json", "lead", "history", "L-1"))[-1]["at"] == "2026-11-23T17:00:00+00:00"
    result = baton("lead", "add", now="next tuesday")
    assert result.exit_code == 2  # a usage error (SPEC: exit codes), issue 12
    assert result.stderr.startswith("Error: --now 'next tuesday' is not a time; write it as ISO 8601")


@pytest.mark.parametrize("actor", ["", "   "])
@pytest.mark.parametrize("command", [("lead", "add", "--id", "L-2"), ("lead", "show", "L-1")], ids=" ".join)
def test_a_blank_actor_is_refused_rather_than_logged(baton: Baton, db: Path, actor: str, command: tuple[str, ...]) -> None:
    add_ready_lead(baton, "L-1")
    result = baton(*command, actor=actor)
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: --as (or BATON_ACTOR) is empty; say who is acting, like --as alice, "
        "or leave it out to act as your login name\n"
    )
    assert [e["actor"] for e in json_lines(baton("--json", "audit", "log"))] == ["jane", "jane"]


def test_spaces_around_an_actor_name_are_dropped(baton: Baton, db: object) -> None:
    event = as_json(baton("--json", "lead", "add", "--id", "L-1", actor=" omar "))["events"][0]
    assert event["actor"] == "omar"


def test_naive_now_is_in_the_policy_zone(baton: Baton, db: object) -> None:
    baton("lead", "add", "--id", "L-1", now="2026-07-01T09:00")  # London summer time
    assert json_lines(baton("--json", "lead", "history", "L-1"))[0]["at"] == "2026-07-01T08:00:00+00:00"


def test_environment_variables_stand_in_for_options(db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BATON_DB", str(db))
    monkeypatch.setenv("BATON_ACTOR", "omar")
    monkeypatch.setenv("BATON_NOW", "2026-11-23T10:00")
    result = CliRunner().invoke(cli, ["--json", "lead", "add", "--id", "L-1"])
    assert result.exit_code == 0
    event = json.loads(result.stdout)["events"][0]
    assert (event["actor"], event["at"]) == ("omar", "2026-11-23T10:00:00+00:00")


def test_policy_show_prints_the_exact_text_with_version_and_hash(baton: Baton, db: object, policy_file: Path) -> None:
    import hashlib

    shown = as_json(baton("--json", "policy", "show"))
    text = policy_file.read_text()
    assert shown["text"] == text
    assert shown["version"] == 1
    assert shown["hash"] == hashlib.sha256(text.encode()).hexdigest()
    human = baton("policy", "show").stdout
    assert human.startswith(f"# policy default-handover version 1, sha256 {shown['hash']}")


def test_policy_show_of_an_unknown_version_is_refused(baton: Baton, db: object) -> None:
    result = baton("policy", "show", "--version", "7")
    assert result.exit_code == 1
    assert result.stderr == "Error: there is no policy version 7 (versions: 1)\n"


def test_mermaid_diagram_draws_every_arrow_with_its_guards(baton: Baton, db: object) -> None:
    out = baton("policy", "diagram").stdout
    assert out.startswith("stateDiagram-v2\n    [*] --> MQL\n")
    assert "    MQL --> SAL: hand_over [score >= 60] checklist handover\n" in out
    assert "    contacted --> recycled: recycle [actor == 'system' or state != 'contacted' or attempts >= 3] needs reason\n" in out
    assert "    won --> [*]" in out
    assert len(re.findall(r"--> recycled", out)) == 4


def test_dot_diagram_of_a_file_needs_no_database(baton: Baton, policy_file: Path) -> None:
    result = baton("policy", "diagram", str(policy_file), "--format", "dot")
    assert result.exit_code == 0
    assert result.stdout.startswith('digraph "default-handover" {')
    assert '"MQL" -> "SAL" [label="hand_over [score >= 60] checklist handover"];' in result.stdout
    assert '"won" [label="won", peripheries=2];' in result.stdout


def test_operational_log_is_json_on_stderr_apart_from_output(baton: Baton, db: object, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BATON_LOG", "info")
    result = baton("--json", "lead", "add", "--id", "L-1")
    assert json.loads(result.stdout)["id"] == "L-1"
    record = json.loads(result.stderr.strip().splitlines()[-1])
    assert record["event"] == "committed" and record["level"] == "info"


def test_operational_log_is_quiet_by_default(baton: Baton, db: object) -> None:
    assert baton("lead", "add", "--id", "L-1").stderr == ""


def test_demo_tells_the_story_without_input(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["demo", "--keep", str(tmp_path / "demo.db")], input="")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "refused: cannot hand_over L-2: handover checklist is missing: product of interest, awareness level" in out
    assert "Assigned L-1 to carol: rule 1 (when persona == 'executive') gives the lead to carol." in out
    assert "bob is away until 2026-11-23 14:00 GMT, so alice gets it." in out
    assert "refused: cannot recycle L-3: make at least 3 contact attempts before recycling" in out
    assert "L-3: contacted -> recycled (recycle)." in out
    assert "its hash chain is intact." in out


def test_readme_documents_every_command() -> None:
    readme = (ROOT / "README.md").read_text()

    def walk(group: object, prefix: str) -> list[str]:
        names = []
        for name, command in getattr(group, "commands", {}).items():
            full = f"{prefix} {name}".strip()
            names.extend(walk(command, full) if hasattr(command, "commands") else [full])
        return names

    missing = [name for name in walk(cli, "") if f"baton {name}" not in readme]
    assert missing == []


def test_readme_starts_with_the_two_commands() -> None:
    lines = (ROOT / "README.md").read_text().splitlines()
    assert lines[0] == "# Baton"
    assert lines[3].endswith("baton demo") and lines[4].endswith("pytest")
