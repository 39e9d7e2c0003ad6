"""`notify send`: notifications leave the outbox by the policy's channels.

Each pending row whose retry time has come is offered to every destination
the policy's `notify:` block names: the webhook, the file (or stdout), and
one email per recipient with an address. Each destination that accepts is
added to the row's `delivered` list at once, in its own short transaction,
so it is never sent that row again, even after a crash; the row is `sent`
when every destination has accepted. Any failure keeps the row pending and
backs off on the command's clock: one minute, doubling after each failed
try, at most an hour. Delivery is at least once: a crash between a
destination's answer and its transaction sends that one again.
"""

from __future__ import annotations

import datetime as dt
import http.client
import json
import os
import smtplib
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol, TextIO

from .dburl import is_postgres
from .notify_text import email_message
from .oplog import log
from .store import Store
from .times import iso

TIMEOUT_SECONDS = 10
FIRST_RETRY = dt.timedelta(minutes=1)
LONGEST_RETRY = dt.timedelta(hours=1)
COLUMNS = ("id, lead, kind, sla, due, owner, recipients, text, created_at, tries, next_try_at, delivered, last_error, "
           "fields")


@dataclass(frozen=True)
class Notification:
    """One outbox row."""

    id: int
    lead: str | None  # None for a notification about no lead (kind `approval`)
    kind: str
    sla: str | None
    due: str | None
    owner: str | None
    recipients: tuple[str, ...]
    text: str
    created_at: str
    tries: int
    next_try_at: str
    delivered: tuple[str, ...]
    last_error: str | None
    # kind `assigned`: the lead's fields for the rep's first call, in the policy's order
    fields: dict[str, Any] | None = None

    @classmethod
    def from_row(cls, row: tuple[Any, ...]) -> Notification:
        values = list(row)
        values[6] = tuple(json.loads(values[6]))
        values[11] = tuple(json.loads(values[11]))
        values[13] = None if values[13] is None else json.loads(values[13])
        return cls(*values)

    def body(self) -> dict[str, Any]:
        """What every channel carries: the webhook's JSON, the file's line."""
        body: dict[str, Any] = {
            "id": self.id, "lead": self.lead, "kind": self.kind, "sla": self.sla, "due": self.due,
            "owner": self.owner, "recipients": list(self.recipients), "text": self.text,
            "created_at": self.created_at,
        }
        if self.fields is not None:
            body["fields"] = self.fields
        return body


def retry_delay(failed_tries: int) -> dt.timedelta:
    """1 minute after the first failure, doubling after each, at most an hour."""
    return min(FIRST_RETRY * (1 << min(failed_tries - 1, 16)), LONGEST_RETRY)


class DeliveryFailed(Exception):
    """A destination did not accept; `unreachable` when it could not be reached at all."""

    def __init__(self, reason: str, *, unreachable: bool = False):
        super().__init__(reason)
        self.reason = reason
        self.unreachable = unreachable


class Destination(Protocol):
    @property
    def name(self) -> str:
        """What `delivered` records: webhook, file, email:ACTOR."""

    @property
    def channel(self) -> str:
        """The channel; one found unreachable is not tried again in the same run."""

    def deliver(self, note: Notification) -> None: ...


# -- the channels ---------------------------------------------------------------
class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirected POST would arrive as a GET without its body: refuse it."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_http = urllib.request.build_opener(_NoRedirects)


@dataclass(frozen=True)
class Webhook:
    url: str
    name: str = "webhook"
    channel: str = "webhook"

    def deliver(self, note: Notification) -> None:
        request = urllib.request.Request(
            self.url, data=json.dumps(note.body(), ensure_ascii=False).encode(), method="POST",
            headers={"Content-Type": "application/json; charset=utf-8", "User-Agent": "baton"},
        )
        try:
            with _http.open(request, timeout=TIMEOUT_SECONDS) as response:
                status = response.status
        except urllib.error.HTTPError as error:
            status = error.code
        except urllib.error.URLError as error:
            why = getattr(error.reason, "strerror", None) or str(error.reason)
            raise DeliveryFailed(f"cannot reach {self.url}: {why}", unreachable=True) from None
        except TimeoutError:
            raise DeliveryFailed(f"{self.url} did not answer within {TIMEOUT_SECONDS} seconds", unreachable=True) from None
        except (http.client.HTTPException, OSError) as error:
            raise DeliveryFailed(f"{self.url} broke off the answer: {error}") from None
        if not 200 <= status < 300:
            phrase = http.client.responses.get(status, "")
            raise DeliveryFailed(f"{self.url} answered {status} {phrase}".rstrip())


@dataclass(frozen=True)
class JsonLines:
    """Appends one JSON line per notification; `-` is standard output."""

    path: str
    stdout: TextIO
    name: str = "file"
    channel: str = "file"

    def deliver(self, note: Notification) -> None:
        line = json.dumps(note.body(), ensure_ascii=False) + "\n"
        try:
            if self.path == "-":
                self.stdout.write(line)
                self.stdout.flush()
                return
            with open(self.path, "a+b") as handle:
                end = handle.seek(0, os.SEEK_END)
                torn = end > 0 and os.pread(handle.fileno(), 1, end - 1) != b"\n"  # a crash cut the last line short
                handle.write(b"\n" * torn + line.encode())  # so ours starts a line of its own
                handle.flush()
                os.fsync(handle.fileno())
        except OSError as error:
            raise DeliveryFailed(f"cannot write {self.path}: {error.strerror or error}") from None


@dataclass(frozen=True)
class Email:
    server: str
    sender: str
    actor: str
    address: str
    channel: str = "email"

    @property
    def name(self) -> str:
        return f"email:{self.actor}"

    def deliver(self, note: Notification) -> None:
        host, _, port = self.server.strip().rpartition(":")  # checked with the policy: host:port
        try:
            with smtplib.SMTP(host.strip("[]"), int(port), timeout=TIMEOUT_SECONDS) as smtp:
                smtp.send_message(email_message(note, self.sender, self.address))
        except smtplib.SMTPRecipientsRefused as error:
            code, said = error.recipients.get(self.address, (0, b""))
            raise DeliveryFailed(f"{self.server} refused {self.address}: {code} {said.decode(errors='replace')}") from None
        except smtplib.SMTPResponseException as error:
            reply = error.smtp_error
            answer = reply.decode(errors="replace") if isinstance(reply, bytes) else str(reply)
            raise DeliveryFailed(f"{self.server} answered {error.smtp_code} {answer}") from None
        except smtplib.SMTPException as error:
            raise DeliveryFailed(f"{self.server}: {error}") from None
        except OSError as error:
            why = error.strerror or str(error) or type(error).__name__
            raise DeliveryFailed(f"cannot reach the mail server {self.server}: {why}", unreachable=True) from None


@dataclass(frozen=True)
class Channels:
    """The policy's `notify:` block, ready to deliver."""

    webhook: str | None
    file: str | None
    email: dict[str, Any] | None
    stdout: TextIO

    @classmethod
    def of(cls, notify: dict[str, Any] | None, db_path: str, stdout: TextIO) -> Channels | None:
        if not notify:
            return None
        path = notify.get("file")
        if path is not None and path != "-":
            # relative to the database file (PostgreSQL's: the working folder), so cron, serve and a person write one file
            base = os.getcwd() if is_postgres(db_path) else os.path.dirname(os.path.abspath(db_path))
            path = os.path.join(base, os.path.expanduser(path))
        return cls(notify.get("webhook"), path, notify.get("email"), stdout)

    @property
    def writes_stdout(self) -> bool:
        return self.file == "-"

    def destinations(self, note: Notification) -> list[Destination]:
        found: list[Destination] = []
        if self.webhook:
            found.append(Webhook(self.webhook))
        if self.file:
            found.append(JsonLines(self.file, self.stdout))
        if self.email:
            addresses = self.email.get("to") or {}
            found.extend(
                Email(str(self.email["server"]), self.email["from"], actor, addresses[actor])
                for actor in note.recipients if actor in addresses
            )
        return found


# -- sending ----------------------------------------------------------------------
@dataclass
class Attempt:
    """What one row's delivery came to in this run."""

    note: Notification
    status: str
    accepted: list[str]
    failed: dict[str, str]
    tries: int
    next_try_at: str | None
    sent_at: str | None

    def as_json(self) -> dict[str, Any]:
        note = self.note
        return {
            "id": note.id, "lead": note.lead, "kind": note.kind, "sla": note.sla, "recipients": list(note.recipients),
            "status": self.status, "accepted": self.accepted, "failed": self.failed, "tries": self.tries,
            "next_try_at": self.next_try_at, "sent_at": self.sent_at,
        }


@dataclass
class SendReport:
    configured: bool
    writes_stdout: bool = False
    attempts: list[Attempt] = field(default_factory=list)
    pending: list[Notification] = field(default_factory=list)

    @property
    def sent(self) -> int:
        return sum(1 for a in self.attempts if a.status == "sent")


def send_due(store: Store, notify: dict[str, Any] | None, now: dt.datetime, stdout: TextIO,
             should_stop: Callable[[], bool] | None = None) -> SendReport:
    """Deliver every pending row due by `now`; then list what is still pending."""
    from .schema import ensure_outbox_fields

    ensure_outbox_fields(store)  # a database made before `assigned` rows: the rows are read with their fields
    channels = Channels.of(notify, store.path, stdout)
    report = SendReport(configured=channels is not None, writes_stdout=bool(channels and channels.writes_stdout))
    if channels is not None:
        unreachable: dict[str, str] = {}
        for note in _select(store, "status = 'pending' AND next_try_at <= ? ORDER BY next_try_at, id", (iso(now),)):
            if should_stop is not None and should_stop():
                break
            report.attempts.append(_attempt(store, channels, note, now, unreachable))
    report.pending = pending(store)
    return report


def pending(store: Store) -> list[Notification]:
    return _select(store, "status = 'pending' ORDER BY next_try_at, id", ())


def _select(store: Store, where: str, params: tuple[Any, ...]) -> list[Notification]:
    rows = store.db.execute(f"SELECT {COLUMNS} FROM outbox WHERE {where}", params).fetchall()
    return [Notification.from_row(row) for row in rows]


def _attempt(store: Store, channels: Channels, note: Notification, now: dt.datetime,
             unreachable: dict[str, str]) -> Attempt:
    destinations = channels.destinations(note)
    accepted, failed = [], {}
    for destination in destinations:
        if destination.name in note.delivered:
            continue
        if destination.channel in unreachable:
            # not tried again in this run: a server that is down would make every row wait for its timeout
            failed[destination.name] = unreachable[destination.channel]
            continue
        try:
            destination.deliver(note)
        except DeliveryFailed as failure:
            failed[destination.name] = failure.reason
            if failure.unreachable:
                unreachable[destination.channel] = failure.reason
            continue
        except Exception as error:  # noqa: BLE001 -- one odd row must not stop the outbox (or serve) for good
            log("error", "delivery crashed", outbox_id=note.id, destination=destination.name, error=repr(error))
            failed[destination.name] = f"unexpected error: {error!r}"
            continue
        with store.transaction():
            _add_delivered(store, note.id, destination.name)
        accepted.append(destination.name)
    with store.transaction():
        return _settle(store, note, [d.name for d in destinations], accepted, failed, now)


def _add_delivered(store: Store, row_id: int, name: str) -> None:
    (delivered,) = store.db.execute("SELECT delivered FROM outbox WHERE id = ?", (row_id,)).fetchone()
    names = json.loads(delivered)
    if name not in names:
        store.db.execute("UPDATE outbox SET delivered = ? WHERE id = ?", (json.dumps([*names, name]), row_id))


def _settle(store: Store, note: Notification, needed: list[str], accepted: list[str],
            failed: dict[str, str], now: dt.datetime) -> Attempt:
    """Inside a transaction: sent when every destination has accepted, else back off."""
    status, tries, delivered, sent_at = store.db.execute(
        "SELECT status, tries, delivered, sent_at FROM outbox WHERE id = ?", (note.id,)
    ).fetchone()
    if status == "sent":  # another sender finished it meanwhile
        return Attempt(note, status, accepted, failed, tries, None, sent_at)
    if set(needed) <= set(json.loads(delivered)):
        store.db.execute("UPDATE outbox SET status = 'sent', sent_at = ? WHERE id = ?", (iso(now), note.id))
        return Attempt(note, "sent", accepted, failed, tries, None, iso(now))
    tries += 1
    next_try_at = iso(now + retry_delay(tries))
    last_error = "; ".join(f"{name}: {reason}" for name, reason in failed.items())
    store.db.execute(
        "UPDATE outbox SET tries = ?, next_try_at = ?, last_error = ? WHERE id = ?",
        (tries, next_try_at, last_error, note.id),
    )
    return Attempt(note, "pending", accepted, failed, tries, next_try_at, None)
