"""Real `baton` processes at once on one database: one wins a race for a lead,
the others see its outcome; nothing is lost or doubled; the chain holds; and a
killed import leaves every row or none.

To make the processes collide rather than run one after another, the test
holds the write lock while they start, then lets them all go at once.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

import pytest
from conftest import MONDAY_9AM, Baton, add_ready_lead, sign_off
from test_database import assert_chain_intact, folder_listing, reading

pytestmark = pytest.mark.both_stores  # every database test here runs on SQLite and on PostgreSQL

STARTUP_TIMEOUT = 10.0


def baton_executable() -> str:
    """The console script of the venv running the tests, else the one on PATH."""
    beside = Path(sys.executable).parent / "baton"
    if beside.exists():
        return str(beside)
    found = shutil.which("baton")
    if found is None:
        pytest.skip("the baton console script is not installed")
    return found


def start(db: Path, actor: str, *args: str) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "BATON_DB": str(db), "BATON_ACTOR": actor, "BATON_NOW": MONDAY_9AM,
        "BATON_BUSY_TIMEOUT_MS": "10000",  # wait for the others, never give up in a test
    }
    return subprocess.Popen(
        [baton_executable(), *args], env=env, text=True,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )


def finish(processes: list[subprocess.Popen[str]]) -> list[tuple[int, str, str]]:
    """(exit code, stdout, stderr) of each, in order."""
    results = []
    for process in processes:
        stdout, stderr = process.communicate(timeout=30)
        assert "Traceback" not in stderr, stderr
        results.append((process.returncode, stdout, stderr))
    return results


def has_open(pid: int, path: Path) -> bool:
    try:
        return any(os.readlink(f"/proc/{pid}/fd/{fd}") == str(path) for fd in os.listdir(f"/proc/{pid}/fd"))
    except OSError:  # the process has just exited, or a descriptor closed
        return False


def wait_until_all_opened(db: Path, processes: list[subprocess.Popen[str]]) -> None:
    """Until each process has opened the database (and so is about to ask for
    the write lock). Without /proc, a generous pause does the same."""
    if is_pg(db):
        _wait_until_all_wait_for_the_lock(db, len(processes))
        return
    if not Path("/proc/self/fd").is_dir():
        time.sleep(2.0)
        return
    deadline = time.monotonic() + STARTUP_TIMEOUT
    waiting = list(processes)
    while waiting and time.monotonic() < deadline:
        waiting = [p for p in waiting if p.poll() is None and not has_open(p.pid, db.resolve())]
        time.sleep(0.02)
    time.sleep(0.2)  # from open to BEGIN IMMEDIATE: loading the policy


def is_pg(db: Path) -> bool:
    return str(db).startswith("postgresql://")


def _wait_until_all_wait_for_the_lock(db: Path, count: int) -> None:
    """On PostgreSQL: until `count` processes wait for the database's write
    lock (an advisory lock), or the start-up time is up."""
    import psycopg

    deadline = time.monotonic() + STARTUP_TIMEOUT
    with psycopg.connect(str(db), autocommit=True) as watcher:
        while time.monotonic() < deadline:
            (waiting,) = watcher.execute(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted").fetchone() or (0,)
            if waiting >= count:
                return
            time.sleep(0.02)


@contextmanager
def all_start_together(db: Path) -> Iterator[None]:
    """Hold the write lock while the processes started inside start up."""
    if is_pg(db):
        import psycopg

        from statemachine.pg import WRITE_LOCK

        with psycopg.connect(str(db), autocommit=True) as pg:
            pg.execute("BEGIN")
            pg.execute(WRITE_LOCK)
            yield
            pg.execute("ROLLBACK")
        return
    with closing(sqlite3.connect(db, isolation_level=None)) as holder:
        holder.execute("BEGIN IMMEDIATE")
        yield
        holder.execute("ROLLBACK")


def race(db: Path, commands: list[tuple[str, ...]]) -> list[tuple[int, str, str]]:
    """Run (actor, *args) commands at once, released together."""
    with all_start_together(db):
        processes = [start(db, actor, *args) for actor, *args in commands]
        wait_until_all_opened(db, processes)
    return finish(processes)


def test_racing_handovers_one_wins_and_the_others_see_the_new_state(baton: Baton, db: Path) -> None:
    add_ready_lead(baton, "L-1")
    results = race(db, [(actor, "lead", "advance", "L-1", "hand_over") for actor in ("jane", "omar") * 2])
    codes = sorted(code for code, _, _ in results)
    assert codes == [0, 1, 1, 1]
    assert [out for code, out, _ in results if code == 0] == ["L-1: MQL -> SAL (hand_over).\n"]
    assert [err for code, _, err in results if code == 1] == [
        "Error: L-1 is in SAL; 'hand_over' only moves a lead out of MQL\n"
    ] * 3
    rows = assert_chain_intact(db)
    assert [r["event"] for r in rows if r["lead"] == "L-1"] == ["created", "hand_over"]


def test_concurrent_attempts_on_one_lead_are_all_counted(baton: Baton, db: Path) -> None:
    """Each process adds one to the lead's attempts: none may overwrite another's."""
    add_ready_lead(baton, "L-1")
    results = race(db, [("jane", "lead", "attempt", "L-1", "--note", f"call {n}") for n in range(5)])
    assert [code for code, _, _ in results] == [0] * 5
    rows = assert_chain_intact(db)
    written = sorted((json.loads(r["data"]) for r in rows if r["event"] == "attempt"), key=lambda d: d["note"])
    assert [d["note"] for d in written] == [f"call {n}" for n in range(5)]
    # the processes act at BATON_NOW, Monday: each change says when it was really written
    assert all(set(d) == {"note", "recorded_at"} for d in written)
    with reading(db) as conn:
        assert conn.execute("SELECT attempts FROM leads WHERE id = 'L-1'").fetchone()[0] == 5


def test_concurrent_adds_get_distinct_ids_and_a_contiguous_chain(db: Path) -> None:
    results = race(db, [("jane", "lead", "add", f"email=lead{n}@example.com", f"score={n}") for n in range(6)])
    assert [code for code, _, _ in results] == [0] * 6
    assert sorted(out for _, out, _ in results) == [f"Created L-{n} in MQL.\n" for n in range(1, 7)]
    rows = assert_chain_intact(db)
    assert len(rows) == 7
    assert sorted(r["lead"] for r in rows if r["event"] == "created") == [f"L-{n}" for n in range(1, 7)]
    with reading(db) as conn:
        scores = sorted(score for (score,) in conn.execute("SELECT score FROM leads"))
    assert scores == list(range(6))


def test_racing_inits_make_one_database(db_path: Path, policy_file: Path, tmp_path: Path) -> None:
    processes = [start(db_path, "jane", "init", "--policy", str(policy_file)) for _ in range(3)]
    results = finish(processes)
    assert sorted(code for code, _, _ in results) == [0, 1, 1]
    refusal = (f"Error: {db_path} already holds a Baton database and init never overwrites one; "
               "pick another database (or schema)\n") if is_pg(db_path) else (
               f"Error: {db_path} already exists and init never overwrites a file; pick another --db\n")
    assert [err for code, _, err in results if code == 1] == [refusal] * 2
    assert folder_listing(tmp_path) == (["policy.yaml"] if is_pg(db_path) else ["baton.db", "policy.yaml"])
    assert len(assert_chain_intact(db_path)) == 1


@pytest.mark.sqlite_only  # it kills the import once SQLite's -wal file has grown
def test_killed_import_leaves_every_row_or_none(baton: Baton, db: Path, tmp_path: Path) -> None:
    rows = 200_000
    source = tmp_path / "leads.csv"
    source.write_text("id,company,score\n" + "".join(f"I-{n},Company {n},{n % 100}\n" for n in range(rows)))
    wal = Path(f"{db}-wal")
    importer = start(db, "jane", "lead", "import", str(source))
    deadline = time.monotonic() + 30
    # Half-way: the uncommitted import has spilled pages into the -wal file.
    while importer.poll() is None and time.monotonic() < deadline:
        if wal.exists() and wal.stat().st_size > 1_000_000:
            break
        time.sleep(0.01)
    importer.send_signal(signal.SIGKILL)
    importer.communicate(timeout=30)
    assert importer.returncode == -signal.SIGKILL, "the import ended before it could be killed"

    with reading(db) as conn:
        imported = conn.execute("SELECT count(*) FROM leads").fetchone()[0]
    assert imported in (0, rows)
    events = assert_chain_intact(db)
    assert len(events) == 1 + imported
    # The database is fine for the next command.
    assert baton("lead", "add", "--id", "L-next", "score=70").exit_code == 0
    assert len(assert_chain_intact(db)) == 2 + imported


def verify_in_a_process(db: Path) -> tuple[int, str, str]:
    (result,) = finish([start(db, "auditor", "audit", "verify")])
    return result


def test_policy_apply_racing_lead_advances_keeps_every_lead_in_a_state_of_the_policy(
    baton: Baton, db: Path, tmp_path: Path
) -> None:
    """Version 2 renames SAL (--map SAL=handed) while three handovers race it:
    a handover that commits first is moved by the apply; one that started
    under version 1 and comes after is refused and writes nothing."""
    import re

    from conftest import DEFAULT_POLICY

    v2 = tmp_path / "v2.yaml"
    v2.write_text(re.sub(r"\bSAL\b", "handed", DEFAULT_POLICY.read_text().replace("version: 1\n", "version: 2\n", 1)))
    leads = ("L-1", "L-2", "L-3")
    for lead in leads:
        add_ready_lead(baton, lead)
    sign_off(baton, v2)
    commands = [("sam", "policy", "apply", str(v2), "--map", "SAL=handed")]
    commands += [("jane", "lead", "advance", lead, "hand_over") for lead in leads]
    (apply_result, *advances) = race(db, commands)
    assert apply_result[0] == 0, apply_result[2]
    refused = (
        "Error: the policy in force changed from version 1 to version 2 while this command was starting; "
        "nothing was written: run it again\n"
    )
    for code, out, err in advances:
        assert (code, err) in ((0, ""), (1, refused)), (code, out, err)
    rows = assert_chain_intact(db)
    with reading(db) as conn:
        states = dict(conn.execute("SELECT id, state FROM leads").fetchall())
    for lead, (code, _, _) in zip(leads, advances):
        assert states[lead] == ("handed" if code == 0 else "MQL")
        handed = [r for r in rows if r["lead"] == lead and r["event"] in ("hand_over", "moved")]
        assert [r["event"] for r in handed] == (["hand_over", "moved"] if code == 0 else [])
    code, out, err = verify_in_a_process(db)
    assert (code, err) == (0, ""), err
    assert out.startswith(f"verified {len(rows)} events, 3 leads:")


def test_audit_verify_passes_after_the_concurrent_workload(baton: Baton, db: Path) -> None:
    """The races above, one after another on one database, then an audit."""
    add_ready_lead(baton, "L-1")
    race(db, [(actor, "lead", "advance", "L-1", "hand_over") for actor in ("jane", "omar") * 2])
    race(db, [("alice", "lead", "attempt", "L-1", "--note", f"call {n}") for n in range(5)])
    race(db, [("jane", "lead", "add", f"email=lead{n}@example.com", f"score={n}") for n in range(6)])
    race(db, [("alice", "lead", "set", "L-1", "budget=1", "authority=yes", "need=x", "timeline=2027-01-01"),
              ("alice", "lead", "advance", "L-1", "qualify"),
              ("bob", "lead", "advance", "L-1", "recycle", "reason=no budget")])
    rows = assert_chain_intact(db)
    code, out, err = verify_in_a_process(db)
    assert (code, err) == (0, ""), err
    back_filled = sum("recorded_at" in json.loads(r["data"]) for r in rows)
    assert back_filled > 0  # the processes act at BATON_NOW, Monday
    assert out == (
        f"verified {len(rows)} events, 7 leads: the chain is intact, every transition was legal, "
        f"the leads table matches the log; head: seq {len(rows)}, hash {rows[-1]['hash']}\n"
        f"{back_filled} events were written with a --now more than five minutes off the clock "
        "(each records the real time as recorded_at)\n"
    )


def test_racing_qualifies_of_different_leads_all_commit_and_share_the_load(baton: Baton, db: Path) -> None:
    """Four leads qualified at once by four processes: each commits, and
    least_loaded sees every assignment before it (two each for alice and bob,
    the running count equal to a recount)."""
    from conftest import BANT

    leads = [f"L-{n}" for n in range(1, 5)]
    for lead in leads:
        add_ready_lead(baton, lead)
        assert baton("lead", "advance", lead, "hand_over").exit_code == 0
        assert baton("lead", "set", lead, *BANT, actor="alice").exit_code == 0
    results = race(db, [("alice", "lead", "advance", lead, "qualify") for lead in leads])
    assert [code for code, _, _ in results] == [0] * 4, results
    rows = assert_chain_intact(db)
    assert sorted(r["lead"] for r in rows if r["event"] == "qualify") == leads
    with reading(db) as conn:
        owners = dict(conn.execute("SELECT owner, count(*) FROM leads GROUP BY owner").fetchall())
        load = dict(conn.execute("SELECT rep, open_leads FROM rep_load WHERE open_leads > 0").fetchall())
    assert owners == load == {"alice": 2, "bob": 2}
    code, _, err = verify_in_a_process(db)
    assert (code, err) == (0, ""), err
