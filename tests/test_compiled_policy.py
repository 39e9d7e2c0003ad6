"""What a command costs: it reads the policy's compiled form (cached by the
hash of its text) instead of parsing YAML, builds one `transitions` Machine
per policy version for all leads, and imports none of the slow libraries."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import BANT, MONDAY_9AM, ROOT, Baton, add_ready_lead, as_json, sign_off, to_sql

import statemachine.machine
import statemachine.policy
import statemachine.policy.load
import statemachine.workspace
from cli.main import cli
from statemachine.policy import read_policy_file
from statemachine.policy.model import to_plain


@pytest.fixture
def fresh_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """Empty the in-process caches, as a new `baton` process starts."""
    monkeypatch.setattr(statemachine.workspace, "_policies", {})
    monkeypatch.setattr(statemachine.machine, "_machines", {})


def yaml_is_off_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_yaml(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a command parsed the policy's YAML")

    monkeypatch.setattr(statemachine.policy, "parse_policy", no_yaml)
    monkeypatch.setattr(statemachine.policy.load, "load_tree", no_yaml)


def test_commands_read_the_compiled_policy_and_never_parse_yaml(
    baton: Baton, db: Path, fresh_process: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    yaml_is_off_limits(monkeypatch)
    result = to_sql(baton, "L-1")
    assert result.exit_code == 0, result.output
    assert result.stdout.endswith(
        "Assigned L-1 to alice: rule 2 gives the lead to the one of alice and bob with fewer open leads; "
        "alice and bob have 0 open leads each, and a tie goes to the one listed first.\n"
    )
    shown = as_json(baton("--json", "lead", "show", "L-1", actor="alice"))
    assert (shown["state"], shown["allowed"]) == ("SQL", ["accept", "disqualify", "recycle"])


def test_a_compiled_form_this_baton_cannot_read_is_rebuilt_from_the_text(
    baton: Baton, db: Path, policy_file: Path, fresh_process: None
) -> None:
    with closing(sqlite3.connect(db)) as other:
        other.execute("""UPDATE policies SET compiled = '{"written by": "another Baton"}'""")
        other.commit()
    add_ready_lead(baton, "L-1")
    assert baton("lead", "advance", "L-1", "hand_over").stdout == "L-1: MQL -> SAL (hand_over).\n"
    with closing(sqlite3.connect(db)) as other:
        ((compiled,),) = other.execute("SELECT compiled FROM policies").fetchall()
    assert json.loads(compiled) == json.loads(json.dumps(to_plain(read_policy_file(str(policy_file))[1])))
    assert "written by" not in compiled


def test_two_texts_with_the_same_version_are_never_confused(
    tmp_path: Path, policy_file: Path, fresh_process: None
) -> None:
    """The cache is keyed by the hash of the text, not by name or version:
    one process serving two databases whose version-1 policies differ keeps
    each one's rules."""
    strict = tmp_path / "strict.yaml"
    text = policy_file.read_text()
    assert text.count("expr: score >= 60") == text.count("must reach 60") == 1
    strict.write_text(text.replace("expr: score >= 60", "expr: score >= 90").replace("must reach 60", "must reach 90"))

    def run(db: Path, *args: str) -> Any:
        head = ["--db", str(db), "--as", "jane", "--now", MONDAY_9AM]
        return CliRunner().invoke(cli, [*head, *args], catch_exceptions=False)

    lenient_db, strict_db = tmp_path / "lenient.db", tmp_path / "strict.db"
    assert run(lenient_db, "init", "--policy", str(policy_file)).exit_code == 0
    assert run(strict_db, "init", "--policy", str(strict)).exit_code == 0
    ready = ["email=ana@northwind.example", "source=webinar", "persona=manager",
             "product=Forecasting", "awareness=solution", "score=75"]
    for db in (lenient_db, strict_db):
        assert run(db, "lead", "add", "--id", "L-1", *ready).exit_code == 0
    assert run(lenient_db, "lead", "advance", "L-1", "hand_over").exit_code == 0
    refused = run(strict_db, "lead", "advance", "L-1", "hand_over")
    assert refused.exit_code == 1
    assert refused.stderr == "Error: cannot hand_over L-1: the score must reach 90 before marketing hands a lead over\n"


def test_one_machine_per_policy_version_is_shared_by_every_lead(
    baton: Baton, db: Path, policy_file: Path, tmp_path: Path, fresh_process: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    built: list[Any] = []
    real_machine = statemachine.machine.Machine

    def counting_machine(*args: Any, **kwargs: Any) -> Any:
        built.append(kwargs.get("model"))
        return real_machine(*args, **kwargs)

    monkeypatch.setattr(statemachine.machine, "Machine", counting_machine)
    for lead in ("L-1", "L-2", "L-3"):
        assert to_sql(baton, lead).exit_code == 0
    assert baton("lead", "advance", "L-1", "accept", actor="alice").exit_code == 0
    assert built == [None]  # one machine, bound to no lead

    version_2 = tmp_path / "v2.yaml"
    version_2.write_text(policy_file.read_text().replace("version: 1", "version: 2", 1))
    sign_off(baton, version_2)
    assert baton("policy", "apply", str(version_2), actor="sam").exit_code == 0
    assert baton("lead", "advance", "L-2", "accept", actor="bob").exit_code == 0
    assert baton("lead", "advance", "L-1", "contact", actor="alice").exit_code == 0
    assert built == [None, None]


def test_hot_path_imports_no_yaml_parser_log_library_sqlite_utils_or_psycopg(baton: Baton, db: Path) -> None:
    """ruamel.yaml, structlog and sqlite-utils each cost more to import than
    a whole `lead advance` may take; the commands operators run all day must
    not load them, nor psycopg on SQLite."""
    add_ready_lead(baton, "L-1")
    assert baton("lead", "set", "L-1", *BANT).exit_code == 0
    script = (
        "import sys\n"
        "from cli.main import cli\n"
        "for args in (['lead', 'show', 'L-1'], ['lead', 'advance', 'L-1', 'hand_over'], ['lead', 'list'],\n"
        "             ['lead', 'history', 'L-1'], ['lead', 'add', 'score=70']):\n"
        f"    head = ['--db', {str(db)!r}, '--as', 'jane', '--now', {MONDAY_9AM!r}]\n"
        "    try:\n"
        "        cli(head + args, standalone_mode=False)\n"
        "    except SystemExit:\n"
        "        pass\n"
        "print(sorted(m for m in ('ruamel.yaml', 'structlog', 'sqlite_utils', 'psycopg') if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert "L-1: MQL -> SAL (hand_over)." in done.stdout
    assert done.stdout.splitlines()[-1] == "[]"
