"""`.pre-commit-hooks.yaml`: a team that keeps its policy in git runs
`baton policy check` on the policy files of every commit through pre-commit."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
from conftest import DEFAULT_POLICY, ROOT
from ruamel.yaml import YAML

# pre-commit refuses a manifest hook without these (pre-commit.com, "Creating new hooks").
REQUIRED_KEYS = ("id", "name", "entry", "language")


@pytest.fixture(scope="module")
def hook() -> dict[str, Any]:
    manifest = YAML(typ="safe").load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert isinstance(manifest, list) and len(manifest) == 1
    found: dict[str, Any] = manifest[0]
    return found


def run_entry(hook: dict[str, Any], *files: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """The hook's entry as pre-commit runs it (filenames appended), with this
    checkout's code standing in for the installed `baton` script."""
    program, *args = shlex.split(hook["entry"])
    assert program == "baton"
    command = [sys.executable, "-c", "from cli.main import main; main()", *args, *files]
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=60,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})


def test_the_hook_has_every_key_pre_commit_needs(hook: dict[str, Any]) -> None:
    assert all(isinstance(hook.get(key), str) and hook[key] for key in REQUIRED_KEYS)
    assert hook["id"] == "baton-policy-check"
    assert hook["entry"] == "baton policy check"
    assert hook["language"] == "python"
    assert hook["types"] == ["yaml"]


def test_the_entry_is_the_script_the_package_installs(hook: dict[str, Any]) -> None:
    """language: python pip-installs this repository; `baton` must be its script."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert project["project"]["scripts"]["baton"] == "cli.main:main"


@pytest.mark.parametrize("path", ["policies/default.yaml", "policies/team/acme.yaml", "sales/policies/eu.yml"])
def test_the_hook_checks_yaml_files_under_a_policies_folder(hook: dict[str, Any], path: str) -> None:
    assert re.search(hook["files"], path)


@pytest.mark.parametrize("path", ["policies/policy.schema.json", "README.md", "mypolicies/x.yaml", "config.yaml"])
def test_the_hook_leaves_other_files_alone(hook: dict[str, Any], path: str) -> None:
    assert not re.search(hook["files"], path)


def test_the_entry_passes_the_default_policy(hook: dict[str, Any], tmp_path: Path) -> None:
    (tmp_path / "policies").mkdir()
    (tmp_path / "policies" / "default.yaml").write_bytes(DEFAULT_POLICY.read_bytes())
    result = run_entry(hook, "policies/default.yaml", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "policies/default.yaml: OK, policy default-handover version 1 (8 states, 8 transitions)\n"


def test_the_entry_fails_the_commit_on_a_broken_policy_naming_the_line(hook: dict[str, Any], tmp_path: Path) -> None:
    team = tmp_path / "policies" / "team"
    team.mkdir(parents=True)
    (tmp_path / "policies" / "default.yaml").write_bytes(DEFAULT_POLICY.read_bytes())
    text = DEFAULT_POLICY.read_text(encoding="utf-8")
    (team / "acme.yaml").write_text(text.replace("  qualify: {from: SAL,", "  qualify: {from: SLA,"), encoding="utf-8")
    line = next(n for n, row in enumerate(text.splitlines(), 1) if row.startswith("  qualify:"))
    result = run_entry(hook, "policies/default.yaml", "policies/team/acme.yaml", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stdout.startswith("policies/default.yaml: OK")
    assert result.stderr == (
        f"policies/team/acme.yaml:{line}:19: transition 'qualify' comes from unknown state 'SLA' "
        "(states: MQL, SAL, SQL, accepted, contacted, won, disqualified, recycled); did you mean 'SQL'?\n"
    )
