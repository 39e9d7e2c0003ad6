"""The HTTP API tests' fixtures (a conftest plugin, so every API test module
has them without importing them): the app in process, and jane's token."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import MONDAY_9AM, Baton


def token_for(baton: Baton, actor: str) -> str:
    result = baton("token", "create", actor, actor="sam")
    assert result.exit_code == 0, result.stderr
    return str(result.stdout.strip().splitlines()[-1])


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def client(db: Path) -> Iterator[Any]:
    from starlette.testclient import TestClient

    from statemachine.api.app import build_app

    with TestClient(build_app(str(db), MONDAY_9AM)) as test_client:
        yield test_client


@pytest.fixture
def jane(baton: Baton, db: Path) -> dict[str, str]:
    return auth(token_for(baton, "jane"))
