"""`baton lead forget` of one lead in a database of a million events.

Built as `audit_verify.py` builds its log (--leads leads x 5 events, a
personal email on each; direct SQL, not timed), then, for --rounds rounds,
each on a lead of its own in the middle of the table, taking turns:
- `baton lead show ID`, the reference: a child process that opens the same
  database and reads one lead (what starting Baton costs);
- `baton --as sam lead forget ID --reason ...`, the real command: deletes
  the lead's personal rows with secure_delete, appends `erased`, empties the
  WAL with a TRUNCATE checkpoint.
Target: each `lead forget` under 1 s of wall time (median and worst). After
the last round the database file and its WAL are read whole, and none of the
erased emails may be in them.

    .venv/bin/python benchmarks/forget.py [--leads 200000] [--rounds 5] [--keep DIR]

About 2 minutes with the defaults on 2 CPUs, most of it building the log.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import sys
import tempfile
import time
from contextlib import closing
from pathlib import Path

from _support import REPO, baton, machine, median, run_measured, verdict
from audit_verify import build

sys.path.insert(0, str(REPO))
# The children run this checkout's code even when the interpreter's `baton`
# was installed from another one (a shared venv): what is measured is what is here.
os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, (str(REPO), os.environ.get("PYTHONPATH"))))

TARGET_S = 1.0
MANAGER = "sam"  # the default policy's sales_manager, whom its `erasure` names


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--leads", type=int, default=200_000, help="leads of 5 events each (default 200000: 1M events)")
    parser.add_argument("--rounds", type=int, default=5, help="leads forgotten, one a round (default 5)")
    parser.add_argument("--keep", metavar="DIR", help="build the database here and leave it")
    options = parser.parse_args()
    folder = Path(options.keep or tempfile.mkdtemp(prefix="baton-forget-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    db = folder / "forget.db"
    for leftover in (db, Path(f"{db}-wal"), Path(f"{db}-shm")):
        leftover.unlink(missing_ok=True)
    print(f"machine: {machine()}")
    start = time.perf_counter()
    events = build(db, options.leads)
    print(f"built {events:,} events, {options.leads:,} leads with direct SQL in {time.perf_counter() - start:.0f} s "
          f"({db.stat().st_size / 2**20:,.0f} MiB)")

    leads = [f"L-{options.leads // 2 + n}" for n in range(options.rounds)]
    with closing(sqlite3.connect(db)) as connection:
        emails = [json.loads(value) for lead in leads
                  for (value,) in connection.execute("SELECT value FROM personal WHERE lead = ?", (lead,))]
    shows, forgets = [], []
    for lead in leads:
        shown = run_measured(baton(db, "lead", "show", lead), folder)
        erased = run_measured(baton(db, "lead", "forget", lead, "--reason", "asked by email", actor=MANAGER), folder)
        if shown.returncode != 0 or erased.returncode != 0:
            sys.exit(f"a command failed:\n{shown.stderr}{erased.stderr}")
        shows.append(shown.seconds)
        forgets.append(erased.seconds)
        print(f"  {lead}: lead show {shown.seconds * 1000:,.0f} ms, lead forget {erased.seconds * 1000:,.0f} ms "
              f"(peak RSS {erased.max_rss_kib / 1024:,.0f} MiB)")

    wal = Path(f"{db}-wal")
    held = db.read_bytes() + (wal.read_bytes() if wal.exists() else b"")
    left = [email for email in emails if email.encode() in held]
    worst, middle = max(forgets), median(forgets)
    print(f"lead show (reference): median {median(shows) * 1000:,.0f} ms")
    print(f"lead forget: median {middle * 1000:,.0f} ms, worst {worst * 1000:,.0f} ms "
          f"(target < {TARGET_S * 1000:,.0f} ms): {verdict(worst < TARGET_S)}")
    print(f"erased emails still in the file or its WAL: {len(left)} of {len(emails)}: {verdict(not left)}")
    if not options.keep:
        shutil.rmtree(folder)
    sys.exit(0 if worst < TARGET_S and not left else 1)


if __name__ == "__main__":
    main()
