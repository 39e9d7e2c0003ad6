"""The HTTP API's routes, in process through Starlette's TestClient: each
endpoint answers what the CLI's --json prints, refuses what the CLI refuses
with the CLI's sentence and the status SPEC gives it, and writes nothing
when it refuses. Tokens and the reports page too."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from api_fixtures import auth, token_for
from conftest import BANT, MONDAY_9AM, READY, Baton, add_ready_lead, as_json, change, json_lines, query

from statemachine.limits import MAX_REQUEST_BYTES

# Starlette's TestClient would rather have httpx2; httpx is what the real-server tests use too.
pytestmark = [pytest.mark.filterwarnings("ignore:Using `httpx` with `starlette.testclient`"),
              pytest.mark.both_stores]


def fields_of(pairs: list[str]) -> dict[str, Any]:
    return dict(pair.split("=", 1) for pair in pairs)


def event_count(db: Path) -> int:
    return int(query(db, "SELECT count(*) FROM events")[0][0])


def refused(answer: Any, status: int) -> str:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == "application/json"
    body = answer.json()
    assert list(body) == ["error"]
    return str(body["error"])


# -- tokens -------------------------------------------------------------------------
def test_token_create_prints_the_token_last_and_keeps_only_its_hash(baton: Baton, db: Path, store: str) -> None:
    result = baton("token", "create", "jane", actor="sam")
    assert result.exit_code == 0, result.stderr
    token = result.stdout.strip().splitlines()[-1]
    assert token.startswith("baton_") and len(token) > 40
    stored = query(db, "SELECT hash, actor, created_by FROM api_tokens")
    import hashlib

    assert stored == [(hashlib.sha256(token.encode()).hexdigest(), "jane", "sam")]
    if store == "sqlite":  # the file itself holds no token, only its hash
        assert token not in db.read_bytes().decode("latin-1")
    made = as_json(baton("token", "create", "alice", "--json", actor="sam"))
    assert made["actor"] == "alice" and made["token"].startswith("baton_")


def test_only_the_api_admins_make_or_revoke_tokens(baton: Baton, db: Path) -> None:
    for args in (("create", "alice"), ("revoke", "alice")):
        result = baton("token", *args, actor="jane")
        assert result.exit_code == 1
        assert result.stderr == ("Error: jane may not make or revoke API tokens: only sales_manager (sam) may, "
                                 "as the policy's `api: {admins: [...]}` says\n")
    assert baton("token", "list", actor="sam").stdout == "No API tokens yet; make one with `baton token create ACTOR`.\n"


def test_a_token_is_only_for_a_person_of_the_policy(baton: Baton, db: Path) -> None:
    result = baton("token", "create", "alcie", actor="sam")
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: 'alcie' is in no role of the policy (did you mean 'alice'?), "
                                    "so gets no token")
    assert baton("token", "create", "system", actor="sam").exit_code == 1


def test_a_revoked_token_is_refused_at_once(baton: Baton, client: Any) -> None:
    token = token_for(baton, "jane")
    assert client.get("/v1/leads", headers=auth(token)).status_code == 200
    result = baton("token", "revoke", "jane", actor="sam")
    assert result.stdout == "Revoked 1 token of jane; requests with it are refused from now on.\n"
    error = refused(client.get("/v1/leads", headers=auth(token)), 401)
    assert error.startswith("this token is not valid: it is unknown or was revoked")
    again = baton("token", "revoke", "jane", actor="sam")
    assert again.exit_code == 1
    assert "jane has no token to revoke" in again.stderr
    listed = json_lines(baton("token", "list", "--json", actor="sam"))
    assert [(row["actor"], row["revoked_by"]) for row in listed] == [("jane", "sam")]


def test_token_list_reads_while_another_program_writes(baton: Baton, db: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """Once the tables are there, listing tokens (and checking for the
    tables) takes no write lock: it answers while another program writes."""
    from statemachine.store import Store

    token_for(baton, "jane")
    monkeypatch.setenv("BATON_BUSY_TIMEOUT_MS", "100")
    holder = Store.open(str(db), write=True)
    try:
        holder.db.execute("BEGIN IMMEDIATE")
        listed = baton("token", "list", "--json", actor="sam")
        assert listed.exit_code == 0, listed.stderr
        assert [row["actor"] for row in json_lines(listed)] == ["jane"]
        assert baton("token", "create", "alice", actor="sam").exit_code == 1  # a write waits, then is refused
    finally:
        holder.db.execute("ROLLBACK")
        holder.close()


def test_no_token_or_a_wrong_one_is_401_and_writes_nothing(client: Any, db: Path) -> None:
    before = event_count(db)
    for headers in ({}, auth("baton_not-a-real-token"), {"Authorization": "Basic amFuZTpzZWNyZXQ="}):
        answer = client.post("/v1/leads", json={"fields": {"score": 70}}, headers=headers)
        assert answer.status_code == 401
        assert answer.headers["www-authenticate"].startswith("Bearer")
    assert refused(client.get("/v1/leads/L-1"), 401).startswith("this request has no token")
    assert event_count(db) == before


# -- leads ----------------------------------------------------------------------------
def test_post_leads_answers_201_and_the_lead_as_lead_show_prints_it(client: Any, jane: dict[str, str],
                                                                    baton: Baton) -> None:
    answer = client.post("/v1/leads", json={"id": "L-7", "fields": {**fields_of(READY), "score": 75}}, headers=jane)
    assert answer.status_code == 201, answer.text
    body = answer.json()
    events = body.pop("events")
    assert [(e["event"], e["actor"], e["lead"]) for e in events] == [("created", "jane", "L-7")]
    assert body == as_json(baton("lead", "show", "L-7", "--json"))
    assert client.get("/v1/leads/L-7", headers=jane).json() == body
    assert events == json_lines(baton("audit", "log", "--lead", "L-7", "--json"))


def test_advance_patch_and_attempts_act_as_the_tokens_actor(client: Any, baton: Baton, db: Path) -> None:
    add_ready_lead(baton, "L-1")
    jane, alice = auth(token_for(baton, "jane")), auth(token_for(baton, "alice"))
    moved = client.post("/v1/leads/L-1/advance", json={"trigger": "hand_over"}, headers=jane)
    assert moved.status_code == 200, moved.text
    assert moved.json()["state"] == "SAL"
    changed = client.patch("/v1/leads/L-1", json={"fields": {**fields_of(BANT), "budget": 25000,
                                                             "authority": True}}, headers=alice)
    assert changed.status_code == 200, changed.text
    assert changed.json()["fields"]["authority"] is True
    qualified = client.post("/v1/leads/L-1/advance", json={"trigger": "qualify", "args": {"note": "BANT met"}},
                            headers=alice)
    assert qualified.json()["state"] == "SQL"
    attempt = client.post("/v1/leads/L-1/attempts", json={"channel": "call", "note": "voicemail"}, headers=alice)
    assert attempt.status_code == 201, attempt.text
    log = json_lines(baton("audit", "log", "--lead", "L-1", "--json"))
    assert [(e["event"], e["actor"]) for e in log[1:]] == [
        ("hand_over", "jane"), ("updated", "alice"), ("qualify", "alice"), ("assigned", "alice"),
        ("attempt", "alice")]
    assert log[3]["data"] == {"note": "BANT met"}


def test_get_leads_filters_as_lead_list_does(client: Any, jane: dict[str, str], baton: Baton) -> None:
    add_ready_lead(baton, "L-1")
    assert baton("lead", "add", "--id", "L-2", "score=10").exit_code == 0
    assert baton("lead", "advance", "L-1", "hand_over").exit_code == 0
    assert [lead["id"] for lead in client.get("/v1/leads", headers=jane).json()] == ["L-1", "L-2"]
    assert client.get("/v1/leads?state=SAL", headers=jane).json() == json_lines(
        baton("lead", "list", "--state", "SAL", "--json"))
    assert [lead["id"] for lead in client.get("/v1/leads", params={"where": "score < 50"}, headers=jane).json()] == ["L-2"]
    error = refused(client.get("/v1/leads?state=sal", headers=jane), 422)
    assert error == baton("lead", "list", "--state", "sal").stderr.removeprefix("Error: ").rstrip("\n")
    assert "does not take ?color" in refused(client.get("/v1/leads?color=red", headers=jane), 422)


# -- refusals: the CLI's sentence, the SPEC's status, nothing written ---------------------
def cli_error(baton: Baton, *args: str, actor: str = "jane") -> str:
    result = baton(*args, actor=actor)
    assert result.exit_code == 1, result.output
    return str(result.stderr.removeprefix("Error: ").rstrip("\n"))


def test_each_refusal_is_the_clis_sentence_with_its_status(client: Any, baton: Baton, db: Path) -> None:
    add_ready_lead(baton, "L-1")
    assert baton("lead", "add", "--id", "L-2", "score=10").exit_code == 0
    jane = auth(token_for(baton, "jane"))
    assert baton("lead", "advance", "L-1", "hand_over").exit_code == 0
    cases = [
        (403, ("L-1", "qualify", {}), ("lead", "advance", "L-1", "qualify")),
        (404, ("L-9", "hand_over", {}), ("lead", "advance", "L-9", "hand_over")),
        (409, ("L-1", "hand_over", {}), ("lead", "advance", "L-1", "hand_over")),  # out of MQL only
        (409, ("L-2", "hand_over", {}), ("lead", "advance", "L-2", "hand_over")),  # checklist and score
        (422, ("L-2", "hand_ovr", {}), ("lead", "advance", "L-2", "hand_ovr")),
        (422, ("L-2", "hand_over", {"reasn": "x"}), ("lead", "advance", "L-2", "hand_over", "reasn=x")),
    ]
    before = event_count(db)
    for status, (lead, trigger, args), command in cases:
        answer = client.post(f"/v1/leads/{lead}/advance", json={"trigger": trigger, "args": args}, headers=jane)
        assert refused(answer, status) == cli_error(baton, *command), command
    dup = client.post("/v1/leads", json={"id": "L-1", "fields": {}}, headers=jane)
    assert refused(dup, 409) == cli_error(baton, "lead", "add", "--id", "L-1")
    bad = client.post("/v1/leads", json={"fields": {"score": "lots", "emial": "a@b.example"}}, headers=jane)
    assert refused(bad, 422) == cli_error(baton, "lead", "add", "score=lots", "emial=a@b.example")
    assert event_count(db) == before


def test_bad_bodies_are_422_with_a_plain_sentence(client: Any, jane: dict[str, str], db: Path) -> None:
    before = event_count(db)
    post = client.post
    assert "is not valid JSON (line 1, column 12" in refused(
        post("/v1/leads", content=b'{"fields": ', headers=jane), 422)
    assert refused(post("/v1/leads", content=b"", headers=jane), 422).startswith("the request body is empty")
    assert refused(post("/v1/leads", json=[1], headers=jane), 422).startswith(
        "the request body is a JSON list, not an object")
    assert refused(post("/v1/leads", json={"feilds": {}}, headers=jane), 422).startswith(
        "the request body has 'feilds' (did you mean 'fields'?), which it does not take; it takes id, fields")
    assert refused(post("/v1/leads", json={"fields": {"score": [1, 2]}}, headers=jane), 422) == (
        "field 'score': is a JSON list; give a string, a number, true, false or null")
    assert refused(post("/v1/leads/L-1/advance", json={"args": {}}, headers=jane), 422).startswith(
        "the request body has no trigger")
    assert refused(post("/v1/leads", content=b"\xff\xfe", headers=jane), 422).startswith(
        "the request body is not UTF-8")
    assert refused(post("/v1/leads", content=b'{"fields": {"budget": NaN}}', headers=jane), 422).startswith(
        "the request body holds NaN, which is not a JSON number")
    assert event_count(db) == before


def test_a_body_over_1_mb_is_refused_whole(client: Any, jane: dict[str, str], db: Path) -> None:
    before = event_count(db)
    big = json.dumps({"fields": {"content": "x" * MAX_REQUEST_BYTES}}).encode()
    error = refused(client.post("/v1/leads", content=big, headers=jane), 413)
    assert error.startswith(f"the request body is {len(big):,} bytes or more, over the limit of 1 MB")

    def chunks() -> Iterator[bytes]:  # no Content-Length: cut off while it streams
        yield big[: len(big) // 2]
        yield big[len(big) // 2 :]

    assert "over the limit of 1 MB" in refused(client.post("/v1/leads", content=chunks(), headers=jane), 413)
    assert event_count(db) == before
    assert client.post("/v1/leads", json={"fields": {"score": 70}}, headers=jane).status_code == 201


def test_unknown_paths_and_methods_answer_json(client: Any, jane: dict[str, str]) -> None:
    assert refused(client.get("/v2/leads", headers=jane), 404).startswith("there is no /v2/leads here")
    assert refused(client.delete("/v1/leads/L-1", headers=jane), 405).startswith("/v1/leads/L-1 does not take DELETE")


def test_a_write_path_with_another_method_says_which_methods_it_takes(client: Any, jane: dict[str, str]) -> None:
    # The writes skip Starlette's router; a method they do not take still gets Starlette's 405.
    assert refused(client.get("/v1/leads/L-1/advance", headers=jane), 405) == (
        "/v1/leads/L-1/advance does not take GET; it takes POST")
    allowed = refused(client.delete("/v1/leads", headers=jane), 405)
    assert allowed.startswith("/v1/leads does not take DELETE; it takes ")
    assert set(allowed.rpartition("it takes ")[2].split(", ")) == {"GET", "HEAD", "POST"}


def test_an_api_write_logs_committed_at_debug_only(client: Any, jane: dict[str, str],
                                                   capsys: pytest.CaptureFixture[str],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    # One `committed` line a request would be most of what `serve` logs at info.
    monkeypatch.setenv("BATON_LOG", "info")
    capsys.readouterr()
    assert client.post("/v1/leads", json={"id": "L-1", "fields": {"score": 70}}, headers=jane).status_code == 201
    assert "committed" not in capsys.readouterr().err
    monkeypatch.setenv("BATON_LOG", "debug")
    assert client.post("/v1/leads", json={"id": "L-2", "fields": {"score": 70}}, headers=jane).status_code == 201
    records = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line.startswith("{")]
    assert [r["level"] for r in records if r["event"] == "committed"] == ["debug"]


# -- idempotency ---------------------------------------------------------------------
def test_a_repeated_idempotency_key_gets_the_first_answer_and_writes_nothing(client: Any, jane: dict[str, str],
                                                                             db: Path) -> None:
    body = {"fields": {"email": "ana@northwind.example", "score": 70}}
    first = client.post("/v1/leads", json=body, headers={**jane, "Idempotency-Key": "form-42"})
    assert first.status_code == 201
    count = event_count(db)
    again = client.post("/v1/leads", json=body, headers={**jane, "Idempotency-Key": "form-42"})
    assert (again.status_code, again.json()) == (201, first.json())
    assert again.headers["idempotent-replayed"] == "true"
    assert event_count(db) == count
    assert len(client.get("/v1/leads", headers=jane).json()) == 1
    other = client.post("/v1/leads", json={"fields": {"score": 71}}, headers={**jane, "Idempotency-Key": "form-42"})
    assert refused(other, 422).startswith("Idempotency-Key 'form-42' was already used for another request")
    assert event_count(db) == count


def test_a_refusal_is_not_kept_so_the_fixed_request_may_reuse_its_key(client: Any, jane: dict[str, str]) -> None:
    headers = {**jane, "Idempotency-Key": "k-1"}
    assert client.post("/v1/leads", json={"fields": {"score": "lots"}}, headers=headers).status_code == 422
    assert client.post("/v1/leads", json={"fields": {"score": 70}}, headers=headers).status_code == 201


def test_forgetting_a_lead_deletes_the_kept_answers_that_hold_its_values(client: Any, jane: dict[str, str],
                                                                        baton: Baton, db: Path,
                                                                        policy_file: Path) -> None:
    text = policy_file.read_text(encoding="utf-8")
    assert "erasure:" in text  # the default policy lets sales_manager erase
    body = {"id": "L-5", "fields": {"email": "ana@northwind.example"}}
    assert client.post("/v1/leads", json=body, headers={**jane, "Idempotency-Key": "f-1"}).status_code == 201
    assert "ana@northwind.example" in query(db, "SELECT body FROM api_answers")[0][0]
    assert baton("lead", "forget", "L-5", "--reason", "asked by email", actor="sam").exit_code == 0
    assert query(db, "SELECT count(*) FROM api_answers") == [(0,)]


# -- events, openapi, page ---------------------------------------------------------------
def test_events_after_a_seq_are_the_audit_log(client: Any, jane: dict[str, str], baton: Baton) -> None:
    add_ready_lead(baton, "L-1")
    log = json_lines(baton("audit", "log", "--json"))
    assert client.get("/v1/events", headers=jane).json() == log
    assert client.get(f"/v1/events?after={log[0]['seq']}", headers=jane).json() == log[1:]
    assert client.get(f"/v1/events?after={log[-1]['seq']}", headers=jane).json() == []
    assert client.get("/v1/events?after=0&limit=1", headers=jane).json() == log[:1]
    assert refused(client.get("/v1/events?after=x", headers=jane), 422).startswith("?after=x is not a whole number")


def test_openapi_names_the_policys_fields_and_triggers(client: Any, jane: dict[str, str], baton: Baton) -> None:
    import jsonschema

    document = client.get("/v1/openapi.json", headers=jane).json()
    assert document["openapi"].startswith("3.1")
    schemas = document["components"]["schemas"]
    assert [choice["properties"]["trigger"]["const"] for choice in schemas["Advance"]["oneOf"]] == [
        "hand_over", "qualify", "accept", "contact", "win", "disqualify", "recycle", "renurture"]
    assert "email" in schemas["Fields"]["properties"]
    assert {"/v1/leads", "/v1/leads/{id}", "/v1/leads/{id}/advance", "/v1/events"} <= set(document["paths"])
    add_ready_lead(baton, "L-1")
    jsonschema.validate(client.get("/v1/leads/L-1", headers=jane).json(), schemas["Lead"])
    written = client.post("/v1/leads/L-1/advance", json={"trigger": "hand_over"}, headers=jane).json()
    jsonschema.validate(written, {**document, "$ref": "#/components/schemas/LeadWritten"})
    advance = {**document, "$ref": "#/components/schemas/Advance"}
    jsonschema.validate({"trigger": "recycle", "args": {"reason": "no budget"}}, advance)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"trigger": "hand_ovr"}, advance)


def test_the_page_shows_the_reports_to_a_valid_token_only(client: Any, baton: Baton, tmp_path: Path) -> None:
    add_ready_lead(baton, "L-1")
    assert baton("lead", "advance", "L-1", "hand_over").exit_code == 0
    token = token_for(baton, "carol")
    asked = client.get("/")
    assert asked.status_code == 401 and '<form method="post" action="/login">' in asked.text
    wrong = client.post("/login", data={"token": "baton_wrong"}, follow_redirects=False)
    assert wrong.status_code == 401 and "this token is not valid" in wrong.text
    signed = client.post("/login", data={"token": token}, follow_redirects=False)
    assert signed.status_code == 303
    cookie = signed.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie
    page = client.get("/")
    assert page.status_code == 200
    assert baton("report", "html", str(tmp_path / "page.html")).exit_code == 0
    import re

    def same(text: str) -> str:  # pygal gives each chart a random id
        return re.sub(r"chart-[0-9a-f-]{36}", "chart-ID", text)

    assert same(page.text) == same((tmp_path / "page.html").read_text(encoding="utf-8"))  # `report html`'s page
    assert client.get("/v1/leads").status_code == 401  # the cookie opens the page, not the API
    client.cookies.clear()
    assert client.get("/", headers=auth(token)).status_code == 200


def test_intake_maps_a_tools_own_field_names_onto_a_lead(baton: Baton, policy_file: Path, db_path: Path) -> None:
    from starlette.testclient import TestClient

    from statemachine.api.app import build_app

    policy_file.write_text(policy_file.read_text(encoding="utf-8") + """
intake:
  web_form:
    map: {E-mail: email, Company name: company, submit: }
    null: [N/A]
""", encoding="utf-8")
    assert baton("init", "--policy", str(policy_file)).exit_code == 0
    jane = auth(token_for(baton, "jane"))
    with TestClient(build_app(str(db_path), MONDAY_9AM)) as client:
        posted = {"E-mail": "ana@northwind.example", "Company name": "Northwind", "score": 75, "title": "N/A",
                  "submit": "Send"}
        answer = client.post("/v1/intake/web_form", json=posted, headers=jane)
        assert answer.status_code == 201, answer.text
        assert answer.json()["fields"] == {"email": "ana@northwind.example", "company": "Northwind", "score": 75}
        assert refused(client.post("/v1/intake/web_from", json=posted, headers=jane), 404) == (
            "no intake 'web_from' in the policy; did you mean 'web_form'? (intakes: web_form)")
        bad = client.post("/v1/intake/web_form", json={**posted, "score": "lots"}, headers=jane)
        assert refused(bad, 422).startswith("intake 'web_form': ")
        assert len(client.get("/v1/leads", headers=jane).json()) == 1


def test_the_policys_api_admins_say_who_manages_tokens(baton: Baton, policy_file: Path, db_path: Path) -> None:
    policy_file.write_text(policy_file.read_text(encoding="utf-8") + "\napi:\n  admins: [marketing]\n",
                           encoding="utf-8")
    assert baton("init", "--policy", str(policy_file)).exit_code == 0
    assert baton("token", "create", "alice", actor="omar").exit_code == 0
    refused_sam = baton("token", "create", "alice", actor="sam")
    assert refused_sam.exit_code == 1
    assert "only marketing (jane, omar) may" in refused_sam.stderr


def test_a_database_made_before_the_api_gets_its_tables_on_first_use(baton: Baton, db: Path) -> None:
    change(db, "DROP TABLE api_answers")
    change(db, "DROP TABLE api_tokens")
    token = token_for(baton, "jane")
    from starlette.testclient import TestClient

    from statemachine.api.app import build_app

    with TestClient(build_app(str(db), MONDAY_9AM)) as client:
        answer = client.post("/v1/leads", json={"fields": {"score": 70}}, headers={**auth(token), "Idempotency-Key": "a"})
        assert answer.status_code == 201, answer.text


def test_a_fault_in_a_write_is_a_json_500_that_writes_nothing(client: Any, jane: dict[str, str], baton: Baton,
                                                                db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from statemachine.api import endpoints

    add_ready_lead(baton, "L-1")
    before = event_count(db)

    def broken(ws: Any, lead: str, body: bytes) -> Any:
        raise RuntimeError("a bug")

    monkeypatch.setattr(endpoints, "advance", broken)
    answer = client.post("/v1/leads/L-1/advance", json={"trigger": "hand_over"}, headers=jane)
    assert refused(answer, 500).startswith("Baton failed on this request: a fault of Baton's, not of the request")
    assert event_count(db) == before
    monkeypatch.undo()
    assert client.post("/v1/leads/L-1/advance", json={"trigger": "hand_over"}, headers=jane).status_code == 200
