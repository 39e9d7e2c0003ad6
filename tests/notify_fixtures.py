"""The notification tests' fixtures (a conftest plugin, so every module that
sends has them without importing them): a real webhook and SMTP server on
loopback, and the folder a relative notify `file:` is written in."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest


@pytest.fixture
def webhook() -> Iterator[Any]:
    """A real HTTP server on loopback that records what notifications POST to it."""
    from test_notify import LocalWebhook

    hook = LocalWebhook()
    hook.up()
    yield hook
    hook.down()


@pytest.fixture
def smtp() -> Iterator[tuple[Any, str]]:
    """A real SMTP server; yields its recorder and host:port."""
    from aiosmtpd.controller import Controller
    from test_notify import MailRecorder, free_port

    recorder = MailRecorder()
    controller = Controller(recorder, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield recorder, f"127.0.0.1:{controller.port}"
    controller.stop()


@pytest.fixture
def notices_folder(db_path: Path, store: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Where the notify `file:` channel writes a relative path: beside the
    SQLite file; on PostgreSQL (no file to be beside) in the working folder,
    made the test's own so a run leaves nothing in the checkout."""
    if store == "postgresql":
        monkeypatch.chdir(tmp_path)
        return tmp_path
    return db_path.parent
