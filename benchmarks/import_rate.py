"""Rows per second of `baton lead import` on a generated CRM export, against
raw sqlite3 writing the same number of `created` events with the same hash
chain; and Baton's peak memory for 100,000 rows against 1,000,000 (--big).

Baton: the real console script in a child process, on a fresh database made
by `baton init` (not timed), importing a CSV with the default policy's
columns; the time is the child's wall time, interpreter start included.

Baseline, in this process: the same CSV's rows, read beforehand (not timed),
become `created` events `{"fields": {...}}`; the timed part builds each row's
canonical JSON and SHA-256 chain hash (SPEC) and `executemany`s them into a
table with Baton's own `events` DDL and index, in one transaction, WAL mode,
default synchronous. It writes no projection and no personal-data rows: it is
the floor that any importer keeping the log pays.

Targets: Baton at least 0.5x the baseline's rows/s (medians of --rounds);
peak RSS of 1,000,000 rows within 1.2x of 100,000 (--big; slow).

    .venv/bin/python benchmarks/import_rate.py [--rows 100000] [--rounds 3] [--big] [--profile]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
import tempfile
import time
from pathlib import Path

from _support import (
    MARKETING, NOW, _encode, baseline_db, baton, chained, events_schema, init_db, machine, median,
    print_profile, read_csv_fields, run_measured, verdict, write_csv,
)

RATE_TARGET = 0.5
MEMORY_TARGET = 1.2
BIG = 1_000_000


def baseline_import(db_path: Path, schema: list[str], rows: list[dict]) -> float:
    """Seconds to chain and insert one `created` event per row, one transaction."""
    db = baseline_db(db_path, schema)
    try:
        start = time.perf_counter()
        db.execute("BEGIN IMMEDIATE")
        tail = db.execute("SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1").fetchone()
        seq, prev = tail if tail else (0, "0" * 64)
        events = (
            (f"L-{n}", NOW, MARKETING, "created", None, "MQL", {"fields": fields}, 1)
            for n, fields in enumerate(rows, 1)
        )
        db.executemany("INSERT INTO events VALUES (?,?,?,?,?,?,?,?,?,?,?)", chained(events, seq, prev))
        db.execute("COMMIT")
        seconds = time.perf_counter() - start
        assert db.execute("SELECT count(*) FROM events").fetchone()[0] == len(rows)
        return seconds
    finally:
        db.close()


PERSONAL = ("first_name", "last_name", "email", "phone")  # personal: true in the default policy


def same_rows_import(db_path: Path, schema: list[str], rows: list[dict]) -> float:
    """Seconds to write what Baton's import writes, by hand, one transaction:
    per row a `created` event whose personal values are salted SHA-256
    digests, the chain, the `leads` row and a `personal` row per personal
    value, into Baton's own tables and indexes (executemany each)."""
    db = baseline_db(db_path, schema)
    columns = [name for (_, name, *_) in db.execute("PRAGMA table_info(leads)")]
    quoted = ", ".join(f'"{column}"' for column in columns)
    lead_sql = f"INSERT INTO leads ({quoted}) VALUES ({', '.join('?' * len(columns))})"
    try:
        start = time.perf_counter()
        db.execute("BEGIN IMMEDIATE")
        tail = db.execute("SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1").fetchone()
        seq, prev = tail if tail else (0, "0" * 64)
        events, leads, personal = [], [], []
        for n, fields in enumerate(rows, 1):
            lead = f"L-{n}"
            sealed = {}
            for name, value in fields.items():
                if name in PERSONAL:
                    salt, text = os.urandom(16).hex(), _encode(value)
                    digest = hashlib.sha256((salt + text).encode("utf-8")).hexdigest()
                    personal.append((digest, lead, name, salt, text))
                    sealed[name] = {"personal": digest}
                else:
                    sealed[name] = value
            events.append((lead, NOW, MARKETING, "created", None, "MQL", {"fields": sealed}, 1))
            row = {"id": lead, "state": "MQL", "owner": None, "attempts": 0, "state_since": NOW,
                   "created_at": NOW, "updated_at": NOW, **fields}
            leads.append(tuple(row.get(c) for c in columns))
        db.executemany("INSERT INTO events VALUES (?,?,?,?,?,?,?,?,?,?,?)", chained(events, seq, prev))
        db.executemany(lead_sql, leads)
        db.executemany("INSERT INTO personal(digest, lead, field, salt, value) VALUES (?, ?, ?, ?, ?)", personal)
        db.execute("COMMIT")
        seconds = time.perf_counter() - start
        assert db.execute("SELECT count(*) FROM leads").fetchone()[0] == len(rows)
        return seconds
    finally:
        db.close()


def baton_import(tmp: Path, csv_path: Path, rows: int, name: str) -> tuple[float, int]:
    """(seconds, peak RSS in KiB) of `baton lead import` in a fresh child."""
    db = tmp / f"{name}.db"
    init_db(db)
    result = run_measured(baton(db, "lead", "import", str(csv_path)), cwd=tmp)
    if result.returncode != 0 or f"Imported {rows} leads" not in result.stdout:
        sys.exit(f"baton lead import failed ({result.returncode}):\n{result.stdout}{result.stderr[-2000:]}")
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    return result.seconds, result.max_rss_kib


def profile_import(tmp: Path, csv_path: Path) -> None:
    db = tmp / "profiled.db"
    init_db(db)
    out = tmp / "import.prof"
    cmd = baton(db, "lead", "import", str(csv_path))
    result = run_measured([cmd[0], "-m", "cProfile", "-o", str(out), *cmd[1:]], cwd=tmp)
    if result.returncode != 0:
        sys.exit(f"profiled import failed:\n{result.stderr[-2000:]}")
    print(f"\ncProfile of baton lead import ({result.seconds:.1f}s under the profiler):")
    print_profile(str(out), 25)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000, help="rows to import (default 100000)")
    parser.add_argument("--rounds", type=int, default=3, help="baseline and Baton runs, taking turns (default 3)")
    parser.add_argument("--big", action="store_true", help=f"also import {BIG:,} rows once and compare peak memory")
    parser.add_argument("--profile", action="store_true", help="then run the import once more under cProfile")
    options = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="baton-bench-") as folder:
        tmp = Path(folder)
        csv_path = tmp / "leads.csv"
        write_csv(csv_path, options.rows)
        start = time.perf_counter()
        rows = read_csv_fields(csv_path)
        read_seconds = time.perf_counter() - start
        probe = tmp / "probe.db"
        init_db(probe)
        schema = events_schema(probe)
        full_schema = events_schema(probe, ("events", "leads", "personal"))

        base_times, same_times, baton_times, rss = [], [], [], []
        for number in range(options.rounds):
            for measure, ddl, times in ((baseline_import, schema, base_times),
                                        (same_rows_import, full_schema, same_times)):
                base_db = tmp / f"baseline-{number}.db"
                times.append(measure(base_db, ddl, rows))
                for suffix in ("", "-wal", "-shm"):
                    Path(f"{base_db}{suffix}").unlink(missing_ok=True)
            seconds, peak = baton_import(tmp, csv_path, options.rows, f"baton-{number}")
            baton_times.append(seconds)
            rss.append(peak)
        del rows

        n = options.rows
        base_rate, baton_rate = n / median(base_times), n / median(baton_times)
        ratio = baton_rate / base_rate
        print(f"machine: {machine()}")
        print(f"{n:,} rows ({os.path.getsize(csv_path) / 1e6:.1f} MB CSV), {options.rounds} rounds, medians")
        print(f"baseline (raw sqlite3 executemany + chain): {base_rate:>10,.0f} rows/s  "
              f"({median(base_times):.2f}s; runs {', '.join(f'{t:.1f}' for t in base_times)}s; "
              f"reading the CSV with csv.DictReader, not timed: {read_seconds:.2f}s)")
        same_rate = n / median(same_times)
        print(f"same rows by hand (events, leads, personal): {same_rate:>9,.0f} rows/s  "
              f"({median(same_times):.2f}s; runs {', '.join(f'{t:.1f}' for t in same_times)}s)")
        print(f"baton lead import (child process):          {baton_rate:>10,.0f} rows/s  "
              f"({median(baton_times):.2f}s; runs {', '.join(f'{t:.1f}' for t in baton_times)}s)")
        print(f"ratio to the events-only floor: {ratio:.3f}x  {verdict(ratio >= RATE_TARGET)} (target >= {RATE_TARGET}x)")
        print(f"ratio to the same rows by hand: {baton_rate / same_rate:.3f}x")
        print(f"peak RSS of baton lead import, {n:,} rows: {median(rss) / 1024:.1f} MiB")
        failed = ratio < RATE_TARGET

        if options.big:
            big_csv = tmp / "big.csv"
            write_csv(big_csv, BIG)
            seconds, peak = baton_import(tmp, big_csv, BIG, "baton-big")
            growth = peak / median(rss)
            print(f"peak RSS of baton lead import, {BIG:,} rows: {peak / 1024:.1f} MiB "
                  f"({seconds:.1f}s, {BIG / seconds:,.0f} rows/s)")
            print(f"memory {BIG:,} / {n:,} rows: {growth:.2f}x  "
                  f"{verdict(growth <= MEMORY_TARGET)} (target <= {MEMORY_TARGET}x)")
            failed |= growth > MEMORY_TARGET
        if options.profile:
            profile_import(tmp, csv_path)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
