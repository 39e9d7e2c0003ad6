"""The floor under issue 16's two PostgreSQL speed targets on this machine:
what the same stack (psycopg 3 and the same server) costs doing the least
Baton's commands could do, with none of Baton's own code.

1. Writers. --writers processes, each with one psycopg connection, append
   --events events in all to a hash-chained log, one transaction each, the
   least any writer to one chain must do: BEGIN; take the log's lock (the
   transaction-level advisory lock Baton takes; the next event's `prev` is
   the last event's hash, so no two appends may overlap); read the chain's
   tail; INSERT the event with its SHA-256; UPDATE the lead's row; COMMIT.
   No policy, no engine, no checks, one fixed lead row each. The same with 1
   writer for comparison, and the commit's own round trip (`SELECT 1` in a
   transaction that writes a row, no lock). Against it: SQLite's rate with
   8 Baton writers, as `pg_writers.py` measures it (given with --sqlite8,
   or measured here by `pg_writers.py`'s own code).
2. A process per command. `python -c "import psycopg"` and `python -c
   "import psycopg; connect; SELECT 1"` against `baton lead advance` on
   SQLite, each a child process, taking turns.

If the floor's writers cannot reach 2x SQLite's 8 Baton writers, or the floor
of a process that merely imports psycopg and connects is over 1.5x SQLite's
whole `lead advance`, no Baton code reaches the target on this machine.

    .venv/bin/python benchmarks/pg_floor.py [--events 4000] [--writers 8] [--rounds 3] [--runs 20]

Needs the PostgreSQL server of the tests (BATON_TEST_PG, default
postgresql://postgres@127.0.0.1:5432/test); each run gets a fresh schema.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _support import baton, db_with_leads, machine, median, run_ok, write_csv
from pg_writers import SERVER, fire, pg_schema, prepared, seconds_taken

WRITER = """
import hashlib, json, sys, time
import psycopg
url, me, count, go, lock = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4]), sys.argv[5] == "lock"
db = psycopg.connect(url, autocommit=True)
while time.time() < go:
    time.sleep(0.001)
start = time.time()
for n in range(count):
    with db.transaction():
        if lock:
            db.execute("SELECT pg_advisory_xact_lock(hashtext('floor'))")
            seq, prev = db.execute("SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1").fetchone()
            body = json.dumps([seq + 1, me, n, prev], separators=(",", ":"))
            db.execute("INSERT INTO events VALUES (%s, %s, %s, %s)",
                       (seq + 1, me, body, hashlib.sha256(body.encode()).hexdigest()))
        db.execute("UPDATE leads SET state = %s WHERE id = %s", (str(n), me))
print(json.dumps([start, time.time()]))
"""

SCHEMA = """
CREATE TABLE events (seq bigint PRIMARY KEY, lead text NOT NULL, body text NOT NULL, hash text NOT NULL);
CREATE TABLE leads (id text PRIMARY KEY, state text NOT NULL);
INSERT INTO events VALUES (0, '', '', repeat('0', 64));
"""


def floor_writers(events: int, writers: int, lock: bool = True) -> float:
    """Events (or, without `lock`, plain commits) per second of `writers` processes."""
    import psycopg

    with pg_schema() as url:
        with psycopg.connect(url, autocommit=True) as db:
            db.execute(SCHEMA)
            for me in range(writers):
                db.execute("INSERT INTO leads VALUES (%s, 'new')", (f"W-{me}",))
        go = time.time() + 1.0 + 0.2 * writers
        share = events // writers
        processes = [
            subprocess.Popen([sys.executable, "-c", WRITER, url, f"W-{me}", str(share), str(go),
                              "lock" if lock else "plain"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for me in range(writers)
        ]
        seconds = seconds_taken(processes, go)
        if lock:
            with psycopg.connect(url) as db:
                count = db.execute("SELECT count(*) - 1 FROM events").fetchone()
                assert count is not None and count[0] == share * writers, "events lost or doubled"
        return share * writers / seconds


def wall_ms(cmd: list[str]) -> float:
    start = time.perf_counter()
    run_ok(cmd)
    return (time.perf_counter() - start) * 1000


def process_floor(runs: int) -> dict[str, float]:
    """Median wall times (ms) of the import-and-connect floor and of SQLite's `lead advance`."""
    connect = f"import psycopg; psycopg.connect({SERVER!r}).execute('SELECT 1').fetchone()"
    times: dict[str, list[float]] = {"python": [], "import": [], "connect": [], "advance": []}
    with tempfile.TemporaryDirectory(prefix="baton-bench-") as folder:
        db = Path(folder) / "bench.db"
        db_with_leads(db, runs + 3)
        for number in range(runs + 3):
            figures = {
                "python": wall_ms([sys.executable, "-c", "pass"]),
                "import": wall_ms([sys.executable, "-c", "import psycopg"]),
                "connect": wall_ms([sys.executable, "-c", connect]),
                "advance": wall_ms(baton(db, "lead", "advance", f"L-{number + 1}", "hand_over")),
            }
            if number >= 3:  # warm-ups
                for key, value in figures.items():
                    times[key].append(value)
    return {key: median(values) for key, values in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=4000, help="events appended a run (default 4000)")
    parser.add_argument("--writers", type=int, default=8, help="concurrent writer processes (default 8)")
    parser.add_argument("--rounds", type=int, default=3, help="runs of each (default 3)")
    parser.add_argument("--runs", type=int, default=20, help="child processes of each kind timed (default 20)")
    parser.add_argument("--sqlite8", type=float, default=None,
                        help="SQLite's rate with 8 Baton writers, from pg_writers.py (default: measured here)")
    options = parser.parse_args()
    w = options.writers
    rates: dict[str, list[float]] = {"lock": [], "one": [], "plain": []}
    for _ in range(options.rounds):
        rates["lock"].append(floor_writers(options.events, w))
        rates["one"].append(floor_writers(options.events // 4, 1))
        rates["plain"].append(floor_writers(options.events, w, lock=False))
    lite8 = options.sqlite8 if options.sqlite8 is not None else sqlite_writers(w, options.rounds)
    floor8, floor1, plain = (median(rates[key]) for key in ("lock", "one", "plain"))
    print(f"machine: {machine()}")
    print(f"1. writers ({options.rounds} runs of each, medians)")
    print(f"   floor, {w} writers, chained appends:          {floor8:>8,.0f} events/s")
    print(f"   floor, 1 writer, chained appends:            {floor1:>8,.0f} events/s")
    print(f"   {w} writers, one UPDATE and COMMIT, no lock:   {plain:>8,.0f} commits/s")
    print(f"   SQLite, {w} Baton writers (pg_writers.py):     {lite8:>8,.0f} events/s")
    print(f"   the floor's {w} writers / SQLite's: {floor8 / lite8:.2f}x (issue 16's target for Baton: >= 2x)")
    times = process_floor(options.runs)
    print(f"2. a process per command ({options.runs} runs each, medians)")
    print(f"   python -c pass:                               {times['python']:6.1f} ms")
    print(f"   python -c 'import psycopg':                   {times['import']:6.1f} ms")
    print(f"   the same, connect and SELECT 1:               {times['connect']:6.1f} ms")
    print(f"   baton lead advance on SQLite:                 {times['advance']:6.1f} ms")
    print(f"   the floor / SQLite's lead advance: {times['connect'] / times['advance']:.2f}x "
          "(issue 16's target for Baton's lead advance on PostgreSQL: <= 1.5x)")


def sqlite_writers(writers: int, rounds: int) -> float:
    n = 2000
    leads = [f"L-{i}" for i in range(1, n + 1)]
    found = []
    with tempfile.TemporaryDirectory(prefix="baton-bench-") as folder:
        csv = Path(folder) / "leads.csv"
        write_csv(csv, n, with_id=True)
        for number in range(rounds):
            sqlite = str(Path(folder) / f"bench-{number}.db")
            prepared(sqlite, csv)
            found.append(fire(sqlite, leads, writers))
    return median(found)


if __name__ == "__main__":
    main()
