"""`baton demo`: the whole story with no input, an SLA breach in it, a --keep
that never writes over a file, and a closing line that works when pasted."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli.demo import baton_command
from cli.main import cli

# Not marked both_stores: `baton demo` makes its own scratch SQLite file (or
# the --keep file) whatever --db says, so it never meets PostgreSQL; no test
# here takes the `db_path` the store parameter sets.
BATON_SCRIPT = Path(sys.executable).with_name("baton")


def run_demo(keep: Path) -> str:
    result = CliRunner().invoke(cli, ["demo", "--keep", str(keep)], input="")
    assert result.exit_code == 0, result.output
    return result.stdout


def test_demo_shows_an_unacknowledged_lead_breaching_its_sla_and_moving_to_another_rep(tmp_path: Path) -> None:
    out = run_demo(tmp_path / "demo.db")
    assert (
        "\n# 14:30 Nobody acknowledged L-2 within the agreed 4 business hours (due 14:11). The SLA sweep, "
        "which `baton serve` runs every minute, records the breach, queues a notification for alice "
        "and the sales manager, and gives L-2 to bob, who is back.\n$ baton sla sweep\n"
    ) in out
    assert (
        "    24  2026-11-23 14:30 GMT  system     missed the acknowledge deadline, due 2026-11-23 14:11 GMT, "
        "while alice owned it: queued a notification for alice and sam; reassigned it to bob\n"
        "    25  2026-11-23 14:30 GMT  system     reassigned to bob after the acknowledge deadline was missed: "
        "rule 2 gives the lead to the one of alice and bob with fewer open leads; "
        "alice had it when its SLA ran out, so bob gets it\n"
    ) in out
    assert f"{'bob':<12} {1:>10}  available\n" in out  # rep list: bob carries L-2


def test_demo_history_is_in_words_without_json(tmp_path: Path) -> None:
    out = run_demo(tmp_path / "demo.db")
    history = out[out.index("$ baton lead history L-3"):]
    assert "{" not in history and "True" not in history and "25000.0" not in history
    assert (
        "    29  2026-11-23 16:10 GMT  alice      recycle contacted -> recycled "
        "(reason: no response after three attempts); alice no longer owns it\n"
    ) in history


def test_demo_refuses_a_keep_file_that_exists_before_printing_anything(tmp_path: Path) -> None:
    kept = tmp_path / "kept.db"
    kept.write_text("precious")
    result = CliRunner().invoke(cli, ["demo", "--keep", str(kept)], input="")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == (
        f"Error: {kept} already exists, and the demo never writes over a file; "
        "give --keep a new path, like --keep demo-2.db\n"
    )
    assert kept.read_text() == "precious"


def test_demo_refuses_a_keep_path_in_a_missing_folder_before_printing_anything(tmp_path: Path) -> None:
    kept = tmp_path / "nowhere" / "kept.db"
    result = CliRunner().invoke(cli, ["demo", "--keep", str(kept)], input="")
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == f"Error: cannot keep the demo database at {kept}: there is no folder {kept.parent}\n"


def test_demo_ends_with_a_line_naming_this_baton_by_its_path(tmp_path: Path) -> None:
    kept = tmp_path / "demo.db"
    last = run_demo(kept).splitlines()[-1]
    assert last == f"Explore it yourself:  BATON_DB={kept} {BATON_SCRIPT} lead show L-1"


def test_the_command_is_the_running_script_resolved(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    script = tmp_path / "my tools" / "baton"
    script.parent.mkdir()
    script.write_text("#!/bin/sh\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "argv", ["my tools/baton", "demo"])
    assert baton_command() == shlex.quote(str(script))


@pytest.mark.skipif(not BATON_SCRIPT.is_file(), reason="the baton script is not installed next to this Python")
def test_the_closing_line_works_when_pasted_without_baton_on_path(tmp_path: Path) -> None:
    """Run as a user would, stdin not a terminal and `baton` not on PATH."""
    env = {**os.environ, "PATH": "/usr/bin:/bin", "BATON_LOG": "error"}
    for name in ("BATON_DB", "BATON_ACTOR", "BATON_NOW"):
        env.pop(name, None)
    demo = subprocess.run([str(BATON_SCRIPT), "demo", "--keep", str(tmp_path / "demo.db")], stdin=subprocess.DEVNULL,
                          capture_output=True, check=False, text=True, env=env, timeout=120, cwd=tmp_path)
    assert demo.returncode == 0, demo.stderr
    pasted = demo.stdout.splitlines()[-1].removeprefix("Explore it yourself:  ")
    shown = subprocess.run(["sh", "-c", pasted], capture_output=True, check=False, text=True, env=env, timeout=60, cwd="/")
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.startswith("L-1  won  owner: carol  since 2026-11-23 17:00 GMT\n")


def test_demo_ends_with_a_policy_change_reviewed_simulated_and_signed_by_both_heads(tmp_path: Path) -> None:
    out = run_demo(tmp_path / "demo.db")
    change = out[out.index("# 17:30 The heads review the agreement."):]
    proposal = change[change.index("$ baton policy diff @active ") + len("$ baton policy diff @active "):].split("\n")[0]
    assert proposal.endswith("proposal.yaml")
    assert "  hand_over: when score >= 60 became score >= 50\n" in change
    assert "  acknowledge: within 4 business hours became 2 business hours\n" in change
    assert ("L-4 (MQL, no owner)\n  hand_over becomes allowed for jane, omar (it was refused: the score must "
            "reach 60 before marketing hands a lead over)\n") in change
    assert "Still waiting for sales_head (sam).\nA notification for sam waits in the outbox" in change
    assert f"$ baton --as jane policy apply {proposal}\nrefused: cannot apply version 2 of default-handover yet" in change
    assert "All required approvals are in" in change
    assert "Applied policy default-handover version 2 (was version 1)" in change
    assert "$ baton --as jane lead advance L-4 hand_over\nL-4: MQL -> SAL (hand_over).\n" in change


def test_demo_ends_by_writing_the_reports_page_and_saying_where_it_is(tmp_path: Path) -> None:
    out = run_demo(tmp_path / "demo.db")
    page = out[out.index("The reports page: ") + len("The reports page: "):].split("\n")[0]
    assert page.endswith("reports.html")
    assert "<h2" in Path(page).read_text(encoding="utf-8")
    assert "$ baton report funnel\nFunnel: leads that entered each state over the whole log" in out
    assert out.endswith(
        f"# The log holds 35 events and its hash chain is intact.\n\n"
        f"The reports page: {page}\n"
        f"Explore it yourself:  BATON_DB={shlex.quote(str(tmp_path / 'demo.db'))} {baton_command()} lead show L-1\n")


def test_demo_refuses_a_url_for_keep_without_showing_its_password(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["demo", "--keep", "postgresql://baton:s3cret@db.example/baton"], input="")
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == (
        "Error: the demo keeps its database in a file, not at postgresql://baton:***@db.example/baton; give --keep "
        "a file's path, like --keep demo.db, then `baton db copy demo.db URL` moves it to PostgreSQL\n")
    assert list(tmp_path.iterdir()) == []
