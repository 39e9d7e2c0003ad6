"""Where the API server's CPU a request goes, layer by layer (issue 15), as
CPU time, which other load on the machine moves less than a rate:

1. uvicorn alone: `uvicorn.run` (httptools, uvloop: what `baton serve`
   runs) serving a bare ASGI app that reads the body and answers 1,500
   bytes with Content-Length, in its own process, one keep-alive httpx
   client, --requests requests; the server's CPU a request from /proc.
   With --one-write, uvicorn's protocol in a variant given as
   MODULE:CLASS is measured beside it, taking turns (see README.md).
2. Baton's ASGI app (the front door, `raw.Write`, the backend, the
   engine, `describe` and the JSON) called in this process with a scope
   made here, no uvicorn and no sockets: `POST /v1/leads/{id}/advance
   {"trigger": "hand_over"}`, against `lifecycle.advance` on as many other
   leads (fire_rate.py's Baton side), taking turns for --rounds rounds.

The difference of 2 is Baton's own HTTP layer; http_rate.py's server CPU a
request less 2's app is what uvicorn, asyncio and the sockets cost there.

    .venv/bin/python benchmarks/http_layers.py [--requests 10000] [--leads 1000] [--rounds 5]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _support import MARKETING, NOW, REPO, baton, db_with_leads, machine, median, run_ok
from fire_rate import baton_fire

sys.path.insert(0, str(REPO))

BARE_SERVER = r'''
import sys, uvicorn
from uvicorn.config import import_from_string
BODY = b"x" * 1500
async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    await receive()
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-length", b"1500"), (b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": BODY})
http = import_from_string(sys.argv[2]) if ":" in sys.argv[2] else sys.argv[2]
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning", access_log=False,
            lifespan="off", server_header=False, http=http)
'''
ADVANCE = b'{"trigger": "hand_over"}'


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def bare_uvicorn(http: str, requests: int) -> float:
    """The server's CPU a request, in µs, uvicorn with protocol `http` and a bare app."""
    import httpx

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-c", BARE_SERVER, str(port), http])
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers={"Content-Type": "application/json"}) as client:
            deadline = time.monotonic() + 20
            while True:
                try:
                    client.post("/", content=ADVANCE)
                    break
                except httpx.TransportError:
                    if time.monotonic() > deadline:
                        sys.exit("the bare uvicorn server did not start")
                    time.sleep(0.05)
            for _ in range(200):
                client.post("/", content=ADVANCE)
            served = cpu_seconds(server.pid)
            for _ in range(requests):
                assert client.post("/", content=ADVANCE).status_code == 200
            return (cpu_seconds(server.pid) - served) / requests * 1e6
    finally:
        server.terminate()
        server.wait()


def app_in_process(n: int, rounds: int) -> tuple[list[float], list[float]]:
    """CPU a request of Baton's ASGI app in this process, and of `lifecycle.advance`, in µs, each round."""
    from statemachine.api.app import build_app

    with tempfile.TemporaryDirectory(prefix="baton-bench-") as folder:
        db = Path(folder) / "bench.db"
        db_with_leads(db, 2 * n * rounds)
        token = run_ok(baton(db, "token", "create", MARKETING, actor="sam")).stdout.strip().splitlines()[-1]
        app = build_app(str(db), NOW)
        state = app.app.state.api
        headers = [(b"host", b"127.0.0.1"), (b"authorization", f"Bearer {token}".encode()),
                   (b"content-type", b"application/json"), (b"content-length", str(len(ADVANCE)).encode())]
        sent: list[dict[str, Any]] = []

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": ADVANCE, "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        async def fire(leads: list[str]) -> float:
            cpu = time.process_time()
            for lead in leads:
                sent.clear()
                scope = {"type": "http", "method": "POST", "path": f"/v1/leads/{lead}/advance", "headers": headers,
                         "query_string": b"", "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 8080),
                         "scheme": "http", "root_path": "", "http_version": "1.1"}
                await app(scope, receive, send)
                if sent[0]["status"] != 200:
                    sys.exit(f"{lead}: {sent[0]['status']} {sent[1]['body'].decode()}")
            return (time.process_time() - cpu) / len(leads) * 1e6

        async def run() -> tuple[list[float], list[float]]:
            state.changed, state.turn = asyncio.Event(), asyncio.Lock()
            state.backend.open()
            try:
                api, engine = [], []
                for number in range(rounds):
                    first = number * 2 * n
                    api.append(await fire([f"L-{i}" for i in range(first + 1, first + n + 1)]))
                    cpu = time.process_time()
                    baton_fire(db, [f"L-{i}" for i in range(first + n + 1, first + 2 * n + 1)])
                    engine.append((time.process_time() - cpu) / n * 1e6)
                return api, engine
            finally:
                state.backend.close()

        return asyncio.run(run())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=10000, help="requests to the bare uvicorn server (default 10000)")
    parser.add_argument("--leads", type=int, default=1000, help="advances a round in process (default 1000)")
    parser.add_argument("--rounds", type=int, default=5, help="rounds, taking turns (default 5)")
    parser.add_argument("--one-write", metavar="MODULE:CLASS", help="a uvicorn protocol to measure beside httptools")
    options = parser.parse_args()

    print(f"machine: {machine()}")
    kinds = ["httptools"] + ([options.one_write] if options.one_write else [])
    bare: dict[str, list[float]] = {kind: [] for kind in kinds}
    for _ in range(3):
        for kind in kinds:
            bare[kind].append(bare_uvicorn(kind, options.requests))
    for kind, figures in bare.items():
        print(f"uvicorn alone ({kind}), bare app, httpx client: {median(figures):.0f} µs of server CPU a request "
              f"({', '.join(f'{f:.0f}' for f in figures)})")
    api, engine = app_in_process(options.leads, options.rounds)
    print(f"Baton's ASGI app in process: {median(api):.0f} µs a request; lifecycle.advance: {median(engine):.0f} µs; "
          f"Baton's HTTP layer: {median(api) - median(engine):.0f} µs "
          f"(rounds {', '.join(f'{a:.0f}/{e:.0f}' for a, e in zip(api, engine))})")


if __name__ == "__main__":
    os.environ.pop("BATON_LOG", None)
    main()
