"""`lead import` reads and seals its rows in a forked child while the parent
writes them: whatever goes wrong on either side, the import writes nothing,
says why, and leaves no process behind."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT, Baton

import statemachine.leadimport.check
import statemachine.leadimport.write
from statemachine.errors import BatonError, ImportReaderStopped, UnknownLead
from statemachine.leadimport import BadRow, ImportRefused, Row
from statemachine.leadimport.reader import can_fork

pytestmark = pytest.mark.skipif(not can_fork(), reason="the two-process import is for Linux")


@pytest.fixture(autouse=True)
def small_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(statemachine.leadimport.write, "BATCH", 3)


@pytest.fixture
def forked(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The pids of the reader processes the test's imports fork."""
    pids: list[int] = []
    real_fork = os.fork

    def fork() -> int:
        pid = real_fork()
        if pid:
            pids.append(pid)
        return pid

    monkeypatch.setattr(os, "fork", fork)
    return pids


def export(tmp_path: Path, rows: int = 10) -> Path:
    path = tmp_path / "leads.csv"
    path.write_text("id,email,score\n" + "".join(f"I-{n},i{n}@example.com,{n}\n" for n in range(rows)))
    return path


def table_counts(db: Path) -> tuple[int, ...]:
    conn = sqlite3.connect(db)
    try:
        return tuple(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
                     for table in ("events", "leads", "personal", "clocks"))
    finally:
        conn.close()


def gone(pid: int) -> bool:
    """Reaped, or at least no longer running (a zombie of another parent)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except FileNotFoundError:
        return True


def reading_fails_after(monkeypatch: pytest.MonkeyPatch, rows: int, failure: Any) -> None:
    """The file reader (which runs in the child) yields `rows` rows, then
    `failure()` happens."""
    real = statemachine.leadimport.check.LeadFile._csv_rows

    def failing(self: statemachine.leadimport.check.LeadFile) -> Iterator[Row | BadRow]:
        for count, row in enumerate(real(self)):
            if count == rows:
                failure()
            yield row

    monkeypatch.setattr(statemachine.leadimport.check.LeadFile, "_csv_rows", failing)


def test_an_error_in_the_reader_process_is_raised_with_its_message_and_writes_nothing(
        baton: Baton, db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, forked: list[int]) -> None:
    def fail() -> None:
        raise RuntimeError("the disk went away at row 7")

    reading_fails_after(monkeypatch, 7, fail)
    before = table_counts(db)
    with pytest.raises(RuntimeError, match="the disk went away at row 7"):
        baton("lead", "import", str(export(tmp_path)))
    assert table_counts(db) == before
    assert forked and all(gone(pid) for pid in forked)


def test_a_refusal_in_the_reader_process_is_one_error_line_as_before(
        baton: Baton, db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def vanish() -> None:
        raise ImportRefused("cannot read leads.csv: there is no such file")

    reading_fails_after(monkeypatch, 4, vanish)
    before = table_counts(db)
    result = baton("lead", "import", str(export(tmp_path)))
    assert (result.exit_code, result.stderr) == (1, "Error: cannot read leads.csv: there is no such file\n")
    assert table_counts(db) == before


def test_a_killed_reader_process_is_named_and_nothing_is_written(
        baton: Baton, db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, forked: list[int]) -> None:
    reading_fails_after(monkeypatch, 5, lambda: os.kill(os.getpid(), signal.SIGKILL))
    before = table_counts(db)
    source = export(tmp_path)
    result = baton("lead", "import", str(source))
    assert (result.exit_code, result.stderr) == (
        1, f"Error: reading {source} stopped: its reader process was killed by SIGKILL; nothing was imported\n")
    assert table_counts(db) == before
    assert forked and all(gone(pid) for pid in forked)


@pytest.mark.parametrize("failure", [RuntimeError("the disk is full"), KeyboardInterrupt()])
def test_a_failure_in_the_writing_process_ends_the_reader_and_writes_nothing(
        baton: Baton, db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, forked: list[int],
        failure: BaseException) -> None:
    real_flush = statemachine.leadimport.write._Batch.flush
    flushed: list[None] = []

    def flush_then_fail(batch: Any) -> None:
        if len(flushed) == 2:
            raise failure
        flushed.append(real_flush(batch))

    monkeypatch.setattr(statemachine.leadimport.write._Batch, "flush", flush_then_fail)
    before = table_counts(db)
    if isinstance(failure, KeyboardInterrupt):  # click turns Ctrl-C into "Aborted!"
        assert baton("lead", "import", str(export(tmp_path, rows=3000))).exit_code == 1
    else:
        with pytest.raises(RuntimeError, match="the disk is full"):
            baton("lead", "import", str(export(tmp_path, rows=3000)))
    assert table_counts(db) == before
    assert forked and all(gone(pid) for pid in forked)


def test_the_reader_process_ends_when_the_writing_process_is_killed(db: Path, tmp_path: Path) -> None:
    """SIGKILL (or SIGTERM) of the parent half way: its transaction never
    commits, and the child fails its next write on the broken pipe and exits."""
    source = export(tmp_path, rows=200_000)
    pid_file = tmp_path / "reader.pid"
    script = (
        "import os, signal\n"
        "import statemachine.leadimport.write as bulk\n"
        "from cli.main import cli\n"
        "real_fork, real_flush, flushed = os.fork, bulk._Batch.flush, []\n"
        "def fork():\n"
        "    pid = real_fork()\n"
        f"    if pid: open({str(pid_file)!r}, 'w').write(str(pid))\n"
        "    return pid\n"
        "os.fork = fork\n"
        "def flush_then_die(batch):\n"
        "    if len(flushed) == 3:\n"
        "        os.kill(os.getpid(), signal.SIGTERM)\n"
        "    flushed.append(real_flush(batch))\n"
        "bulk._Batch.flush = flush_then_die\n"
        f"cli(['--db', {str(db)!r}, '--as', 'jane', 'lead', 'import', {str(source)!r}])\n"
    )
    before = table_counts(db)
    killed = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True,
                            timeout=60, check=False)
    assert killed.returncode == -signal.SIGTERM, killed.stderr
    reader = int(pid_file.read_text())
    deadline = time.monotonic() + 10
    while not gone(reader) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert gone(reader)
    assert table_counts(db) == before


def test_progress_is_told_every_1000_rows_with_how_far_the_reader_has_read(
        baton: Baton, db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The progress bar asks the LeadFile in this process, which the reader
    process tells how far it has read with each batch."""
    monkeypatch.setattr(statemachine.leadimport.write, "BATCH", 500)
    real_import = statemachine.leadimport.import_leads
    seen: list[int] = []

    def import_with_progress(ws: Any, file: str, rows: Any, skip_bad: bool, progress: Any = None) -> Any:
        return real_import(ws, file, rows, skip_bad, lambda: seen.append(rows.bytes_read))

    monkeypatch.setattr(statemachine.leadimport, "import_leads", import_with_progress)
    source = export(tmp_path, rows=3500)
    assert baton("lead", "import", str(source)).exit_code == 0
    assert len(seen) == 5  # rows 0, 1000, 2000, 3000, and the end
    assert seen == sorted(seen) and 0 < seen[1] < seen[-1] == source.stat().st_size


@pytest.mark.parametrize("error", [
    UnknownLead("L-9"),  # one argument that is not its message
    ImportReaderStopped("leads.csv", "was killed by SIGKILL"),  # two arguments
    ImportRefused("leads.csv: line 2 is not valid UTF-8"),
])
def test_an_error_in_the_reader_reaches_the_parent_as_a_baton_error_with_its_own_sentence(error: Exception) -> None:
    """The CLI prints a BatonError and exits 1; a garbled message or another
    type (a traceback) would be a worse refusal than the one-process path's."""
    from statemachine.leadimport.reader import batches_read_by_child

    def produce() -> Iterator[int]:
        yield 1
        raise error

    got: list[int] = []
    with pytest.raises(BatonError) as raised:
        with batches_read_by_child("leads.csv", produce) as received:
            got.extend(received)
    assert got == [1]
    assert str(raised.value) == str(error)
