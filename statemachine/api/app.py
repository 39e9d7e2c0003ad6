"""The Starlette application: routes, request bodies, the events long poll.

The HTTP side only reads what arrives (a body of at most MAX_REQUEST_BYTES,
the token, the Idempotency-Key) and hands the database work to the
`Backend`, one request at a time, in the event loop (on the backend's
thread only when another program holds the database). Everything it answers is what the backend replied.
Starlette is imported here, and this module only by `server.py`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from typing import Any

from starlette.applications import Starlette
from starlette.convertors import StringConvertor, register_url_convertor
from starlette.requests import ClientDisconnect
from starlette.requests import Request as HttpRequest
from starlette.responses import Response
from starlette.routing import Route, request_response

from ..errors import BatonError
from . import endpoints
from .backend import Backend, Reply, Request, encode, refusal
from .raw import (
    LEAD_ID,
    SERVER_FAULT,
    ByMethod,
    ClientGone,
    FrontDoor,
    Work,
    Write,
    bearer_token,
    receive_body,
    reply_headers,
)
from .statuses import NotFound


class LeadIdConvertor(StringConvertor):
    """`{lead_id:lead}`: a lead id, slashes and all (see raw.LEAD_ID)."""

    regex = LEAD_ID


register_url_convertor("lead", LeadIdConvertor())

MAX_WAIT_SECONDS = 60.0  # the longest long poll of GET /v1/events
POLL_SECONDS = 0.25  # how often a long poll looks for events other programs wrote


class Api:
    """The app's state: the backend, its thread, and the long polls' wake-up."""

    def __init__(self, db: str, now: str | None, stopping: Callable[[], bool]):
        self.backend = Backend(db, now)
        self.stopping = stopping
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="baton-db")
        self.changed: asyncio.Event | None = None
        self.turn: asyncio.Lock | None = None  # one request at a time on the one connection

    async def call(self, function: Callable[..., Any], *args: Any) -> Any:
        """A read or a write (a Backend method): in the event loop, one request
        at a time on the one connection, where it waits for no lock: handing
        it to a thread and back would cost more than its commit's wait for
        the disk. Should another program hold the database (the reply says
        `busy`, and nothing was written), it runs again on the backend's
        thread, which waits for the lock as any command would while the
        event loop goes on serving."""
        assert self.turn is not None
        async with self.turn:
            reply = function(*args)
            if isinstance(reply, Reply) and reply.busy:
                reply = await self._on_thread(function, args)
            return reply

    async def _on_thread(self, function: Callable[..., Reply], args: tuple[Any, ...]) -> Reply:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.executor, self.backend.patiently, function, args)

    async def write(self, request: Request, work: Callable[[Any, bytes], endpoints.Answer]) -> Reply:
        reply: Reply = await self.call(self.backend.write, request, work)
        if reply.status < 300 and not reply.replayed and self.changed is not None:
            self.changed.set()  # wake the long polls
            self.changed.clear()
        return reply

    async def read(self, http: HttpRequest, work: Callable[..., endpoints.Answer]) -> Reply:
        request = Request(http.method, http.scope["path"], bearer(http))
        reply: Reply = await self.call(self.backend.read, request, work)
        return reply


def bearer(http: HttpRequest) -> str | None:
    return bearer_token(http.headers.get("authorization"))


async def read_body(http: HttpRequest) -> bytes:
    """The body, refused (TooLarge) as soon as it passes the limit."""
    try:
        return await receive_body(http.headers.get("content-length"), http.receive)
    except ClientGone:
        raise ClientDisconnect() from None


def respond(reply: Reply) -> Response:
    """A reply as Starlette's Response: the same status, body and headers a `raw.Write` sends."""
    return Response(reply.body, reply.status, {k.decode(): v.decode() for k, v in reply_headers(reply)[2:]},
                    media_type="application/json")


def api(http: HttpRequest) -> Api:
    state: Api = http.app.state.api
    return state


# -- routes ---------------------------------------------------------------------------
# The writes are `raw.Write` apps (built in `build_app`), each a function of
# the path's parameters giving the engine call on the Workspace and body.
def add_work(params: dict[str, str]) -> Work:
    return endpoints.add


def change_work(params: dict[str, str]) -> Work:
    return lambda ws, body: endpoints.change(ws, params["lead_id"], body)


def advance_work(params: dict[str, str]) -> Work:
    return lambda ws, body: endpoints.advance(ws, params["lead_id"], body)


def attempt_work(params: dict[str, str]) -> Work:
    return lambda ws, body: endpoints.attempt(ws, params["lead_id"], body)


def intake_work(params: dict[str, str]) -> Work:
    return lambda ws, body: endpoints.intake(ws, params["name"], body)


async def leads(http: HttpRequest) -> Response:
    given = http.query_params.multi_items()
    return respond(await api(http).read(http, lambda ws: endpoints.listing(ws, endpoints.once_each(given))))


async def lead(http: HttpRequest) -> Response:
    lead_id = http.path_params["lead_id"]
    return respond(await api(http).read(http, lambda ws: endpoints.show(ws, lead_id)))


async def events(http: HttpRequest) -> Response:
    """GET /v1/events?after=SEQ[&limit=N][&wait=SECONDS]: the events after SEQ,
    oldest first; with `wait`, an empty answer waits up to SECONDS for one."""
    try:
        query = endpoints.once_each(http.query_params.multi_items())
        endpoints.known_query(query, ("after", "limit", "wait"))
        after = endpoints.whole_number(query, "after", 0)
        limit = max(1, endpoints.whole_number(query, "limit", endpoints.MAX_EVENTS, endpoints.MAX_EVENTS))
        wait = min(float(endpoints.whole_number(query, "wait", 0)), MAX_WAIT_SECONDS)
    except BatonError as error:
        return respond(refusal(error))
    state = api(http)
    deadline = time.monotonic() + wait
    while True:
        reply = await state.read(http, lambda ws: endpoints.Answer(200, endpoints.events_after(ws, after, limit)))
        left = deadline - time.monotonic()
        if reply.status != 200 or reply.value or left <= 0 or state.stopping():
            return respond(reply)
        assert state.changed is not None
        try:
            await asyncio.wait_for(state.changed.wait(), timeout=min(left, POLL_SECONDS))
        except TimeoutError:
            pass  # look again: another program (the CLI, the sweep) may have written


async def openapi(http: HttpRequest) -> Response:
    from .openapi import document

    return respond(await api(http).read(http, lambda ws: endpoints.Answer(200, document(ws.policy))))


async def not_found(http: HttpRequest, error: Exception) -> Response:
    """404 and 405 as every other refusal: `{"error": SENTENCE}`."""
    if getattr(error, "status_code", 404) == 405:
        allow = (getattr(error, "headers", None) or {}).get("Allow")
        message = f"{http.url.path} does not take {http.method}" + (f"; it takes {allow}" if allow else "")
        return Response(encode({"error": message}), 405, {"Allow": allow} if allow else {},
                        media_type="application/json")
    return respond(refusal(NotFound(
        f"there is no {http.url.path} here; the API's paths are under /v1 (see GET /v1/openapi.json)")))


async def server_error(http: HttpRequest, error: Exception) -> Response:
    """A bug, not a refusal: JSON all the same; uvicorn logs the traceback."""
    return Response(encode({"error": SERVER_FAULT}), 500, media_type="application/json")


def build_app(db: str, now: str | None, stopping: Callable[[], bool] = lambda: False) -> FrontDoor:
    """The API on database `db`; `now` is `serve --now` (None: the wall clock);
    `stopping` says when the server drains, so long polls answer at once.
    The writes go through the front door to their `raw.Write` straight away;
    Starlette routes the rest (and the writes, should a path not match)."""
    from .page import login, logout, page

    state = Api(db, now, stopping)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        state.changed, state.turn = asyncio.Event(), asyncio.Lock()
        state.backend.open()
        try:
            yield
        finally:
            async with state.turn:
                state.executor.shutdown(wait=True)
                state.backend.close()

    writes = [
        ("POST", "/v1/leads", Write(state, add_work)),
        ("PATCH", "/v1/leads/{lead_id:lead}", Write(state, change_work)),
        ("POST", "/v1/leads/{lead_id:lead}/advance", Write(state, advance_work)),
        ("POST", "/v1/leads/{lead_id:lead}/attempts", Write(state, attempt_work)),
        ("POST", "/v1/intake/{name}", Write(state, intake_work)),
    ]
    add, change, fire, attempt, intake = (write for _, _, write in writes)
    routes = [
        Route("/v1/leads", ByMethod(GET=request_response(leads), POST=add), methods=["GET", "POST"]),
        Route("/v1/leads/{lead_id:lead}", ByMethod(GET=request_response(lead), PATCH=change), methods=["GET", "PATCH"]),
        Route("/v1/leads/{lead_id:lead}/advance", fire, methods=["POST"]),
        Route("/v1/leads/{lead_id:lead}/attempts", attempt, methods=["POST"]),
        Route("/v1/intake/{name}", intake, methods=["POST"]),
        Route("/v1/events", events, methods=["GET"]),
        Route("/v1/openapi.json", openapi, methods=["GET"]),
        Route("/", page, methods=["GET"]),
        Route("/login", login, methods=["POST"]),
        Route("/logout", logout, methods=["POST"]),
    ]
    app = Starlette(routes=routes, lifespan=lifespan, exception_handlers={404: not_found, 405: not_found, Exception: server_error})
    app.state.api = state
    return FrontDoor(app, writes)
