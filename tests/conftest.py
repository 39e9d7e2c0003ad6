"""Shared fixtures: a fresh database on the default policy, and `baton`, which
runs the CLI in-process through click's CliRunner."""

from __future__ import annotations

import functools
import json
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, cast

import pytest
from click.testing import CliRunner, Result
from hypothesis import settings

import statemachine.policy
from cli.main import cli

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_POLICY = ROOT / "policies" / "default.yaml"
MONDAY_9AM = "2026-11-23T09:00"

# the HTTP API tests' fixtures, `client` and `jane`, for every API test module;
# the notification tests' real servers (`webhook`, `smtp`) and `notices_folder`
pytest_plugins = ["api_fixtures", "notify_fixtures"]

# A lead that passes the default handover checklist and score.
READY = [
    "email=ana@northwind.example", "source=webinar", "persona=manager",
    "product=Forecasting", "awareness=solution", "score=75",
]
BANT = ["budget=25000", "authority=yes", "need=Replace spreadsheets", "timeline=2027-02-01"]

Baton = Callable[..., Result]

# Property tests (tests/test_properties_*.py): in CI a bounded run that gives
# the same examples every time, so a red build can be re-run and read; the
# long run (`HYPOTHESIS_PROFILE=long`, see the README's Development section)
# searches far more, with a fresh seed each time.
settings.register_profile("ci", max_examples=60, derandomize=True, database=None, deadline=None)
settings.register_profile("long", max_examples=5000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


# The default policy's `routing: notify:`: each routing queues an `assigned` row in the outbox.
ROUTING_NOTIFY = "  notify: [owner]\n"


def without_assigned_notices(text: str) -> str:
    """The default policy's text without `routing: notify:`, for tests about
    other notifications (SLA breaches, approvals), whose outbox would
    otherwise also hold each routing's `assigned` row."""
    assert ROUTING_NOTIFY in text
    return text.replace(ROUTING_NOTIFY, "", 1)


def pytest_configure(config: pytest.Config) -> None:
    """Every policy text the loader accepts in any test must also fit the
    editors' JSON Schema: `parse_policy` is wrapped for the whole session, so
    test modules that import it by name get the wrapped one too."""
    statemachine.policy.parse_policy = _fits_the_schema(statemachine.policy.parse_policy)
    config.addinivalue_line(
        "markers", "without_assigned_notices: `policy_file` (and so `db`) is the default policy "
        "without `routing: notify:` (see without_assigned_notices)",
    )
    config.addinivalue_line("markers", "both_stores: the module's database tests run on SQLite and on PostgreSQL")
    config.addinivalue_line("markers", "sqlite_only: in a both_stores module, a test about the SQLite file itself")


def pytest_unconfigure(config: pytest.Config) -> None:
    statemachine.policy.parse_policy = getattr(statemachine.policy.parse_policy, "__wrapped__",
                                               statemachine.policy.parse_policy)


# policy text -> what the schema says of it ("" when it fits): a text is
# checked once however many tests load it.
_SCHEMA_VERDICTS: dict[str, str] = {}


def _fits_the_schema(parse: Callable[[str, str], Any]) -> Callable[[str, str], Any]:
    @functools.wraps(parse)
    def parse_policy(text: str, file: str) -> Any:
        policy = parse(text, file)  # a text the loader refuses raises here, and is none of the schema's business
        if text not in _SCHEMA_VERDICTS:
            from cli.policy_schema import schema_problems
            from statemachine.policy.json_schema import policy_data

            problems = schema_problems(policy_data(text))
            _SCHEMA_VERDICTS[text] = "\n".join(f"  {path}: {message}" for path, message in problems)
        if _SCHEMA_VERDICTS[text]:
            pytest.fail(f"the loader accepts {file}, but the policy schema refuses it:\n"
                        f"{_SCHEMA_VERDICTS[text]}\nThe loader is the authority: fix "
                        "statemachine/policy/json_schema.py, then run "
                        "`baton policy schema > policies/policy.schema.json`.", pytrace=False)
        return policy

    return parse_policy


@pytest.fixture(autouse=True)
def _quiet_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("BATON_DB", "BATON_ACTOR", "BATON_NOW", "BATON_LOG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("BATON_BUSY_TIMEOUT_MS", "200")


@pytest.fixture(autouse=True)
def _wall_clock_follows_now(monkeypatch: pytest.MonkeyPatch) -> None:
    """The tests play out a simulated week (--now 2026-11-23 and on), as if
    each command ran at the time it gives: the wall clock Baton judges --now
    by follows it, so events record no `recorded_at`. The tests of
    back-filling (test_time_and_size_limits.py) set a wall clock of their own."""
    import statemachine.backfill

    monkeypatch.setattr(statemachine.backfill, "wall_clock", lambda given: given)


@pytest.fixture
def policy_file(tmp_path: Path, request: pytest.FixtureRequest) -> Path:
    target = tmp_path / "policy.yaml"
    if request.node.get_closest_marker("without_assigned_notices"):
        target.write_text(without_assigned_notices(DEFAULT_POLICY.read_text(encoding="utf-8")), encoding="utf-8")
    else:
        shutil.copy(DEFAULT_POLICY, target)
    return target


# The PostgreSQL server the `postgresql` store's tests use; each test gets a
# schema of its own in its database (a few milliseconds, where a fresh
# database takes a tenth of a second), dropped after.
TEST_PG = os.environ.get("BATON_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
STORES = ("sqlite", "postgresql")


class PgUrl(str):
    """A PostgreSQL --db that tests pass around where a file path goes (`str(db_path)`)."""

    def exists(self) -> bool:
        """Whether a Baton database is there (its events table), as a file exists."""
        import psycopg

        with psycopg.connect(self) as conn:
            return conn.execute("SELECT to_regclass('events') IS NOT NULL").fetchone() == (True,)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Tests in a module marked `both_stores` that use the database run once
    per store; a test marked `sqlite_only` (about the file itself) once."""
    if "store" in metafunc.fixturenames and metafunc.definition.get_closest_marker("both_stores"):
        only = metafunc.definition.get_closest_marker("sqlite_only")
        metafunc.parametrize("store", ["sqlite"] if only else list(STORES), indirect=True)


@pytest.fixture
def store(request: pytest.FixtureRequest) -> str:
    """Which store the test's database is on: sqlite unless parametrized."""
    return str(getattr(request, "param", "sqlite"))


@functools.lru_cache(maxsize=1)
def _pg_unavailable() -> str:
    """Why the PostgreSQL tests cannot run here ("" when they can)."""
    try:
        import psycopg
    except ImportError:
        return "psycopg is not installed; pip install -e '.[test]'"
    try:
        psycopg.connect(TEST_PG, connect_timeout=3).close()
    except psycopg.Error as error:
        first = (str(error).strip().splitlines() or [type(error).__name__])[0]
        return (f"no PostgreSQL at {TEST_PG} ({first}); start one (.ci/run does) or point the tests at one "
                "with BATON_TEST_PG=postgresql://USER@HOST:PORT/DATABASE")
    return ""


@pytest.fixture
def pg_schema() -> Iterator[PgUrl]:
    """A fresh, empty schema on the test server, as the --db URL that uses it."""
    reason = _pg_unavailable()
    if reason:
        pytest.skip(reason)
    import uuid

    import psycopg

    name = f"bt_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(TEST_PG, autocommit=True) as admin:
        admin.execute(f"CREATE SCHEMA {name}")
    joiner = "&" if "?" in TEST_PG else "?"
    yield PgUrl(f"{TEST_PG}{joiner}options=-csearch_path%3D{name}")
    with psycopg.connect(TEST_PG, autocommit=True) as admin:
        admin.execute(f"DROP SCHEMA {name} CASCADE")


@pytest.fixture
def db_path(tmp_path: Path, store: str, request: pytest.FixtureRequest) -> Path:
    """Where the test's database is: a file, or (store postgresql) a URL."""
    if store == "postgresql":
        return cast(Path, request.getfixturevalue("pg_schema"))
    return tmp_path / "baton.db"


@pytest.fixture
def baton(db_path: Path) -> Baton:
    """Run `baton --db DB [--as ACTOR] [--now NOW] ARGS...` and return the result."""

    def run(*args: str, actor: str | None = "jane", now: str | None = MONDAY_9AM,
            input: str | None = None) -> Result:
        head = ["--db", str(db_path)]
        if actor is not None:
            head += ["--as", actor]
        if now is not None:
            head += ["--now", now]
        return CliRunner().invoke(cli, [*head, *args], input=input, catch_exceptions=False)

    return run


@pytest.fixture
def db(baton: Baton, policy_file: Path, db_path: Path) -> Path:
    """A database initialised with the default policy."""
    result = baton("init", "--policy", str(policy_file))
    assert result.exit_code == 0, result.output
    return db_path


class _Row(tuple):  # type: ignore[type-arg]
    """A row by index or by column name, and `dict(row)`: as sqlite3.Row."""

    names: tuple[str, ...] = ()

    def keys(self) -> list[str]:
        return list(self.names)

    def __getitem__(self, key: Any) -> Any:
        return super().__getitem__(self.names.index(key) if isinstance(key, str) else key)


class PgTestConnection:
    """The tests' own connection to a PostgreSQL test database, taking
    sqlite3's calls (`?` placeholders, `commit`, rows as sqlite3.Row): psycopg
    underneath and none of Baton's code, so a forgery is written as a forger
    would write it."""

    def __init__(self, url: str):
        import psycopg

        self.conn = psycopg.connect(url)

    def execute(self, sql: str, params: Any = ()) -> Any:
        def rows(cursor: Any) -> Callable[[Any], _Row]:
            names = tuple(column.name for column in cursor.description or ())

            def make(values: Any) -> _Row:
                row = _Row(values)
                row.names = names
                return row

            return make

        return self.conn.cursor(row_factory=rows).execute(sql.replace("?", "%s"), params)

    def commit(self) -> None:
        self.conn.commit()

    def __enter__(self) -> PgTestConnection:
        return self

    def __exit__(self, kind: object, *rest: object) -> None:
        """As sqlite3's: commit what the block did (roll back on an error); stay open."""
        if kind is None:
            self.conn.commit()
        else:
            self.conn.rollback()

    def close(self) -> None:
        self.conn.close()


def connect_raw(db: Path | str) -> Any:
    """A connection of the test's own to its database, on either store: an
    sqlite3 one or a `PgTestConnection`, rows as tuples that also answer by
    column name (and `dict(row)`). Close it."""
    import sqlite3

    if str(db).startswith("postgresql://"):
        return PgTestConnection(str(db))
    conn = sqlite3.connect(db)
    conn.row_factory = _sqlite_row
    return conn


def _sqlite_row(cursor: Any, values: tuple[Any, ...]) -> _Row:
    row = _Row(values)
    row.names = tuple(column[0] for column in cursor.description)
    return row


def query(db: Path | str, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Rows of `sql` (SQLite's dialect, `?` placeholders) on the test's
    database, whichever store it is on: through the store's own seam."""
    from statemachine.store import Store

    store = Store.open(str(db), write=False)
    try:
        return [tuple(row) for row in store.db.execute(sql, params).fetchall()]
    finally:
        store.close()


def query_dicts(db: Path | str, sql: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
    """As `query`, each row a dict by column name."""
    from statemachine.store import Store

    store = Store.open(str(db), write=False)
    try:
        cursor = store.db.execute(sql, params)
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row)) for row in cursor.fetchall()]
    finally:
        store.close()


def change(db: Path | str, sql: str, params: tuple[Any, ...] = ()) -> None:
    """Run `sql` on the test's database behind Baton's back (as a tamperer would), committed."""
    from statemachine.store import Store

    store = Store.open(str(db), write=True)
    try:
        store.db.execute(sql, params)
    finally:
        store.close()


def as_json(result: Result) -> Any:
    assert result.exit_code == 0, result.stderr or result.output
    return json.loads(result.stdout)


def json_lines(result: Result) -> list[Any]:
    assert result.exit_code == 0, result.stderr or result.output
    return [json.loads(line) for line in result.stdout.splitlines() if line.strip()]


def add_ready_lead(baton: Baton, lead_id: str, *extra: str) -> None:
    result = baton("lead", "add", "--id", lead_id, *READY, *extra)
    assert result.exit_code == 0, result.stderr


def to_sql(baton: Baton, lead_id: str, *extra: str, now: str = MONDAY_9AM) -> Result:
    """Add a ready lead and move it into SQL (where it is routed)."""
    add_ready_lead(baton, lead_id, *extra)
    assert baton("lead", "advance", lead_id, "hand_over", now=now).exit_code == 0
    assert baton("lead", "set", lead_id, *BANT, actor="alice", now=now).exit_code == 0
    return baton("lead", "advance", lead_id, "qualify", actor="alice", now=now)


def sign_off(baton: Baton, policy: Path | str, now: str | None = MONDAY_9AM) -> None:
    """Both heads the default policy names approve the text of `policy`, as
    its `approvals` asks before `policy apply` may put a new version in force."""
    for head in ("hana", "sam"):
        result = baton("policy", "approve", str(policy), actor=head, now=now)
        assert result.exit_code == 0, result.stderr


@pytest.fixture
def story(baton: Baton, db: Path) -> Path:
    """L-1 handed over, qualified and assigned to alice; L-2 a bare lead (score 10)."""
    add_ready_lead(baton, "L-1")
    assert baton("lead", "advance", "L-1", "hand_over").exit_code == 0
    assert baton("lead", "set", "L-1", *BANT, actor="alice").exit_code == 0
    assert baton("lead", "advance", "L-1", "qualify", actor="alice").exit_code == 0
    assert baton("lead", "add", "--id", "L-2", "score=10").exit_code == 0
    return db


def run_process(command: list[str], env: dict[str, str], stderr_on_a_terminal: bool,
                cwd: Path | None = None) -> tuple[int, str, str]:
    """Run `command` as a real process: (exit code, stdout, stderr), its stderr
    a pseudo-terminal (as a person at a terminal sees it) or a pipe."""
    import os
    import subprocess

    if not stderr_on_a_terminal:
        done = subprocess.run(command, env=env, cwd=cwd, text=True, capture_output=True, timeout=60, check=False)
        return done.returncode, done.stdout, done.stderr
    pty = pytest.importorskip("pty")
    terminal, stderr = pty.openpty()
    try:
        process = subprocess.Popen(command, env=env, cwd=cwd, text=True, stdout=subprocess.PIPE, stderr=stderr)
        os.close(stderr)
        stdout, _ = process.communicate(timeout=60)
        drawn = b""
        while True:
            try:
                chunk = os.read(terminal, 4096)
            except OSError:  # EIO: the process closed its end
                break
            if not chunk:
                break
            drawn += chunk
    finally:
        os.close(terminal)
    return process.returncode, stdout, drawn.decode("utf-8", "replace")
