"""`sla sweep` over 1,000,000 open leads of which 1% have a clock due.

Builds the database with plain SQL (leads spread over the open states of the
default policy, an `acknowledge` clock for each lead in SQL, a `follow_up`
clock for each lead in contacted, 1% of all leads with a clock already due),
then measures in one run:

- baseline: the same database's plain indexed SELECT of the due clock rows;
- Baton's selection of the leads to sweep (`sla.due_leads`), with its query
  plan, which must use the partial index on due_at, not scan the table;
- the whole sweep (breach, outbox row, reassign, one transaction per lead),
  reported per breach.

    .venv/bin/python benchmarks/sweep_scan.py [--leads 1000000] [--due-share 0.01]
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from statemachine.policy.versions import store_policy  # noqa: E402
from statemachine.policy import read_policy_file  # noqa: E402
from statemachine.schema import create_database  # noqa: E402
from statemachine.sla import DUE_LEADS_SQL, due_leads  # noqa: E402
from statemachine.store import Store  # noqa: E402
from statemachine.sweep import sweep  # noqa: E402
from statemachine.workspace import Workspace  # noqa: E402

NOW = "2026-03-02T12:00:00+00:00"
STARTED = "2026-03-02T09:00:00+00:00"
DUE_PAST = "2026-03-02T11:00:00+00:00"
DUE_LATER = "2026-03-09T09:00:00+00:00"
STATES = ("MQL", "SAL", "SQL", "accepted", "contacted")
REPS = ("alice", "bob", "carol")


def build(path: str, leads: int, due_every: int) -> int:
    text, policy = read_policy_file(str(REPO / "policies" / "default.yaml"))
    create_database(path, policy, lambda store: store_policy(store, text, policy, "bench", STARTED))
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("BEGIN")
    lead_rows, clock_rows, due = [], [], 0
    for n in range(leads):
        state = STATES[n % len(STATES)]
        owner = REPS[n % len(REPS)] if state in ("SQL", "accepted", "contacted") else None
        lead = f"L-{n + 1}"
        lead_rows.append((lead, state, owner, 0, STARTED, STARTED, STARTED))
        clock = {"SQL": "acknowledge", "contacted": "follow_up"}.get(state)
        if clock:
            is_due = n % due_every == 2  # n % 5 == 2 is SQL: the due ones are acknowledge clocks
            due += is_due
            clock_rows.append((lead, clock, state, STARTED, DUE_PAST if is_due else DUE_LATER))
        if len(lead_rows) == 50_000:
            flush(db, lead_rows, clock_rows)
    flush(db, lead_rows, clock_rows)
    db.execute(
        "INSERT INTO rep_load(rep, open_leads) SELECT owner, count(*) FROM leads WHERE owner IS NOT NULL GROUP BY owner"
    )
    db.execute("COMMIT")
    db.execute("ANALYZE")
    db.close()
    return due


def flush(db: sqlite3.Connection, lead_rows: list, clock_rows: list) -> None:
    db.executemany(
        "INSERT INTO leads(id, state, owner, attempts, state_since, created_at, updated_at) VALUES (?,?,?,?,?,?,?)",
        lead_rows,
    )
    db.executemany("INSERT INTO clocks(lead, name, state, started_at, due_at) VALUES (?,?,?,?,?)", clock_rows)
    lead_rows.clear()
    clock_rows.clear()


def median_time(fn, repeat: int = 7) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--leads", type=int, default=1_000_000)
    parser.add_argument("--due-share", type=float, default=0.01)
    args = parser.parse_args()
    due_every = round(1 / args.due_share)
    with tempfile.TemporaryDirectory(prefix="baton-sweep-") as folder:
        path = os.path.join(folder, "sweep.db")
        start = time.perf_counter()
        due = build(path, args.leads, due_every)
        print(f"built {args.leads:,} open leads, {due:,} with a clock due, in {time.perf_counter() - start:.1f} s")

        raw = sqlite3.connect(path)
        baseline_sql = "SELECT lead, name FROM clocks WHERE breached_at IS NULL AND due_at <= ?"
        baseline = median_time(lambda: raw.execute(baseline_sql, (NOW,)).fetchall())
        plan = raw.execute(f"EXPLAIN QUERY PLAN {baseline_sql}", (NOW,)).fetchall()
        raw.close()

        store = Store.open(path, write=True)
        selection = median_time(lambda: due_leads(store, NOW))
        plan_sweep = store.db.execute(f"EXPLAIN QUERY PLAN {DUE_LEADS_SQL}", (NOW,)).fetchall()
        ws = Workspace(store, "system", NOW)
        start = time.perf_counter()
        report = sweep(ws)
        whole = time.perf_counter() - start
        again = median_time(lambda: sweep(ws), repeat=3)
        store.close()

    print(f"query plan (baseline): {' / '.join(row[-1] for row in plan)}")
    print(f"query plan (sweep):    {' / '.join(row[-1] for row in plan_sweep)}")
    print(f"baseline indexed SELECT of the due rows: {baseline * 1000:8.1f} ms")
    print(f"sweep's selection of leads to act on:    {selection * 1000:8.1f} ms  ({selection / baseline:.2f}x, target <= 3x)")
    breaches = len(report.breaches)
    per = (whole - selection) / max(breaches, 1)
    print(f"whole sweep: {whole:.2f} s for {breaches:,} breaches = selection + {per * 1000:.2f} ms per breach")
    print(f"a second sweep (nothing due any more):   {again * 1000:8.1f} ms")
    ok = selection / baseline <= 3 and all("USING INDEX clocks_due" in row[-1] or "TEMP B-TREE" in row[-1] for row in plan_sweep)
    print("PASS" if ok else "FAIL")


if __name__ == "__main__":
    main()
