"""`baton report`'s one read of the log over 1,000,000 events, against a raw
scan of the events table that decodes each event's JSON; and its peak
memory for 100,000 events against 1,000,000.

The log: leads of the default policy living realistic lives over a year
(about nine events each): created with a personal email, handed over,
qualified and routed, acknowledged in time or breached and reassigned by
the sweep, contacted with a few attempts, then won, disqualified or
recycled with a reason (half of those renurtured). Events are in time
order across blocks of 2,000 leads, so a lead's events are scattered
through the log as in real use. Written with direct SQL inserts that
follow the chain rule, into a database made by `baton init` (not timed);
the `leads` table is not written, as reports read only `events`.

Timed in this one process, taking turns for --rounds rounds:
- baseline: sqlite3 + json alone: SELECT every event in seq order and
  `json.loads` its data. It counts nothing.
- `statemachine.reports.compute` over the whole log, which every `baton
  report` command runs: funnel, conversion, cohort, SLA clocks (due times
  from the business calendar), recycling and reps, all at once.
Target: compute at least 0.5x the baseline's events/s (medians).

Memory: `baton report funnel --json` in a child process, on a log of
--small events and on the big one; peak RSS from wait4. Target: the big
one's within 1.2x of the small one's.

    .venv/bin/python benchmarks/reports.py [--events 1000000] [--small 100000] [--rounds 3] [--keep DIR]

About 4 minutes with the defaults on 2 CPUs; --events 200000 is quick.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import sqlite3
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _support import POLICY, REPO, chained, init_db, machine, median, run_measured, verdict

sys.path.insert(0, str(REPO))
# The children run this checkout's code even when the interpreter's `baton`
# was installed from another one (a shared venv).
os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, (str(REPO), os.environ.get("PYTHONPATH"))))

RATE_TARGET = 0.5
MEMORY_TARGET = 1.2
START = dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC).timestamp()
GAP = 290  # seconds between two leads' arrivals: about 110,000 leads a year
BLOCK = 2000
AS_OF = "2028-01-01T00:00:00+00:00"
REASONS = ("no budget this year", "no response after follow-ups", "not the decision maker", "timing: next quarter",
           "went quiet after demo", "=formula(looking) reason")
HOUR, DAY = 3600, 86400


def iso(seconds: float) -> str:
    return dt.datetime.fromtimestamp(seconds, dt.UTC).isoformat(timespec="seconds")


def lead_life(n: int, rng: random.Random, due: Any) -> list[tuple[float, str, str, str | None, str | None, dict[str, Any]]]:
    """(time, actor, event, from, to, data) of lead n, in order."""
    t = START + n * GAP
    persona = ("executive", "manager", "practitioner", "assistant")[n % 4]
    life: list[tuple[float, str, str, str | None, str | None, dict[str, Any]]] = []

    def log(actor: str, kind: str, source: str | None, to: str | None, data: dict[str, Any]) -> None:
        life.append((t, actor, kind, source, to, data))

    log("jane", "created", None, "MQL", {"fields": {
        "email": {"personal": f"{n:064x}"}, "persona": persona, "source": "webinar", "product": "Payroll",
        "awareness": "solution", "score": 60 + n % 40, "company": f"Company {n % 977}",
    }})
    if rng.random() < 0.15:
        return life
    t += rng.randint(10 * 60, 3 * DAY)
    log("jane", "hand_over", "MQL", "SAL", {})
    t += rng.randint(10 * 60, 2 * DAY)
    if rng.random() < 0.1:
        log("alice", "disqualify", "SAL", "disqualified", {"reason": "not a fit"})
        return life
    log("alice", "updated", None, None, {"fields": {"budget": 1000.0 + n % 5000, "authority": True,
                                                    "need": "Replace spreadsheets", "timeline": "2027-02-01"}})
    log("alice", "qualify", "SAL", "SQL", {})
    owner = "carol" if persona == "executive" else ("alice", "bob")[n % 2]
    log("system", "assigned", "SQL", "SQL", {"owner": owner, "rule": 1 if owner == "carol" else 2,
                                               "strategy": "least_loaded", "skipped": {}})
    due_time = due(iso(t))
    accepted = t + rng.expovariate(1 / (6 * HOUR))
    if iso(accepted) >= due_time and rng.random() < 0.8:
        t = dt.datetime.fromisoformat(due_time).timestamp() + rng.randint(0, HOUR)
        log("system", "sla_breach", "SQL", "SQL", {"sla": "acknowledge", "due": due_time, "owner": owner,
                                                   "actions": {"notify": [owner, "sam"], "reassign": "x"}})
        owner = {"alice": "bob", "bob": "alice", "carol": "alice"}[owner]
        log("system", "assigned", "SQL", "SQL", {"owner": owner, "rule": 2, "strategy": "least_loaded",
                                                   "skipped": {}, "sla": "acknowledge"})
        accepted = t + rng.expovariate(1 / (3 * HOUR))
    t = accepted
    log(owner, "accept", "SQL", "accepted", {})
    t += rng.randint(HOUR, 3 * DAY)
    log(owner, "contact", "accepted", "contacted", {})
    for _ in range(rng.randint(0, 4)):
        t += rng.randint(HOUR, 3 * DAY)
        log(owner, "attempt", "contacted", "contacted", {"channel": "phone"})
    t += rng.randint(HOUR, 10 * DAY)
    outcome = rng.random()
    if outcome < 0.35:
        log(owner, "win", "contacted", "won", {})
    elif outcome < 0.5:
        log(owner, "disqualify", "contacted", "disqualified", {"reason": "chose a competitor"})
    elif outcome < 0.85:
        log(owner, "recycle", "contacted", "recycled", {"reason": rng.choice(REASONS), "released": owner})
        if rng.random() < 0.5:
            t += rng.randint(DAY, 30 * DAY)
            log("jane", "renurture", "recycled", "MQL", {})
    return life


def build(db: Path, events: int) -> int:
    """`baton init`, then leads until `events` events; returns the event count."""
    from statemachine.policy import read_policy_file
    from statemachine.sla import due_at

    init_db(db)
    _, policy = read_policy_file(str(POLICY))
    acknowledge = next(s for s in policy.sla if s.name == "acknowledge")
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("PRAGMA synchronous = OFF")
    conn.execute("BEGIN")
    seq, prev = conn.execute("SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1").fetchone()
    rng = random.Random(13)
    written, n = seq, 0
    while written < events:
        block: list[tuple[float, int, int, tuple[Any, ...]]] = []
        for _ in range(BLOCK):
            n += 1
            for index, (t, actor, kind, source, to, data) in enumerate(
                    lead_life(n, rng, lambda at: due_at(policy, acknowledge, at))):
                block.append((t, n, index, (f"L-{n}", iso(t), actor, kind, source, to, data, 1)))
        block.sort(key=lambda item: item[:3])
        rows = list(chained((item[3] for item in block[: events - written]), seq, prev))
        conn.executemany("INSERT INTO events VALUES (?,?,?,?,?,?,?,?,?,?,?)", rows)
        seq, prev = rows[-1][0], rows[-1][-1]
        written += len(rows)
    conn.execute("COMMIT")
    conn.close()
    return written


def baseline(db: Path) -> int:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    count = 0
    sql = 'SELECT seq, lead, at, actor, event, "from", "to", data, policy_version, prev, hash FROM events ORDER BY seq'
    for row in conn.execute(sql):
        json.loads(row[7])
        count += 1
    conn.close()
    return count


def reports(db: Path) -> dict[str, Any]:
    from statemachine.reports import compute
    from statemachine.store import Store

    store = Store.open(str(db), write=False)
    try:
        return compute(store, as_of=AS_OF).as_json()
    finally:
        store.close()


def peak_rss(db: Path) -> int:
    measured = run_measured([sys.executable, "-c", "from cli.main import main; main()", "--db", str(db), "report",
                             "funnel", "--as-of", AS_OF,
                             "--json"], cwd=db.parent, discard_stdout=True)
    if measured.returncode != 0:
        sys.exit(f"baton report failed: {measured.stderr[:2000]}")
    return measured.max_rss_kib


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=1_000_000, help="events in the big log (default 1000000)")
    parser.add_argument("--small", type=int, default=100_000, help="events in the small log (default 100000)")
    parser.add_argument("--rounds", type=int, default=3, help="runs of each, taking turns (default 3)")
    parser.add_argument("--keep", metavar="DIR", help="build the databases here and leave them")
    options = parser.parse_args()
    tmp = Path(options.keep or tempfile.mkdtemp(prefix="baton-reports-bench-"))
    tmp.mkdir(parents=True, exist_ok=True)
    print(f"machine: {machine()}")

    logs = {}
    for name, size in (("small", options.small), ("big", options.events)):
        db = tmp / f"{name}.db"
        if not db.exists():
            start = time.perf_counter()
            build(db, size)
            print(f"built {size:,} events with direct SQL in {time.perf_counter() - start:.0f} s "
                  f"({db.stat().st_size / 2**20:,.0f} MiB)")
        logs[name] = db
    big = logs["big"]
    events = sqlite3.connect(big).execute("SELECT count(*) FROM events").fetchone()[0]

    base_times, report_times = [], []
    figures: dict[str, Any] = {}
    for _ in range(options.rounds):
        start = time.perf_counter()
        if baseline(big) != events:
            sys.exit("baseline read the wrong number of events")
        base_times.append(time.perf_counter() - start)
        start = time.perf_counter()
        figures = reports(big)
        report_times.append(time.perf_counter() - start)
    base_rate, report_rate = events / median(base_times), events / median(report_times)
    ratio = report_rate / base_rate
    entered = sum(line["entered"] for line in figures["funnel"])
    print(f"figures: {entered:,} stays in states, {sum(s['started'] for s in figures['sla']):,} SLA clock runs, "
          f"{sum(r['count'] for r in figures['recycle']):,} recycles, {len(figures['reps'])} reps")
    print(f"baseline scan + json.loads: {base_rate:>9,.0f} events/s  ({median(base_times):.1f} s; runs "
          + ", ".join(f"{t:.1f}" for t in base_times) + ")")
    print(f"reports (compute):          {report_rate:>9,.0f} events/s  ({median(report_times):.1f} s; runs "
          + ", ".join(f"{t:.1f}" for t in report_times) + ")")
    print(f"ratio: {ratio:.3f}x  {verdict(ratio >= RATE_TARGET)} (target >= {RATE_TARGET}x)")

    small_rss, big_rss = peak_rss(logs["small"]), peak_rss(big)
    growth = big_rss / small_rss
    print(f"peak RSS of `baton report funnel`: {options.small:,} events {small_rss / 1024:,.1f} MiB, "
          f"{events:,} events {big_rss / 1024:,.1f} MiB: {growth:.2f}x  "
          f"{verdict(growth <= MEMORY_TARGET)} (target <= {MEMORY_TARGET}x)")
    if not options.keep:
        for leftover in tmp.iterdir():
            leftover.unlink()
        tmp.rmdir()
    sys.exit(0 if ratio >= RATE_TARGET and growth <= MEMORY_TARGET else 1)


if __name__ == "__main__":
    main()
