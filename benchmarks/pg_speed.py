"""Baton on PostgreSQL against Baton on SQLite, the same commands as real
processes: `lead import` of --rows leads, `audit verify` of the log that
import wrote (one event a lead), and one `lead advance` (wall time, median
of --runs after warm-ups). Each round makes a fresh SQLite file and a fresh
PostgreSQL schema; the stores take turns.

Targets (issue 16): import and verify on PostgreSQL at >= 0.5x SQLite's
rate; a `lead advance` on PostgreSQL within 1.5x SQLite's wall time.

    .venv/bin/python benchmarks/pg_speed.py [--rows 100000] [--runs 15] [--rounds 2]
    .venv/bin/python benchmarks/pg_speed.py --rows 1000000 --rounds 1   # the 1M-event verify (~10 min)

Needs the PostgreSQL server of the tests (BATON_TEST_PG, default
postgresql://postgres@127.0.0.1:5432/test).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _support import baton, clean_env, init_db, machine, median, run_ok, verdict, write_csv
from pg_writers import pg_schema


def timed(cmd: list[str]) -> float:
    start = time.perf_counter()
    run_ok(cmd)
    return time.perf_counter() - start


def advance_times(db: str, runs: int) -> list[float]:
    """Wall time of `lead advance L-n hand_over`, each on a lead of its own, after 3 warm-ups."""
    times = []
    for n in range(1, runs + 4):
        cmd = baton(db, "lead", "advance", f"L-{n}", "hand_over")  # type: ignore[arg-type]
        start = time.perf_counter()
        done = subprocess.run(cmd, capture_output=True, text=True, env=clean_env(), check=False)
        elapsed = time.perf_counter() - start
        if done.returncode != 0:
            sys.exit(f"advance failed: {done.stderr}")
        if n > 3:
            times.append(elapsed)
    return times


def one_round(db: str, csv: Path, runs: int) -> dict[str, float]:
    init_db(db)  # type: ignore[arg-type]
    result = {"import": timed(baton(db, "lead", "import", str(csv)))}  # type: ignore[arg-type]
    result["verify"] = timed(baton(db, "audit", "verify"))  # type: ignore[arg-type]
    result["advance"] = median(advance_times(db, runs))
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000, help="leads imported (default 100,000)")
    parser.add_argument("--runs", type=int, default=15, help="timed lead advances per round (default 15)")
    parser.add_argument("--rounds", type=int, default=2, help="rounds of each store, taking turns (default 2)")
    options = parser.parse_args()
    figures: dict[str, dict[str, list[float]]] = {"sqlite": {}, "postgresql": {}}
    with tempfile.TemporaryDirectory(prefix="baton-bench-") as folder:
        csv = Path(folder) / "leads.csv"
        write_csv(csv, options.rows, with_id=True)
        for number in range(options.rounds):
            db = str(Path(folder) / f"bench-{number}.db")
            for key, value in one_round(db, csv, options.runs).items():
                figures["sqlite"].setdefault(key, []).append(value)
            Path(db).unlink()
            with pg_schema() as url:
                for key, value in one_round(url, csv, options.runs).items():
                    figures["postgresql"].setdefault(key, []).append(value)
    lite = {key: median(values) for key, values in figures["sqlite"].items()}
    pg = {key: median(values) for key, values in figures["postgresql"].items()}
    checks = [
        ("lead import", options.rows / pg["import"], options.rows / lite["import"], "rows/s", 0.5),
        ("audit verify", (options.rows + 1) / pg["verify"], (options.rows + 1) / lite["verify"], "events/s", 0.5),
    ]
    print(f"machine: {machine()}")
    print(f"{options.rows:,} leads, {options.rounds} rounds, medians")
    ok = True
    for name, on_pg, on_lite, unit, target in checks:
        ratio = on_pg / on_lite
        ok = ok and ratio >= target
        print(f"{name:13} PostgreSQL {on_pg:>9,.0f} {unit}, SQLite {on_lite:>9,.0f} {unit}: "
              f"{ratio:.2f}x  {verdict(ratio >= target)} (target >= {target}x)")
    ratio = pg["advance"] / lite["advance"]
    ok = ok and ratio <= 1.5
    print(f"lead advance  PostgreSQL {pg['advance'] * 1000:>6.0f} ms, SQLite {lite['advance'] * 1000:>6.0f} ms: "
          f"{ratio:.2f}x the time  {verdict(ratio <= 1.5)} (target <= 1.5x)")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
