"""Leads per second of `baton policy simulate` against `baton audit verify` on
the same freshly imported database; and simulate's peak memory for 100,000
open leads against 1,000,000 (--big).

The database: --leads generated leads (every one in MQL, meeting the
handover checklist and the score, a quarter without a phone) imported by the
real `baton lead import` into a database made by `baton init` (not timed).

Both commands judge every lead under a policy: `audit verify` re-judges the
log (here one `created` event a lead: chain, personal digests, replay against
the `leads` table), `policy simulate` asks the machines of the policy in
force and of the candidate about each open lead. Candidates, the default
policy at version 2 with one change that reaches every lead in MQL:
- score: hand_over's guard `score >= 60` raised to `score >= 80` (the leads
  scoring 60-79, about half, become refused);
- checklist: a handover checklist item `direct line: phone` added (the
  quarter without a phone miss it).

Each is the real console script in a child process (interpreter start
included), output to /dev/null, the commands taking turns for --rounds
rounds; leads/s from the median wall time, peak RSS from wait4. `simulate
--history` (the log judged again under the score candidate) is timed too,
for information: the issue sets it no target.

Targets: simulate at least 0.5x the leads/s of verify, for each candidate;
with --big, simulate's peak RSS for 1,000,000 leads within 1.2x of its peak
for --leads (slow: the 1,000,000-lead import takes a few minutes).

    .venv/bin/python benchmarks/policy_simulate.py [--leads 100000] [--rounds 3] [--big] [--profile]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

from _support import (
    POLICY, REPO, Measured, baton, init_db, machine, median, print_profile, run_measured, run_ok, verdict,
    write_csv,
)

RATE_TARGET = 0.5
MEMORY_TARGET = 1.2
BIG = 1_000_000
# The children run this checkout's code even when the interpreter's `baton`
# was installed from another one (a shared venv): what is measured is what is here.
os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, (str(REPO), os.environ.get("PYTHONPATH"))))

SCORE_60 = "      - expr: score >= 60\n        say: the score must reach 60 "
SCORE_80 = "      - expr: score >= 80\n        say: the score must reach 80 "
AWARENESS = "    awareness level: awareness\n"
PHONE_ITEM = AWARENESS + "    direct line: phone\n"


def candidates(tmp: Path) -> dict[str, Path]:
    """name -> a version 2 of the default policy that changes hand_over for every lead in MQL."""
    text = POLICY.read_text(encoding="utf-8")
    for needed in ("\nversion: 1\n", SCORE_60, AWARENESS):
        if needed not in text:
            sys.exit(f"the default policy no longer has {needed.strip()!r}: update this benchmark's candidates")
    v2 = text.replace("\nversion: 1\n", "\nversion: 2\n")
    files = {}
    for name, (old, new) in {"score": (SCORE_60, SCORE_80), "checklist": (AWARENESS, PHONE_ITEM)}.items():
        path = files[name] = tmp / f"v2-{name}.yaml"
        path.write_text(v2.replace(old, new), encoding="utf-8")
    return files


def build(tmp: Path, leads: int, name: str) -> tuple[Path, float]:
    """A database of `leads` open leads by `baton lead import`; (its path, seconds of the import)."""
    source = tmp / f"{name}.csv"
    write_csv(source, leads)
    db = tmp / f"{name}.db"
    init_db(db)
    result = run_measured(baton(db, "lead", "import", str(source)), cwd=tmp)
    if result.returncode != 0 or f"Imported {leads} leads" not in result.stdout:
        sys.exit(f"baton lead import failed ({result.returncode}):\n{result.stdout}{result.stderr[-2000:]}")
    source.unlink()
    return db, result.seconds


def expected_changes(leads: int) -> dict[str, int]:
    """How many leads each candidate changes, from the generated rows themselves."""
    from _support import lead_rows

    score = phone = 0
    for row in lead_rows(leads):
        score += int(row["score"]) < 80
        phone += not row["phone"]
    return {"score": score, "checklist": phone}


def check_once(db: Path, files: dict[str, Path], leads: int) -> None:
    """Before timing: verify passes and each candidate changes exactly the leads it should."""
    verified = run_ok(baton(db, "--json", "audit", "verify"))
    if json.loads(verified.stdout).get("leads") != leads:
        sys.exit(f"audit verify did not see {leads} leads: {verified.stdout[:500]}")
    expected = expected_changes(leads)
    for name, path in files.items():
        lines = run_ok(baton(db, "policy", "simulate", str(path), "--json")).stdout.splitlines()
        kinds = {change["kind"] for line in lines for change in json.loads(line)["changes"]}
        if len(lines) != expected[name]:
            sys.exit(f"simulate {name}: {len(lines)} leads changed, expected {expected[name]}")
        print(f"candidate {name}: {len(lines):,} of {leads:,} leads change ({', '.join(sorted(kinds))})")


def timed(db: Path, *args: str) -> Measured:
    result = run_measured(baton(db, *args), cwd=db.parent, discard_stdout=True)
    if result.returncode != 0:
        sys.exit(f"baton {' '.join(args)} failed ({result.returncode}): {result.stderr[-2000:]}")
    return result


def runs(values: list[float]) -> str:
    return ", ".join(f"{v:.1f}" for v in values)


def profile_simulate(db: Path, path: Path) -> None:
    out = db.parent / "simulate.prof"
    cmd = baton(db, "policy", "simulate", str(path), "--json")
    result = run_measured([cmd[0], "-m", "cProfile", "-o", str(out), *cmd[1:]], cwd=db.parent, discard_stdout=True)
    if result.returncode != 0:
        sys.exit(f"profiled simulate failed:\n{result.stderr[-2000:]}")
    print(f"\ncProfile of baton policy simulate {path.name} --json ({result.seconds:.1f}s under the profiler):")
    print_profile(str(out), 25)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--leads", type=int, default=100_000, help="open leads to import (default 100000)")
    parser.add_argument("--rounds", type=int, default=3, help="runs of each command, taking turns (default 3)")
    parser.add_argument("--big", action="store_true", help=f"also simulate over {BIG:,} leads and compare peak memory")
    parser.add_argument("--profile", action="store_true", help="then run simulate once more under cProfile")
    parser.add_argument("--keep", metavar="DIR", help="build the databases here (reused if there) and leave them")
    options = parser.parse_args()

    folder = options.keep or tempfile.mkdtemp(prefix="baton-simulate-bench-")
    tmp = Path(folder)
    tmp.mkdir(parents=True, exist_ok=True)
    n = options.leads
    print(f"machine: {machine()}")
    files = candidates(tmp)
    db = tmp / f"leads-{n}.db"
    if not db.exists():
        db, seconds = build(tmp, n, f"leads-{n}")
        print(f"imported {n:,} leads with baton lead import in {seconds:.1f} s ({db.stat().st_size / 2**20:,.0f} MiB)")
    check_once(db, files, n)

    passes = {
        "verify": ("--json", "audit", "verify"),
        **{name: ("policy", "simulate", str(path), "--json") for name, path in files.items()},
        "history": ("policy", "simulate", str(files["score"]), "--history", "--json"),
    }
    seconds: dict[str, list[float]] = {name: [] for name in passes}
    rss: dict[str, list[int]] = {name: [] for name in passes}
    for _ in range(options.rounds):
        for name, args in passes.items():
            result = timed(db, *args)
            seconds[name].append(result.seconds)
            rss[name].append(result.max_rss_kib)

    rate = {name: n / median(times) for name, times in seconds.items()}
    print(f"{n:,} open leads, {options.rounds} rounds taking turns, medians (runs in s)")
    labels = {"verify": "baton audit verify", "score": "simulate (score >= 80)",
              "checklist": "simulate (+ checklist item)", "history": "simulate --history (score)"}
    for name in passes:
        print(f"{labels[name] + ':':<30}{rate[name]:>9,.0f} leads/s  ({median(seconds[name]):.2f} s; "
              f"runs {runs(seconds[name])}; peak RSS {median(rss[name]) / 1024:.1f} MiB)")
    failed = False
    for name in files:
        ratio = rate[name] / rate["verify"]
        print(f"ratio {name}: {ratio:.3f}x  {verdict(ratio >= RATE_TARGET)} (target >= {RATE_TARGET}x)")
        failed |= ratio < RATE_TARGET

    if options.big:
        big = tmp / f"leads-{BIG}.db"
        if not big.exists():
            start = time.perf_counter()
            big, import_s = build(tmp, BIG, f"leads-{BIG}")
            print(f"imported {BIG:,} leads in {import_s:.0f} s (all set up: {time.perf_counter() - start:.0f} s)")
        result = timed(big, "policy", "simulate", str(files["score"]), "--json")
        small = median(rss["score"])
        growth = result.max_rss_kib / small
        print(f"simulate (score), {BIG:,} leads: {BIG / result.seconds:,.0f} leads/s ({result.seconds:.1f} s), "
              f"peak RSS {result.max_rss_kib / 1024:.1f} MiB against {small / 1024:.1f} MiB for {n:,}")
        print(f"memory {BIG:,} / {n:,} leads: {growth:.2f}x  "
              f"{verdict(growth <= MEMORY_TARGET)} (target <= {MEMORY_TARGET}x)")
        failed |= growth > MEMORY_TARGET
        checked = timed(big, "--json", "audit", "verify")
        print(f"audit verify, {BIG:,} leads (for comparison): {BIG / checked.seconds:,.0f} leads/s "
              f"({checked.seconds:.1f} s), peak RSS {checked.max_rss_kib / 1024:.1f} MiB")
    if options.profile:
        profile_simulate(db, files["score"])

    if not options.keep:
        for leftover in tmp.iterdir():
            leftover.unlink()
        tmp.rmdir()
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
