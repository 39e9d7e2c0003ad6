"""The API's writes as bare ASGI apps, and the front door that sends them
their requests before Starlette sees them.

A write (POST or PATCH) is most of what integrations send, and Starlette's
middleware, router, Request and Response cost as much CPU as the engine's
own work on a lead. A `Write` reads the ASGI scope and messages itself: the
path's parameters, the token, the Idempotency-Key, the body (refused past
MAX_REQUEST_BYTES), and answers with the backend's reply, the same bytes,
status and headers `app.respond` gives. Starlette still routes the same
`Write` for anything the front door does not recognise, so a wrong method
gets its 405 and every other path its 404 as before.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, MutableMapping
from typing import TYPE_CHECKING, Any

from ..errors import BadArgument, BatonError
from ..limits import MAX_REQUEST_BYTES
from .backend import Reply, Request, encode, refusal
from .statuses import TooLarge

if TYPE_CHECKING:
    from .app import Api
    from .endpoints import Answer

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
AsgiApp = Callable[[Scope, Receive, Send], Awaitable[None]]
Work = Callable[[Any, bytes], "Answer"]

SERVER_FAULT = ("Baton failed on this request: a fault of Baton's, not of the request; the server's log "
                "says what happened (a change is written whole or not at all)")


class ClientGone(Exception):
    """The client closed the connection before its body arrived whole."""


def header(scope: Scope, name: bytes) -> str | None:
    """A request header's value (the first, as Starlette's `headers.get`), by its lower-case name."""
    for key, value in scope["headers"]:
        if key == name:
            return str(value.decode("latin-1"))
    return None


def bearer_token(authorization: str | None) -> str | None:
    scheme, _, token = (authorization or "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else None


async def receive_body(length: str | None, receive: Receive) -> bytes:
    """The body, refused (TooLarge) as soon as it passes the limit."""
    if length is not None and length.isdigit() and int(length) > MAX_REQUEST_BYTES:
        raise too_large(int(length))
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientGone
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_REQUEST_BYTES:
            raise too_large(size)
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def too_large(size: int) -> TooLarge:
    return TooLarge(f"the request body is {size:,} bytes or more, over the limit of 1 MB "
                    f"({MAX_REQUEST_BYTES:,} bytes); send one lead's values at a time")


def reply_headers(reply: Reply) -> list[tuple[bytes, bytes]]:
    """What `app.respond` sends with a reply (the length and the type as Starlette's Response does)."""
    headers = [(b"content-length", str(len(reply.body)).encode("ascii")), (b"content-type", b"application/json")]
    if reply.replayed:
        headers.append((b"idempotent-replayed", b"true"))
    if reply.status == 401:
        headers.append((b"www-authenticate", b'Bearer realm="baton"'))
    return headers


async def send_reply(send: Send, reply: Reply) -> None:
    await send({"type": "http.response.start", "status": reply.status, "headers": reply_headers(reply)})
    await send({"type": "http.response.body", "body": reply.body})


def no_query(method: str, path: str, query: bytes) -> Work:
    """A write given a query string: refused (422, once the token is known), for
    `POST /v1/leads?id=W-1` would otherwise make a lead without the id it names."""
    from urllib.parse import parse_qsl

    names = dict.fromkeys(name for name, _ in parse_qsl(query.decode("latin-1"), keep_blank_values=True))
    asked = ", ?".join(names) or query.decode("latin-1")

    def refuse(ws: Any, body: bytes) -> Answer:
        raise BadArgument(f"{method} {path} does not take ?{asked}; send its values in the JSON body, "
                          "as GET /v1/openapi.json describes")

    return refuse


class Write:
    """One write endpoint: `work(path_params)` gives the engine call for its
    Workspace and body; the Api runs it (one transaction) and wakes the long
    polls when it changed something."""

    def __init__(self, api: Api, work: Callable[[dict[str, str]], Work]):
        self.api, self.work = api, work

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            try:
                body = await receive_body(header(scope, b"content-length"), receive)
            except BatonError as error:
                await send_reply(send, refusal(error))
                return
            request = Request(scope["method"], scope["path"], bearer_token(header(scope, b"authorization")),
                              header(scope, b"idempotency-key"), body)
            work = self.work(scope.get("path_params", {}))
            if scope.get("query_string"):
                work = no_query(scope["method"], scope["path"], scope["query_string"])
            reply = await self.api.write(request, work)
        except ClientGone:
            return  # nothing was written: the body never came whole, and no one is there to answer
        except Exception:
            # A bug, not a refusal: logged with its traceback as uvicorn logs one, answered in JSON.
            logging.getLogger("uvicorn.error").exception("Exception in ASGI application")
            await send_reply(send, Reply(500, encode({"error": SERVER_FAULT})))
            return
        await send_reply(send, reply)


class FrontDoor:
    """Sends each write whose method and path it knows straight to its
    `Write`; every other request (and the lifespan) to Starlette."""

    def __init__(self, app: AsgiApp, writes: list[tuple[str, str, Write]]):
        self.app = app
        self.writes = [(method, re.compile(_pattern(path)), write) for method, path, write in writes]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            method, path = scope["method"], scope["path"]
            for takes, pattern, write in self.writes:
                if method == takes:
                    found = pattern.fullmatch(path)
                    if found is not None:
                        scope["path_params"] = found.groupdict()
                        await write(scope, receive, send)
                        return
        await self.app(scope, receive, send)


# A lead id may hold a slash (`lead import` takes `ACME/7`; a client writes it
# `ACME%2F7` or as is), so `{lead_id:lead}` takes any text but one ending in a
# lead's own sub-path, which `/v1/leads/{lead_id:lead}/advance` and `/attempts` keep.
LEAD_ID = r".+(?<!/advance)(?<!/attempts)"


def _pattern(path: str) -> str:
    """A Starlette route path ("/v1/leads/{lead_id:lead}") as the regex its
    `{name}` (a str convertor: no slash) or `{name:lead}` (LEAD_ID) matches."""
    plain = re.escape(path).replace(r"\{", "{").replace(r"\}", "}")
    return re.sub(r"\{(\w+)(:lead)?\}", lambda m: f"(?P<{m[1]}>{LEAD_ID if m[2] else '[^/]+'})", plain)


class ByMethod:
    """One Starlette route's apps by method (HEAD as GET), for a path that
    reads with GET and writes with another method; Starlette has already
    answered 405 to any method the route does not take."""

    def __init__(self, **apps: AsgiApp):
        self.apps = apps
        if "GET" in apps:
            self.apps.setdefault("HEAD", apps["GET"])

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.apps[scope["method"]](scope, receive, send)
