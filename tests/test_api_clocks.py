"""The SLA clocks a change answers with (POST, PATCH, intake, and `lead ...
--json`) are the lead's as `GET /v1/leads/{id}` and `lead show --json` read
them back right after: a change's answer takes them from the engine when it
entered a state (`Recorder.clocks`), and reads them otherwise."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from api_fixtures import auth, token_for
from conftest import BANT, MONDAY_9AM, READY, Baton, as_json

pytestmark = [pytest.mark.filterwarnings("ignore:Using `httpx` with `starlette.testclient`"),
              pytest.mark.both_stores]

CLOCKS = """sla:
  - name: touch
    state: MQL
    within: 2d
  - name: score_it
    state: MQL
    within: 2d
  - name: zz_call
    state: SQL
    within: 1h
"""
INTAKE = """
intake:
  web_form:
    map: {E-mail: email}
"""


def fields_of(pairs: list[str]) -> dict[str, Any]:
    return {name: value for name, _, value in (pair.partition("=") for pair in pairs)}


def test_every_changes_answer_has_the_clocks_get_reads_back(baton: Baton, policy_file: Path, db_path: Path) -> None:
    from starlette.testclient import TestClient

    from statemachine.api.app import build_app

    policy_file.write_text(policy_file.read_text(encoding="utf-8").replace("sla:\n", CLOCKS, 1) + INTAKE,
                           encoding="utf-8")
    assert baton("init", "--policy", str(policy_file)).exit_code == 0
    jane, alice, carol = (auth(token_for(baton, name)) for name in ("jane", "alice", "carol"))
    with TestClient(build_app(str(db_path), MONDAY_9AM)) as client:
        def same(answer: Any, who: dict[str, str], status: int = 200) -> None:
            assert answer.status_code == status, answer.text
            written = answer.json()
            written.pop("events")
            assert written == client.get(f"/v1/leads/{written['id']}", headers=who).json()

        same(client.post("/v1/intake/web_form", json={"E-mail": "bo@example.com"}, headers=jane), jane, 201)
        added = client.post("/v1/leads", json={"id": "W-1", "fields": {**fields_of(READY), "persona": "executive"}}, headers=jane)
        same(added, jane, 201)
        assert [clock["name"] for clock in added.json()["sla"]] == ["score_it", "touch"]  # same due: by name
        same(client.patch("/v1/leads/W-1", json={"fields": {"score": 80}}, headers=jane), jane)
        same(client.post("/v1/leads/W-1/attempts", json={}, headers=jane), jane, 201)
        same(client.post("/v1/leads/W-1/advance", json={"trigger": "hand_over"}, headers=jane), jane)
        same(client.patch("/v1/leads/W-1", json={"fields": fields_of(BANT)}, headers=alice), alice)
        qualified = client.post("/v1/leads/W-1/advance", json={"trigger": "qualify"}, headers=alice)
        same(qualified, alice)  # routed to carol, with two clocks
        assert [clock["name"] for clock in qualified.json()["sla"]] == ["zz_call", "acknowledge"]
        same(client.patch("/v1/leads/W-1", json={"fields": {"need": "faster"}}, headers=carol), carol)
        same(client.post("/v1/leads/W-1/attempts", json={"channel": "call"}, headers=carol), carol, 201)
        for trigger in ("accept", "contact"):
            same(client.post("/v1/leads/W-1/advance", json={"trigger": trigger}, headers=carol), carol)
        for _ in range(3):  # in contacted, with its follow_up clock running
            same(client.post("/v1/leads/W-1/attempts", json={}, headers=carol), carol, 201)
        same(client.post("/v1/leads/W-1/advance", json={"trigger": "recycle", "args": {"reason": "later"}},
                         headers=carol), carol)
        same(client.post("/v1/leads/W-1/advance", json={"trigger": "renurture"}, headers=jane), jane)
    # and at the command line, into SQL with its routing
    assert baton("lead", "add", "--id", "C-1", *READY, now=MONDAY_9AM).exit_code == 0
    assert baton("lead", "advance", "C-1", "hand_over", now=MONDAY_9AM).exit_code == 0
    assert baton("lead", "set", "C-1", *BANT, actor="alice", now=MONDAY_9AM).exit_code == 0
    answer = as_json(baton("--json", "lead", "advance", "C-1", "qualify", actor="alice", now=MONDAY_9AM))
    answer.pop("events")
    assert answer == as_json(baton("--json", "lead", "show", "C-1", actor="alice", now=MONDAY_9AM))
