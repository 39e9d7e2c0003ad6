"""`baton serve --http` as a real process on loopback, with real httpx
clients: under load every 2xx has its event and no event is without one,
the log verifies and the memory holds still; a long poll wakes on a new
event; a lock another program holds is a 409 and the server keeps serving;
SIGTERM lets the requests in flight finish and exits 0. On both stores:
on PostgreSQL the writer and the sweep each have their own connection, and
a password in --db shows nowhere."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import READY, Baton, add_ready_lead, json_lines, query
from test_concurrency import baton_executable
from test_notify import free_port
from test_postgres import with_password

from cli.main import cli
from statemachine.store import Store

pytestmark = pytest.mark.both_stores

WAIT_SECONDS = 20.0
LOAD_SECONDS = 3.0
CLIENTS = 8


class ApiServer:
    """`baton serve --http 127.0.0.1:PORT` in its own process, its log in a file."""

    def __init__(self, db: Path | str, log: Path, env: dict[str, str] | None = None):
        self.port = free_port()
        self.log = log
        self._stderr = open(log, "w")
        environment = {**os.environ, "BATON_DB": str(db), **(env or {})}
        for name in ("BATON_NOW", "BATON_ACTOR"):
            environment.pop(name, None)
        self.process = subprocess.Popen(
            [baton_executable(), "serve", "--every", "1", "--http", f"127.0.0.1:{self.port}"],
            env=environment, stdout=subprocess.DEVNULL, stderr=self._stderr,
        )
        self.url = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + WAIT_SECONDS
        while time.monotonic() < deadline:
            try:
                httpx.get(self.url + "/v1/leads", timeout=1)
                return
            except httpx.TransportError:
                assert self.process.poll() is None, self.log.read_text()
                time.sleep(0.05)
        raise AssertionError(f"the server did not start:\n{self.log.read_text()}")

    def client(self, token: str) -> httpx.Client:
        return httpx.Client(base_url=self.url, headers={"Authorization": f"Bearer {token}"}, timeout=WAIT_SECONDS)

    def rss_kib(self) -> int:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        raise AssertionError("no VmRSS")

    def stop(self) -> int:
        self.process.send_signal(signal.SIGTERM)
        try:
            code = self.process.wait(timeout=WAIT_SECONDS)
        finally:
            if self.process.poll() is None:
                self.process.kill()
                self.process.wait()
            self._stderr.close()
        assert "Traceback" not in self.log.read_text(), self.log.read_text()
        return code


def token_for(baton: Baton, actor: str) -> str:
    result = baton("token", "create", actor, actor="sam")
    assert result.exit_code == 0, result.stderr
    return str(result.stdout.strip().splitlines()[-1])


@pytest.fixture
def server(db: Path, tmp_path: Path) -> Iterator[ApiServer]:
    running = ApiServer(db, tmp_path / "serve.log")
    yield running
    if running.process.poll() is None:
        running.stop()


def ready_fields(n: int) -> dict[str, Any]:
    fields: dict[str, Any] = dict(pair.split("=", 1) for pair in READY)
    return {**fields, "email": f"lead{n}@northwind.example", "score": 75}


def test_eight_clients_under_load_every_2xx_has_its_event_and_no_event_is_without_one(
        baton: Baton, db: Path, server: ApiServer, store: str) -> None:
    tokens = {actor: token_for(baton, actor) for actor in ("jane", "omar")}
    setup_seq = json_lines(baton("audit", "log", "--json"))[-1]["seq"]
    answered: list[tuple[str, int, list[int], str | None]] = []  # (actor, status, event seqs, replayed)
    lock = threading.Lock()
    stop_at = time.monotonic() + LOAD_SECONDS
    rss: list[int] = []

    def work(number: int) -> None:
        actor = "jane" if number % 2 else "omar"
        mine: list[tuple[str, int, list[int], str | None]] = []
        with server.client(tokens[actor]) as client:
            made = 0
            while time.monotonic() < stop_at:
                made += 1
                key = {"Idempotency-Key": f"c{number}-{made}"}
                body = {"fields": ready_fields(number * 100000 + made)}
                requests = [("POST", "/v1/leads", body, key)]
                if made % 5 == 1:
                    requests.append(("POST", "/v1/leads", body, key))  # a retry: the first answer, no new lead
                for method, path, json_body, headers in requests:
                    answer = client.request(method, path, json=json_body, headers=headers)
                    assert answer.status_code in (201, 409), answer.text  # 409: another program's lock
                    created = answer.json()
                    mine.append((actor, answer.status_code, [e["seq"] for e in created.get("events", [])],
                                 answer.headers.get("idempotent-replayed")))
                if answer.status_code != 201:
                    continue
                for trigger in ("hand_over", "hand_over", "qualify"):  # the second and third are refused
                    answer = client.post(f"/v1/leads/{created['id']}/advance", json={"trigger": trigger})
                    assert answer.status_code in (200, 403, 409), answer.text
                    seqs = [e["seq"] for e in answer.json().get("events", [])]
                    mine.append((actor, answer.status_code, seqs, None))
        with lock:
            answered.extend(mine)

    def measure() -> None:  # the RSS once warm, and at the end
        time.sleep(LOAD_SECONDS / 3)
        rss.append(server.rss_kib())
        time.sleep(max(0.0, stop_at - time.monotonic() - 0.1))
        rss.append(server.rss_kib())

    clients = [threading.Thread(target=work, args=(n,)) for n in range(CLIENTS)]
    clients.append(threading.Thread(target=measure))
    for thread in clients:
        thread.start()
    # meanwhile another program writes to the same database: the CLI, as carol
    cli_added = 0
    while time.monotonic() < stop_at - 0.5:
        done = subprocess.run([baton_executable(), "--db", str(db), "--as", "carol", "lead", "attempt", "L-1"],
                              capture_output=True, text=True, env={**os.environ, "BATON_BUSY_TIMEOUT_MS": "5000"})
        assert done.returncode in (0, 1), done.stderr
        if done.returncode == 1:  # before the first lead was made, or a lock held past the timeout
            assert "no lead 'L-1'" in done.stderr or "is locked" in done.stderr, done.stderr
        cli_added += done.returncode == 0
    for thread in clients:
        thread.join()
    assert server.stop() == 0

    ok = [(actor, seqs, replayed) for actor, status, seqs, replayed in answered if status < 300]
    refused = [seqs for _, status, seqs, _ in answered if status >= 300]
    assert len(ok) > CLIENTS * 5 and len(refused) > CLIENTS * 5, (len(ok), len(refused))
    assert all(seqs == [] for seqs in refused)
    written = [seqs for _, seqs, replayed in ok if replayed is None]
    replays = [seqs for _, seqs, replayed in ok if replayed == "true"]
    assert replays, "every fifth create, from the first, was sent twice"
    flat = [seq for seqs in written for seq in seqs]
    assert len(flat) == len(set(flat)), "an event answered twice"
    assert all(seqs and set(seqs) <= set(flat) for seqs in replays)  # a retry points at the first answer's events
    log = [e for e in json_lines(baton("audit", "log", "--json")) if e["seq"] > setup_seq]
    api_events = {e["seq"]: e for e in log if e["actor"] != "carol"}
    assert set(api_events) == set(flat)  # every 2xx has its events, and no event is without a 2xx
    by_seq = {seq: actor for actor, seqs, _ in ok for seq in seqs}
    assert all(e["actor"] == by_seq[seq] for seq, e in api_events.items())  # written as the token's actor
    assert len([e for e in log if e["actor"] == "carol"]) == cli_added  # the CLI's own, beside the API's
    verify = baton("audit", "verify")
    assert verify.exit_code == 0, verify.output
    if store == "sqlite":
        assert query(db, "PRAGMA integrity_check") == [("ok",)]
    warm, end = rss
    assert end - warm < 8 * 1024, f"the server grew from {warm} KiB to {end} KiB under load"


def test_a_long_poll_wakes_on_a_new_event_and_sigterm_answers_the_one_in_flight(
        baton: Baton, db: Path, server: ApiServer) -> None:
    token = token_for(baton, "jane")
    head = json_lines(baton("audit", "log", "--json"))[-1]["seq"]
    polled: list[Any] = []

    def poll() -> None:
        with server.client(token) as client:
            answer = client.get(f"/v1/events?after={head}&wait=15")
            polled.append((answer.status_code, answer.json()))

    waiting = threading.Thread(target=poll)
    waiting.start()
    time.sleep(0.5)  # the poll is waiting by now
    with server.client(token) as client:
        created = client.post("/v1/leads", json={"fields": {"score": 70}})
    waiting.join(timeout=WAIT_SECONDS)
    assert created.status_code == 201
    status, events = polled[0]
    assert status == 200 and [e["seq"] for e in events] == [e["seq"] for e in created.json()["events"]]

    last = created.json()["events"][-1]["seq"]
    polled.clear()
    head = last
    in_flight = threading.Thread(target=poll)
    in_flight.start()
    time.sleep(1.5)  # the poll is in flight by now
    assert server.stop() == 0  # drained: the poll in flight got its (empty) answer first
    in_flight.join(timeout=WAIT_SECONDS)
    assert polled == [(200, [])]
    assert "stopped http" in server.log.read_text()


def test_a_lead_another_program_is_changing_is_a_409_and_the_server_keeps_serving(
        baton: Baton, db: Path, tmp_path: Path, store: str) -> None:
    add_ready_lead(baton, "L-1")
    token = token_for(baton, "jane")
    # On PostgreSQL --db carries a password, which no answer and no log line may show.
    given = with_password(str(db)) if store == "postgresql" else str(db)
    server = ApiServer(given, tmp_path / "serve.log", env={"BATON_BUSY_TIMEOUT_MS": "200"})
    try:
        holder = Store.open(str(db), write=True)
        holder.db.execute("BEGIN IMMEDIATE")  # another program is writing: it holds the write lock
        with server.client(token) as client:
            answer = client.post("/v1/leads/L-1/advance", json={"trigger": "hand_over"})
            assert answer.status_code == 409
            shown = with_password(str(db), "***") if store == "postgresql" else str(db)
            assert answer.json() == {"error": f"{shown} is locked by another Baton command or program; "
                                              "try again in a moment"}
            holder.db.execute("ROLLBACK")
            holder.close()
            again = client.post("/v1/leads/L-1/advance", json={"trigger": "hand_over"})
            assert again.status_code == 200, again.text
    finally:
        assert server.stop() == 0
    assert [e["event"] for e in json_lines(baton("audit", "log", "--lead", "L-1", "--json"))] == [
        "created", "hand_over"]
    log = server.log.read_text()
    assert "serving http" in log and "database locked" in log
    assert "s3cret-Pw" not in log


@pytest.mark.sqlite_only  # about the command line, not the store
def test_serve_http_takes_host_port_and_defaults_to_loopback(db: Path) -> None:
    from click.testing import CliRunner

    from statemachine.api.server import parse_address

    assert parse_address(":8080") == ("127.0.0.1", 8080)
    assert parse_address("8080") == ("127.0.0.1", 8080)
    assert parse_address("0.0.0.0:80") == ("0.0.0.0", 80)
    assert parse_address("[::1]:8080") == ("::1", 8080)
    result = CliRunner().invoke(cli, ["--db", str(db), "serve", "--http", "localhost:http"])
    assert result.exit_code == 2
    assert result.stderr == ("Error: --http 'localhost:http' is not HOST:PORT; write it like 127.0.0.1:8080 "
                             "(loopback), or 0.0.0.0:8080 to take requests from other machines\n")


@pytest.mark.sqlite_only  # about imports, not the store
def test_lead_show_imports_no_web_server(baton: Baton, db: Path) -> None:
    add_ready_lead(baton, "L-1")
    code = ("import sys; from cli.main import main; sys.argv = ['baton', '--db', sys.argv[1], 'lead', 'show', 'L-1']\n"
            "try:\n    main()\nexcept SystemExit:\n    pass\n"
            "print(sorted(m for m in ('uvicorn', 'starlette', 'httpx') if m in sys.modules), file=sys.stderr)")
    done = subprocess.run([sys.executable, "-c", code, str(db)], capture_output=True, text=True, check=True)
    assert done.stderr.strip().splitlines()[-1] == "[]"


class _SlowStderr:
    """A stderr that takes its time over each write, as a pipe under load does."""

    def __init__(self) -> None:
        self.text = ""

    def write(self, text: str) -> int:
        for char in text:
            self.text += char
            time.sleep(0)
        return len(text)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False


@pytest.mark.sqlite_only  # about the log, not the store
def test_threads_logging_at_once_write_whole_lines(monkeypatch: pytest.MonkeyPatch) -> None:
    """`serve --http` logs "serving" from its sweep thread as the server logs
    "serving http": each must be a JSON line of its own, never two run together."""
    from statemachine import oplog

    slow = _SlowStderr()
    monkeypatch.setattr(sys, "stderr", slow)
    monkeypatch.setenv("BATON_LOG", "info")
    monkeypatch.setattr(oplog, "_loggers", {})
    start = threading.Barrier(8)

    def logs(n: int) -> None:
        start.wait()
        oplog.log("info", "serving", thread=n)

    threads = [threading.Thread(target=logs, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(json.loads(line)["thread"] for line in slow.text.splitlines()) == list(range(8)), slow.text
