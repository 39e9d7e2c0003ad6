"""The database side of the API: one connection, one request at a time.

Every request's database work runs here, in its own transaction: who the
token is, the Workspace (the policy in force, the clock, the token's actor),
the engine call, and for a POST with an Idempotency-Key the earlier answer or
the keeping of this one, in the same transaction as the change. SQLite takes
one writer at a time anyway. Reads and writes run in the event loop, which
they never make wait for a lock (busy_timeout 0); one that finds another
program holding the database runs again on a thread of its own
(`patiently`), where it waits for the lock as a command would.

A refusal is an `Answer`-shaped reply too: the status `statuses.status_of`
gives it and `{"error": SENTENCE}`, the sentence the CLI prints.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, NamedTuple

from ..errors import BatonError, DatabaseBusy
from ..policy.model import Policy
from ..schema import ensure_api_tables
from ..store import Store, busy_timeout_ms
from ..workspace import PinnedStore, Workspace, compiled_policy
from .endpoints import Answer
from .idempotency import check_key, earlier_answer, keep_answer, request_digest
from .statuses import Unauthorized, status_of
from .tokens import token_actor

NO_TOKEN = ("this request has no token; send the header `Authorization: Bearer TOKEN`, with a token "
            "an API admin made with `baton token create ACTOR`")
BAD_TOKEN = ("this token is not valid: it is unknown or was revoked; ask an API admin for a new one "
             "(`baton token create ACTOR`)")
MAX_KEPT_TOKENS = 1000  # actors kept between requests; past that the memo starts again


class RequestStore(PinnedStore):
    """A PinnedStore whose transaction a request may hold around the engine's:
    the engine's own `with store.transaction()` then joins it, so the change,
    its events and the kept answer commit together."""

    _held = False
    # One line a request would be most of what `serve` logs, and its cost a
    # tenth of a request's; an operator who wants it sets BATON_LOG=debug.
    commit_log_level = "debug"

    @contextmanager
    def transaction(self) -> Iterator[Store]:
        if self._held:
            yield self
            return
        with super().transaction() as store:
            self._held = True
            try:
                yield store
            finally:
                self._held = False


class Request(NamedTuple):
    method: str
    path: str
    token: str | None
    key: str | None = None  # the Idempotency-Key header
    body: bytes = b""


class Reply(NamedTuple):
    status: int
    body: bytes
    value: Any = None  # what `body` encodes (None for a kept answer sent again)
    replayed: bool = False  # an Idempotency-Key's earlier answer
    busy: bool = False  # another program held the database at once; nothing was written


# Made once: `json.dumps` with options builds a new encoder each call.
_ENCODER = json.JSONEncoder(ensure_ascii=False, default=str)


def encode(value: Any) -> bytes:
    return _ENCODER.encode(value).encode("utf-8")


def refusal(error: BatonError) -> Reply:
    value = {"error": str(error)}
    return Reply(status_of(error), encode(value), value, busy=isinstance(error, DatabaseBusy))


class Backend:
    """The API's database connection: used in the event loop, and on its thread when another program holds the lock."""

    def __init__(self, db: str, now: str | None):
        self.db, self.now = db, now
        self._store: RequestStore | None = None
        # Kept between requests while no other program commits (`_fresh`):
        # the live tokens' actors met so far, and the policy in force.
        self._seen = -1  # PRAGMA data_version when they were last known true
        self._actors: dict[str, str] = {}
        self._policy: tuple[Policy, str] | None = None

    def open(self) -> None:
        store = RequestStore.open(self.db, write=True)
        assert isinstance(store, RequestStore)  # `open` makes an instance of the class it is called on
        ensure_api_tables(store)
        store.db.execute("PRAGMA busy_timeout = 0")  # see `patiently`
        self._store = store

    def patiently(self, function: Callable[..., Reply], args: tuple[Any, ...]) -> Reply:
        """`function(*args)`, waiting for another program's lock as long as
        every command waits (BATON_BUSY_TIMEOUT_MS); on the event loop's
        thread the connection waits not at all."""
        self.store.db.execute(f"PRAGMA busy_timeout = {busy_timeout_ms()}")
        try:
            return function(*args)
        finally:
            self.store.db.execute("PRAGMA busy_timeout = 0")

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None

    @property
    def store(self) -> RequestStore:
        assert self._store is not None, "Backend.open() first"
        return self._store

    def actor(self, token: str | None) -> str:
        if not token:
            raise Unauthorized(NO_TOKEN)
        actor = self._actors.get(token)
        if actor is None:
            actor = token_actor(self.store, token)
            if actor is None:
                raise Unauthorized(BAD_TOKEN)
            if len(self._actors) >= MAX_KEPT_TOKENS:
                self._actors.clear()
            self._actors[token] = actor
        return actor

    def workspace(self, actor: str, *, write: bool = False) -> Workspace:
        if self._policy is None:
            self._policy = compiled_policy(self.store)
        return Workspace(self.store, actor, self.now, write=write, policy=self._policy)

    def _fresh(self) -> None:
        """Forget the kept actors and policy if another program committed
        anything since they were known (a token revoked, a policy applied):
        SQLite's data_version changes with every other connection's commit.
        This server's own requests revoke no token and apply no policy.
        PostgreSQL has no such counter: there nothing is kept."""
        if self.store.postgres:
            self._actors.clear()
            self._policy = None
            return
        seen = self.store.db.execute("PRAGMA data_version").fetchone()[0]
        if seen != self._seen:
            self._seen = seen
            self._actors.clear()
            self._policy = None

    def who(self, request: Request) -> Reply:
        """The token's actor as a reply (for the page, which renders elsewhere)."""
        return self._answering(lambda: Reply(200, b"", self.actor(request.token)))

    def read(self, request: Request, work: Callable[[Workspace], Answer]) -> Reply:
        """A GET: `work` on one snapshot of the database."""
        def run() -> Reply:
            ws = self.workspace(self.actor(request.token))
            with self.store.snapshot():
                answer = work(ws)
            return Reply(answer.status, encode(answer.value), answer.value)

        return self._answering(run)

    def write(self, request: Request, work: Callable[[Workspace, bytes], Answer]) -> Reply:
        """A POST or PATCH: `work` is one engine command, one transaction;
        with an Idempotency-Key, the earlier answer or this one kept with it."""
        def run() -> Reply:
            actor = self.actor(request.token)
            ws = self.workspace(actor, write=True)
            if request.key is None:
                answer = work(ws, request.body)
                return Reply(answer.status, encode(answer.value), answer.value)
            check_key(request.key)
            digest = request_digest(request.method, request.path, request.body)
            with self.store.transaction():
                earlier = earlier_answer(self.store, actor, request.key, digest, request.method, request.path)
                if earlier is not None:
                    return Reply(earlier[0], earlier[1].encode("utf-8"), None, replayed=True)
                answer = work(ws, request.body)
                body = encode(answer.value)
                keep_answer(self.store, actor, request.key, digest, answer.status, body.decode("utf-8"),
                            answer.lead, ws.now)
            return Reply(answer.status, body, answer.value)

        return self._answering(run)

    def _answering(self, run: Callable[[], Reply]) -> Reply:
        try:
            self._fresh()
            return run()
        except BatonError as error:
            return refusal(error)
        except sqlite3.Error as error:
            value = {"error": f"{self.store.path}: database error: {error}"}
            return Reply(503, encode(value), value)
        finally:
            self.store.recorded_at = None  # each request's clock is judged afresh
