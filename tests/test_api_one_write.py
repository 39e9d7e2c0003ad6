"""The API's uvicorn protocol writes a response's head with its body, in one
write to the socket, and otherwise sends what plain uvicorn sends: the same
bytes in the same order, a streamed body after the head, a connection closed
when it should be. A uvicorn whose internals it was not read against gets
plain uvicorn. (The API tests run it for real, behind `baton serve --http`.)"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest
import uvicorn
from uvicorn.protocols.http.flow_control import FlowControl
from uvicorn.protocols.http.httptools_impl import RequestResponseCycle

from statemachine.api.one_write import OneWriteCycle, OneWriteProtocol, protocol

BODY = b'{"id": "L-1"}'
HEAD = b"HTTP/1.1 200 OK\r\ncontent-length: 13\r\ncontent-type: application/json\r\n\r\n"


class Socket:
    """A transport that records each write, and whether it was closed."""

    def __init__(self) -> None:
        self.writes: list[bytes] = []
        self.closed = False

    def write(self, data: bytes) -> None:
        self.writes.append(bytes(data))

    def close(self) -> None:
        self.closed = True

    def is_closing(self) -> bool:
        return self.closed

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass


def make_cycle(cycle_class: type[RequestResponseCycle], socket: Socket, keep_alive: bool = True,
               method: str = "POST") -> RequestResponseCycle:
    """The cycle uvicorn makes for one request, on `socket`, its body already read."""
    cycle = cycle_class(
        scope={"type": "http", "method": method, "path": "/v1/leads/L-1/advance", "headers": []},  # type: ignore[typeddict-item]
        transport=socket, flow=FlowControl(socket), logger=logging.getLogger("uvicorn.error"),  # type: ignore[arg-type]
        access_logger=logging.getLogger("uvicorn.access"), access_log=False, default_headers=[],
        message_event=asyncio.Event(), expect_100_continue=False, keep_alive=keep_alive, on_response=lambda: None,
    )
    cycle.more_body = False
    return cycle


def serve(cycle_class: type[RequestResponseCycle], app: Any, keep_alive: bool = True,
          method: str = "POST") -> Socket:
    """One request through a cycle of `cycle_class`, `app` answering it."""
    socket = Socket()

    async def run() -> None:
        await make_cycle(cycle_class, socket, keep_alive, method).run_asgi(app)

    asyncio.run(run())
    return socket


def answer(*bodies: tuple[bytes, bool], end: bool = True) -> Any:
    """An ASGI app that answers 200 with `bodies` (each its bytes and more_body); none if `end` is False."""
    async def app(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-length", b"13"), (b"content-type", b"application/json")]})
        for body, more in bodies:
            await send({"type": "http.response.body", "body": body, "more_body": more})
        if not end:
            raise RuntimeError("the app failed after starting its answer")
    return app


def test_head_and_body_go_out_in_one_write() -> None:
    plain = serve(RequestResponseCycle, answer((BODY, False)))
    ours = serve(OneWriteCycle, answer((BODY, False)))
    assert plain.writes == [HEAD, BODY]  # what this replaces: two writes, two segments
    assert ours.writes == [HEAD + BODY]
    assert not ours.closed


def test_a_streamed_body_keeps_its_order_with_the_head_on_the_first_part() -> None:
    app = answer((BODY[:5], True), (BODY[5:], True), (b"", False))
    ours = serve(OneWriteCycle, app)
    assert b"".join(ours.writes) == b"".join(serve(RequestResponseCycle, app).writes) == HEAD + BODY
    assert ours.writes[0] == HEAD + BODY[:5]


def test_a_connection_not_kept_alive_is_closed_after_the_whole_answer() -> None:
    ours = serve(OneWriteCycle, answer((BODY, False)), keep_alive=False)
    assert ours.writes == [HEAD.replace(b"\r\n\r\n", b"\r\nconnection: close\r\n\r\n") + BODY]
    assert ours.closed


def test_an_app_failing_after_its_head_sends_the_head_then_closes_as_uvicorn_does() -> None:
    plain = serve(RequestResponseCycle, answer(end=False))
    ours = serve(OneWriteCycle, answer(end=False))
    assert ours.writes == plain.writes == [HEAD]
    assert ours.closed and plain.closed


def test_a_head_request_gets_the_head_alone() -> None:
    ours = serve(OneWriteCycle, answer((b"", False)), method="HEAD")
    assert ours.writes == [HEAD]


def test_a_body_longer_than_its_length_is_refused_as_uvicorn_refuses_it() -> None:
    for cycle_class in (RequestResponseCycle, OneWriteCycle):
        socket = Socket()
        cycle = make_cycle(cycle_class, socket)

        async def send_too_much(cycle: RequestResponseCycle) -> None:
            await cycle.send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"13")]})
            await cycle.send({"type": "http.response.body", "body": BODY + b"!"})

        with pytest.raises(RuntimeError, match="longer than Content-Length"):
            asyncio.run(send_too_much(cycle))
        assert socket.writes == [b"HTTP/1.1 200 OK\r\ncontent-length: 13\r\n\r\n"], cycle_class


def test_the_installed_uvicorn_gets_the_one_write_protocol_and_another_plain_uvicorn() -> None:
    # If this fails after upgrading uvicorn: read its httptools `send` again, then add its version.
    assert protocol(uvicorn.__version__) is OneWriteProtocol
    assert protocol("0.99.0") == "auto"
    assert protocol("0.5.0") == "auto"
