"""The documented JSON shapes (statemachine/shapes.py) hold what the CLI
really prints: `lead show --json`, `lead list --json` and `audit log --json`
of leads in several states, owned and not, with clocks running and breached,
recycled, and with personal values erased; and they refuse what it does not."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from conftest import BANT, DEFAULT_POLICY, Baton, add_ready_lead, as_json, json_lines
from jsonschema import Draft202012Validator

from statemachine.policy import read_policy_file
from statemachine.shapes import event_schema, lead_schema

LEADS = ("L-1", "L-2", "L-3", "L-4", "L-5")


@pytest.fixture
def policy_file(tmp_path: Path) -> Path:
    """The default policy, but a breach only tells people: the clock stays breached."""
    text = DEFAULT_POLICY.read_text(encoding="utf-8")
    reassign = "      reassign: true           # give it to another rep if nobody acknowledged it\n"
    assert text.count(reassign) == 1
    target = tmp_path / "policy.yaml"
    target.write_text(text.replace(reassign, ""), encoding="utf-8")
    return target


@pytest.fixture
def many(baton: Baton, db: Path) -> Path:
    """L-1 in SQL owned by a rep, its clock breached and swept; L-2 a bare lead
    in MQL; L-3 recycled with a reason; L-4 in SAL with every type of field;
    L-5 in SAL with its personal values erased."""
    for lead in ("L-1", "L-3", "L-4", "L-5"):
        add_ready_lead(baton, lead, "first_name=Ana", "phone=+44 20 7946 0958")
        assert baton("lead", "advance", lead, "hand_over").exit_code == 0
    assert baton("lead", "set", "L-1", *BANT, actor="alice").exit_code == 0
    assert baton("lead", "advance", "L-1", "qualify", actor="alice").exit_code == 0
    assert baton("sla", "sweep", now="2026-11-30T11:00").exit_code == 0
    assert baton("lead", "add", "--id", "L-2", "score=10", "title=").exit_code == 0
    assert baton("lead", "advance", "L-3", "recycle", "reason=no budget this year", actor="alice").exit_code == 0
    assert baton("lead", "set", "L-4", *BANT, "content=  two\nlines  ", actor="alice").exit_code == 0
    assert baton("lead", "forget", "L-5", "--reason", "asked by email", actor="sam").exit_code == 0
    return db


def validator(schema: dict[str, Any]) -> Draft202012Validator:
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def errors(check: Draft202012Validator, instance: Any) -> list[str]:
    return [f"{list(error.absolute_path)}: {error.message}" for error in check.iter_errors(instance)]


@pytest.fixture
def lead_check(policy_file: Path) -> Draft202012Validator:
    return validator(lead_schema(read_policy_file(str(policy_file))[1]))


def shown(baton: Baton, lead: str, actor: str = "alice") -> Any:
    return as_json(baton("--json", "lead", "show", lead, actor=actor, now="2026-11-30T12:00"))


def test_every_lead_shown_fits_the_lead_shape(baton: Baton, many: Path, lead_check: Draft202012Validator) -> None:
    seen = {}
    for lead in LEADS:
        for actor in ("alice", "jane", "sam"):
            lead_json = shown(baton, lead, actor)
            assert errors(lead_check, lead_json) == [], lead
            seen[lead] = lead_json
    # the fixture gives what the shape must cover
    assert {seen[lead]["state"] for lead in LEADS} == {"SQL", "MQL", "recycled", "SAL"}
    assert seen["L-1"]["owner"] is not None and seen["L-1"]["sla"][0]["breached_at"] is not None
    assert "email" not in seen["L-5"]["fields"] and seen["L-5"]["fields"]["score"] == 75
    assert {"budget", "authority", "timeline", "content"} <= set(seen["L-4"]["fields"])


def test_lead_list_prints_the_same_shape(baton: Baton, many: Path, lead_check: Draft202012Validator) -> None:
    listed = json_lines(baton("--json", "lead", "list", actor="alice"))
    assert sorted(lead["id"] for lead in listed) == sorted(LEADS)
    for lead_json in listed:
        assert errors(lead_check, lead_json) == []


def test_every_event_of_the_log_fits_the_event_shape(baton: Baton, many: Path) -> None:
    check = validator(event_schema())
    events = json_lines(baton("--json", "audit", "log"))
    kinds = {event["event"] for event in events}
    assert {"policy_applied", "created", "updated", "assigned", "sla_breach", "recycle", "erased"} <= kinds
    for event in events:
        assert errors(check, event) == [], event


@pytest.mark.parametrize(("change", "complaint"), [
    (lambda lead: lead.update(state="Qualified"), "'Qualified' is not one of"),
    (lambda lead: lead["fields"].update(score="high"), "'high' is not of type 'integer'"),
    (lambda lead: lead["fields"].update(persona="ceo"), "'ceo' is not one of"),
    (lambda lead: lead["fields"].update(timeline="next spring"), "does not match"),
    (lambda lead: lead["fields"].update(colour="red"), "'colour' was unexpected"),
    (lambda lead: lead["allowed"].append("promote"), "'promote' is not one of"),
    (lambda lead: lead["checklists"]["handover"].append("shoe size"), "'shoe size' is not one of"),
    (lambda lead: lead["sla"][0].update(due="Monday"), "does not match"),
    (lambda lead: lead.pop("owner"), "'owner' is a required property"),
    (lambda lead: lead.update(rank=1), "'rank' was unexpected"),
], ids=["state", "integer", "choice", "date", "unknown field", "trigger", "checklist label", "time",
        "missing key", "unknown key"])
def test_the_lead_shape_refuses_what_baton_never_prints(
        baton: Baton, many: Path, lead_check: Draft202012Validator, change: Any, complaint: str) -> None:
    lead = copy.deepcopy(shown(baton, "L-1"))
    lead["checklists"]["handover"] = []
    change(lead)
    [error] = errors(lead_check, lead)
    assert complaint in error


@pytest.mark.parametrize(("key", "value", "complaint"), [
    ("hash", "abc", "does not match"),
    ("seq", 0, "less than the minimum"),
    ("at", "yesterday", "does not match"),
    ("data", "created", "is not of type 'object'"),
], ids=["hash", "seq", "time", "data"])
def test_the_event_shape_refuses_what_baton_never_prints(baton: Baton, many: Path, key: str, value: Any,
                                                         complaint: str) -> None:
    event = json_lines(baton("--json", "audit", "log", "--lead", "L-1"))[0]
    event[key] = value
    [error] = errors(validator(event_schema()), event)
    assert complaint in error


def test_a_lead_shape_follows_its_policy() -> None:
    from statemachine.policy import parse_policy

    text = DEFAULT_POLICY.read_text(encoding="utf-8").replace("  need: {type: text}\n",
                                                              "  need: {type: text}\n  region: {type: choice, values: [emea, apac]}\n")
    schema = lead_schema(parse_policy(text, "p.yaml"))
    assert schema["properties"]["fields"]["properties"]["region"]["enum"] == ["emea", "apac"]
    assert schema["properties"]["state"]["enum"][:3] == ["MQL", "SAL", "SQL"]


def _documented_keys(table_heading: str) -> list[str]:
    """The keys the README's table after `table_heading` names, in order."""
    readme = (DEFAULT_POLICY.parent.parent / "README.md").read_text(encoding="utf-8")
    section = readme.split("## The JSON shapes", 1)[1].split(table_heading, 1)[1]
    rows = [line for line in section.split("\n\n", 2)[1].splitlines() if line.startswith("| `")]
    return [key.strip(" `") for row in rows for key in row.split("|")[1].split(",")]


def test_the_readme_documents_every_key_of_both_shapes(policy_file: Path) -> None:
    lead = lead_schema(read_policy_file(str(policy_file))[1])
    assert _documented_keys("A lead:") == list(lead["properties"])
    assert _documented_keys("An event:") == list(event_schema()["properties"])
