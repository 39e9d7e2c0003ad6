"""The receivers of tests/test_crash_safety.py: a webhook (a real HTTP server)
and a mail server (aiosmtpd), both on loopback, that keep every delivery they
get as (outbox id, destination, answered) and kill the sender at a chosen
one: before answering it, just after answering it, or after answering it
while the test holds the database's write lock, so that the sender cannot
record the delivery before it dies (the cut, made certain rather than left
to timing)."""

from __future__ import annotations

import asyncio
import email
import email.policy
import json
import os
import select
import signal
import sqlite3
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP
from test_notify import free_port

WAIT_SECONDS = 30.0
SMTP_KILL_DELAY = 0.05  # the 250 leaves after handle_DATA returns: kill a moment later


@dataclass(frozen=True)
class Kill:
    """Where one run is killed. `ms`: `count` milliseconds after it started.
    `events`, `marks`: once the log's last seq, or the number of destinations
    recorded in the outbox, reaches `count`.
    `delivery`: at the `count`th delivery the receivers get in the run (of
    `channel` only, when given), before answering it (`answer` "none"), after
    answering ("free"), or after answering with the write lock held ("held")."""

    when: str
    count: int
    answer: str = "none"
    channel: str | None = None


@dataclass
class Delivery:
    id: int | None  # None: it carried no id
    destination: str  # webhook, email:ACTOR
    body: dict[str, Any]  # the webhook's JSON; an email's To, Subject and text
    answered: bool = False


@dataclass
class Deliveries:
    """What both receivers got in this test, and the kill of the current run."""

    actors: dict[str, str]  # email address -> actor
    got: list[Delivery] = field(default_factory=list)
    cut_off: int = 0  # bodies that never arrived whole (their sender died mid-way)
    kill: Kill | None = None
    db: Path | None = None
    victim: int | None = None
    count: int = 0
    lock_holder: sqlite3.Connection | None = None
    connections: int = 0  # that the receivers are still serving
    _kill_after_answer: Delivery | None = None
    _guard: threading.Lock = field(default_factory=threading.Lock)

    def arm(self, kill: Kill | None, db: Path) -> None:
        self.kill, self.db, self.victim, self.count = kill, db, None, 0

    def accepted(self) -> list[Delivery]:
        return [delivery for delivery in self.got if delivery.answered]

    def arrive(self, delivery: Delivery) -> bool:
        """Keep `delivery`; False when the sender was killed instead of answered."""
        with self._guard:
            self.got.append(delivery)
            kill = self.kill
            if kill is None or kill.when != "delivery" or not delivery.destination.startswith(kill.channel or ""):
                return True
            self.count += 1
            if self.count != kill.count:
                return True
            if kill.answer == "none":
                os.kill(self._victim(), signal.SIGKILL)
                return False
            if kill.answer == "held":
                assert self.db is not None
                self.lock_holder = sqlite3.connect(self.db, isolation_level=None, timeout=10, check_same_thread=False)
                self.lock_holder.execute("BEGIN IMMEDIATE")
            self._kill_after_answer = delivery
            return True

    def answered(self, delivery: Delivery) -> int | None:
        """The answer is out; the pid to kill now, if this was the chosen one."""
        with self._guard:
            delivery.answered = True
            if self._kill_after_answer is not delivery:
                return None
            self._kill_after_answer = None
            return self._victim()

    def kill_if_running(self, victim: int) -> None:
        with self._guard:
            if self.victim == victim:  # not yet reaped by the test
                os.kill(victim, signal.SIGKILL)

    def opened(self, change: int) -> None:
        with self._guard:
            self.connections += change

    def release(self, listening: list[Any]) -> None:
        """After the run (its process gone): wait until the receivers have
        served every connection it made, then give the write lock back."""
        deadline = time.monotonic() + WAIT_SECONDS
        while self.connections or select.select(listening, [], [], 0)[0]:
            assert time.monotonic() < deadline, "the receivers are still busy with a dead sender"
            time.sleep(0.001)
        with self._guard:
            self.victim = None
        if self.lock_holder is not None:
            self.lock_holder.execute("ROLLBACK")
            self.lock_holder.close()
            self.lock_holder = None

    def _victim(self) -> int:
        """The sender's pid (set just after it started, long before its first delivery)."""
        deadline = time.monotonic() + WAIT_SECONDS
        while self.victim is None:
            assert time.monotonic() < deadline, "the sender's pid was never set"
            time.sleep(0.001)
        return self.victim


class _CountingServer(ThreadingHTTPServer):
    """Counts the connections it serves, from accept to close."""

    deliveries: Deliveries

    def process_request(self, request: Any, client_address: Any) -> None:
        self.deliveries.opened(+1)
        super().process_request(request, client_address)

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self.deliveries.opened(-1)


class Webhook:
    def __init__(self, deliveries: Deliveries) -> None:
        self.url = f"http://127.0.0.1:{free_port()}/baton"
        port = int(self.url.split(":")[2].split("/")[0])
        self._server = _CountingServer(("127.0.0.1", port), self._handler(deliveries))
        self._server.deliveries = deliveries
        self.socket = self._server.socket
        threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True).start()

    @staticmethod
    def _handler(deliveries: Deliveries) -> type[BaseHTTPRequestHandler]:
        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers["Content-Length"]))
                try:
                    body = json.loads(raw)
                except ValueError:
                    deliveries.cut_off += 1
                    return
                delivery = Delivery(body.get("id"), "webhook", body)
                if not deliveries.arrive(delivery):
                    return
                try:
                    self.send_response(200)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    self.wfile.flush()
                except OSError:  # the sender is gone: the answer never left
                    return
                victim = deliveries.answered(delivery)
                if victim is not None:
                    os.kill(victim, signal.SIGKILL)

            def log_message(self, *args: Any) -> None:
                pass

        return Handler

    def down(self) -> None:
        self._server.shutdown()
        self._server.server_close()


class _CountingSession(SMTP):
    """Counts its connection while it lasts: a message a dead sender left
    in the socket is handled, or dropped, before the connection is lost."""

    def __init__(self, handler: Mail, **kwargs: Any) -> None:
        super().__init__(handler, **kwargs)
        self.deliveries = handler.deliveries

    def connection_made(self, transport: Any) -> None:
        self.deliveries.opened(+1)
        super().connection_made(transport)

    def connection_lost(self, error: Exception | None) -> None:
        super().connection_lost(error)
        self.deliveries.opened(-1)


class _CountingController(Controller):
    def factory(self) -> SMTP:
        return _CountingSession(self.handler, **self.SMTP_kwargs)


class Mail:
    """aiosmtpd: one delivery per accepted message, its id from X-Baton-Notification."""

    def __init__(self, deliveries: Deliveries) -> None:
        self.deliveries = deliveries
        self._controller = _CountingController(self, hostname="127.0.0.1", port=free_port())
        self._controller.start()
        self.server = f"127.0.0.1:{self._controller.port}"
        assert isinstance(self._controller.server, asyncio.Server)
        self.socket = self._controller.server.sockets[0]

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        number = str(message["X-Baton-Notification"] or "")
        body = {"to": str(message["To"]), "subject": str(message["Subject"]), "text": message.get_content()}
        delivery = Delivery(int(number) if number.isdigit() else None, f"email:{self.deliveries.actors[body['to']]}",
                            body)
        if not self.deliveries.arrive(delivery):
            return "451 4.3.0 gone"
        victim = self.deliveries.answered(delivery)
        if victim is not None:
            asyncio.get_running_loop().call_later(SMTP_KILL_DELAY, self.deliveries.kill_if_running, victim)
        return "250 Message accepted"

    def down(self) -> None:
        self._controller.stop()


class Receivers:
    """The webhook and the mail server, keeping one record of deliveries."""

    def __init__(self, addresses: dict[str, str]) -> None:
        self.got = Deliveries({address: actor for actor, address in addresses.items()})
        self.webhook, self.mail = Webhook(self.got), Mail(self.got)

    def release(self) -> None:
        """After a run: every connection of the dead sender served, the write lock given back."""
        self.got.release([self.webhook.socket, self.mail.socket])

    def down(self) -> None:
        self.webhook.down()
        self.mail.down()
