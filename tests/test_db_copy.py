"""`baton db copy FROM TO`: SQLite to PostgreSQL and back, every row and the
same head on both (the HTTP API's tokens and kept answers too, so
integrations keep working after a move); a target that is not new is
refused and left alone."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import BANT, DEFAULT_POLICY, MONDAY_9AM, READY, PgUrl, change, sign_off, to_sql
from test_database import snapshot
from test_postgres import run, with_password

import statemachine.dbcopy


def grown(baton: object, db: Path, tmp_path: Path) -> None:
    """`story` plus what makes a copy hard: a field a later version added
    (an integer, so its column must keep the type), clocks, an outbox."""
    text = DEFAULT_POLICY.read_text().replace("version: 1\n", "version: 2\n", 1)
    text = text.replace("fields:\n", "fields:\n  seats: {type: integer}\n", 1)
    v2 = tmp_path / "v2.yaml"
    v2.write_text(text)
    sign_off(baton, v2)  # type: ignore[arg-type]
    assert run(str(db), "policy", "apply", str(v2), actor="sam").exit_code == 0
    assert run(str(db), "lead", "set", "L-2", "seats=12").exit_code == 0
    to_sql(baton, "L-3")  # type: ignore[arg-type]
    assert run(str(db), "sla", "sweep").exit_code == 0


def api_client(db: str) -> Any:
    from starlette.testclient import TestClient

    from statemachine.api.app import build_app

    return TestClient(build_app(db, MONDAY_9AM))


def made_token(db: str, actor: str) -> str:
    return str(run(db, "token", "create", actor, actor="sam").stdout.strip().splitlines()[-1])


WEB_FORM = {"id": "L-9", "fields": {"score": 10}}


def reads(db: str) -> list[str]:
    return [run(db, "--json", *args).stdout for args in (
        ("lead", "list"), ("lead", "show", "L-2"), ("audit", "log"), ("audit", "head"), ("notify", "list"))]


@pytest.mark.filterwarnings("ignore:Using `httpx` with `starlette.testclient`")
def test_a_copy_there_and_back_holds_every_row_and_the_same_head(
        baton: object, story: Path, tmp_path: Path, pg_schema: PgUrl, monkeypatch: pytest.MonkeyPatch) -> None:
    grown(baton, story, tmp_path)
    jane, alice = made_token(str(story), "jane"), made_token(str(story), "alice")
    assert run(str(story), "token", "revoke", "alice", actor="sam").exit_code == 0
    form = {"Authorization": f"Bearer {jane}", "Idempotency-Key": "form-1"}
    with api_client(str(story)) as client:
        assert client.post("/v1/leads", json=WEB_FORM, headers=form).status_code == 201  # its answer is kept
    monkeypatch.setattr(statemachine.dbcopy, "CHUNK", 2)  # every table in several chunks
    there = run(str(story), "db", "copy", str(story), pg_schema)
    assert there.exit_code == 0, there.stderr
    head = json.loads(run(str(story), "--json", "audit", "head").stdout)
    assert there.stdout == (
        f"Copied {story} to {pg_schema}: {head['seq']} events, 4 leads. audit verify on {pg_schema}: the chain is "
        f"intact, every transition was legal, the leads table matches the log; head: seq {head['seq']}, "
        f"hash {head['hash']}, the same on both.\n"
    )
    # The integrations go on as before on the copy: jane's token works, alice's stays revoked, and
    # the web form's retry gets its first answer again instead of a second lead.
    with api_client(pg_schema) as client:
        assert client.get("/v1/leads/L-9", headers={"Authorization": f"Bearer {jane}"}).status_code == 200
        assert client.get("/v1/leads", headers={"Authorization": f"Bearer {alice}"}).status_code == 401
        retried = client.post("/v1/leads", json=WEB_FORM, headers=form)
        assert (retried.status_code, retried.headers.get("idempotent-replayed")) == (201, "true")
    back = tmp_path / "back.db"
    again = run(str(story), "--json", "db", "copy", pg_schema, str(back))
    assert again.exit_code == 0, again.stderr
    copied = json.loads(again.stdout)
    assert copied["head"] == {"seq": head["seq"], "hash": head["hash"]}
    assert (copied["rows"]["api_tokens"], copied["rows"]["api_answers"]) == (2, 1)
    assert snapshot(back) == snapshot(story)
    assert reads(pg_schema) == reads(str(story)) == reads(str(back))
    assert json.loads(run(pg_schema, "--json", "lead", "show", "L-2").stdout)["fields"]["seats"] == 12
    # The copy is a working database: new rows follow the copied ones (the outbox's ids too).
    assert run(pg_schema, "lead", "add", "--id", "L-4", *READY).exit_code == 0
    assert run(pg_schema, "lead", "advance", "L-4", "hand_over").exit_code == 0
    assert run(pg_schema, "lead", "set", "L-4", *BANT, actor="alice").exit_code == 0
    assert run(pg_schema, "lead", "advance", "L-4", "qualify", actor="alice").exit_code == 0  # an assigned notice: a new outbox row
    assert run(pg_schema, "audit", "verify").exit_code == 0


def test_a_target_that_is_not_new_is_refused_and_left_as_it_was(
        story: Path, tmp_path: Path, pg_schema: PgUrl, policy_file: Path) -> None:
    taken = tmp_path / "taken.db"
    taken.write_bytes(b"something of someone's")
    result = run(str(story), "db", "copy", str(story), str(taken))
    assert (result.exit_code, result.stderr) == (
        1, f"Error: {taken} already exists and db copy never writes over a file; give TO a new file\n")
    assert taken.read_bytes() == b"something of someone's"
    assert run(pg_schema, "init", "--policy", str(policy_file)).exit_code == 0
    before = run(pg_schema, "--json", "audit", "log").stdout
    result = run(str(story), "db", "copy", str(story), with_password(pg_schema))
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: {with_password(pg_schema, '***')} already holds Baton tables (clocks, events, leads, meta, outbox, "
        "personal, policies, rep_load, reps); db copy writes only into a database (or schema) without them\n")
    assert run(pg_schema, "--json", "audit", "log").stdout == before
    result = run(str(story), "db", "copy", str(story), str(story))
    assert (result.exit_code, result.stderr) == (1, f"Error: FROM and TO are both {story}; copy into a new database\n")


def test_a_password_never_shows_and_a_bad_source_is_one_line(story: Path, tmp_path: Path, pg_schema: PgUrl) -> None:
    secret = with_password(pg_schema)
    there = run(str(story), "db", "copy", str(story), secret)
    assert there.exit_code == 0 and "s3cret-Pw" not in there.stdout and "***" in there.stdout
    missing = run(str(story), "db", "copy", str(tmp_path / "none.db"), str(tmp_path / "new.db"))
    assert missing.exit_code == 1 and missing.stderr.startswith(f"Error: no Baton database at {tmp_path / 'none.db'}")
    assert not (tmp_path / "new.db").exists()


def test_a_database_made_before_the_api_copies_into_one_with_its_tables(story: Path, tmp_path: Path) -> None:
    change(story, "DROP TABLE api_answers")
    change(story, "DROP TABLE api_tokens")
    target = tmp_path / "moved.db"
    copied = run(str(story), "--json", "db", "copy", str(story), str(target))
    assert copied.exit_code == 0, copied.stderr
    assert (json.loads(copied.stdout)["rows"]["api_tokens"], json.loads(copied.stdout)["rows"]["api_answers"]) == (0, 0)
    assert made_token(str(target), "jane").startswith("baton_")
