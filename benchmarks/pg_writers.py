"""Concurrent writers: `hand_over` fired by several processes at once, each on
leads of its own, one transaction a trigger, on PostgreSQL and on SQLite.

Each writer is a process that opens a `Workspace` (as a CLI command does),
waits for the others, then fires `lifecycle.advance(ws, lead, "hand_over")`
on its share of --leads leads. The rate is all events over the wall time
from the first writer's start to the last one's end. Three runs take turns:
PostgreSQL with 8 writers, PostgreSQL with 1, SQLite with 8. Targets (issue
16): PostgreSQL's 8-writer rate >= 2x SQLite's 8-writer rate; the 1-writer
rate is shown for comparison.

    .venv/bin/python benchmarks/pg_writers.py [--leads 2000] [--writers 8] [--rounds 3]

Needs the PostgreSQL server of the tests (BATON_TEST_PG, default
postgresql://postgres@127.0.0.1:5432/test); each run gets a fresh schema.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from _support import REPO, baton, clean_env, init_db, machine, median, run_ok, verdict, write_csv

TARGET = 2.0
SERVER = os.environ.get("BATON_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")

WRITER = """
import json, sys, time
sys.path.insert(0, {repo!r})
from statemachine.lifecycle import advance
from statemachine.workspace import Workspace
ws = Workspace.open({db!r}, "jane", "2026-03-02T10:00:00", write=True)
leads = {leads!r}
while time.time() < {go}:
    time.sleep(0.001)
start = time.time()
for lead in leads:
    advance(ws, lead, "hand_over", {{}})
print(json.dumps([start, time.time()]))
ws.close()
"""


@contextmanager
def pg_schema() -> Iterator[str]:
    import psycopg

    name = f"bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(SERVER, autocommit=True) as admin:
        admin.execute(f"CREATE SCHEMA {name}")
    joiner = "&" if "?" in SERVER else "?"
    try:
        yield f"{SERVER}{joiner}options=-csearch_path%3D{name}"
    finally:
        with psycopg.connect(SERVER, autocommit=True) as admin:
            admin.execute(f"DROP SCHEMA {name} CASCADE")


def fire(db: str, leads: list[str], writers: int) -> float:
    """Events per second of `writers` processes sharing `leads`."""
    go = time.time() + 1.5 + 0.25 * writers  # every writer opened its workspace by then
    shares = [leads[i::writers] for i in range(writers)]
    env = {**clean_env(), "BATON_BUSY_TIMEOUT_MS": "60000"}
    processes = [
        subprocess.Popen([sys.executable, "-c", WRITER.format(repo=str(REPO), db=db, leads=share, go=go)],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        for share in shares
    ]
    return len(leads) / seconds_taken(processes, go)


def seconds_taken(processes: list[subprocess.Popen[str]], go: float) -> float:
    """From `go` to the last writer's end; each writer prints [start, end]."""
    spans = []
    for process in processes:
        out, err = process.communicate(timeout=600)
        if process.returncode != 0:
            sys.exit(f"a writer failed:\n{err}")
        spans.append(json.loads(out))
    if min(start for start, _ in spans) < go - 0.01:
        sys.exit("a writer started late; raise the start delay")
    return float(max(end for _, end in spans) - go)


def prepared(db: str, csv: Path) -> None:
    init_db(db)  # type: ignore[arg-type]
    run_ok(baton(db, "lead", "import", str(csv)))  # type: ignore[arg-type]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--leads", type=int, default=2000, help="triggers fired per run (default 2000)")
    parser.add_argument("--writers", type=int, default=8, help="concurrent writer processes (default 8)")
    parser.add_argument("--rounds", type=int, default=3, help="runs of each, taking turns (default 3)")
    options = parser.parse_args()
    n, w = options.leads, options.writers
    leads = [f"L-{i}" for i in range(1, n + 1)]
    rates: dict[str, list[float]] = {"pg8": [], "pg1": [], "sqlite8": []}
    with tempfile.TemporaryDirectory(prefix="baton-bench-") as folder:
        csv = Path(folder) / "leads.csv"
        write_csv(csv, n, with_id=True)
        for number in range(options.rounds):
            with pg_schema() as url:
                prepared(url, csv)
                rates["pg8"].append(fire(url, leads, w))
            with pg_schema() as url:
                prepared(url, csv)
                rates["pg1"].append(fire(url, leads, 1))
            sqlite = str(Path(folder) / f"bench-{number}.db")
            prepared(sqlite, csv)
            rates["sqlite8"].append(fire(sqlite, leads, w))
    pg8, pg1, lite8 = (median(rates[key]) for key in ("pg8", "pg1", "sqlite8"))
    ratio = pg8 / lite8
    print(f"machine: {machine()}")
    print(f"{n:,} hand_overs a run, one transaction each, {options.rounds} runs of each, medians")
    print(f"PostgreSQL, {w} writers: {pg8:>8,.0f} events/s")
    print(f"PostgreSQL, 1 writer:  {pg1:>8,.0f} events/s  ({pg8 / pg1:.2f}x from {w} writers)")
    print(f"SQLite, {w} writers:     {lite8:>8,.0f} events/s")
    print(f"PostgreSQL {w} writers / SQLite {w} writers: {ratio:.2f}x  {verdict(ratio >= TARGET)} (target >= {TARGET}x)")
    sys.exit(0 if ratio >= TARGET else 1)


if __name__ == "__main__":
    main()
