"""`baton policy schema`: the policy language as a JSON Schema, for editors.

The loader stays the authority; these tests hold the schema to it: the same
keys, the same closed sets, the same written forms, the same typos refused.
(conftest.py checks, besides, that every policy any test loads fits it.)
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import DEFAULT_POLICY, ROOT, Baton
from jsonschema import Draft7Validator, Draft202012Validator

import statemachine.policy
from cli.policy_schema import _validator, schema_problems
from statemachine.errors import PolicyInvalid
from statemachine.policy.json_schema import policy_data, policy_schema

COMMITTED = ROOT / "policies" / "policy.schema.json"
DEFAULT = DEFAULT_POLICY.read_text(encoding="utf-8")


@pytest.fixture
def unchecked_loader(monkeypatch: pytest.MonkeyPatch) -> None:
    """The loader without conftest's schema check, for a test about a text
    the loader accepts and the schema refuses."""
    parse = statemachine.policy.parse_policy
    monkeypatch.setattr(statemachine.policy, "parse_policy", getattr(parse, "__wrapped__", parse))


def loader_problems(text: str) -> list[str]:
    parse = statemachine.policy.parse_policy
    try:
        getattr(parse, "__wrapped__", parse)(text, "p.yaml")
    except PolicyInvalid as error:
        return [str(problem) for problem in error.problems]
    return []


def changed(old: str, new: str) -> str:
    assert DEFAULT.count(old) == 1, old
    return DEFAULT.replace(old, new)


def test_the_default_policy_fits_the_schema(baton: Baton) -> None:
    assert schema_problems(policy_data(DEFAULT)) == []
    result = baton("policy", "schema", str(DEFAULT_POLICY))
    assert (result.exit_code, result.stdout) == (0, f"{DEFAULT_POLICY}: OK against the schema\n")


def test_the_default_policy_points_editors_at_the_schema() -> None:
    assert DEFAULT.splitlines()[0] == "# yaml-language-server: $schema=policy.schema.json"


def test_the_schema_is_a_draft_2020_12_schema() -> None:
    schema = policy_schema()
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert (schema["$id"], schema["title"]) == ("urn:baton:policy", "Baton policy")


def described(schema: Any, path: str = "") -> list[str]:
    """The paths of the keys in `schema` that have no description."""
    missing = []
    if isinstance(schema, dict):
        named = dict(schema.get("properties", {}))
        if isinstance(schema.get("additionalProperties"), dict):
            named["*"] = schema["additionalProperties"]
        missing += [f"{path}.{key}".lstrip(".") for key, sub in named.items() if not sub.get("description")]
        for key, sub in schema.items():
            if key != "if":  # a condition on a key's value names no key of its own
                missing += described(sub, f"{path}.{key}" if key in named else path)
    elif isinstance(schema, list):
        for sub in schema:
            missing += described(sub, path)
    return missing


def test_every_key_of_the_schema_says_what_it_means() -> None:
    schema = policy_schema()
    assert described(schema) == []
    assert described({"properties": {"a": {"type": "string"}}}) == ["a"]  # the walk finds a gap
    assert len(json.dumps(schema).split('"description"')) > 60


def test_the_committed_schema_is_the_commands_output(baton: Baton) -> None:
    result = baton("policy", "schema")
    assert result.exit_code == 0
    assert json.loads(result.stdout) == policy_schema()
    assert result.stdout.endswith("}\n")
    assert COMMITTED.read_text(encoding="utf-8") == result.stdout, (
        "policies/policy.schema.json is out of date: regenerate it with "
        "`baton policy schema > policies/policy.schema.json`"
    )


@pytest.mark.parametrize(("old", "new", "loader_says", "schema_path"), [
    ("\ntransitions:\n", "\ntransitons:\n",
     "unknown key 'transitons' in the policy (keys: policy, version, description, timezone, business_hours, roles, "
     "fields, states, initial, checklists, transitions, routing, sla, notify, approvals, erasure, clock, identity, logins, audit, api, intake); did you mean 'transitions'?",
     "transitons"),
    ("    from: MQL\n", "    form: MQL\n",
     "unknown key 'form' in transition 'hand_over' (keys: from, to, by, when, checklist, requires, description); "
     "did you mean 'from'?",
     "transitions.hand_over.form"),
    ("      reassign: true", "      reasign: true",
     "unknown key 'reasign' in SLA 'acknowledge' breach (keys: notify, reassign, fire, reason); did you mean 'reassign'?",
     "sla[0].breach.reasign"),
])
def test_a_mistyped_key_is_refused_by_the_schema_and_the_loader(
    old: str, new: str, loader_says: str, schema_path: str,
) -> None:
    text = changed(old, new)
    assert any(line.endswith(f": {loader_says}") for line in loader_problems(text)), loader_problems(text)
    unknown = [path for path, message in schema_problems(policy_data(text)) if message.startswith("unknown key (keys: ")]
    assert unknown == [schema_path]
    for validator in (Draft202012Validator, Draft7Validator):
        assert not validator(policy_schema()).is_valid(policy_data(text))


def test_a_duration_in_words_is_refused_by_the_schema() -> None:
    text = changed("    within: 4h\n", "    within: 4 hours\n")
    assert schema_problems(policy_data(text)) == [(
        "sla[0].within",
        '"4 hours" does not fit here. How long a lead may stay: a number and m (minutes), h (hours) or d (days), '
        "like 30m, 4h or 2d; more than zero and at most ten years.",
    )]
    assert loader_problems(text) != []


def test_a_time_not_written_hh_mm_is_refused_by_the_schema() -> None:
    text = changed('start: "09:00"', 'start: "9am"')
    assert schema_problems(policy_data(text)) == [(
        "business_hours.start",
        '"9am" does not fit here. When the working day starts: a time of day in quotes, like "09:00" (24-hour hh:mm).',
    )]
    assert loader_problems(text) != []


# Each written form the loader reads with code, and values on both sides of
# its line. The schema cannot know month lengths, ports in a webhook, the ten
# years' limit or which countries have holiday lists: those the loader alone
# refuses, and they are left out here.
AGREED = [
    *[("    within: 4h\n", f"    within: {v}\n") for v in ("30m", "4h", "2d", '" 4 h "', "007m", "0h", "-1h",
                                                            "4 hours", "4", "4H", "1w", '""')],
    *[('start: "09:00"', f"start: {v}") for v in ('"00:00"', '"08:05"', '"17:29"', '"9:00"', '"24:00"', '"9am"', "900")],
    *[("holidays: [2026-12-25, 2026-12-28, 2027-01-01]", f"holidays: {v}") for v in (
        "[2026-12-25]", "2026-12-25", '"2026-12-25"', "[]", "", '["25/12/2026"]', "[2026-13-01]",
        "{country: GB}", "{country: gb-eng, dates: [2026-12-24]}", "{country: GBR}", "{country: G}", "{dates: []}",
        "{counrty: GB}")],
    *[("days: [mon, tue, wed, thu, fri]", f"days: {v}") for v in (
        "[mon]", "Monday", "[MON, Tuesday]", "[Mo]", "[funday]", "[]", "")],
    *[("", f"notify:\n  email: {{server: {v}, from: baton@example.com, to: {{sam: sam@example.com}}}}\n") for v in (
        "localhost:25", "'smtp.example.com:587'", "'[::1]:25'", "localhost", "'localhost:0'", "'localhost:65535'",
        "'localhost:65536'")],
    *[("", f"notify:\n  email: {{server: 'localhost:25', from: {v}, to: {{sam: sam@example.com}}}}\n") for v in (
        "baton@example.com", "' baton@example.com '", "baton@localhost", "'a@b@example.com'", "'a b@example.com'",
        "a@.example.com", "a@example..com", "[a@example.com]")],
    *[("", f"notify:\n  webhook: {v}\n") for v in (
        "https://hooks.example.com/baton", "'http://localhost:8080/x?y=1'", "HTTPS://Example.com", "ftp://example.com",
        "https://", "'https://exa mple.com'", "hooks.example.com")],
    *[("", f"notify:\n  file: {v}\n") for v in ("notices.jsonl", '"-"', '" "', "[a]")],
    *[("approvals:\n  required: [marketing_head, sales_head]\n", f"approvals: {v}\n") for v in ("{required: [marketing, sales]}", "{required: sales}", "{}", "{requierd: [sales]}")],
    *[("  product: {type: string, ", f"  product: {{type: {v}, ") for v in ("text", "strng", "choice")],
    *[("persona: {type: choice, values: [executive, manager, practitioner, assistant]}", f"persona: {v}")
      for v in ("{type: choice, values: [executive]}", "{type: choice, values: []}", "{type: choice}", "string", "choice",
                "{type: string, values: [a]}", "{type: integer, personal: yes}", "")],
    *[("      strategy: least_loaded\n", f"      strategy: {v}\n") for v in ("round_robin", "least_loaded", "", "fastest")],
]


@pytest.mark.parametrize(("old", "new"), AGREED)
def test_the_schema_and_the_loader_agree_on_written_forms(old: str, new: str) -> None:
    text = changed(old, new) if old else DEFAULT + new
    loader = loader_problems(text)
    schema = schema_problems(policy_data(text))
    assert (loader == [], schema == []) in ((True, True), (False, False)), (loader, schema)


def test_schema_with_a_broken_file_says_what_policy_check_says(baton: Baton, tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text(changed("    within: 4h\n", "    within: 4 hours\n").replace("\ntransitions:\n", "\ntransitons:\n"))
    checked = baton("policy", "check", str(broken))
    result = baton("policy", "schema", str(broken))
    assert (result.exit_code, checked.exit_code) == (1, 1)
    assert result.stdout == ""
    assert result.stderr == checked.stderr
    line = broken.read_text().splitlines().index("transitons:") + 1
    assert f"{broken}:{line}:1: unknown key 'transitons' in the policy" in result.stderr


def test_schema_names_the_key_the_schema_refuses(baton: Baton, tmp_path: Path, unchecked_loader: None) -> None:
    """Python reads 20261225 as a date, so the loader takes it; editors are
    told the written form the README uses."""
    odd = tmp_path / "odd.yaml"
    odd.write_text(changed("holidays: [2026-12-25,", "holidays: ['20261225',"))
    assert baton("policy", "check", str(odd)).exit_code == 0
    result = baton("policy", "schema", str(odd))
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == (
        f'{odd}: business_hours.holidays[0]: "20261225" does not fit here. Days the business is closed: a list of '
        "dates written YYYY-MM-DD, like [2026-12-25, 2027-01-01], or {country: GB-ENG, dates: [2026-12-24]} for a "
        "country's or region's public holidays plus days of your own.\n"
    )
    answer = json.loads(baton("policy", "schema", str(odd), "--json").stdout)
    assert (answer["ok"], [p["path"] for p in answer["problems"]]) == (False, ["business_hours.holidays[0]"])


def test_schema_json_says_ok(baton: Baton) -> None:
    result = baton("policy", "schema", str(DEFAULT_POLICY), "--json")
    assert json.loads(result.stdout) == {"file": str(DEFAULT_POLICY), "ok": True, "problems": []}


def test_schema_without_jsonschema(baton: Baton, monkeypatch: pytest.MonkeyPatch, unchecked_loader: None) -> None:
    """Printing the schema needs nothing; checking a file against it needs jsonschema."""
    _validator.cache_clear()
    monkeypatch.setitem(sys.modules, "jsonschema", None)
    try:
        printed = baton("policy", "schema")
        checked = baton("policy", "schema", str(DEFAULT_POLICY))
    finally:
        _validator.cache_clear()
    assert (printed.exit_code, json.loads(printed.stdout)["title"]) == (0, "Baton policy")
    assert (checked.exit_code, checked.stdout) == (1, "")
    assert checked.stderr == (
        "Error: checking a file against the schema needs the jsonschema package, which is not installed: "
        "run `pip install jsonschema`, or run `baton policy check FILE` alone\n"
    )


# Keywords that mean the same in draft-07 as in 2020-12: the YAML extension
# for VS Code validates with a draft-07 engine.
DRAFT_07_AND_2020_12 = {
    "$schema", "$id", "title", "description", "type", "properties", "required", "additionalProperties",
    "propertyNames", "minProperties", "items", "minItems", "anyOf", "not", "enum", "const", "pattern",
    "minLength", "minimum", "if", "then", "else",
}


def keywords(schema: Any, names: set[str] | None = None) -> set[str]:
    names = set() if names is None else names
    if isinstance(schema, dict):
        for key, sub in schema.items():
            if key in ("properties",):
                for prop in sub.values():
                    keywords(prop, names)
            else:
                names.add(key)
                keywords(sub, names)
    elif isinstance(schema, list):
        for sub in schema:
            keywords(sub, names)
    return names


def test_editors_that_know_only_draft_07_read_it_the_same() -> None:
    schema = policy_schema()
    assert keywords(schema) - DRAFT_07_AND_2020_12 == set()
    Draft7Validator.check_schema({**schema, "$schema": "http://json-schema.org/draft-07/schema#"})
    assert Draft7Validator(schema).is_valid(policy_data(DEFAULT))
