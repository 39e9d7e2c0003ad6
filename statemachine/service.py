"""`baton serve`: sweep the due clocks and send the outbox, in a loop.

A stop request (SIGTERM, Ctrl-C) only sets a flag; the loop reads it between
transactions (between leads in the sweep, between rows in the send), so the
service never stops half way through one. One service per database: a lock
file beside it (`DB.serve.lock`, holding the pid) is taken with `flock`,
which the kernel releases however the process ends, so a crashed service
leaves no stale lock behind.
"""

from __future__ import annotations

import fcntl
import os
import signal
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import FrameType
from typing import TextIO

from .dburl import is_postgres
from .errors import AlreadyServing, BatonError, DatabaseProblem
from .notify import send_due
from .oplog import log
from .policy.model import SYSTEM
from .store import Store
from .sweep import sweep
from .witness import queue_witness
from .workspace import Workspace


def lock_path(db: str) -> str:
    return os.path.realpath(db) + ".serve.lock"


@contextmanager
def serving_lock(db: str) -> Iterator[str]:
    """Hold the database's serve lock, or raise AlreadyServing naming the holder
    (on PostgreSQL a session advisory lock: `pg.serving_lock`)."""
    if is_postgres(db):
        from .pg import serving_lock as on_postgres
        from .store import busy_timeout_ms

        with on_postgres(db, busy_timeout_ms()) as shown:
            yield shown
        return
    path = lock_path(db)
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as error:
        raise DatabaseProblem(f"cannot create the lock file {path}: {error.strerror}") from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise AlreadyServing(db, _pid_in(fd)) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield path
    finally:
        os.close(fd)  # releases the lock; the file stays, so no one can lock a removed name


def _pid_in(fd: int) -> int | None:
    text = os.pread(fd, 32, 0).decode(errors="replace").strip()
    return int(text) if text.isdigit() else None


class StopFlag:
    """Set by SIGTERM or Ctrl-C; a second signal stops at once, the usual way."""

    def __init__(self) -> None:
        self.signal: str | None = None

    def __call__(self) -> bool:
        return self.signal is not None

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        # Nothing is logged here: writing to stderr inside a handler can collide
        # with a write the loop was making.
        self.signal = signal.Signals(signum).name
        signal.signal(signum, signal.default_int_handler if signum == signal.SIGINT else signal.SIG_DFL)


@contextmanager
def stop_on_signals() -> Iterator[StopFlag]:
    flag = StopFlag()
    previous = {signum: signal.signal(signum, flag._handle) for signum in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield flag
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


@dataclass(frozen=True)
class Cycle:
    at: str
    swept: int
    sent: int
    pending: int
    witness: int | None = None  # the seq of the head queued for today's witness, if this round queued it


def run_cycle(store: Store, now: str | None, stop: StopFlag, stdout: TextIO) -> Cycle | None:
    """One sweep, the day's witness, then one send; a database or policy problem is logged and the loop goes on."""
    try:
        ws = Workspace(store, SYSTEM, now, write=True)
        swept = sweep(ws, stop)
        # after the sweep, so the head holds today's breaches; before the send, so it leaves this round
        head = queue_witness(store, ws.policy, ws.now)
        report = send_due(store, ws.policy.notify, ws.now, stdout, stop)
    except (BatonError, sqlite3.Error) as error:
        log("error", "cycle failed", db=store.path, error=str(error))
        return None
    cycle = Cycle(ws.at, len(swept.breaches), report.sent, len(report.pending), None if head is None else head.seq)
    log("info", "cycle", db=store.path, at=cycle.at, swept=cycle.swept, sent=cycle.sent, pending=cycle.pending,
        witness=cycle.witness)
    return cycle


def serve(store: Store, every: float, now: str | None, stop: StopFlag, stdout: TextIO) -> None:
    """Sweep and send every `every` seconds until `stop` is set."""
    log("info", "serving", db=store.path, pid=os.getpid(), every=every)
    while not stop():
        started = time.monotonic()
        run_cycle(store, now, stop, stdout)
        while not stop() and (left := started + every - time.monotonic()) > 0:
            time.sleep(min(left, 0.2))  # short naps, so a stop request is seen at once
    log("info", "stopped", db=store.path, signal=stop.signal)
