"""Wall time of `baton lead show` and `baton lead advance`, run as the real
console script in a child process, against the floor of Baton's own stack:
benchmarks/stack_floor.py, a minimal click command run by the same
interpreter that reads one `leads` row from the same SQLite file (against
show), or appends one `events` row in a WAL transaction, BEGIN IMMEDIATE to
COMMIT (against advance). Target: each at most 1.5x its floor (medians).
`python -c pass` is timed too, for information.

The five commands take turns in every round, so a slow moment of the
machine hits all of them alike. Each `advance` fires `hand_over` on a lead of
its own, prepared in MQL up front; the floor's appends go to a copy of the
same database, so Baton's log stays its own. Then `python -X importtime`
shows what `lead show` and `lead advance` spend importing.

    .venv/bin/python benchmarks/cli_latency.py [--runs 30] [--warmup 3]
"""

from __future__ import annotations

import argparse
import compileall
import os
import re
import shutil
import sqlite3
import sys
import tempfile
from pathlib import Path

from _support import (
    REPO,
    baton,
    clean_env,
    db_with_leads,
    machine,
    median,
    run_measured,
    verdict,
)

TARGET = 1.5
FLOOR = REPO / "benchmarks" / "stack_floor.py"
# The children run this checkout's code even when the interpreter's `baton`
# was installed from another one (a shared venv): what is measured is what is here.
os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, (str(REPO), os.environ.get("PYTHONPATH"))))


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
    # An installed Baton runs from bytecode compiled at install; a checkout
    # run with PYTHONDONTWRITEBYTECODE would compile every module every run.
    for package in ("statemachine", "cli"):
        compileall.compile_dir(REPO / package, quiet=1)
    with tempfile.TemporaryDirectory(prefix="baton-bench-") as folder:
        tmp = Path(folder)
        db = tmp / "bench.db"
        # L-1 is shown; L-2 ... each get advanced once, the last by -X importtime.
        db_with_leads(db, rounds + 2)
        with sqlite3.connect(db) as conn:  # everything in the main file, then the floor's twin
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        twin = tmp / "floor.db"
        shutil.copy(db, twin)

        floor = [sys.executable, str(FLOOR), "--db", str(db)]
        show = baton(db, "lead", "show", "L-1")
        times: dict[str, list[float]] = {
            "python -c pass": [], "floor: show": [], "baton lead show": [], "floor: advance": [],
            "baton lead advance": [],
        }
        for number in range(rounds):
            lead = f"L-{number + 2}"
            commands = (
                [sys.executable, "-c", "pass"],
                [*floor, "show", "L-1"],
                show,
                [sys.executable, str(FLOOR), "--db", str(twin), "advance", lead],
                baton(db, "lead", "advance", lead, "hand_over"),
            )
            for name, cmd in zip(times, commands):
                result = run_measured(cmd, cwd=tmp)
                if result.returncode != 0:
                    sys.exit(f"{' '.join(cmd)} failed ({result.returncode}):\n{result.stderr}")
                if number >= options.warmup:
                    times[name].append(result.seconds)

        print(f"machine: {machine()}")
        print(f"runs: {options.runs} of each after {options.warmup} warm-up rounds, interleaved; medians\n")
        print(f"{'command':<22} {'median':>9} {'min':>9} {'max':>9} {'ratio':>7}")
        failed = False
        floors = {"baton lead show": "floor: show", "baton lead advance": "floor: advance"}
        for name, values in times.items():
            mark, ratio_text = "", ""
            if name in floors:
                ratio = median(values) / median(times[floors[name]])
                ratio_text = f"{ratio:.2f}x"
                mark = f"  {verdict(ratio <= TARGET)} (target <= {TARGET:g}x its floor)"
                failed |= ratio > TARGET
            print(f"{name:<22} {median(values) * 1000:>7.1f}ms {min(values) * 1000:>7.1f}ms "
                  f"{max(values) * 1000:>7.1f}ms {ratio_text:>7}{mark}")

        for label, cmd in (("lead show", show), ("lead advance", baton(db, "lead", "advance", f"L-{rounds + 1}",
                                                                         "hand_over"))):
            top, total = importtime_top([sys.executable, "-X", "importtime", *cmd[1:]], options.top)
            print(f"\npython -X importtime baton {label}: {total / 1000:.1f} ms importing in all; "
                  f"top {len(top)} by cumulative time")
            print(f"{'cumulative':>11} {'self':>8}  module")
            for cumulative, own, name in top:
                print(f"{cumulative / 1000:>9.1f}ms {own / 1000:>6.1f}ms  {name}")
        floor_top, floor_total = importtime_top([sys.executable, "-X", "importtime", *floor[1:], "show", "L-1"], 3)
        print(f"\npython -X importtime of the floor: {floor_total / 1000:.1f} ms importing in all "
              f"({', '.join(f'{name} {cumulative / 1000:.1f} ms' for cumulative, _, name in floor_top)})")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
