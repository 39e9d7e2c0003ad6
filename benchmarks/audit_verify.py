"""`baton audit verify` of a million events against a plain scan that only
recomputes the SHA-256 chain; then appending under contention.

Verify: a database of --leads leads x 5 events (created, hand_over, updated
with BANT, qualify, assigned; a personal email on each), plus the
`policy_applied` of `baton init`, built fast with direct SQL inserts that
follow the chain rule and `projection.apply` (not timed). Then, each in its
own process, taking turns for --rounds rounds:
- baseline: sqlite3 + hashlib + json alone: SELECT every event in seq order,
  parse `data`, hash the canonical JSON of the hashed keys, check seq, prev
  and hash. It replays nothing and checks no rule.
- `baton audit verify`, the real command: the chain, every transition
  against its policy version, and the replay compared with `leads`.
Target: verify at least 0.5x the baseline's events/s (medians); peak RSS of
each (wait4). Memory must not grow with the log: the same number of leads
with 5x the events (attempts) is measured too (--flat-leads).

Contention: --per-worker leads per worker in MQL, each worker a process with
its own open Workspace firing `hand_over` (one transaction, one event each)
on leads of its own; 4 workers at once against 1 worker firing all of them.
Total events/s, and `audit verify` passes on the result.

    .venv/bin/python benchmarks/audit_verify.py [--leads 200000] [--rounds 3]
        [--flat-leads 20000] [--per-worker 1500] [--keep DIR]

About 4 minutes with the defaults on 2 CPUs; --leads 20000 is quick.

--imported measures the per-lead cost instead: a freshly imported database
(--leads generated leads, default 100,000, by the real `baton lead import`,
one `created` event a lead, as benchmarks/policy_simulate.py builds it),
where a log of many events a lead would hide what verify spends on each
lead. The same baseline and `baton audit verify`, each a child process,
taking turns for --rounds rounds (default 5), medians; --profile then runs
verify once more under cProfile.

    .venv/bin/python benchmarks/audit_verify.py --imported [--leads 100000] [--rounds 5] [--profile]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import multiprocessing
import os
import shutil
import sqlite3
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

from _support import (
    MARKETING, NOW, POLICY, REPO, baton, baton_script, init_db, machine, median, print_profile, run_measured,
    run_ok, verdict, write_csv,
)

sys.path.insert(0, str(REPO))
# The children run this checkout's code even when the interpreter's `baton`
# was installed from another one (a shared venv): what is measured is what is here.
os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, (str(REPO), os.environ.get("PYTHONPATH"))))

TARGET = 0.5
AT = "2026-03-02T10:00:00+00:00"
_encode = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode

# The baseline, run as its own process: hashlib, json and sqlite3 only.
BASELINE = r'''
import hashlib, json, sqlite3, sys
encode = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode
db = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True)
prev, expected, checked = "0" * 64, 1, 0
sql = 'SELECT seq, lead, at, actor, event, "from", "to", data, policy_version, prev, hash FROM events ORDER BY seq'
for seq, lead, at, actor, event, from_, to, data, version, before, digest in db.execute(sql):
    body = {"seq": seq, "lead": lead, "at": at, "actor": actor, "event": event, "from": from_, "to": to,
            "data": json.loads(data), "policy_version": version, "prev": before}
    if seq != expected or before != prev or hashlib.sha256(encode(body).encode("utf-8")).hexdigest() != digest:
        sys.exit(f"broken at seq {expected}")
    prev, expected, checked = digest, seq + 1, checked + 1
print(checked)
'''


# -- building a big, legal log -------------------------------------------------------------
def lead_events(n: int, attempts: int) -> Iterator[tuple[str, str, str, str | None, str | None, dict[str, Any]]]:
    """(actor, event, at, from, to, data) of lead n: a legal path to SQL."""
    persona = ("executive", "manager", "practitioner")[n % 3]
    owner = "carol" if persona == "executive" else ("alice", "bob")[n % 2]
    yield MARKETING, "created", AT, None, "MQL", {"fields": {
        "email": f"lead{n}@example.com", "source": "webinar", "persona": persona,
        "product": "Payroll", "awareness": "solution", "score": 60 + n % 40, "company": f"Company {n % 977}",
    }}
    yield MARKETING, "hand_over", AT, "MQL", "SAL", {}
    yield "alice", "updated", AT, None, None, {"fields": {
        "budget": float(1000 + n % 5000), "authority": True, "need": "Replace spreadsheets", "timeline": "2027-02-01",
    }}
    yield "alice", "qualify", AT, "SAL", "SQL", {}
    yield owner, "assigned", AT, "SQL", "SQL", {"owner": owner, "rule": 1 if owner == "carol" else 2,
                                                  "strategy": "round_robin", "skipped": {}}
    for _ in range(attempts):
        yield owner, "attempt", AT, "SQL", "SQL", {"channel": "phone"}


def build(db: Path, leads: int, attempts: int = 0) -> int:
    """`baton init`, then `leads` leads written with direct SQL; returns the event count."""

    from statemachine.lifecycle import row_to_columns
    from statemachine.policy import read_policy_file
    from statemachine.projection import apply
    from statemachine.store import Event

    init_db(db)
    _, policy = read_policy_file(str(POLICY))
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("PRAGMA synchronous = OFF")
    conn.execute("BEGIN")
    seq, prev = conn.execute("SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1").fetchone()
    events, rows, personal = [], [], []
    columns: list[str] = []

    def flush() -> None:
        conn.executemany("INSERT INTO events VALUES (?,?,?,?,?,?,?,?,?,?,?)", events)
        conn.executemany(f"INSERT INTO leads ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})", rows)
        conn.executemany("INSERT INTO personal(digest, lead, field, salt, value) VALUES (?,?,?,?,?)", personal)
        events.clear(), rows.clear(), personal.clear()

    for n in range(1, leads + 1):
        lead, row = f"L-{n}", None
        for actor, kind, at, from_, to, data in lead_events(n, attempts):
            values: dict[str, Any] = {}
            if kind == "created":
                email = data["fields"]["email"]
                salt = f"{n:032x}"
                digest = hashlib.sha256((salt + _encode(email)).encode()).hexdigest()
                data["fields"]["email"] = {"personal": digest}
                values[digest] = email
                personal.append((digest, lead, "email", salt, _encode(email)))
            seq += 1
            body = {"seq": seq, "lead": lead, "at": at, "actor": actor, "event": kind, "from": from_, "to": to,
                    "data": data, "policy_version": 1, "prev": prev}
            digest = hashlib.sha256(_encode(body).encode("utf-8")).hexdigest()
            events.append((seq, lead, at, actor, kind, from_, to, _encode(data), 1, prev, digest))
            row = apply(row, Event(seq, lead, at, actor, kind, from_, to, data, 1, prev, digest), values.get)
            prev = digest
        assert row is not None
        projected = row_to_columns(policy, row)
        columns = columns or [f'"{c}"' for c in projected]
        rows.append(tuple(projected.values()))
        if len(events) >= 50_000:
            flush()
    flush()
    # the running open-lead count per rep that least_loaded routing reads (and verify checks)
    final = [name for name, state in policy.states.items() if state.final]
    conn.execute(
        "INSERT INTO rep_load(rep, open_leads) SELECT owner, count(*) FROM leads WHERE owner IS NOT NULL "
        f"AND state NOT IN ({','.join('?' * len(final))}) GROUP BY owner", final,
    )
    conn.execute("COMMIT")
    conn.close()
    return seq


# -- verify against the baseline -------------------------------------------------------------
def measure_verify(db: Path, events: int, rounds: int) -> dict[str, Any]:
    base_times, verify_times, base_rss, verify_rss = [], [], [], []
    for number in range(rounds):
        base = run_measured([sys.executable, "-c", BASELINE, str(db)], cwd=db.parent)
        if base.returncode != 0 or int(base.stdout) != events:
            sys.exit(f"baseline failed: {base.stdout}{base.stderr}")
        checked = run_measured([sys.executable, baton_script(), "--db", str(db), "--json", "audit", "verify"], cwd=db.parent)
        report = json.loads(checked.stdout or "{}")
        if checked.returncode != 0 or report.get("events") != events:
            sys.exit(f"audit verify failed: {checked.stdout[:2000]}{checked.stderr[:2000]}")
        base_times.append(base.seconds)
        verify_times.append(checked.seconds)
        base_rss.append(base.max_rss_kib)
        verify_rss.append(checked.max_rss_kib)
        if rounds > 1:
            print(f"  round {number + 1}: baseline {base.seconds:.2f} s, verify {checked.seconds:.2f} s", flush=True)
    return {
        "base_rate": events / median(base_times), "verify_rate": events / median(verify_times),
        "base_s": median(base_times), "verify_s": median(verify_times),
        "base_rss": max(base_rss), "verify_rss": max(verify_rss),
        "base_runs": base_times, "verify_runs": verify_times,
    }


def report_verify(run: dict[str, Any], per: str) -> float:
    """Print the two passes and the ratio; the ratio."""
    ratio = float(run["verify_rate"] / run["base_rate"])
    for label, key in (("baseline chain-only scan:", "base"), ("baton audit verify:", "verify")):
        runs = ", ".join(f"{t:.2f}" for t in run[f"{key}_runs"])
        print(f"{label:<26}{run[f'{key}_rate']:>9,.0f} {per}/s  ({run[f'{key}_s']:.2f} s; runs {runs}; "
              f"peak RSS {run[f'{key}_rss'] / 1024:,.0f} MiB)")
    print(f"ratio: {ratio:.3f}x  {verdict(ratio >= TARGET)} (target >= {TARGET}x)")
    return ratio


# -- verify of a freshly imported database: the cost per lead -----------------------------------
def imported(tmp: Path, leads: int, rounds: int, profile: bool) -> float:
    """--imported: verify against the baseline on `leads` leads of one `created` event each."""
    from policy_simulate import build as import_leads

    db = tmp / f"imported-{leads}.db"
    if not db.exists():
        db, seconds = import_leads(tmp, leads, f"imported-{leads}")
        print(f"imported {leads:,} leads with baton lead import in {seconds:.1f} s "
              f"({db.stat().st_size / 2**20:,.0f} MiB)")
    events = leads + 1  # and the `policy_applied` of `baton init`
    run = measure_verify(db, events, rounds)
    print(f"{leads:,} leads, {events:,} events, {rounds} rounds taking turns, medians")
    ratio = report_verify(run, "events")
    if profile:
        out = tmp / "verify.prof"
        cmd = [sys.executable, "-m", "cProfile", "-o", str(out), baton_script(), "--db", str(db), "audit", "verify"]
        result = run_measured(cmd, cwd=tmp, discard_stdout=True)
        if result.returncode != 0:
            sys.exit(f"profiled verify failed:\n{result.stderr[-2000:]}")
        print(f"\ncProfile of baton audit verify ({result.seconds:.1f} s under the profiler):")
        print_profile(str(out), 30)
    return ratio


# -- appending under contention ----------------------------------------------------------------
def _fire(db: str, leads: list[str], ready: Any, go: Any) -> None:
    from statemachine.lifecycle import advance
    from statemachine.workspace import Workspace

    ws = Workspace.open(db, MARKETING, NOW, write=True)
    ready.release()
    go.wait()
    for lead in leads:
        advance(ws, lead, "hand_over", {})
    ws.close()


def fire(db: Path, workers: int, leads: list[str]) -> float:
    """Seconds for `workers` processes to fire hand_over on `leads` (split evenly)."""
    context = multiprocessing.get_context("fork")
    ready, go = context.Semaphore(0), context.Event()
    share = [leads[i::workers] for i in range(workers)]
    processes = [context.Process(target=_fire, args=(str(db), part, ready, go)) for part in share]
    for process in processes:
        process.start()
    for _ in processes:
        ready.acquire()
    start = time.perf_counter()
    go.set()
    for process in processes:
        process.join()
        if process.exitcode != 0:
            sys.exit(f"a worker failed (exit {process.exitcode})")
    return time.perf_counter() - start


def measure_contention(tmp: Path, per_worker: int, rounds: int) -> dict[str, Any]:
    os.environ["BATON_BUSY_TIMEOUT_MS"] = "60000"  # the workers wait for each other, never give up
    total = per_worker * 4
    single, multi = [], []
    for number in range(rounds):
        for workers, times in ((1, single), (4, multi)):
            db = tmp / f"contention-{workers}-{number}.db"
            init_db(db)
            source = tmp / f"leads-{number}.csv"
            if not source.exists():
                write_csv(source, total, with_id=True)
            run_ok(baton(db, "lead", "import", str(source)))
            times.append(fire(db, workers, [f"L-{i}" for i in range(1, total + 1)]))
            checked = run_measured([sys.executable, baton_script(), "--db", str(db), "audit", "verify"], cwd=tmp)
            if checked.returncode != 0:
                sys.exit(f"audit verify failed after {workers} workers: {checked.stderr[:2000]}")
            with closing(sqlite3.connect(db)) as conn:
                fired = conn.execute("SELECT count(*) FROM events WHERE event = 'hand_over'").fetchone()[0]
            assert fired == total, (fired, total)
    return {"total": total, "single": total / median(single), "multi": total / median(multi)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--leads", type=int, help="leads of 5 events each (default 200000: 1M events); "
                        "with --imported, leads imported (default 100000)")
    parser.add_argument("--flat-leads", type=int, default=20_000,
                        help="leads for the flat-memory check: 5 events each, then 25 each (default 20000)")
    parser.add_argument("--rounds", type=int, help="runs of each, taking turns (default 3; 5 with --imported)")
    parser.add_argument("--imported", action="store_true",
                        help="only verify a freshly imported database (one created event a lead)")
    parser.add_argument("--profile", action="store_true", help="with --imported: then verify once under cProfile")
    parser.add_argument("--per-worker", type=int, default=1500, help="hand_overs per contention worker (default 1500)")
    parser.add_argument("--keep", metavar="DIR", help="build the databases here and leave them")
    options = parser.parse_args()

    folder = options.keep or tempfile.mkdtemp(prefix="baton-audit-bench-")
    tmp = Path(folder)
    tmp.mkdir(parents=True, exist_ok=True)
    print(f"machine: {machine()}")
    if options.imported:
        ratio = imported(tmp, options.leads or 100_000, options.rounds or 5, options.profile)
        if not options.keep:
            shutil.rmtree(tmp)
        sys.exit(0 if ratio >= TARGET else 1)
    options.leads = options.leads or 200_000
    options.rounds = options.rounds or 3

    start = time.perf_counter()
    big = tmp / "verify.db"
    if big.exists():
        big.unlink()
    events = build(big, options.leads)
    print(f"built {events:,} events, {options.leads:,} leads with direct SQL in {time.perf_counter() - start:.0f} s "
          f"({big.stat().st_size / 2**20:,.0f} MiB)")
    ratio = report_verify(measure_verify(big, events, options.rounds), "events")

    flat = []
    for attempts in (0, 20):
        db = tmp / f"flat-{attempts}.db"
        if db.exists():
            db.unlink()
        count = build(db, options.flat_leads, attempts)
        measured = measure_verify(db, count, 1)
        flat.append((count, measured["verify_rss"]))
        db.unlink()
    print(f"flat memory, {options.flat_leads:,} leads: "
          + ", ".join(f"{count:,} events -> peak RSS {rss / 1024:,.0f} MiB" for count, rss in flat))

    contention = measure_contention(tmp, options.per_worker, options.rounds)
    print(f"appending, {contention['total']:,} hand_overs (one transaction each): "
          f"1 process {contention['single']:,.0f} events/s, 4 processes {contention['multi']:,.0f} events/s "
          f"({contention['multi'] / contention['single']:.2f}x)")
    if not options.keep:
        for leftover in tmp.iterdir():
            leftover.unlink()
        tmp.rmdir()
    sys.exit(0 if ratio >= TARGET else 1)


if __name__ == "__main__":
    main()
