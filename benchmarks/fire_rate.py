"""Triggers fired per second through the engine, in this process, against
raw sqlite3 appending the same number of chained events, one transaction each.

Baton: one `Workspace` on a database made by `baton init` and `baton lead
import` (not timed), then `lifecycle.advance(ws, lead, "hand_over", {})` on
--leads leads, one after another; each is its own BEGIN IMMEDIATE ...
COMMIT, as a CLI command would be.

Baseline: a fresh database with Baton's own `events` DDL and index, WAL
mode, default synchronous (as Baton's database); per event BEGIN IMMEDIATE,
read the chain's tail, hash the canonical JSON (SPEC), INSERT, COMMIT. It
reads no lead, checks no rule and writes no projection.

Both take turns for --rounds rounds, each on leads of its own. Target: Baton
at least 0.5x the baseline's events/s (medians).

    .venv/bin/python benchmarks/fire_rate.py [--leads 2000] [--rounds 3] [--profile]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from _support import (
    MARKETING,
    NOW,
    REPO,
    baseline_db,
    chained,
    db_with_leads,
    events_schema,
    machine,
    median,
    print_profile,
    verdict,
)

# Fire with this checkout's code, whichever checkout the interpreter's venv was installed from.
sys.path.insert(0, str(REPO))

TARGET = 0.5


def baseline_fire(db_path: Path, schema: list[str], leads: list[str]) -> float:
    db = baseline_db(db_path, schema)
    try:
        start = time.perf_counter()
        for lead in leads:
            db.execute("BEGIN IMMEDIATE")
            tail = db.execute("SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1").fetchone()
            seq, prev = tail if tail else (0, "0" * 64)
            event = (lead, NOW, MARKETING, "hand_over", "MQL", "SAL", {}, 1)
            db.execute("INSERT INTO events VALUES (?,?,?,?,?,?,?,?,?,?,?)", next(chained([event], seq, prev)))
            db.execute("COMMIT")
        seconds = time.perf_counter() - start
        assert db.execute("SELECT count(*) FROM events").fetchone()[0] == len(leads)
        return seconds
    finally:
        db.close()


def baton_fire(db_path: Path, leads: list[str]) -> float:
    from statemachine.lifecycle import advance
    from statemachine.workspace import Workspace

    ws = Workspace.open(str(db_path), MARKETING, NOW, write=True)
    try:
        start = time.perf_counter()
        for lead in leads:
            advance(ws, lead, "hand_over", {})
        seconds = time.perf_counter() - start
        marks = ",".join("?" * len(leads))
        moved = ws.store.db.execute(f"SELECT count(*) FROM leads WHERE state = 'SAL' AND id IN ({marks})", leads)
        assert moved.fetchone()[0] == len(leads)
        return seconds
    finally:
        ws.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--leads", type=int, default=2000, help="triggers fired per round (default 2000)")
    parser.add_argument("--rounds", type=int, default=3, help="baseline and Baton runs, taking turns (default 3)")
    parser.add_argument("--profile", action="store_true", help="then fire one more round under cProfile")
    options = parser.parse_args()

    n, rounds = options.leads, options.rounds
    with tempfile.TemporaryDirectory(prefix="baton-bench-") as folder:
        tmp = Path(folder)
        db = tmp / "bench.db"
        db_with_leads(db, n * (rounds + 1))  # one more round for --profile
        schema = events_schema(db)

        base_times, baton_times = [], []
        for number in range(rounds):
            batch = [f"L-{i}" for i in range(number * n + 1, (number + 1) * n + 1)]
            base_times.append(baseline_fire(tmp / f"baseline-{number}.db", schema, batch))
            baton_times.append(baton_fire(db, batch))

        base_rate, baton_rate = n / median(base_times), n / median(baton_times)
        ratio = baton_rate / base_rate
        print(f"machine: {machine()}")
        print(f"{n:,} events a round, one transaction each, {rounds} rounds, medians")
        print(f"baseline (raw sqlite3, chained INSERT): {base_rate:>8,.0f} events/s  "
              f"({median(base_times) / n * 1e6:.0f} µs each)")
        print(f"baton advance (in process):             {baton_rate:>8,.0f} events/s  "
              f"({median(baton_times) / n * 1e6:.0f} µs each)")
        print(f"ratio: {ratio:.3f}x  {verdict(ratio >= TARGET)} (target >= {TARGET}x)")

        if options.profile:
            import cProfile

            batch = [f"L-{i}" for i in range(rounds * n + 1, (rounds + 1) * n + 1)]
            out = str(tmp / "fire.prof")
            cProfile.runctx("baton_fire(db, batch)", globals(), {"db": db, "batch": batch}, out)
            print(f"\ncProfile of {n:,} advances:")
            print_profile(out, 25)
    sys.exit(0 if ratio >= TARGET else 1)


if __name__ == "__main__":
    main()
