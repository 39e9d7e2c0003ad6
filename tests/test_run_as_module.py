"""`python -m cli.main` runs Baton as the `baton` console script does (a
checkout without an install, or a venv pointed at another worktree)."""

from __future__ import annotations

import os
import subprocess
import sys

from conftest import DEFAULT_POLICY, ROOT


def test_python_m_cli_main_runs_the_command() -> None:
    done = subprocess.run([sys.executable, "-m", "cli.main", "policy", "check", str(DEFAULT_POLICY)],
                          capture_output=True, text=True, cwd=ROOT,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=60)
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.endswith(": OK, policy default-handover version 1 (8 states, 8 transitions)\n")
