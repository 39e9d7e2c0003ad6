"""Where scripts send the output: `--json` written after the command, and a
reader that stops early (`| head`)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import Baton, add_ready_lead, as_json, json_lines

pytestmark = pytest.mark.both_stores  # every database test here runs on SQLite and on PostgreSQL


@pytest.mark.parametrize("command", [
    ("lead", "show", "L-1"),
    ("lead", "list"),
    ("lead", "history", "L-1"),
    ("audit", "log"),
    ("rep", "list"),
    ("sla", "status"),
])
def test_json_after_the_command_is_the_same_as_before_it(baton: Baton, db: object, command: tuple[str, ...]) -> None:
    add_ready_lead(baton, "L-1")
    before = baton("--json", *command)
    after = baton(*command, "--json")
    assert after.exit_code == 0, after.stderr
    assert after.stdout == before.stdout
    assert json_lines(after)  # it is JSON, one object a line


def test_json_after_a_write_command_answers_in_json(baton: Baton, db: object) -> None:
    shown = as_json(baton("lead", "add", "--id", "L-9", "score=70", "--json"))
    assert shown["id"] == "L-9"


def test_a_reader_that_stops_early_gets_no_traceback(baton: Baton, db: object, db_path: Path, tmp_path: Path) -> None:
    """`baton audit log | head -1` on a log far larger than a pipe's buffer."""
    export = tmp_path / "leads.csv"
    export.write_text("score\n" + "\n".join(str(n % 100) for n in range(3000)) + "\n")
    assert baton("lead", "import", str(export)).exit_code == 0
    baton_script = Path(sys.executable).with_name("baton")
    for args in (["--json", "audit", "log"], ["lead", "list"], ["audit", "log"]):
        reader = subprocess.Popen(["head", "-n", "1"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        writer = subprocess.run(
            [str(baton_script), "--db", str(db_path), *args], stdout=reader.stdin, stderr=subprocess.PIPE,
            env={**os.environ, "BATON_LOG": "error"}, timeout=60,
        )
        assert reader.stdin is not None and reader.stdout is not None
        reader.stdin.close()
        first = reader.stdout.read()
        reader.wait(timeout=10)
        assert first.count(b"\n") == 1
        assert (writer.returncode, writer.stderr.decode()) == (0, ""), args
