"""What the API's server keeps between requests (the token's actor, the
policy in force) is never staler than the database: a token revoked, or a
policy applied, by another program while the server runs counts from the
very next request, on both stores."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from api_fixtures import auth, token_for
from conftest import Baton, add_ready_lead, query, sign_off
from test_api_routes import event_count, refused
from test_policy_apply import variant

pytestmark = [pytest.mark.filterwarnings("ignore:Using `httpx` with `starlette.testclient`"),
              pytest.mark.both_stores]


def test_a_token_revoked_while_the_server_writes_with_it_is_refused_at_its_next_write(
        client: Any, baton: Baton, db: Path) -> None:
    for lead in ("L-1", "L-2", "L-3"):
        add_ready_lead(baton, lead)
    jane = auth(token_for(baton, "jane"))
    for lead in ("L-1", "L-2"):
        assert client.post(f"/v1/leads/{lead}/advance", json={"trigger": "hand_over"}, headers=jane).status_code == 200
    assert baton("token", "revoke", "jane", actor="sam").exit_code == 0
    events = event_count(db)
    error = refused(client.post("/v1/leads/L-3/advance", json={"trigger": "hand_over"}, headers=jane), 401)
    assert error.startswith("this token is not valid: it is unknown or was revoked")
    assert event_count(db) == events
    assert query(db, "SELECT state FROM leads WHERE id = 'L-3'")[0][0] == "MQL"


def test_a_policy_applied_while_the_server_runs_is_the_one_its_next_request_acts_under(
        client: Any, baton: Baton, db: Path, tmp_path: Path) -> None:
    for lead in ("L-1", "L-2"):
        add_ready_lead(baton, lead)
    jane = auth(token_for(baton, "jane"))
    assert client.post("/v1/leads/L-1/advance", json={"trigger": "hand_over"}, headers=jane).json()["state"] == "SAL"
    renamed = variant(tmp_path, 2, rename_sal=True)  # SAL is called "handed" from version 2
    sign_off(baton, renamed)
    applied = baton("policy", "apply", str(renamed), "--map", "SAL=handed", actor="sam")
    assert applied.exit_code == 0, applied.stderr
    moved = client.post("/v1/leads/L-2/advance", json={"trigger": "hand_over"}, headers=jane)
    assert moved.status_code == 200, moved.text
    assert moved.json()["state"] == "handed"
    assert moved.json()["events"][0]["policy_version"] == 2
    assert client.get("/v1/leads/L-1", headers=jane).json()["state"] == "handed"
