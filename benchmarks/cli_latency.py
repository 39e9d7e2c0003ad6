"""Wall time of `baton lead show` and `baton lead advance`, run as the real
console script in a child process, against a bare `python -c pass` of the
same interpreter. Target: each at most 6x the baseline (medians).

The three commands take turns in every round, so a slow moment of the
machine hits all of them alike. Each `advance` fires `hand_over` on a lead of
its own, prepared in MQL up front. Then `python -X importtime` shows what
`lead show` spends importing.

    .venv/bin/python benchmarks/cli_latency.py [--runs 30] [--warmup 3]
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
from pathlib import Path

from _support import (
    baton, clean_env, init_db, machine, median, run_measured, run_ok, verdict, write_csv,
)

TARGET = 6.0


def importtime_top(cmd: list[str], top: int) -> tuple[list[tuple[int, int, str]], int]:
    """The `top` modules by cumulative import time (µs), and the total."""
    import subprocess

    done = subprocess.run(cmd, capture_output=True, text=True, env=clean_env())
    rows = []
    total = 0
    for line in done.stderr.splitlines():
        found = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)", line)
        if not found:
            continue
        own, cumulative, indent, name = int(found[1]), int(found[2]), found[3], found[4]
        if len(indent) == 1:  # a top-level import: the total is their sum
            total += cumulative
        rows.append((cumulative, own, name))
    rows.sort(reverse=True)
    seen: set[str] = set()
    unique = []
    for row in rows:
        if row[2] not in seen:
            seen.add(row[2])
            unique.append(row)
    return unique[:top], total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=30, help="timed runs of each command (default 30)")
    parser.add_argument("--warmup", type=int, default=3, help="untimed rounds first (default 3)")
    parser.add_argument("--top", type=int, default=10, help="modules to list from -X importtime (default 10)")
    options = parser.parse_args()

    rounds = options.warmup + options.runs
    with tempfile.TemporaryDirectory(prefix="baton-bench-") as folder:
        tmp = Path(folder)
        db = tmp / "bench.db"
        init_db(db)
        # L-1 is shown; L-2 ... each get advanced once.
        leads_csv = tmp / "leads.csv"
        write_csv(leads_csv, rounds + 1, with_id=True)
        run_ok(baton(db, "lead", "import", str(leads_csv)))

        bare = [sys.executable, "-c", "pass"]
        show = baton(db, "lead", "show", "L-1")
        times: dict[str, list[float]] = {"python -c pass": [], "baton lead show": [], "baton lead advance": []}
        for number in range(rounds):
            advance = baton(db, "lead", "advance", f"L-{number + 2}", "hand_over")
            for name, cmd in zip(times, (bare, show, advance)):
                result = run_measured(cmd, cwd=tmp)
                if result.returncode != 0:
                    sys.exit(f"{' '.join(cmd)} failed ({result.returncode}):\n{result.stderr}")
                if number >= options.warmup:
                    times[name].append(result.seconds)

        print(f"machine: {machine()}")
        print(f"runs: {options.runs} of each after {options.warmup} warm-up rounds, interleaved; medians\n")
        base = median(times["python -c pass"])
        print(f"{'command':<22} {'median':>9} {'min':>9} {'max':>9} {'ratio':>7}")
        failed = False
        for name, values in times.items():
            ratio = median(values) / base
            mark = "" if name == "python -c pass" else f"  {verdict(ratio <= TARGET)} (target <= {TARGET:g}x)"
            failed |= ratio > TARGET
            print(f"{name:<22} {median(values) * 1000:>7.1f}ms {min(values) * 1000:>7.1f}ms "
                  f"{max(values) * 1000:>7.1f}ms {ratio:>6.2f}x{mark}")

        top, total = importtime_top([sys.executable, "-X", "importtime", *show[1:]], options.top)
        print(f"\npython -X importtime baton lead show: {total / 1000:.1f} ms importing in all; "
              f"top {len(top)} by cumulative time")
        print(f"{'cumulative':>11} {'self':>8}  module")
        for cumulative, own, name in top:
            print(f"{cumulative / 1000:>9.1f}ms {own / 1000:>6.1f}ms  {name}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
