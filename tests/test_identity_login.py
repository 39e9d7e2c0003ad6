"""`identity: login`: the acting person is the login name of whoever runs
Baton, mapped through `logins`, and `--as` / BATON_ACTOR are refused. On
PostgreSQL the login is the one the server authenticated (session_user), not
the machine's: there the machine's login is one the policy maps to someone
else, so a test passes only if the server's login decides."""

from __future__ import annotations

import getpass
from pathlib import Path

import pytest
from conftest import DEFAULT_POLICY, READY, Baton, connect_raw, query

from statemachine.errors import PolicyInvalid
from statemachine.policy import parse_policy

pytestmark = pytest.mark.both_stores  # every database test here runs on SQLite and on PostgreSQL


@pytest.fixture
def login(store: str, db_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """The login Baton takes: the machine's (jdoe here) on SQLite, the
    database's on PostgreSQL, where the machine's is asmith (mapped to alice)."""
    if store == "sqlite":
        monkeypatch.setattr(getpass, "getuser", lambda: "jdoe")
        return "jdoe"
    monkeypatch.setattr(getpass, "getuser", lambda: "asmith")
    server = connect_raw(db_path)
    try:
        [(server_login,)] = server.execute("SELECT session_user").fetchall()
    finally:
        server.close()
    return str(server_login)


@pytest.fixture
def login_db(baton: Baton, db_path: Path, login: str, tmp_path: Path) -> Path:
    """A database whose policy maps `login` to jane."""
    policy = tmp_path / "login.yaml"
    logins = f"identity: login\nlogins: {{{login}: jane, asmith: alice}}\n"
    policy.write_text(DEFAULT_POLICY.read_text(encoding="utf-8") + logins, encoding="utf-8")
    result = baton("init", "--policy", str(policy), actor=None)
    assert result.exit_code == 0, result.stderr
    return db_path


def actors(db: Path) -> list[str]:
    return [actor for (actor,) in query(db, "SELECT actor FROM events ORDER BY seq")]


def test_the_login_acts_as_the_person_logins_names(baton: Baton, login_db: Path) -> None:
    assert baton("lead", "add", "--id", "L-1", *READY, actor=None).exit_code == 0
    assert baton("lead", "advance", "L-1", "hand_over", actor=None).exit_code == 0
    assert actors(login_db) == ["jane", "jane", "jane"]  # init too acts as the person the login maps to


def test_as_is_refused_and_nothing_is_written(baton: Baton, login_db: Path, login: str) -> None:
    result = baton("lead", "add", "--id", "L-1", *READY, actor="omar")
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == (
        "Error: policy default-handover takes who is acting from the login (identity: login), so --as and "
        f"BATON_ACTOR are refused; leave them out (your login {login} acts as jane)\n")
    assert actors(login_db) == ["jane"]


def test_baton_actor_is_refused_too(baton: Baton, login_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BATON_ACTOR", "omar")
    result = baton("lead", "list", actor=None)
    assert result.exit_code == 1
    assert "so --as and BATON_ACTOR are refused" in result.stderr


def test_a_login_the_policy_does_not_map_acts_under_its_own_name(
        baton: Baton, login: str, tmp_path: Path) -> None:
    policy = tmp_path / "login.yaml"
    policy.write_text(DEFAULT_POLICY.read_text(encoding="utf-8") + "identity: login\nlogins: {asmith: alice}\n",
                      encoding="utf-8")
    assert baton("init", "--policy", str(policy), actor=None).exit_code == 0
    result = baton("lead", "add", "--id", "L-1", *READY, actor=None)
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: '{login}' is in no role of the policy")


def policy_problems(extra: str) -> list[str]:
    with pytest.raises(PolicyInvalid) as caught:
        parse_policy(DEFAULT_POLICY.read_text(encoding="utf-8") + extra, "p.yaml")
    return [problem.message for problem in caught.value.problems]


def test_the_checker_refuses_an_unknown_identity_and_a_login_mapped_to_nobody() -> None:
    assert policy_problems("identity: badge\n") == [
        "identity must be login (the acting person is their login name), not 'badge'; "
        "leave it out to name who is acting with --as"]
    assert policy_problems("identity: login\nlogins: {jdoe: jan}\n")[0].startswith(
        "login 'jdoe' is mapped to 'jan', who is in no role (people: alice, bob, carol, hana, jane, omar, sam); "
        "did you mean 'jane'?")
    assert policy_problems("logins: {jdoe: jane}\n") == [
        "logins maps login names to people, which only `identity: login` uses; add `identity: login`, "
        "or remove logins"]
