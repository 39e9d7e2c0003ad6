"""Baton on PostgreSQL: what is particular to a server. The commands
themselves run on both stores in the modules marked `both_stores`; here: the
same history gives the same events, hashes and JSON on both, a URL's
password never shows, and a refused connection, a wrong database, a database
that is not Baton's or a server that goes away mid-command is one plain
line, exit 1, with nothing half-written."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from conftest import BANT, MONDAY_9AM, READY, PgUrl, query
from test_serve import due_db, servers  # noqa: F401  (fixtures)

from cli.main import cli


def run(db: str, *args: str, actor: str | None = "jane", env: dict[str, str] | None = None) -> Result:
    head = ["--db", db, "--now", MONDAY_9AM] + (["--as", actor] if actor else [])
    return CliRunner().invoke(cli, [*head, *args], env=env, catch_exceptions=False)


def with_password(url: str, password: str = "s3cret-Pw") -> str:
    """`url` with a password in it (the test server trusts local users, so any password logs in)."""
    return url.replace("postgresql://postgres@", f"postgresql://postgres:{password}@", 1)


def story(db: str, policy: Path) -> list[Result]:
    """One history, the same on any store: every kind of command that writes, and their JSON."""
    steps = [
        ("jane", "init", "--policy", str(policy)),
        ("jane", "lead", "add", "--id", "L-1", *READY),
        ("jane", "lead", "add", "--id", "L-2", "score=10", "email=bo@example.com"),
        ("jane", "lead", "advance", "L-1", "hand_over"),
        ("alice", "lead", "set", "L-1", *BANT),
        ("alice", "lead", "advance", "L-1", "qualify"),
        ("alice", "lead", "attempt", "L-1", "--channel", "call"),
        ("bob", "rep", "away", "bob"),
        ("jane", "sla", "sweep"),
    ]
    results = [run(db, "--json", *args, actor=actor) for actor, *args in steps]
    for result in results:
        assert result.exit_code == 0, result.stderr
    reads = [("lead", "show", "L-1"), ("lead", "list"), ("lead", "history", "L-1"), ("audit", "log"),
             ("audit", "head"), ("audit", "verify"), ("audit", "replay", "--at", MONDAY_9AM)]
    return results + [run(db, "--json", *read) for read in reads]


def test_the_same_history_gives_the_same_events_hashes_and_json_on_both_stores(
        tmp_path: Path, pg_schema: PgUrl, policy_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Personal values are sealed with random salts: the same salts on both
    runs (a seeded generator), so the events, and so the hashes, are equal."""
    import os
    import random

    monkeypatch.setattr(os, "urandom", random.Random(16).randbytes)
    on_sqlite = story(str(tmp_path / "baton.db"), policy_file)
    monkeypatch.setattr(os, "urandom", random.Random(16).randbytes)
    on_postgres = story(pg_schema, policy_file)
    for left, right in zip(on_sqlite, on_postgres):
        assert (left.exit_code, left.stderr) == (right.exit_code, right.stderr)
        assert left.stdout.replace(str(tmp_path / "baton.db"), "DB") == right.stdout.replace(pg_schema, "DB")
    events = [json.loads(line) for line in on_postgres[-4].stdout.splitlines()]
    assert len(events) > 8 and events[-1]["hash"] == json.loads(on_postgres[-3].stdout)["hash"]


def test_a_password_in_the_url_never_shows_in_output_errors_or_the_log(
        pg_schema: PgUrl, policy_file: Path) -> None:
    secret = with_password(pg_schema)
    logged = {"BATON_LOG": "info"}
    results = [run(secret, "init", "--policy", str(policy_file), env=logged),
               run(secret, "--json", "init", "--policy", str(policy_file), env=logged),  # refused: already there
               run(secret, "lead", "add", *READY, env=logged),
               run(secret, "lead", "show", "L-404", env=logged)]
    assert [r.exit_code for r in results] == [0, 1, 0, 1]
    shown = with_password(pg_schema, "***")
    assert results[0].stdout.startswith(f"Created {shown} with policy default-handover version 1")
    assert json.loads(results[1].stderr)["error"].startswith(f"{shown} already holds a Baton database")
    for result in results:
        assert "s3cret-Pw" not in result.stdout + result.stderr


@pytest.mark.parametrize("password", ["s3cret#Pw", "s3cret?Pw"])
def test_a_password_with_a_hash_or_question_mark_never_shows(
        pg_schema: PgUrl, policy_file: Path, password: str) -> None:
    """libpq reads a raw `#` or `?` in a password as part of it, and logs in."""
    secret = with_password(pg_schema, password)
    logged = {"BATON_LOG": "info"}
    results = [run(secret, "lead", "list"),  # not a Baton database yet
               run(secret, "init", "--policy", str(policy_file), env=logged),
               run(secret, "lead", "add", *READY, env=logged)]
    assert [r.exit_code for r in results] == [1, 0, 0]
    shown = with_password(pg_schema, "***")
    assert results[0].stderr == f"Error: {shown} is a PostgreSQL database but not a Baton database; check --db\n"
    assert results[1].stdout.startswith(f"Created {shown} with policy default-handover version 1")
    for result in results:
        assert password not in result.stdout + result.stderr


@pytest.mark.parametrize("password", ["s3cret@Pw", "s3cret/Pw"])
def test_a_password_with_a_raw_at_or_slash_is_refused_saying_how_to_write_it(pg_schema: PgUrl, password: str) -> None:
    """libpq would cut the password at the `@` or `/` and try the rest as the host."""
    result = run(with_password(pg_schema, password), "lead", "list")
    assert result.exit_code == 1
    assert result.stderr == (f"Error: the password in {with_password(pg_schema, '***')} has a character a URL "
                             "cannot carry as it is; write @ as %40 and / as %2F in it (and % as %25)\n")
    assert "Pw" not in result.stderr


@pytest.mark.parametrize("url", ["PostgreSQL://postgres:s3cret-Pw@127.0.0.1:5432/test",
                                 "postgresql+psycopg://postgres:s3cret-Pw@127.0.0.1:5432/test",
                                 " postgresql://postgres:s3cret-Pw@127.0.0.1:5432/test"])
def test_a_url_libpq_would_not_read_is_refused_as_one_not_taken_for_a_file(
        url: str, policy_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Copied from another tool's settings: it used to be a file's path, its password shown."""
    monkeypatch.chdir(tmp_path)
    source = tmp_path / "baton.db"
    assert run(str(source), "init", "--policy", str(policy_file)).exit_code == 0
    said = (f"Error: {url.replace('s3cret-Pw', '***')} is neither an SQLite file nor a PostgreSQL URL; write the "
            "URL as postgresql://USER:PASSWORD@HOST:PORT/DATABASE (lower case, no driver name, no spaces)\n")
    for args in (("lead", "list"), ("init", "--policy", str(policy_file)), ("db", "copy", str(source), url),
                 ("db", "copy", url, str(tmp_path / "new.db"))):
        result = run(url, *args)
        assert (result.exit_code, result.stderr) == (1, said)
    assert sorted(path.name for path in tmp_path.iterdir()) == ["baton.db", "policy.yaml"]


def test_a_database_name_with_an_at_sign_is_not_taken_for_a_password() -> None:
    from statemachine.dburl import unencoded

    assert unencoded("postgresql://db.example:5432/sales@emea") is None
    assert unencoded("postgresql://baton:pa/ss@db.example/sales") is not None


def test_a_url_without_a_host_part_is_shown_as_written(pg_schema: PgUrl, policy_file: Path) -> None:
    local = pg_schema.replace("postgresql://postgres@127.0.0.1:5432/test?",
                              "postgresql:///test?host=127.0.0.1&port=5432&user=postgres&password=s3cret-Pw&", 1)
    result = run(local, "init", "--policy", str(policy_file))
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith(f"Created {local.replace('s3cret-Pw', '***')} with policy")


@pytest.mark.parametrize(("url", "said"), [
    ("postgresql://postgres:s3cret-Pw@127.0.0.1:1/test",
     "Error: cannot connect to PostgreSQL at postgresql://postgres:***@127.0.0.1:1/test: "),
    ("postgresql://postgres:s3cret-Pw@127.0.0.1:5432/no_such_baton_db",
     "Error: there is no database no_such_baton_db on the PostgreSQL server of "
     "postgresql://postgres:***@127.0.0.1:5432/no_such_baton_db; create it (createdb no_such_baton_db) or check --db"),
    ("postgresql://no_such_login:s3cret-Pw@127.0.0.1:5432/test",
     "Error: PostgreSQL refused the login of postgresql://no_such_login:***@127.0.0.1:5432/test: connection to server "
     'at "127.0.0.1", port 5432 failed: FATAL:  role "no_such_login" does not exist; check the user and password\n'),
    ("postgresql://postgres:s3cret-Pw@127.0.0.1:5432/test?search_path=baton",
     "Error: cannot connect to PostgreSQL at postgresql://postgres:***@127.0.0.1:5432/test?search_path=baton: "
     'invalid URI query parameter: "search_path"; the URL is not one PostgreSQL reads: fix it (another schema: '
     "?options=-csearch_path%3DSCHEMA at its end, a % in a password as %25)\n"),
    ("postgresql://postgres:s3cret-Pw@127.0.0.1:notaport/test",
     "Error: cannot connect to PostgreSQL at postgresql://postgres:***@127.0.0.1:notaport/test: invalid integer "
     'value "notaport" for connection option "port"; the URL is not one PostgreSQL reads: fix it'),
    # libpq quotes a URL it cannot read in its message: the password goes all the same
    ("postgresql://postgres:s3cret-Pw@[::1", "Error: cannot connect to PostgreSQL at postgresql://***: "),
    ("postgresql://postgres@127.0.0.1:5432/test?password=s3cret-Pw&foo=1",
     "Error: cannot connect to PostgreSQL at postgresql://postgres@127.0.0.1:5432/test?password=***&foo=1: "),
])
def test_a_refused_connection_or_a_wrong_database_is_one_plain_line(pg_schema: PgUrl, url: str, said: str) -> None:
    for args in (("lead", "list"), ("lead", "add", *READY), ("audit", "verify")):
        result = run(url, *args)
        assert result.exit_code == 1
        assert result.stderr.startswith(said) and result.stderr.count("\n") == 1, result.stderr
        assert "s3cret-Pw" not in result.stderr and "Traceback" not in result.stderr


def test_a_database_without_batons_tables_is_refused_and_left_as_it_was(pg_schema: PgUrl) -> None:
    result = run(pg_schema, "lead", "add", *READY)
    assert result.exit_code == 1
    assert result.stderr == f"Error: {pg_schema} is a PostgreSQL database but not a Baton database; check --db\n"
    assert not pg_schema.exists()


@pytest.mark.parametrize("theirs", [["leads"], ["events", "leads"]])
def test_another_programs_tables_with_batons_names_are_named_and_left_alone(
        pg_schema: PgUrl, policy_file: Path, tmp_path: Path, theirs: list[str]) -> None:
    """A CRM's `leads` in the schema: not "made by another version of Baton",
    not "already holds a Baton database", not a bare "relation already exists"."""
    import psycopg

    with psycopg.connect(pg_schema, autocommit=True) as admin:
        for table in theirs:
            admin.execute(f"CREATE TABLE {table} (crm_id integer)")
    source = tmp_path / "baton.db"
    assert run(str(source), "init", "--policy", str(policy_file)).exit_code == 0
    said = (f"Error: {pg_schema} has another program's tables with Baton's names ({', '.join(theirs)}); give Baton a "
            "schema of its own: CREATE SCHEMA baton, then add ?options=-csearch_path%3Dbaton to the URL "
            "(&options=... after a ?)\n")
    for args in (("init", "--policy", str(policy_file)), ("db", "copy", str(source), pg_schema)):
        result = run(pg_schema, *args)
        assert (result.exit_code, result.stderr) == (1, said)
    result = run(pg_schema, "lead", "list")
    assert (result.exit_code, result.stderr) == (
        1, f"Error: {pg_schema} is a PostgreSQL database but not a Baton database; check --db\n")
    with psycopg.connect(pg_schema) as conn:
        assert conn.execute("SELECT count(*) FROM information_schema.tables "
                            "WHERE table_schema = current_schema()").fetchone() == (len(theirs),)


def test_a_failed_init_creates_no_table(pg_schema: PgUrl, tmp_path: Path, policy_file: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text(policy_file.read_text().replace("version: 1", "version: one", 1))
    assert run(pg_schema, "init", "--policy", str(broken)).exit_code == 1
    import psycopg

    with psycopg.connect(pg_schema) as conn:
        assert conn.execute("SELECT count(*) FROM information_schema.tables "
                            "WHERE table_schema = current_schema()").fetchone() == (0,)


def test_a_server_gone_mid_command_is_one_line_and_nothing_is_written(
        pg_schema: PgUrl, policy_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The connection dies after the command has written its event but
    before it commits: one plain line, and the lead is as it was."""
    import psycopg

    from statemachine.store import Store

    assert run(pg_schema, "init", "--policy", str(policy_file)).exit_code == 0
    assert run(pg_schema, "lead", "add", "--id", "L-1", *READY).exit_code == 0
    update = Store.update_lead

    def dies_after(store: Store, *args: Any) -> None:
        update(store, *args)
        with psycopg.connect(pg_schema, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (store.db.conn.info.backend_pid,))  # type: ignore[attr-defined]

    monkeypatch.setattr(Store, "update_lead", dies_after)
    result = run(pg_schema, "lead", "advance", "L-1", "hand_over")
    monkeypatch.undo()
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: lost the connection to PostgreSQL at {pg_schema} (")
    assert result.stderr.endswith("this command's changes were not saved, run it again\n")
    assert result.stderr.count("\n") == 1
    assert query(pg_schema, "SELECT state FROM leads") == [("MQL",)]
    assert [e for (e,) in query(pg_schema, "SELECT event FROM events ORDER BY seq")] == ["policy_applied", "created"]
    assert run(pg_schema, "audit", "verify").exit_code == 0


@pytest.fixture
def login_role(pg_schema: PgUrl) -> Any:
    """A PostgreSQL login of its own (trusted, as the test server trusts local
    users), allowed to use the test's schema; dropped after."""
    import uuid

    import psycopg

    role = f"baton_{uuid.uuid4().hex[:8]}"
    schema = pg_schema.rsplit("%3D", 1)[1]
    with psycopg.connect(pg_schema, autocommit=True) as admin:
        admin.execute(f"CREATE ROLE {role} LOGIN")
        admin.execute(f"GRANT USAGE, CREATE ON SCHEMA {schema} TO {role}")
        admin.execute(f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} GRANT ALL ON TABLES TO {role}")
        admin.execute(f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} GRANT ALL ON SEQUENCES TO {role}")
    yield role
    with psycopg.connect(pg_schema, autocommit=True) as admin:
        admin.execute(f"DROP OWNED BY {role}")
        admin.execute(f"DROP ROLE {role}")


def test_an_erasure_by_a_login_that_may_not_vacuum_warns_that_the_old_rows_stay(
        pg_schema: PgUrl, login_role: str, policy_file: Path) -> None:
    """PostgreSQL skips the VACUUM with a notice nobody sees; the owner's erasure says nothing."""
    assert run(pg_schema, "init", "--policy", str(policy_file)).exit_code == 0
    for lead in ("L-1", "L-2"):
        assert run(pg_schema, "lead", "add", "--id", lead, *READY).exit_code == 0
    as_role = pg_schema.replace("postgresql://postgres@", f"postgresql://{login_role}@", 1)
    by_role = run(as_role, "lead", "forget", "L-1", "--reason", "asked", actor="sam")
    by_owner = run(pg_schema, "lead", "forget", "L-2", "--reason", "asked", actor="sam")
    assert (by_role.exit_code, by_owner.exit_code) == (0, 0)
    assert "so PostgreSQL skipped their VACUUM; the old rows stay until autovacuum" in by_role.stderr
    assert by_owner.stderr == ""


def test_a_login_the_server_does_not_let_in_is_told_to_ask_its_administrator(login_role: str) -> None:
    import uuid

    import psycopg
    from conftest import TEST_PG

    name = f"baton_closed_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(TEST_PG, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
        admin.execute(f"REVOKE CONNECT ON DATABASE {name} FROM PUBLIC")
    try:
        server = TEST_PG.split("?", 1)[0].rsplit("/", 1)[0]
        url = server.replace("postgresql://postgres@", f"postgresql://{login_role}:s3cret-Pw@", 1) + f"/{name}"
        result = run(url, "lead", "list")
    finally:
        with psycopg.connect(TEST_PG, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE {name}")
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: PostgreSQL refused the login of postgresql://{login_role}:***@")
    assert result.stderr.endswith(f'permission denied for database "{name}"; have its administrator let this login '
                                  "connect (GRANT CONNECT ON DATABASE, or a line in pg_hba.conf)\n")


def test_identity_login_acts_as_the_database_login_mapped_through_logins(
        pg_schema: PgUrl, login_role: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Not the machine's login (that is `mallory` here): the login the server
    authenticated. postgres maps to jane, the test's own role to alice."""
    import getpass

    from conftest import DEFAULT_POLICY

    monkeypatch.setattr(getpass, "getuser", lambda: "mallory")
    policy = tmp_path / "login.yaml"
    policy.write_text(DEFAULT_POLICY.read_text() + f"identity: login\nlogins: {{postgres: jane, {login_role}: alice}}\n")
    assert run(pg_schema, "init", "--policy", str(policy), actor=None).exit_code == 0
    as_role = pg_schema.replace("postgresql://postgres@", f"postgresql://{login_role}@", 1)
    assert run(pg_schema, "lead", "add", "--id", "L-1", *READY, actor=None).exit_code == 0
    assert run(pg_schema, "lead", "advance", "L-1", "hand_over", actor=None).exit_code == 0
    result = run(as_role, "lead", "set", "L-1", *BANT, actor=None)
    assert result.exit_code == 0, result.stderr
    refused = run(as_role, "lead", "add", *READY, actor="jane")
    assert refused.exit_code == 1
    assert f"your login {login_role} acts as alice" in refused.stderr
    assert query(pg_schema, "SELECT actor FROM events ORDER BY seq") == [
        ("jane",), ("jane",), ("jane",), ("alice",)]


def test_a_search_path_with_no_schema_to_use_says_so(pg_schema: PgUrl, policy_file: Path, tmp_path: Path) -> None:
    """Not "not a Baton database", nor PostgreSQL's "no schema has been selected to create in"."""
    nowhere = PgUrl(pg_schema.rsplit("%3D", 1)[0] + "%3Dno_such_schema")
    said = (f"Error: {nowhere}: no schema of its search_path (no_such_schema) exists or is open to login postgres; "
            "create the schema, or have its owner grant postgres USAGE on it (and CREATE, for init and db copy)\n")
    source = tmp_path / "baton.db"
    assert run(str(source), "init", "--policy", str(policy_file)).exit_code == 0
    for args in (("lead", "list"), ("init", "--policy", str(policy_file)), ("db", "copy", str(source), nowhere)):
        result = run(nowhere, *args)
        assert (result.exit_code, result.stderr) == (1, said)


def test_a_login_without_rights_on_batons_schema_or_tables_hears_which_it_needs(
        pg_schema: PgUrl, login_role: str, policy_file: Path) -> None:
    """Its tables are out of its sight: saying "not a Baton database" would send IT looking for lost data."""
    import psycopg

    assert run(pg_schema, "init", "--policy", str(policy_file)).exit_code == 0
    schema = pg_schema.rsplit("%3D", 1)[1]
    as_role = pg_schema.replace("postgresql://postgres@", f"postgresql://{login_role}@", 1)
    with psycopg.connect(pg_schema, autocommit=True) as admin:
        admin.execute(f"REVOKE ALL ON SCHEMA {schema} FROM {login_role}")
    result = run(as_role, "lead", "list")
    assert (result.exit_code, result.stderr) == (1, (
        f"Error: {as_role}: no schema of its search_path ({schema}) exists or is open to login {login_role}; create "
        f"the schema, or have its owner grant {login_role} USAGE on it (and CREATE, for init and db copy)\n"))
    with psycopg.connect(pg_schema, autocommit=True) as admin:
        admin.execute(f"GRANT USAGE ON SCHEMA {schema} TO {login_role}")
        admin.execute(f"REVOKE ALL ON ALL TABLES IN SCHEMA {schema} FROM {login_role}")
    for args in (("lead", "list"), ("lead", "add", *READY)):
        result = run(as_role, *args)
        assert result.exit_code == 1
        assert result.stderr.startswith(f"Error: {as_role}: PostgreSQL refused login {login_role} (permission denied "
                                        "for table "), result.stderr
        assert result.stderr.endswith("; have the owner grant it USAGE and CREATE on the schema (init, db copy) and "
                                      "SELECT, INSERT, UPDATE, DELETE on Baton's tables\n")


@pytest.mark.parametrize("store", ["postgresql"], indirect=True)
def test_one_serve_a_database_holds_a_session_advisory_lock_freed_when_it_dies(
        due_db: str, tmp_path: Path, servers: list[Any], webhook: Any) -> None:  # noqa: F811 (fixtures from test_serve)
    """And serve's rounds work on PostgreSQL: the sweep records the breach, the send delivers it."""
    import subprocess

    from test_concurrency import baton_executable
    from test_serve import Serve, wait_for

    first = Serve(due_db, tmp_path / "first.log")  # type: ignore[arg-type]  (a URL where a path goes)
    servers.append(first)
    wait_for(lambda: first.logged("serving"), "the first serve to start")
    wait_for(lambda: webhook.accepted, "the webhook to receive the breach")
    [body] = webhook.accepted
    assert (body["lead"], body["sla"], body["recipients"]) == ("L-1", "acknowledge", ["alice", "sam"])
    wait_for(lambda: query(due_db, "SELECT status FROM outbox WHERE lead = 'L-1' AND kind = 'sla_breach'")
             == [("sent",)], "the breach's notification to be marked sent")
    second = subprocess.run([baton_executable(), "--db", str(due_db), "serve"], check=False, capture_output=True,
                            text=True, timeout=30)
    assert second.returncode == 1
    assert second.stderr.endswith(
        f"Error: another `baton serve` is already running on {due_db} (pid {first.process.pid}); "
        "stop it first, only one may serve a database\n"
    )
    first.process.kill()  # no goodbye: the server frees the lock with the session
    first.finish()
    again = Serve(due_db, tmp_path / "again.log")  # type: ignore[arg-type]
    servers.append(again)
    wait_for(lambda: again.logged("cycle"), "the new serve's first round")
    assert again.stop() == 0


def test_after_the_server_drops_the_connection_the_next_transaction_runs_on_a_new_one(
        pg_schema: PgUrl, policy_file: Path) -> None:
    """What a long-running serve needs: the round that lost the connection
    fails (nothing of it written), the next round reconnects and commits."""
    import psycopg

    from statemachine.errors import DatabaseProblem
    from statemachine.store import Store

    assert run(pg_schema, "init", "--policy", str(policy_file)).exit_code == 0
    store = Store.open(pg_schema, write=True)
    try:
        def drop_the_connection() -> None:
            with psycopg.connect(pg_schema, autocommit=True) as admin:
                admin.execute("SELECT pg_terminate_backend(%s)", (store.db.conn.info.backend_pid,))  # type: ignore[attr-defined]

        with pytest.raises(DatabaseProblem, match="lost the connection to PostgreSQL"):
            with store.transaction():
                store.set_meta("probe", "one")
                drop_the_connection()
                store.set_meta("probe", "two")  # never runs on another connection, committed on its own
        assert store.meta("probe") is None  # a lone read reconnects
        drop_the_connection()
        with store.transaction():
            store.set_meta("probe", "three")
    finally:
        store.close()
    assert query(pg_schema, "SELECT value FROM meta WHERE key = 'probe'") == [("three",)]


@pytest.mark.parametrize("command", [("lead", "add", "score=70"), ("lead", "advance", "L-1", "hand_over")])
def test_a_write_waits_for_the_lock_then_says_to_try_again_and_writes_nothing(
        pg_schema: PgUrl, policy_file: Path, command: tuple[str, ...]) -> None:
    """Another Baton command holds the database's write lock past
    BATON_BUSY_TIMEOUT_MS (200 ms in the tests): the plain "locked" refusal;
    reads go on meanwhile."""
    import psycopg

    from statemachine.pg import WRITE_LOCK

    assert run(pg_schema, "init", "--policy", str(policy_file)).exit_code == 0
    assert run(pg_schema, "lead", "add", "--id", "L-1", *READY).exit_code == 0
    before = query(pg_schema, "SELECT seq, hash FROM events ORDER BY seq")
    with psycopg.connect(pg_schema, autocommit=True) as holder:
        holder.execute("BEGIN")
        holder.execute(WRITE_LOCK)
        result = run(pg_schema, *command)
        read = run(pg_schema, "lead", "show", "L-1")
        holder.execute("ROLLBACK")
    assert (result.exit_code, result.stderr) == (
        1, f"Error: {pg_schema} is locked by another Baton command or program; try again in a moment\n")
    assert read.exit_code == 0 and read.stdout.startswith("L-1")
    assert query(pg_schema, "SELECT seq, hash FROM events ORDER BY seq") == before
