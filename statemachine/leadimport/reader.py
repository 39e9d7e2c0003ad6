"""The reading half of `lead import` in a forked child process.

An import spends about as long in Python (reading the CSV, checking cells,
sealing personal values) as in SQLite (the INSERTs), and the two can run at
once on two CPUs. Threads cannot overlap them: a thread coming back from
sqlite3_step waits for the GIL up to the switch interval. So `batches_read_by_child`
forks a child that runs the producer (read, check, seal: work that needs no
lead id and no database) and sends its batches over a pipe, while the parent
writes the batch before.

Only the parent touches the database. SQLite forbids using a connection
across fork, and a child closing the parent's connection could checkpoint or
remove the WAL: the child never refers to it, and ends with `os._exit`, which
runs no finalisers, atexit handlers or buffered-output flushes.

Each message is an 8-byte length and a pickle. The pipe blocks the child
once a batch or so is in flight, so memory stays flat however long the file.
The child ignores SIGINT (Ctrl-C reaches the whole process group; the parent
decides what it means) and, if the parent dies, fails its next write on the
closed pipe and exits. A parent that stops early for any reason kills and
reaps the child before the exception goes on.
"""

from __future__ import annotations

import os
import pickle
import signal
import struct
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import IO, Any

from ..errors import BatonError, ImportReaderStopped

_LENGTH = struct.Struct("<Q")
_ITEM, _ERROR, _END = 0, 1, 2


def can_fork() -> bool:
    """Linux only: elsewhere fork without exec is unsafe (macOS system
    libraries) or missing (Windows), and the import reads in one process."""
    return sys.platform == "linux" and hasattr(os, "fork")


@contextmanager
def batches_read_by_child(file: str, produce: Callable[[], Iterator[Any]]) -> Iterator[Iterator[Any]]:
    """Run `produce` in a forked child; yield an iterator, in the parent, of
    what it produces. An exception in the child is raised here, in its turn
    after the items before it. Leaving the block ends the child."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns
        os.close(read_end)
        _child(write_end, produce)
    os.close(write_end)
    source = os.fdopen(read_end, "rb", buffering=1 << 16)
    reaped = False

    def received() -> Iterator[Any]:
        nonlocal reaped
        while True:
            message = _receive(source)
            if message is None:
                _, status = os.waitpid(pid, 0)
                reaped = True
                raise ImportReaderStopped(file, _how_it_ended(status))
            kind, payload = message
            if kind == _ITEM:
                yield payload
            elif kind == _ERROR:
                raise payload
            else:
                os.waitpid(pid, 0)
                reaped = True
                return

    try:
        yield received()
    finally:
        source.close()
        if not reaped:
            # the parent stopped first (a bad row, an error, Ctrl-C): the
            # child's reading is of no more use, and it must not outlive us
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            os.waitpid(pid, 0)


def _child(write_end: int, produce: Callable[[], Iterator[Any]]) -> None:
    code = 0
    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        with os.fdopen(write_end, "wb", buffering=1 << 16) as sink:
            try:
                for item in produce():
                    _send(sink, (_ITEM, item))
            except BrokenPipeError:
                raise
            except BaseException as error:  # noqa: BLE001 -- every failure goes to the parent, which raises it
                _send(sink, (_ERROR, _picklable(error)))
            else:
                _send(sink, (_END, None))
    except BaseException:  # noqa: BLE001 -- the parent is gone or the pipe broke: nothing to tell
        code = 1
    finally:
        os._exit(code)


def _send(sink: IO[bytes], message: tuple[int, Any]) -> None:
    data = pickle.dumps(message, pickle.HIGHEST_PROTOCOL)
    sink.write(_LENGTH.pack(len(data)))
    sink.write(data)
    sink.flush()


def _receive(source: IO[bytes]) -> tuple[int, Any] | None:
    """The next message, or None when the pipe ends without one (the child died)."""
    header = source.read(_LENGTH.size)
    if len(header) < _LENGTH.size:
        return None
    (length,) = _LENGTH.unpack(header)
    data = source.read(length)
    if len(data) < length:
        return None
    message: tuple[int, Any] = pickle.loads(data)
    return message


def _picklable(error: BaseException) -> BaseException:
    """`error` itself when it comes back from pickling as the same error, so
    the parent raises the very same exception. An error whose constructor
    takes other arguments than its message (most of Baton's) would come back
    garbled or not at all: a Baton error then travels as a plain BatonError
    with the same sentence (the CLI prints it and exits 1, as it would have),
    anything else as an error that names it."""
    try:
        back = pickle.loads(pickle.dumps(error, pickle.HIGHEST_PROTOCOL))
        if type(back) is type(error) and str(back) == str(error):
            return error
    except Exception:  # noqa: BLE001 -- any failure to pickle means: send a stand-in
        pass
    if isinstance(error, BatonError):
        return BatonError(str(error))
    return RuntimeError(f"{type(error).__name__}: {error}")


def _how_it_ended(status: int) -> str:
    if os.WIFSIGNALED(status):
        return f"was killed by {signal.Signals(os.WTERMSIG(status)).name}"
    return f"exited with status {os.waitstatus_to_exitcode(status)}"
