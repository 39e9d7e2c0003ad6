"""`new_lead`: the one rule for what a new lead is, which `lead add` and
`lead import` both follow."""

from __future__ import annotations

import json
from typing import Any

import pytest
from conftest import DEFAULT_POLICY

from statemachine.chain import canonical
from statemachine.lifecycle import row_to_columns
from statemachine.new_lead import LeadTemplate, new_lead
from statemachine.policy import read_policy_file
from statemachine.policy.model import Policy
from statemachine.projection import apply, personal_digest
from statemachine.store import Event

pytestmark = pytest.mark.both_stores  # every database test here runs on SQLite and on PostgreSQL

AT = "2026-12-01T09:00:00Z"


@pytest.fixture(scope="module")
def policy() -> Policy:
    return read_policy_file(str(DEFAULT_POLICY))[1]


@pytest.fixture(scope="module")
def template(policy: Policy) -> LeadTemplate:
    return LeadTemplate(policy)


def made(template: LeadTemplate, given: dict[str, Any], blank: tuple[str, ...] = ()) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the `created` event's data, the row as `leads` holds it)."""
    data_text, _, values = new_lead(template, given, blank, template.salts())
    return json.loads(data_text), dict(zip(template.columns, template.row("L-1", AT, values)))


def test_a_field_not_given_takes_its_default(template: LeadTemplate) -> None:
    data, row = made(template, {"company": "Northwind"})
    assert data == {"fields": {"company": "Northwind", "score": 0}}
    assert (row["company"], row["score"]) == ("Northwind", 0)


def test_a_field_given_empty_is_null_even_with_a_default(template: LeadTemplate) -> None:
    data, row = made(template, {"company": "Northwind"}, blank=("score",))
    assert data == {"fields": {"company": "Northwind"}}
    assert row["score"] is None


def test_personal_values_are_sealed_in_the_event_and_kept_apart(template: LeadTemplate) -> None:
    data_text, sealed, _ = new_lead(template, {"email": "ana@northwind.example", "persona": "executive"}, (),
                                    template.salts())
    (digest, field, salt, text), = sealed
    assert (field, text) == ("email", '"ana@northwind.example"')
    assert digest == personal_digest(salt, text)
    assert json.loads(data_text)["fields"]["email"] == {"personal": digest}
    assert "ana@" not in data_text


@pytest.mark.parametrize("given, blank", [
    ({}, ()),
    ({"email": "ana@northwind.example", "first_name": "Ana", "score": 82, "persona": "executive"}, ()),
    ({"company": "Zoë's \"Bakery\"\n", "email": "z@example.com"}, ("score",)),
])
def test_the_row_is_the_one_the_projection_gives_the_event(
        policy: Policy, template: LeadTemplate, given: dict[str, Any], blank: tuple[str, ...]) -> None:
    """`audit verify` replays a `created` event through `projection.apply`
    and compares the result with the row the command wrote."""
    data_text, sealed, values = new_lead(template, given, blank, template.salts())
    assert canonical(json.loads(data_text)) == data_text  # the log's canonical JSON, as written
    plain = {digest: json.loads(text) for digest, _, _, text in sealed}
    event = Event(1, "L-1", AT, "jane", "created", None, template.initial, json.loads(data_text), 1, "0" * 64, "")
    replayed = apply(None, event, plain.get)
    assert row_to_columns(policy, replayed) == dict(zip(template.columns, template.row("L-1", AT, values)))
