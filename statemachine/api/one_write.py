"""uvicorn's httptools protocol, writing a response's head and the first part
of its body to the socket together.

Plain uvicorn writes the head when the app sends `http.response.start` and
the body when it sends `http.response.body`: two `transport.write` calls, so
two system calls, two TCP segments (asyncio sets TCP_NODELAY) and two
wake-ups of the client's read for every answer. Here the head is held from
`http.response.start` until the app's next message and goes out with it in
one write. Nothing else changes: uvicorn's own `send` still checks the
messages, builds the head, counts the Content-Length and closes the
connection when it should; only where its bytes go differs, for that one
step. An app that starts a response and ends without a body gets its head
written when uvicorn closes the connection, as before.

It leans on two of uvicorn's internals (`HttpToolsProtocol._start_asgi_task`
and `RequestResponseCycle.transport`), so `protocol()` hands it to uvicorn
only when those are there, and plain uvicorn ("auto") otherwise.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol, RequestResponseCycle

# uvicorn's versions whose httptools protocol this was read against; another
# gets plain uvicorn until someone reads its `send` again (a test says so).
KNOWN_UVICORN = ("0.55.",)


class HeldHead(asyncio.Transport):
    """Stands in for a response's transport from its start to the app's next
    message: keeps what uvicorn writes, and sends it in one write."""

    def __init__(self, transport: asyncio.Transport):
        super().__init__()
        self.transport = transport
        self.parts: list[bytes] = []

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.parts.append(bytes(data))

    def flush(self) -> None:
        if self.parts:
            self.transport.write(b"".join(self.parts) if len(self.parts) > 1 else self.parts[0])
            self.parts.clear()

    def close(self) -> None:
        self.flush()
        self.transport.close()

    def is_closing(self) -> bool:
        return self.transport.is_closing()

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return self.transport.get_extra_info(name, default)


class OneWriteCycle(RequestResponseCycle):
    """uvicorn's request-response cycle, its head written with its body."""

    held: HeldHead | None = None

    async def send(self, message: Any) -> None:
        held = self.held
        if held is None:
            if self.response_started or message["type"] != "http.response.start":
                await super().send(message)
                return
            self.held = held = HeldHead(self.transport)
            self.transport = held
            try:
                await super().send(message)  # the head, into `held`
            except BaseException:
                self.transport, self.held = held.transport, None
                raise
            return
        # The app's message after the start (its body): the head goes out with it.
        try:
            await super().send(message)
        finally:
            self.transport, self.held = held.transport, None
            if not self.disconnected:
                held.flush()


class OneWriteProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, each request's cycle a `OneWriteCycle`."""

    def _start_asgi_task(self, cycle: RequestResponseCycle, app: Any) -> None:
        cycle.__class__ = OneWriteCycle
        super()._start_asgi_task(cycle, app)


def protocol(version: str) -> type[asyncio.Protocol] | str:
    """What `uvicorn.Config(http=...)` is given: `OneWriteProtocol` when this
    uvicorn's internals are the ones it was written against, else "auto"."""
    if not f"{version}.".startswith(KNOWN_UVICORN) or not callable(getattr(HttpToolsProtocol, "_start_asgi_task", None)):
        return "auto"
    return OneWriteProtocol
