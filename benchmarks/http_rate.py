"""Triggers fired per second over the HTTP API, against the engine in this
process and against `baton lead advance` run as a command.

HTTP: `baton serve --http 127.0.0.1:PORT` in its own process (started here),
and --clients httpx clients (default 4, threads of this process: --client
async and processes cost more CPU a request, see README.md), each on one
keep-alive connection, sending `POST /v1/leads/{id}/advance {"trigger":
"hand_over"}` for their share of --leads leads, one after another, each
answered (the lead as `lead show --json` prints it, and its event) before the
next is sent. Every answer is checked: 200. The rate is the server's: leads
advanced per second of wall time. One more round with a single client shows
the latency a lone client sees (for information: on a busy machine it is
mostly the wait for a CPU at each of the four hand-offs between processes
and threads a request takes).

In process (fire_rate.py's Baton side): `lifecycle.advance(ws, lead,
"hand_over", {})` on as many other leads, each its own transaction.

Command: `baton lead advance ID hand_over` as a child process, --commands times.

All on one database made by `baton init` and `baton lead import` (not timed);
HTTP and in process take turns for --rounds rounds, each on leads of its own.
Targets (issue 15): HTTP at least 0.5x the in-process rate (the HTTP layer
costs at most as much as the engine), and at least 20x the command's. The
CPU time the server spends a request (from /proc) beside the CPU time an
in-process advance takes shows the same less at the mercy of other load;
the clients' own CPU a request is printed too, since they share the
machine's CPUs with the server.

    .venv/bin/python benchmarks/http_rate.py [--leads 1000] [--rounds 3] [--commands 20] [--client threads]
"""

from __future__ import annotations

import argparse
import functools
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

from _support import (
    MARKETING,
    NOW,
    REPO,
    baton,
    baton_script,
    clean_env,
    db_with_leads,
    machine,
    median,
    run_ok,
    verdict,
)
from fire_rate import baton_fire

sys.path.insert(0, str(REPO))

ENGINE_TARGET = 0.5
COMMAND_TARGET = 20.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_server(db: Path, port: int, log: Path) -> subprocess.Popen[bytes]:
    env = clean_env()
    server = subprocess.Popen(
        [sys.executable, baton_script(), "--db", str(db), "--now", NOW, "serve", "--every", "3600",
         "--http", f"127.0.0.1:{port}"],
        env=env, stdout=subprocess.DEVNULL, stderr=open(log, "w"),
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return server
        except OSError:
            time.sleep(0.05)
    server.kill()
    sys.exit(f"the server did not start; its log:\n{log.read_text()}")


ADVANCE = b'{"trigger": "hand_over"}'  # the body, built once: the benchmark measures the server


class Round(NamedTuple):
    seconds: float  # wall time, from the first request to the last answer
    client_cpu: float  # CPU time of this process (the clients) meanwhile
    server_cpu: float  # CPU time of the server meanwhile


def http_fire(base: str, headers: dict[str, str], clients: int, leads: list[str], kind: str, server: int) -> Round:
    """`clients` httpx clients, each on one keep-alive connection (made and
    warmed before the clock starts), advancing `leads`, each its share, one
    request after another."""
    fire = {"async": async_fire, "threads": thread_fire, "processes": process_fire, "transport": transport_fire}[kind]
    return fire(base, {**headers, "Content-Type": "application/json"}, clients, leads, server)


def async_fire(base: str, headers: dict[str, str], clients: int, leads: list[str], server: int) -> Round:
    """One httpx.AsyncClient per share, as tasks on one event loop: no GIL
    hand-offs between client threads."""
    import asyncio

    import httpx

    failures: list[str] = []

    async def fire(client: httpx.AsyncClient, share: list[str]) -> None:
        for lead in share:
            answer = await client.post(f"/v1/leads/{lead}/advance", content=ADVANCE)
            if answer.status_code != 200:
                failures.append(f"{lead}: {answer.status_code} {answer.text}")
                return

    async def run() -> Round:
        pool = [httpx.AsyncClient(base_url=base, headers=headers, timeout=30) for _ in range(clients)]
        for client in pool:
            assert (await client.get("/v1/leads/L-1")).status_code == 200  # connected, and the server warm
        start, cpu, served = time.perf_counter(), time.process_time(), cpu_seconds(server)
        await asyncio.gather(*(fire(client, leads[number::clients]) for number, client in enumerate(pool)))
        taken = Round(time.perf_counter() - start, time.process_time() - cpu, cpu_seconds(server) - served)
        for client in pool:
            await client.aclose()
        return taken

    taken = asyncio.run(run())
    if failures:
        sys.exit(failures[0])
    return taken


def process_fire(base: str, headers: dict[str, str], clients: int, leads: list[str], server: int) -> Round:
    """One httpx.Client per share, each in a child process of its own (forked):
    no GIL shared between clients; their CPU is the children's, from /proc."""
    import multiprocessing

    context = multiprocessing.get_context("fork")
    ready, go, results = context.Barrier(clients + 1), context.Event(), context.Queue()
    children = [context.Process(target=_child, args=(base, headers, leads[number::clients], ready, go, results))
                for number in range(clients)]
    for child in children:
        child.start()
    ready.wait()  # every child connected and warm
    start, served = time.perf_counter(), cpu_seconds(server)
    go.set()
    answers = [results.get() for _ in children]
    seconds, served = time.perf_counter() - start, cpu_seconds(server) - served
    for child in children:
        child.join()
    failures = [failure for failure, _ in answers if failure]
    if failures:
        sys.exit(failures[0])
    return Round(seconds, sum(cpu for _, cpu in answers), served)


def _child(base: str, headers: dict[str, str], share: list[str], ready: Any, go: Any, results: Any) -> None:
    import httpx

    with httpx.Client(base_url=base, headers=headers, timeout=30) as client:
        assert client.get("/v1/leads/L-1").status_code == 200  # connected, and the server warm
        ready.wait()
        go.wait()
        cpu, failure = time.process_time(), ""
        for lead in share:
            answer = client.post(f"/v1/leads/{lead}/advance", content=ADVANCE)
            if answer.status_code != 200:
                failure = f"{lead}: {answer.status_code} {answer.text}"
                break
        results.put((failure, time.process_time() - cpu))


def thread_fire(base: str, headers: dict[str, str], clients: int, leads: list[str], server: int) -> Round:
    """One httpx.Client per share, each in a thread of this process (the
    benchmark's client before: the threads take turns at one GIL)."""
    import httpx

    pool = [httpx.Client(base_url=base, headers=headers, timeout=30) for _ in range(clients)]
    try:
        for client in pool:
            assert client.get("/v1/leads/L-1").status_code == 200  # connected, and the server warm
        return in_threads([functools.partial(client_post, client) for client in pool], leads, server)
    finally:
        for client in pool:
            client.close()


def client_post(client: Any, lead: str) -> Any:
    return client.post(f"/v1/leads/{lead}/advance", content=ADVANCE)


def transport_fire(base: str, headers: dict[str, str], clients: int, leads: list[str], server: int) -> Round:
    """One `httpx.HTTPTransport` per share (httpx's own connection pool and
    HTTP/1.1, as `httpx.Client` sends through it, without the Client's
    cookies, redirects, auth and URL merging), each in a thread of this process."""
    import httpx

    pool = [httpx.HTTPTransport() for _ in range(clients)]
    sent = httpx.Headers(headers)

    def send(transport: httpx.HTTPTransport, method: str, path: str, body: bytes = b"") -> httpx.Response:
        answer = transport.handle_request(httpx.Request(method, f"{base}{path}", headers=sent, content=body))
        answer.read()
        return answer

    try:
        for transport in pool:
            assert send(transport, "GET", "/v1/leads/L-1").status_code == 200  # connected, and the server warm
        posts = [functools.partial(lambda transport, lead: send(transport, "POST", f"/v1/leads/{lead}/advance",
                                                                ADVANCE), transport) for transport in pool]
        return in_threads(posts, leads, server)
    finally:
        for transport in pool:
            transport.close()


def in_threads(posts: list[Callable[[str], Any]], leads: list[str], server: int) -> Round:
    """Each of `posts` (one client's way to advance a lead) in a thread of
    its own, advancing its share of `leads`, each answer checked: 200."""
    import threading

    failures: list[str] = []

    def fire(post: Callable[[str], Any], share: list[str]) -> None:
        for lead in share:
            answer = post(lead)
            if answer.status_code != 200:
                failures.append(f"{lead}: {answer.status_code} {answer.text}")
                return

    threads = [threading.Thread(target=fire, args=(post, leads[number::len(posts)]))
               for number, post in enumerate(posts)]
    start, cpu, served = time.perf_counter(), time.process_time(), cpu_seconds(server)
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    taken = Round(time.perf_counter() - start, time.process_time() - cpu, cpu_seconds(server) - served)
    if failures:
        sys.exit(failures[0])
    return taken


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of process `pid` so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def command_fire(db: Path, leads: list[str]) -> float:
    times = []
    for lead in leads:
        start = time.perf_counter()
        run_ok(baton(db, "lead", "advance", lead, "hand_over"))
        times.append(time.perf_counter() - start)
    return median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--leads", type=int, default=1000, help="triggers fired per round (default 1000)")
    parser.add_argument("--rounds", type=int, default=3, help="HTTP and in-process runs, taking turns (default 3)")
    parser.add_argument("--commands", type=int, default=20, help="`baton lead advance` runs (default 20)")
    parser.add_argument("--clients", type=int, default=4, help="concurrent HTTP clients (default 4)")
    parser.add_argument("--client", choices=("threads", "async", "processes", "transport"), default="threads",
                        help="the clients as threads of this process (default: cheapest), tasks on one event loop, or processes")
    options = parser.parse_args()

    n, rounds = options.leads, options.rounds
    with tempfile.TemporaryDirectory(prefix="baton-bench-") as folder:
        tmp = Path(folder)
        db = tmp / "bench.db"
        db_with_leads(db, n * rounds * 2 + n + options.commands)
        token = run_ok(baton(db, "token", "create", MARKETING, actor="sam")).stdout.strip().splitlines()[-1]
        port = free_port()
        server = start_server(db, port, tmp / "serve.log")
        try:
            base, headers = f"http://127.0.0.1:{port}", {"Authorization": f"Bearer {token}"}
            http_rounds, engine_times, engine_cpu = [], [], []
            for number in range(rounds):
                first = number * 2 * n
                http_rounds.append(http_fire(base, headers, options.clients,
                                             [f"L-{i}" for i in range(first + 1, first + n + 1)], options.client, server.pid))
                cpu = time.process_time()
                engine_times.append(baton_fire(db, [f"L-{i}" for i in range(first + n + 1, first + 2 * n + 1)]))
                engine_cpu.append(time.process_time() - cpu)
            first = rounds * 2 * n
            lone = http_fire(base, headers, 1, [f"L-{i}" for i in range(first + 1, first + n + 1)],
                             options.client, server.pid).seconds
        finally:
            server.terminate()
            code = server.wait(timeout=60)
        if code != 0:
            sys.exit(f"the server exited {code}; its log:\n{(tmp / 'serve.log').read_text()}")
        first = n * rounds * 2 + n
        command = command_fire(db, [f"L-{i}" for i in range(first + 1, first + options.commands + 1)])

    http_times = [taken.seconds for taken in http_rounds]
    http_rate, engine_rate, command_rate = n / median(http_times), n / median(engine_times), 1 / command
    print(f"machine: {machine()}")
    print(f"{n:,} advances a round, {rounds} rounds, medians; {options.commands} commands")
    print(f"HTTP ({options.clients} httpx clients, {options.client}):  {http_rate:>8,.0f} advances/s  ({1e6 / http_rate:.0f} µs each)")
    print(f"HTTP (one client, for information):   {n / lone:>8,.0f} advances/s  ({lone / n * 1e6:.0f} µs each)")
    print(f"in process (lifecycle.advance):       {engine_rate:>8,.0f} advances/s  ({1e6 / engine_rate:.0f} µs each)")
    print(f"`baton lead advance` as a command:    {command_rate:>8,.1f} advances/s  ({command * 1e3:.0f} ms each)")
    cpu_http, cpu_engine = median([taken.server_cpu for taken in http_rounds]) / n, median(engine_cpu) / n
    cpu_client = median([taken.client_cpu for taken in http_rounds]) / n
    print(f"CPU a request in the server: {cpu_http * 1e6:.0f} µs; a lead advanced in process: "
          f"{cpu_engine * 1e6:.0f} µs ({cpu_http / cpu_engine:.2f}x; the HTTP layer: {(cpu_http - cpu_engine) * 1e6:.0f} µs)")
    print(f"CPU a request in the clients (on the same {os.cpu_count()} CPUs): {cpu_client * 1e6:.0f} µs")
    engine_ratio, command_ratio = http_rate / engine_rate, http_rate / command_rate
    print(f"HTTP / in process: {engine_ratio:.3f}x  {verdict(engine_ratio >= ENGINE_TARGET)} (target >= {ENGINE_TARGET}x)")
    print(f"HTTP / command:    {command_ratio:.1f}x  {verdict(command_ratio >= COMMAND_TARGET)} (target >= {COMMAND_TARGET:.0f}x)")
    sys.exit(0 if engine_ratio >= ENGINE_TARGET and command_ratio >= COMMAND_TARGET else 1)


if __name__ == "__main__":
    os.environ.pop("BATON_LOG", None)
    main()
