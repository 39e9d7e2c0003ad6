"""`baton serve` as a real process: it sweeps the due clock, sends to a real
local webhook, logs each round, stops on SIGTERM or Ctrl-C with exit 0, and
keeps a second serve off the same database with an OS lock (on PostgreSQL a
session advisory lock)."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import Baton, to_sql
from test_concurrency import all_start_together, baton_executable
from test_notify import (
    FRIDAY_3PM,
    SWEEP_AT,
    LocalWebhook,
    breach,
    init_with_notify,
    outbox,
)

from statemachine.notify import send_due
from statemachine.store import Store
from statemachine.sweep import sweep
from statemachine.workspace import Workspace

pytestmark = pytest.mark.both_stores  # every database test here runs on SQLite and on PostgreSQL

WAIT_SECONDS = 15.0


def wait_for(condition: Callable[[], Any], what: str) -> Any:
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        if value := condition():
            return value
        time.sleep(0.05)
    raise AssertionError(f"gave up waiting for {what}")


class Serve:
    """`baton serve --every 1` in its own process, its stderr (the log) in a file."""

    def __init__(self, db: Path, log: Path, *, now: str = SWEEP_AT, env: dict[str, str] | None = None):
        self.log = log
        self._stderr = open(log, "w")
        environment = {**os.environ, "BATON_DB": str(db), "BATON_NOW": now, **(env or {})}
        environment.pop("BATON_LOG", None)
        self.process = subprocess.Popen(
            [baton_executable(), "serve", "--every", "1"], env=environment, text=True,
            stdout=subprocess.PIPE, stderr=self._stderr,
        )

    def events(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.log.read_text().splitlines() if line.startswith("{")]

    def logged(self, event: str) -> list[dict[str, Any]]:
        return [entry for entry in self.events() if entry["event"] == event]

    def stop(self, signum: int = signal.SIGTERM) -> int:
        self.process.send_signal(signum)
        return self.finish()

    def finish(self) -> int:
        try:
            self.process.wait(timeout=WAIT_SECONDS)
        finally:
            if self.process.poll() is None:
                self.process.kill()
                self.process.wait()
            self._stderr.close()
            assert self.process.stdout is not None
            self.process.stdout.close()
        assert "Traceback" not in self.log.read_text(), self.log.read_text()
        return self.process.returncode


@pytest.fixture
def servers() -> Iterator[list[Serve]]:
    """Every serve a test starts is stopped at the end, whatever happened."""
    started: list[Serve] = []
    yield started
    for serve in started:
        if serve.process.poll() is None:
            serve.process.kill()
            serve.finish()


@pytest.fixture
def due_db(baton: Baton, db_path: Path, tmp_path: Path, webhook: LocalWebhook) -> Path:
    """A database whose L-1 `acknowledge` clock is due at SWEEP_AT, notifying the webhook."""
    init_with_notify(baton, tmp_path, f"webhook: {webhook.url}\n")
    assert to_sql(baton, "L-1", now=FRIDAY_3PM).exit_code == 0
    return db_path


def test_serve_sweeps_sends_logs_each_round_and_stops_on_sigterm(
        due_db: Path, tmp_path: Path, webhook: LocalWebhook, servers: list[Serve]) -> None:
    serve = Serve(due_db, tmp_path / "serve.log")
    servers.append(serve)
    wait_for(lambda: webhook.accepted, "the webhook to receive the breach")
    wait_for(lambda: len(serve.logged("cycle")) >= 2, "a second round")
    assert serve.stop() == 0
    first, second = serve.logged("cycle")[:2]
    assert (first["level"], first["swept"], first["sent"], first["pending"]) == ("info", 1, 1, 0)
    assert (second["swept"], second["sent"], second["pending"]) == (0, 0, 0)
    assert serve.logged("serving")[0]["pid"] == serve.process.pid
    assert serve.logged("stopped")[0]["signal"] == "SIGTERM"
    [body] = webhook.accepted
    assert (body["lead"], body["sla"], body["recipients"]) == ("L-1", "acknowledge", ["alice", "sam"])
    assert outbox(due_db)[0]["status"] == "sent"


def test_ctrl_c_stops_serve_with_exit_0(due_db: Path, tmp_path: Path, servers: list[Serve]) -> None:
    serve = Serve(due_db, tmp_path / "serve.log")
    servers.append(serve)
    wait_for(lambda: serve.logged("cycle"), "the first round")
    assert serve.stop(signal.SIGINT) == 0
    assert serve.logged("stopped")[0]["signal"] == "SIGINT"


def test_a_second_serve_on_the_same_database_is_refused_naming_the_first(
        due_db: Path, tmp_path: Path, servers: list[Serve]) -> None:
    first = Serve(due_db, tmp_path / "first.log")
    servers.append(first)
    wait_for(lambda: first.logged("serving"), "the first serve to start")
    started = time.monotonic()
    second = subprocess.run(
        [baton_executable(), "--db", str(due_db), "serve"], check=False, capture_output=True, text=True, timeout=WAIT_SECONDS,
        env={k: v for k, v in os.environ.items() if k != "BATON_LOG"},
    )
    assert time.monotonic() - started < 5
    assert second.returncode == 1
    assert second.stderr.endswith(
        f"Error: another `baton serve` is already running on {due_db} (pid {first.process.pid}); "
        "stop it first, only one may serve a database\n"
    )
    assert first.process.poll() is None
    assert first.stop() == 0


def test_a_killed_serve_leaves_no_stale_lock(
        due_db: Path, store: str, tmp_path: Path, servers: list[Serve]) -> None:
    crashed = Serve(due_db, tmp_path / "crashed.log")
    servers.append(crashed)
    wait_for(lambda: crashed.logged("serving"), "the first serve to start")
    crashed.process.kill()
    crashed.finish()
    if store == "sqlite":  # the lock file stays; PostgreSQL's session lock went with the connection
        assert Path(f"{due_db}.serve.lock").exists()
    again = Serve(due_db, tmp_path / "again.log")
    servers.append(again)
    wait_for(lambda: again.logged("cycle"), "the new serve's first round")
    assert again.stop() == 0


def test_a_round_that_finds_the_database_locked_is_logged_and_the_next_one_goes_on(
        due_db: Path, tmp_path: Path, webhook: LocalWebhook, servers: list[Serve]) -> None:
    with all_start_together(due_db):  # another program holds the write lock
        serve = Serve(due_db, tmp_path / "serve.log", env={"BATON_BUSY_TIMEOUT_MS": "100"})
        servers.append(serve)
        failed = wait_for(lambda: serve.logged("cycle failed"), "a round to meet the lock")
    assert "is locked by another Baton command" in failed[0]["error"]
    wait_for(lambda: webhook.accepted, "the webhook to receive the breach")
    assert serve.stop() == 0


def test_serve_refuses_a_missing_database_at_once(tmp_path: Path) -> None:
    missing = tmp_path / "none.db"
    result = subprocess.run([baton_executable(), "--db", str(missing), "serve"],
                            check=False, capture_output=True, text=True, timeout=WAIT_SECONDS)
    assert result.returncode == 1
    assert f"no Baton database at {missing}" in result.stderr
    assert not Path(f"{missing}.serve.lock").exists()


# -- stopping between transactions (in process) ---------------------------------------
def stop_after_one() -> Callable[[], bool]:
    """A stop request that arrives while the first transaction is under way."""
    asked = []

    def should_stop() -> bool:
        asked.append(True)
        return len(asked) > 1

    return should_stop


def test_a_stop_request_is_honoured_between_leads_in_the_sweep(baton: Baton, due_db: Path) -> None:
    to_sql(baton, "L-2", now=FRIDAY_3PM)
    store = Store.open(str(due_db), write=True)
    try:
        report = sweep(Workspace(store, "system", SWEEP_AT), stop_after_one())
    finally:
        store.close()
    assert [breach["lead"] for breach in report.breaches] == ["L-1"]
    assert baton("sla", "sweep", now=SWEEP_AT).stdout.startswith("L-2 breached acknowledge")


def test_a_stop_request_is_honoured_between_rows_in_the_send(
        baton: Baton, due_db: Path, webhook: LocalWebhook) -> None:
    breach(baton, "L-2")  # the sweep breaches L-1 and L-2: two rows
    store = Store.open(str(due_db), write=True)
    try:
        ws = Workspace(store, "system", SWEEP_AT)
        report = send_due(store, ws.policy.notify, ws.now, io.StringIO(), stop_after_one())
    finally:
        store.close()
    assert [attempt.note.lead for attempt in report.attempts] == ["L-1"]
    assert [row["status"] for row in outbox(due_db)] == ["sent", "pending"]
