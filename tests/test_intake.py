"""`intake_lead`: a lead posted by a web form or a webhook in its own words,
turned through the policy's `intake:` mapping into what `lead add` takes,
judged as `lead import` judges a JSON lines record (the same function)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import DEFAULT_POLICY, Baton, as_json

from statemachine.errors import BadIntake, UnknownIntake
from statemachine.intake import intake_lead
from statemachine.leadimport import BadRow, FieldSpec, LeadFile
from statemachine.policy import parse_policy
from statemachine.policy.model import Policy

INTAKE = """
intake:
  web_form:
    map: {E-mail: email, Company name: company, submit: }
    null: [N/A, "-"]
  hubspot:
    map: {firstname: first_name, lastname: last_name, hs_lead_score: score, lifecyclestage: }
    id: vid
    extra: error
"""


@pytest.fixture(scope="module")
def policy() -> Policy:
    return parse_policy(DEFAULT_POLICY.read_text(encoding="utf-8") + INTAKE, "policy.yaml")


def test_mapped_keys_fill_their_fields_and_other_keys_fill_fields_of_their_name(policy: Policy) -> None:
    lead_id, pairs = intake_lead(policy, "web_form", {
        "E-mail": "ana@northwind.example", "Company name": "Northwind", "Score": 75, "persona": "Manager",
        "submit": "Send", "utm_campaign": "spring", "page": {"path": "/demo"},
    })
    assert lead_id is None
    # parsed as the import parses (choices matched ignoring case); unknown keys left out
    assert pairs == [("email", "ana@northwind.example"), ("company", "Northwind"), ("score", "75"),
                     ("persona", "manager")]


def test_the_id_key_gives_the_lead_id(policy: Policy) -> None:
    assert intake_lead(policy, "hubspot", {"vid": 9001, "firstname": "Ana"}) == ("9001", [("first_name", "Ana")])
    assert intake_lead(policy, "hubspot", {"vid": " HS-1 ", "firstname": "Ana"})[0] == "HS-1"


def test_null_tokens_blank_and_null_values_are_no_value(policy: Policy) -> None:
    _, pairs = intake_lead(policy, "web_form", {"E-mail": "ana@northwind.example", "Company name": "N/A",
                                                "title": " - ", "product": "", "budget": None})
    assert pairs == [("email", "ana@northwind.example"), ("company", ""), ("title", ""), ("product", ""),
                     ("budget", "")]


def test_posted_json_values_become_the_values_lead_add_stores(baton: Baton, db: Path, policy: Policy) -> None:
    posted = {"E-mail": "ana@northwind.example", "score": 70.0, "budget": 25000.5, "authority": True,
              "phone": 447700900123, "timeline": "2027-02-01T00:00:00", "content": "  as written\n",
              "title": None}
    _, pairs = intake_lead(policy, "web_form", posted)
    result = baton("--json", "lead", "add", "--id", "W-1", *(f"{field}={value}" for field, value in pairs))
    assert as_json(result)["fields"] == {
        "email": "ana@northwind.example", "score": 70, "budget": 25000.5, "authority": True,
        "phone": "447700900123", "timeline": "2027-02-01", "content": "  as written\n",
    }


def test_a_field_posted_empty_is_null_not_its_default(baton: Baton, db: Path, policy: Policy) -> None:
    _, empty = intake_lead(policy, "web_form", {"E-mail": "ana@northwind.example", "score": "-"})
    _, absent = intake_lead(policy, "web_form", {"E-mail": "ana@northwind.example"})
    fields = {}
    for lead, pairs in (("W-1", empty), ("W-2", absent)):
        result = baton("--json", "lead", "add", "--id", lead, *(f"{field}={value}" for field, value in pairs))
        fields[lead] = as_json(result)["fields"]
    assert "score" not in fields["W-1"]
    assert fields["W-2"]["score"] == 0  # the policy's default


def test_an_unknown_intake_is_named_with_the_intakes_there_are(policy: Policy) -> None:
    with pytest.raises(UnknownIntake) as caught:
        intake_lead(policy, "webform", {"email": "ana@northwind.example"})
    assert str(caught.value) == "no intake 'webform' in the policy; did you mean 'web_form'? (intakes: web_form, hubspot)"


def test_a_policy_without_intakes_says_so() -> None:
    bare = parse_policy(DEFAULT_POLICY.read_text(encoding="utf-8"), "policy.yaml")
    with pytest.raises(UnknownIntake) as caught:
        intake_lead(bare, "web_form", {})
    assert str(caught.value) == "no intake 'web_form' in the policy (it has none yet; add one under intake:)"


def test_extra_error_refuses_keys_that_fill_no_field_naming_them(policy: Policy) -> None:
    with pytest.raises(BadIntake) as caught:
        intake_lead(policy, "hubspot", {"vid": 1, "firstname": "Ana", "hs_analytics_source": "ORGANIC",
                                        "lifecyclestage": "lead"})
    assert str(caught.value) == (
        "intake 'hubspot': a posted key that matches no field: 'hs_analytics_source'. Map it to a field under "
        "intake: hubspot: map: in the policy, like `hs_analytics_source: FIELD` (fields: first_name, last_name, "
        "email, phone, company, title, persona, source, product, awareness, content, next_steps, score, budget, "
        "authority, need, timeline), or set `extra: ignore` there to leave such keys out; no lead was added"
    )


def _import_reason(policy: Policy, tmp_path: Path, obj: dict[str, Any], intake: str) -> str:
    """Why `lead import` refuses the same object as one line of a JSON lines file."""
    spec = policy.intake[intake]
    path = tmp_path / "export.jsonl"
    path.write_text(json.dumps(obj) + "\n", encoding="utf-8")
    fields = {name: FieldSpec(f.type, f.choices) for name, f in policy.fields.items()}
    [row] = LeadFile(path, fields, spec.mapping, spec.nulls, "ignore")
    assert isinstance(row, BadRow)
    return row.reason


@pytest.mark.parametrize("obj", [
    {"E-mail": "ana at northwind", "score": "lots"},
    {"E-mail": "ana@northwind.example", "persona": "ceo"},
    {"email": "ana@northwind.example", "E-mail": "ana@northwind.example"},
    {"id": "L 1", "email": "ana@northwind.example"},
    {"email": {"work": "ana@northwind.example"}},
    {"email": ["ana@northwind.example"]},
    {"authority": "maybe", "timeline": "2027-02-30"},
], ids=["bad values", "choice", "two keys one field", "id", "object", "list", "yes-no and date"])
def test_a_bad_post_is_refused_with_the_import_s_reason(policy: Policy, tmp_path: Path, obj: dict[str, Any]) -> None:
    with pytest.raises(BadIntake) as caught:
        intake_lead(policy, "web_form", obj)
    assert caught.value.reason == _import_reason(policy, tmp_path, obj, "web_form")
    assert str(caught.value) == f"intake 'web_form': {caught.value.reason}; no lead was added"


def test_a_nested_value_is_refused_in_plain_words(policy: Policy) -> None:
    with pytest.raises(BadIntake) as caught:
        intake_lead(policy, "web_form", {"E-mail": {"work": "ana@northwind.example"}})
    assert str(caught.value) == ("intake 'web_form': field 'email': {\"work\": \"ana@northwind.example\"} is an "
                                 "object, but a field holds a single value; no lead was added")


def test_a_post_that_fills_nothing_is_refused(policy: Policy) -> None:
    with pytest.raises(BadIntake) as caught:
        intake_lead(policy, "web_form", {"properties": {"email": {"value": "ana@northwind.example"}}})
    assert str(caught.value).startswith(
        "intake 'web_form': none of the posted keys ('properties') fills a field or the id; map it to a field "
        "under intake: web_form: map: in the policy")
    with pytest.raises(BadIntake, match="the post has no keys"):
        intake_lead(policy, "web_form", {})


def test_a_post_that_is_not_an_object_is_refused(policy: Policy) -> None:
    with pytest.raises(BadIntake) as caught:
        intake_lead(policy, "web_form", ["ana@northwind.example"])  # type: ignore[arg-type]
    assert str(caught.value) == ('intake \'web_form\': a lead is posted as one JSON object of keys and values, '
                                 'like {"email": "jane@example.com"}; no lead was added')


def test_the_readme_example_is_a_policy_part_that_reads_as_it_says() -> None:
    readme = (DEFAULT_POLICY.parent.parent / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Leads from web forms and other tools", 1)[1]
    example = section.split("```yaml\n", 1)[1].split("```", 1)[0]
    documented = parse_policy(DEFAULT_POLICY.read_text(encoding="utf-8") + example, "README.md")
    assert intake_lead(documented, "web_form", {"E-mail": "ana@northwind.example", "Job title": "CFO",
                                                 "Company name": "N/A", "submit": "Send", "utm": "x"}) == (
        None, [("email", "ana@northwind.example"), ("title", "CFO"), ("company", "")])
    assert intake_lead(documented, "hubspot", {"vid": 51, "firstname": "Ana", "hs_lead_score": "80"}) == (
        "51", [("first_name", "Ana"), ("score", "80")])
    with pytest.raises(BadIntake, match="a posted key that matches no field: 'hs_object_source'"):
        intake_lead(documented, "hubspot", {"vid": 51, "hs_object_source": "FORM"})


def test_a_post_with_many_unknown_keys_names_ten_and_counts_the_rest(policy: Policy) -> None:
    posted = {"vid": 1, **{f"hs_{n:02}": "x" for n in range(25)}}
    with pytest.raises(BadIntake) as caught:
        intake_lead(policy, "hubspot", posted)
    assert ("posted keys that match no field: 'hs_00', 'hs_01', 'hs_02', 'hs_03', 'hs_04', 'hs_05', 'hs_06', "
            "'hs_07', 'hs_08', 'hs_09' and 15 more. Map each") in str(caught.value)
