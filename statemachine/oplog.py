"""The operational log: structlog to stderr, JSON lines when stderr is not a
terminal, kept apart from each command's own output on stdout.

The level (BATON_LOG: debug, info, warning (default), error) is structlog's
own filtering logger's. structlog takes a tenth of a second to import, more
than a whole `lead advance` may spend, so `log` imports it only for a message
at or above that level: below it, the filtering logger would drop it anyway.
"""

from __future__ import annotations

import os
import sys
import threading
from typing import Any, TextIO, cast

LEVELS = {"debug": 10, "info": 20, "warning": 30, "error": 40}
_loggers: dict[int, Any] = {}  # by level: BATON_LOG may change within one process (tests)


def threshold() -> int:
    return LEVELS.get(os.environ.get("BATON_LOG", "warning").strip().lower(), LEVELS["warning"])


def _get_logger(level: int) -> Any:
    if level not in _loggers:
        with _MAKING:  # `serve`'s threads log their first lines at once: one logger a level
            if level not in _loggers:
                _loggers[level] = _make_logger(level)
    return _loggers[level]


def _make_logger(level: int) -> Any:
    import structlog

    renderer: Any = (
        structlog.dev.ConsoleRenderer(colors=False)
        if sys.stderr.isatty()
        else structlog.processors.JSONRenderer(sort_keys=True)
    )
    # One stderr object for every logger: structlog keeps one write lock per
    # file, so two threads never run their lines together.
    return structlog.wrap_logger(
        structlog.PrintLogger(cast(TextIO, _STDERR)),
        wrapper_class=structlog.make_filtering_bound_logger(level),
        processors=[
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            renderer,
        ],
    )


class _CurrentStderr:
    """Whatever sys.stderr is when a line is written, so a redirected stderr is honoured."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


_STDERR = _CurrentStderr()
_MAKING = threading.Lock()


def log(level: str, event: str, **fields: Any) -> None:
    least = threshold()
    if LEVELS[level] >= least:  # else not worth importing structlog for
        getattr(_get_logger(least), level)(event, **fields)
