"""Odd input a new user met while trying the HTTP API and `serve --http`:
each is one plain sentence with the status (or exit code) SPEC gives it,
never a 500 or a traceback, and nothing written."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import pytest
from conftest import Baton, add_ready_lead, as_json, to_sql
from test_api_routes import event_count
from test_notify import free_port

pytestmark = [pytest.mark.filterwarnings("ignore:Using `httpx` with `starlette.testclient`"),
              pytest.mark.both_stores]


@pytest.mark.parametrize("value", ["\u00b2", "\u0661", "-1", "1.5"])  # superscript two, Arabic-Indic one
def test_a_query_number_that_is_not_ascii_digits_is_a_422(client: Any, jane: dict[str, str], value: str) -> None:
    for name in ("after", "limit", "wait"):
        answer = client.get("/v1/events", params={name: value}, headers=jane)
        assert answer.status_code == 422, answer.text
        assert answer.json() == {"error": f"?{name}={value} is not a whole number; write it like ?{name}=0"}


def test_an_after_beyond_any_seq_is_an_empty_list_not_a_fault(client: Any, jane: dict[str, str],
                                                              baton: Baton) -> None:
    add_ready_lead(baton, "L-1")
    for after in ("9223372036854775807", "9223372036854775808", "9" * 40):
        answer = client.get(f"/v1/events?after={after}", headers=jane)
        assert (answer.status_code, answer.json()) == (200, []), answer.text


def test_a_field_cleared_by_patch_is_absent_from_the_answer(client: Any, jane: dict[str, str], baton: Baton,
                                                            db: Path) -> None:
    add_ready_lead(baton, "L-1")  # with a score
    answer = client.patch("/v1/leads/L-1", json={"fields": {"score": None}}, headers=jane)
    assert answer.status_code == 200, answer.text
    assert "score" not in answer.json()["fields"]
    assert answer.json()["fields"] == client.get("/v1/leads/L-1", headers=jane).json()["fields"]


def test_a_field_cleared_by_lead_set_is_absent_from_its_json(baton: Baton, db: Path) -> None:
    add_ready_lead(baton, "L-1")  # with a score
    shown = as_json(baton("lead", "set", "L-1", "score=", "--json"))
    assert "score" not in shown["fields"]
    assert shown["fields"] == as_json(baton("lead", "show", "L-1", "--json"))["fields"]


def test_serve_on_a_port_in_use_says_so_and_sweeps_nothing(baton: Baton, db: Path) -> None:
    to_sql(baton, "L-1")  # its acknowledge clock is long due a month later: a sweep round would breach it
    before = event_count(db)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = baton("serve", "--http", f"127.0.0.1:{port}", now="2026-12-23T09:00:00", actor=None)
    assert result.exit_code == 1
    assert result.stderr == (f"Error: could not serve on 127.0.0.1:{port}: port {port} is already in use by "
                             "another program there; pick another --http HOST:PORT, like 127.0.0.1:8080\n")
    assert event_count(db) == before


@pytest.mark.parametrize(("host", "why"), [
    ("192.0.2.1", "192.0.2.1 is not an address of this machine; pick another --http HOST:PORT, like 127.0.0.1:8080"),
    ("no-such-host.invalid", "'no-such-host.invalid' is not an address of this machine nor a name it can look up; "
                             "write an address like 127.0.0.1 (loopback) or 0.0.0.0"),
])
def test_serve_on_an_address_not_this_machines_says_so(baton: Baton, db: Path, host: str, why: str) -> None:
    port = free_port()
    result = baton("serve", "--http", f"{host}:{port}", actor=None)
    assert result.exit_code == 1
    assert result.stderr == f"Error: could not serve on {host}:{port}: {why}\n"


def test_token_list_by_someone_not_an_api_admin_says_list(baton: Baton, db: Path) -> None:
    result = baton("token", "list", actor="jane")
    assert result.exit_code == 1
    assert result.stderr == ("Error: jane may not list API tokens: only sales_manager (sam) may, "
                             "as the policy's `api: {admins: [...]}` says\n")


def test_a_lead_id_with_a_slash_is_reached_written_as_is_or_encoded(client: Any, jane: dict[str, str],
                                                                  baton: Baton) -> None:
    # `lead import` and `lead add --id` take ids such as a CRM's `ACME/7`
    add_ready_lead(baton, "ACME/7")
    for path in ("/v1/leads/ACME/7", "/v1/leads/ACME%2F7"):
        answer = client.get(path, headers=jane)
        assert (answer.status_code, answer.json()["id"]) == (200, "ACME/7"), answer.text
    moved = client.post("/v1/leads/ACME%2F7/advance", json={"trigger": "hand_over"}, headers=jane)
    assert (moved.status_code, moved.json()["id"], moved.json()["state"]) == (200, "ACME/7", "SAL"), moved.text
    # a lead's own sub-paths keep their meaning: PATCH is not one of advance's methods
    assert client.patch("/v1/leads/L-9/advance", json={"fields": {}}, headers=jane).status_code == 405


@pytest.mark.parametrize("path", ["/v1/leads", "/v1/leads/L-1", "/v1/intake/web"])
def test_json_nested_too_deeply_is_a_422_not_a_fault(client: Any, jane: dict[str, str], baton: Baton, db: Path,
                                                     path: str) -> None:
    add_ready_lead(baton, "L-1")
    before = event_count(db)
    body = '{"fields": {"need": ' + "[" * 100_000 + "]" * 100_000 + "}}"  # 200 kB, under the limit
    answer = client.request("PATCH" if path == "/v1/leads/L-1" else "POST", path, content=body, headers=jane)
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"].startswith("the request body nests lists or objects too deeply to read; "
                                             "send one JSON object of plain values, like {")
    assert event_count(db) == before


def test_a_changes_answer_lists_the_fields_in_lead_shows_order(client: Any, jane: dict[str, str],
                                                               baton: Baton) -> None:
    """A client comparing answers as text, or showing the fields in order,
    sees the lead the same after POST and PATCH as GET shows it: the policy's order."""
    added = client.post("/v1/leads", json={"id": "W-1", "fields": {"source": "webinar", "email": "a@b.example",
                                                                     "awareness": "problem"}}, headers=jane)
    assert added.status_code == 201, added.text
    shown = client.get("/v1/leads/W-1", headers=jane).json()
    assert list(added.json()["fields"]) == list(shown["fields"]) == ["email", "source", "awareness", "score"]
    changed = client.patch("/v1/leads/W-1", json={"fields": {"first_name": "Ana"}}, headers=jane)
    assert changed.status_code == 200, changed.text
    assert list(changed.json()["fields"]) == list(client.get("/v1/leads/W-1", headers=jane).json()["fields"])
    cli = as_json(baton("lead", "add", "--id", "W-2", "source=webinar", "email=a@b.example", "--json"))
    assert list(cli["fields"]) == list(as_json(baton("lead", "show", "W-2", "--json"))["fields"])


def test_a_write_with_a_query_string_is_refused_not_half_read(client: Any, jane: dict[str, str], db: Path) -> None:
    """`POST /v1/leads?id=W-1` must not make a lead under another id, as GET's
    unknown queries are refused; a query alone is no token, though (401 first)."""
    before = event_count(db)
    answer = client.post("/v1/leads?id=W-1", json={"fields": {"score": 70}}, headers=jane)
    assert answer.status_code == 422, answer.text
    assert answer.json() == {"error": "POST /v1/leads does not take ?id; send its values in the JSON body, "
                                      "as GET /v1/openapi.json describes"}
    assert client.patch("/v1/leads/L-1?fields=x&dry_run", json={"fields": {}}, headers=jane).json() == {
        "error": "PATCH /v1/leads/L-1 does not take ?fields, ?dry_run; send its values in the JSON body, "
                 "as GET /v1/openapi.json describes"}
    assert client.post("/v1/leads?id=W-1", json={}).status_code == 401
    assert event_count(db) == before


def test_a_query_name_given_twice_is_refused_not_half_read(client: Any, jane: dict[str, str], baton: Baton) -> None:
    """`?state=MQL&state=SAL` read as SAL alone would answer a list that looks
    complete; it is refused, as every other query the path does not take."""
    add_ready_lead(baton, "L-1")
    answer = client.get("/v1/leads?state=MQL&state=SAL", headers=jane)
    assert answer.status_code == 422, answer.text
    assert answer.json() == {"error": "?state is given more than once; give it once, like ?state=MQL"}
    answer = client.get("/v1/events?after=0&after=1", headers=jane)
    assert (answer.status_code, answer.json()) == (
        422, {"error": "?after is given more than once; give it once, like ?after=0"})
    assert [lead["id"] for lead in client.get("/v1/leads?state=MQL", headers=jane).json()] == ["L-1"]


def test_openapi_takes_the_attempt_bodies_the_server_takes(client: Any, jane: dict[str, str], baton: Baton) -> None:
    """A client built from the document may send what the server takes: no body, or null for channel and note."""
    import jsonschema

    add_ready_lead(baton, "L-1")
    document = client.get("/v1/openapi.json", headers=jane).json()
    post = document["paths"]["/v1/leads/{id}/attempts"]["post"]
    assert post["requestBody"]["required"] is False
    assert client.post("/v1/leads/L-1/attempts", headers=jane).status_code == 201
    body = {"channel": None, "note": None}
    jsonschema.validate(body, {**document, "$ref": "#/components/schemas/Attempt"})
    assert client.post("/v1/leads/L-1/attempts", json=body, headers=jane).status_code == 201
