"""The operational log: structlog to stderr, JSON lines when stderr is not a
terminal, kept apart from each command's own output on stdout.

structlog takes a tenth of a second to import, more than a whole `lead
advance` may spend, so it is imported only when a message passes the level
(BATON_LOG: debug, info, warning (default), error).
"""

from __future__ import annotations

import os
import sys
from typing import Any

LEVELS = {"debug": 10, "info": 20, "warning": 30, "error": 40}
_logger: Any = None


def threshold() -> int:
    return LEVELS.get(os.environ.get("BATON_LOG", "warning").strip().lower(), LEVELS["warning"])


def _get_logger() -> Any:
    global _logger
    if _logger is None:
        import structlog

        renderer: Any = (
            structlog.dev.ConsoleRenderer(colors=False)
            if sys.stderr.isatty()
            else structlog.processors.JSONRenderer(sort_keys=True)
        )
        structlog.configure(
            processors=[
                structlog.processors.add_log_level,
                structlog.processors.TimeStamper(fmt="iso", utc=True),
                renderer,
            ],
            # resolve stderr when writing, not once, so redirected stderr is honoured
            logger_factory=lambda *args: structlog.PrintLogger(sys.stderr),
            cache_logger_on_first_use=False,
        )
        _logger = structlog.get_logger("baton")
    return _logger


def log(level: str, event: str, **fields: Any) -> None:
    if LEVELS[level] < threshold():
        return
    getattr(_get_logger(), level)(event, **fields)
