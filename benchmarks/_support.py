"""What the benchmarks share: where Baton is, sample leads, the raw-sqlite3
baseline's hash chain, and running a child process with its own time and
peak memory.

The baseline chain is written out here with `hashlib` and `json` alone, not
imported from `statemachine.chain`, so the baseline costs what a hand-written
importer would cost and shares no code with the thing it is compared with.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import platform
import random
import sqlite3
import statistics
import subprocess
import sys
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
POLICY = REPO / "policies" / "default.yaml"
GENESIS = "0" * 64
# A Monday inside business hours, so every run of every benchmark sees the same clock.
NOW = "2026-03-02T10:00:00"
MARKETING = "jane"

# The columns of a realistic CRM export for the default policy.
COLUMNS = (
    "first_name", "last_name", "email", "phone", "company", "title",
    "persona", "source", "product", "awareness", "score",
)
_FIRST = ("Ana", "Ben", "Chloé", "Dev", "Eva", "Farid", "Grace", "Hiro", "Ines", "Jonas", "Kofi", "Lena")
_LAST = ("Smith", "Okafor", "García", "Nguyen", "Müller", "Rossi", "Kowalski", "Haddad", "Silva", "Tanaka")
_COMPANIES = ("Acme Ltd", "Globex", "Initech", "Umbrella plc", "Hooli", "Stark Industries", "Wayne & Co")
_TITLES = ("Head of HR", "CFO", "Operations Manager", "Payroll Specialist", "CEO", "IT Lead")
_PERSONAS = ("executive", "manager", "practitioner", "assistant")
_SOURCES = ("webinar", "landing_page", "referral", "paid_ad", "event", "content_download")
_PRODUCTS = ("Payroll", "Time tracking", "HR suite", "Expenses")
_AWARENESS = ("problem", "solution", "product")


def baton_script() -> str:
    """The `baton` console script of this interpreter's environment."""
    beside = Path(sys.executable).parent / "baton"
    if beside.exists():
        return str(beside)
    sys.exit(f"no baton console script beside {sys.executable}; run `pip install -e .` in this venv first")


def clean_env() -> dict[str, str]:
    """The environment for Baton children: no BATON_* settings leak in."""
    return {k: v for k, v in os.environ.items() if not k.startswith("BATON_")}


def baton(db: Path, *args: str, actor: str = MARKETING, now: str = NOW) -> list[str]:
    return [sys.executable, baton_script(), "--db", str(db), "--as", actor, "--now", now, *args]


def run_ok(cmd: Sequence[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(cmd, capture_output=True, text=True, env=clean_env(), **kwargs)
    if done.returncode != 0:
        sys.exit(f"benchmark setup failed: {' '.join(cmd)}\n{done.stdout}{done.stderr}")
    return done


def init_db(db: Path) -> None:
    run_ok(baton(db, "init", "--policy", str(POLICY)))


# -- sample leads -------------------------------------------------------------------
def db_with_leads(db: Path, count: int) -> None:
    """A new Baton database at `db` holding `count` MQL leads L-1 ... L-count,
    imported through `baton lead import` from a CSV beside it."""
    init_db(db)
    leads_csv = db.with_name(db.stem + "-leads.csv")
    write_csv(leads_csv, count, with_id=True)
    run_ok(baton(db, "lead", "import", str(leads_csv)))


def lead_rows(count: int, seed: int = 7, with_id: bool = False) -> Iterator[dict[str, str]]:
    """`count` CSV rows, each complete enough for `hand_over` (score >= 60,
    handover checklist met); a quarter have no phone, as in real exports."""
    rng = random.Random(seed)
    for n in range(1, count + 1):
        first, last = rng.choice(_FIRST), rng.choice(_LAST)
        row = {
            "first_name": first,
            "last_name": last,
            "email": f"{_ascii(first)}.{_ascii(last)}.{n}@example.com",
            "phone": "" if n % 4 == 0 else f"+44 20 7946 {rng.randrange(10000):04d}",
            "company": rng.choice(_COMPANIES),
            "title": rng.choice(_TITLES),
            "persona": rng.choice(_PERSONAS),
            "source": rng.choice(_SOURCES),
            "product": rng.choice(_PRODUCTS),
            "awareness": rng.choice(_AWARENESS),
            "score": str(rng.randrange(60, 101)),
        }
        if with_id:
            row = {"id": f"L-{n}", **row}
        yield row


def _ascii(name: str) -> str:
    return name.lower().translate(str.maketrans("éíüá", "eiua"))


def write_csv(path: Path, count: int, with_id: bool = False) -> None:
    columns = ("id", *COLUMNS) if with_id else COLUMNS
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, columns)
        writer.writeheader()
        writer.writerows(lead_rows(count, with_id=with_id))


def read_csv_fields(path: Path) -> list[dict[str, Any]]:
    """The CSV's rows as the `fields` a `created` event carries: blanks left
    out, score as an integer."""
    rows = []
    with open(path, newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            fields: dict[str, Any] = {k: v for k, v in row.items() if v and k != "id"}
            fields["score"] = int(fields["score"])
            rows.append(fields)
    return rows


# -- the raw-sqlite3 baseline ---------------------------------------------------------
_encode = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode


def chained(events: Iterable[tuple[Any, ...]], seq: int, prev: str) -> Iterator[tuple[Any, ...]]:
    """(lead, at, actor, event, from, to, data, policy_version) -> full events
    rows with seq, prev and the SHA-256 of the canonical JSON (SPEC)."""
    for lead, at, actor, event, from_, to, data, version in events:
        seq += 1
        body = {
            "seq": seq, "lead": lead, "at": at, "actor": actor, "event": event, "from": from_,
            "to": to, "data": data, "policy_version": version, "prev": prev,
        }
        digest = hashlib.sha256(_encode(body).encode("utf-8")).hexdigest()
        yield (seq, lead, at, actor, event, from_, to, _encode(data), version, prev, digest)
        prev = digest


def events_schema(baton_db: Path, tables: Sequence[str] = ("events",)) -> list[str]:
    """The DDL of Baton's `events` table (or `tables`) and their indexes, read
    from a Baton database, so the baseline writes into exactly the same tables."""
    marks = ",".join("?" * len(tables))
    with sqlite3.connect(baton_db) as db:
        return [sql for (sql,) in db.execute(
            f"SELECT sql FROM sqlite_master WHERE tbl_name IN ({marks}) AND sql IS NOT NULL ORDER BY type DESC, rowid",
            tuple(tables),
        )]


def baseline_db(path: Path, schema: list[str]) -> sqlite3.Connection:
    """A fresh database with Baton's `events` table, WAL mode, default synchronous."""
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    for sql in schema:
        db.execute(sql)
    return db


# -- measuring --------------------------------------------------------------------------
@dataclass
class Measured:
    seconds: float
    max_rss_kib: int
    returncode: int
    stdout: str
    stderr: str


# A small Python process that runs the command and reports on exactly it. The
# peak RSS the kernel reports for a child includes the memory image it was
# forked from, so a child forked by this (large) benchmark process would be
# charged for the benchmark's own memory; forked from this launcher it is
# charged at most the launcher's few MiB, below any Baton command's own peak.
_LAUNCHER = """
import os, sys, time
out, err, cmd = sys.argv[1], sys.argv[2], sys.argv[3:]
start = time.perf_counter()
pid = os.fork()
if pid == 0:
    fd_out = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    fd_err = os.open(err, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    os.dup2(fd_out, 1)
    os.dup2(fd_err, 2)
    try:
        os.execv(cmd[0], cmd)
    finally:
        os._exit(127)
_, status, usage = os.wait4(pid, 0)
print(time.perf_counter() - start, usage.ru_maxrss, os.waitstatus_to_exitcode(status))
"""


def run_measured(cmd: Sequence[str], cwd: Path, discard_stdout: bool = False) -> Measured:
    """Run one command in a fresh child: its wall time (from fork to exit) and
    its own peak RSS, from wait4 (`ru_maxrss`, KiB on Linux). With
    `discard_stdout` its output goes to /dev/null (`stdout` is then empty)."""
    out_path, err_path = Path(os.devnull) if discard_stdout else cwd / ".bench-out", cwd / ".bench-err"
    report = subprocess.run(
        [sys.executable, "-c", _LAUNCHER, str(out_path), str(err_path), *cmd],
        capture_output=True, text=True, env=clean_env(), cwd=cwd, check=True,
    ).stdout.split()
    seconds, rss, code = float(report[0]), int(report[1]), int(report[2])
    return Measured(seconds, rss, code, out_path.read_text(), err_path.read_text())


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def machine() -> str:
    return f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}"


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def print_profile(path: str, top: int = 20) -> None:
    import pstats

    stats = pstats.Stats(path)
    stats.sort_stats("cumulative").print_stats(top)
    stats.sort_stats("tottime").print_stats(top)
