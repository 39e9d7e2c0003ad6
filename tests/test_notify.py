"""`baton notify send` against real local servers: an HTTP server that records
each POST (and can answer errors, or be down) and an SMTP server (aiosmtpd).
The due clock: a lead enters SQL on Friday 15:00, so its 4 business-hour
`acknowledge` clock is due Monday 10:30; the sweep at 11:00 notifies its
owner (alice) and the sales manager (sam), then gives it to bob."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from textwrap import dedent, indent
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from click.testing import Result
from conftest import DEFAULT_POLICY, Baton, json_lines, query_dicts, to_sql, without_assigned_notices
from test_policy_check import MINIMAL, problems

pytestmark = pytest.mark.both_stores  # every database test here runs on SQLite and on PostgreSQL

FRIDAY_3PM = "2026-11-27T15:00"
SWEEP_AT = "2026-11-30T11:00"
ACK_DUE = "2026-11-30T10:30:00+00:00"
TEXT = f"Lead L-1 missed its 'acknowledge' deadline in SQL (due {ACK_DUE}), owned by alice."


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class LocalWebhook:
    """A real HTTP server on 127.0.0.1 recording every POST. `fail(n, status)`
    makes the next n answers errors; `down()` closes the port, `up()` opens it."""

    def __init__(self) -> None:
        self.posts: list[dict[str, Any]] = []
        self.answers: list[int] = []
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/baton"
        self._server: ThreadingHTTPServer | None = None

    @property
    def accepted(self) -> list[dict[str, Any]]:
        return [post["body"] for post in self.posts if post["status"] < 300]

    def fail(self, times: int, status: int = 500) -> None:
        self.answers = [status] * times

    def up(self) -> None:
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                status = hook.answers.pop(0) if hook.answers else 200
                hook.posts.append({"path": self.path, "type": self.headers["Content-Type"],
                                   "body": body, "status": status})
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True).start()

    def down(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


class MailRecorder:
    """aiosmtpd handler: keeps each accepted message; refuses the addresses in `refuse`."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []
        self.refuse: set[str] = set()

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if address in self.refuse:
            return "550 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 Message accepted"

    def to(self) -> list[str]:
        return [str(message["To"]) for message in self.messages]


def init_with_notify(baton: Baton, tmp_path: Path, notify: str | None) -> None:
    """A database on the default policy plus `notify:` (YAML under it), and
    without `routing: notify:`: the outbox holds the breach rows alone."""
    text = without_assigned_notices(DEFAULT_POLICY.read_text())
    if notify is not None:
        text += "\nnotify:\n" + indent(dedent(notify), "  ")
    policy = tmp_path / "notify-policy.yaml"
    policy.write_text(text)
    result = baton("init", "--policy", str(policy))
    assert result.exit_code == 0, result.stderr


def breach(baton: Baton, lead: str = "L-1") -> None:
    """Put `lead` in SQL on Friday and sweep on Monday: one outbox row."""
    assert to_sql(baton, lead, now=FRIDAY_3PM).exit_code == 0
    assert baton("sla", "sweep", now=SWEEP_AT).exit_code == 0


def send(baton: Baton, now: str | dt.datetime = SWEEP_AT, *options: str) -> Result:
    at = now.isoformat() if isinstance(now, dt.datetime) else now
    return baton(*options, "notify", "send", now=at)


def outbox(db: Path) -> list[dict[str, Any]]:
    rows = query_dicts(db, "SELECT * FROM outbox ORDER BY id")
    for row in rows:
        row["delivered"] = json.loads(row["delivered"])
    return rows


# -- the webhook ------------------------------------------------------------------
def test_a_delivered_notification_is_marked_sent_and_never_sent_again(
        baton: Baton, db_path: Path, tmp_path: Path, webhook: LocalWebhook) -> None:
    init_with_notify(baton, tmp_path, f"webhook: {webhook.url}\n")
    breach(baton)
    result = send(baton)
    assert (result.exit_code, result.stdout, result.stderr) == (
        0, f"#1 L-1 acknowledge: sent (webhook).\nAs of {SWEEP_AT.replace('T', ' ')} GMT: 1 sent, 0 pending.\n", "")
    [post] = webhook.posts
    assert post["path"] == "/baton" and post["type"].startswith("application/json")
    assert post["body"] == {
        "id": 1, "lead": "L-1", "kind": "sla_breach", "sla": "acknowledge", "due": ACK_DUE, "owner": "alice",
        "recipients": ["alice", "sam"], "text": TEXT, "created_at": f"{SWEEP_AT}:00+00:00",
    }
    [row] = outbox(db_path)
    assert (row["status"], row["sent_at"], row["delivered"], row["tries"]) == (
        "sent", f"{SWEEP_AT}:00+00:00", ["webhook"], 0)
    again = send(baton, "2026-11-30T12:00")
    assert (again.exit_code, len(webhook.posts)) == (0, 1)
    assert again.stdout == "As of 2026-11-30 12:00 GMT: 0 sent, 0 pending.\n"


def test_a_down_webhook_is_retried_backing_off_on_the_now_clock_and_never_lost(
        baton: Baton, db_path: Path, tmp_path: Path, webhook: LocalWebhook) -> None:
    init_with_notify(baton, tmp_path, f"webhook: {webhook.url}\n")
    breach(baton)
    webhook.down()
    now = dt.datetime(2026, 11, 30, 11, 0, tzinfo=dt.UTC)
    waits = []
    for tries in range(1, 9):
        assert send(baton, now).exit_code == 1
        [row] = outbox(db_path)
        retry_at = dt.datetime.fromisoformat(row["next_try_at"])
        waits.append(int((retry_at - now).total_seconds() // 60))
        assert (row["status"], row["tries"]) == ("pending", tries)
        assert row["last_error"] == f"webhook: cannot reach {webhook.url}: Connection refused"
        # a second before its retry time it is not tried
        assert send(baton, retry_at - dt.timedelta(seconds=1)).exit_code == 1
        assert outbox(db_path)[0]["tries"] == tries
        now = retry_at
    assert waits == [1, 2, 4, 8, 16, 32, 60, 60]
    webhook.up()
    assert send(baton, now).exit_code == 0
    assert [body["id"] for body in webhook.accepted] == [1]
    assert outbox(db_path)[0]["status"] == "sent"


def test_every_due_row_stays_pending_with_its_retry_time_while_the_webhook_is_down(
        baton: Baton, db_path: Path, tmp_path: Path, webhook: LocalWebhook) -> None:
    init_with_notify(baton, tmp_path, f"webhook: {webhook.url}\n")
    breach(baton, "L-1")
    breach(baton, "L-2")
    webhook.down()
    result = send(baton)
    assert result.exit_code == 1
    assert [(row["tries"], row["next_try_at"], row["last_error"]) for row in outbox(db_path)] == [
        (1, "2026-11-30T11:01:00+00:00", f"webhook: cannot reach {webhook.url}: Connection refused")] * 2
    assert result.stderr.startswith("2 notifications still pending:\n  #1 L-1 acknowledge")


def test_send_exits_1_naming_each_pending_notification_and_its_retry(
        baton: Baton, db_path: Path, tmp_path: Path, webhook: LocalWebhook) -> None:
    init_with_notify(baton, tmp_path, f"webhook: {webhook.url}\n")
    breach(baton)
    webhook.fail(1, 500)
    failed = send(baton)
    assert failed.exit_code == 1
    assert failed.stdout == f"As of {SWEEP_AT.replace('T', ' ')} GMT: 0 sent, 1 pending.\n"
    assert failed.stderr == (
        "1 notification still pending:\n"
        f"  #1 L-1 acknowledge for alice, sam: webhook: {webhook.url} answered 500 Internal Server Error; "
        "next try at 2026-11-30 11:01 GMT (after 1 failed try)\n"
    )
    waiting = send(baton, "2026-11-30T11:00:30")
    assert (waiting.exit_code, len(webhook.posts)) == (1, 1)
    assert "next try at 2026-11-30 11:01 GMT (after 1 failed try)" in waiting.stderr
    assert send(baton, "2026-11-30T11:01").exit_code == 0
    assert [post["status"] for post in webhook.posts] == [500, 200]


def test_a_redirect_is_not_taken_as_delivered(
        baton: Baton, db_path: Path, tmp_path: Path, webhook: LocalWebhook) -> None:
    init_with_notify(baton, tmp_path, f"webhook: {webhook.url}\n")
    breach(baton)
    webhook.fail(1, 302)
    assert send(baton).exit_code == 1
    assert outbox(db_path)[0]["last_error"] == f"webhook: {webhook.url} answered 302 Found"


def test_json_prints_one_object_per_notification_handled(
        baton: Baton, db_path: Path, tmp_path: Path, webhook: LocalWebhook) -> None:
    init_with_notify(baton, tmp_path, f"webhook: {webhook.url}\n")
    breach(baton, "L-1")
    breach(baton, "L-2")
    webhook.fail(1, 503)
    result = send(baton, SWEEP_AT, "--json")
    assert result.exit_code == 1
    first, second = (json.loads(line) for line in result.stdout.splitlines())
    assert first == {
        "id": 1, "lead": "L-1", "kind": "sla_breach", "sla": "acknowledge", "recipients": ["alice", "sam"],
        "status": "pending",
        "accepted": [], "failed": {"webhook": f"{webhook.url} answered 503 Service Unavailable"},
        "tries": 1, "next_try_at": "2026-11-30T11:01:00+00:00", "sent_at": None,
    }
    assert (second["lead"], second["status"], second["accepted"], second["sent_at"]) == (
        "L-2", "sent", ["webhook"], f"{SWEEP_AT}:00+00:00")


# -- several destinations -------------------------------------------------------------
def test_a_destination_that_took_it_is_not_sent_it_again_while_another_is_retried(
        baton: Baton, db_path: Path, tmp_path: Path, webhook: LocalWebhook) -> None:
    mail_port = free_port()  # nothing listens here yet: the mail server is down
    init_with_notify(baton, tmp_path, f"""\
        webhook: {webhook.url}
        email:
          server: 127.0.0.1:{mail_port}
          from: baton@acme.example
          to: {{sam: sam@acme.example}}
        """)
    breach(baton)
    assert send(baton).exit_code == 1
    [row] = outbox(db_path)
    assert (row["delivered"], row["tries"]) == (["webhook"], 1)
    assert row["last_error"] == f"email:sam: cannot reach the mail server 127.0.0.1:{mail_port}: Connection refused"
    assert send(baton, "2026-11-30T11:01").exit_code == 1
    assert len(webhook.posts) == 1
    recorder = MailRecorder()
    controller = Controller(recorder, hostname="127.0.0.1", port=mail_port)
    controller.start()
    try:
        result = send(baton, "2026-11-30T11:03")
    finally:
        controller.stop()
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("#1 L-1 acknowledge: sent (email:sam).\n")
    assert (len(webhook.posts), recorder.to()) == (1, ["sam@acme.example"])
    assert outbox(db_path)[0]["delivered"] == ["webhook", "email:sam"]


def test_email_goes_to_each_recipient_with_an_address(
        baton: Baton, db_path: Path, tmp_path: Path, smtp: tuple[MailRecorder, str]) -> None:
    recorder, server = smtp
    init_with_notify(baton, tmp_path, f"""\
        email:
          server: {server}
          from: baton@acme.example
          to: {{sam: sam@acme.example, carol: carol@acme.example}}
        """)
    breach(baton)  # notifies alice (no address) and sam
    result = send(baton)
    assert (result.exit_code, result.stdout.splitlines()[0]) == (0, "#1 L-1 acknowledge: sent (email:sam).")
    [message] = recorder.messages
    assert (message["From"], message["To"], message["Subject"]) == (
        "baton@acme.example", "sam@acme.example", "Lead L-1 missed its acknowledge deadline")
    assert message["X-Baton-Notification"] == "1"
    assert message.get_content().splitlines()[:6] == [
        TEXT, "", "Lead: L-1", "Deadline: acknowledge", f"Due: {ACK_DUE}", "Owner: alice"]
    assert outbox(db_path)[0]["delivered"] == ["email:sam"]


def test_a_refused_recipient_is_retried_alone(
        baton: Baton, db_path: Path, tmp_path: Path, smtp: tuple[MailRecorder, str]) -> None:
    recorder, server = smtp
    init_with_notify(baton, tmp_path, f"""\
        email:
          server: {server}
          from: baton@acme.example
          to: {{alice: alice@acme.example, sam: sam@acme.example}}
        """)
    breach(baton)
    recorder.refuse = {"alice@acme.example"}
    result = send(baton)
    assert result.exit_code == 1
    assert f"email:alice: {server} refused alice@acme.example: 550 no such mailbox" in result.stderr
    assert recorder.to() == ["sam@acme.example"]
    recorder.refuse = set()
    assert send(baton, "2026-11-30T11:01").exit_code == 0
    assert recorder.to() == ["sam@acme.example", "alice@acme.example"]
    assert outbox(db_path)[0]["delivered"] == ["email:sam", "email:alice"]


def test_with_no_address_for_any_recipient_nothing_is_sent_and_the_row_is_done(
        baton: Baton, db_path: Path, tmp_path: Path, smtp: tuple[MailRecorder, str]) -> None:
    recorder, server = smtp
    init_with_notify(baton, tmp_path, f"""\
        email: {{server: "{server}", from: baton@acme.example, to: {{carol: carol@acme.example}}}}
        """)
    breach(baton)
    result = send(baton)
    assert (result.exit_code, result.stdout.splitlines()[0]) == (
        0, "#1 L-1 acknowledge: sent (no channel reaches alice, sam).")
    assert recorder.messages == []


# -- the file channel --------------------------------------------------------------------
def test_file_channel_appends_json_lines_beside_the_database(
        baton: Baton, notices_folder: Path, tmp_path: Path) -> None:
    init_with_notify(baton, tmp_path, "file: notices.jsonl\n")
    breach(baton, "L-1")
    assert send(baton).exit_code == 0
    breach(baton, "L-2")
    assert send(baton).exit_code == 0
    lines = (notices_folder / "notices.jsonl").read_text().splitlines()
    assert [json.loads(line)["lead"] for line in lines] == ["L-1", "L-2"]
    assert json.loads(lines[0])["text"] == TEXT


def test_file_dash_writes_notifications_to_stdout_and_the_report_to_stderr(
        baton: Baton, db_path: Path, tmp_path: Path) -> None:
    init_with_notify(baton, tmp_path, 'file: "-"\n')
    breach(baton)
    result = send(baton)
    assert result.exit_code == 0
    [line] = result.stdout.splitlines()
    assert json.loads(line)["id"] == 1
    assert result.stderr == f"#1 L-1 acknowledge: sent (file).\nAs of {SWEEP_AT.replace('T', ' ')} GMT: 1 sent, 0 pending.\n"


def test_a_file_that_cannot_be_written_keeps_the_row_pending(
        baton: Baton, db_path: Path, notices_folder: Path, tmp_path: Path) -> None:
    init_with_notify(baton, tmp_path, "file: missing-folder/notices.jsonl\n")
    breach(baton)
    assert send(baton).exit_code == 1
    assert "No such file or directory" in outbox(db_path)[0]["last_error"]


# -- no channels -------------------------------------------------------------------------
def test_without_a_notify_block_nothing_is_sent_and_the_rows_wait(
        baton: Baton, db_path: Path, tmp_path: Path) -> None:
    init_with_notify(baton, tmp_path, None)
    breach(baton)
    result = send(baton)
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout == (
        "The policy has no notify: block, so nothing was sent; 1 notification waits in the outbox "
        "(`baton sla status` lists them).\n"
    )
    assert outbox(db_path)[0]["status"] == "pending"
    assert "#1 L-1 acknowledge" in baton("sla", "status", now=SWEEP_AT).stdout


def test_nothing_due_exits_0(baton: Baton, db_path: Path, tmp_path: Path, webhook: LocalWebhook) -> None:
    init_with_notify(baton, tmp_path, f"webhook: {webhook.url}\n")
    result = send(baton)
    assert (result.exit_code, result.stdout) == (0, f"As of {SWEEP_AT.replace('T', ' ')} GMT: 0 sent, 0 pending.\n")
    assert json_lines(send(baton, SWEEP_AT, "--json")) == []


# -- checking the notify block -----------------------------------------------------------
@pytest.mark.parametrize(("block", "expected"), [
    ("notify:\n  webhook: ftp://hooks.example.com\n",
     [("p.yaml:17:12: webhook must be an http:// or https:// address like https://hooks.example.com/baton,"
      " not 'ftp://hooks.example.com'")]),
    ("notify:\n  webhook: http://hooks.example.com:99999/\n",
     [("p.yaml:17:12: webhook 'http://hooks.example.com:99999/' has a bad port;"
      " write the address like https://hooks.example.com/baton")]),
    ("notify:\n  webhok: http://hooks.example.com\n",
     ["p.yaml:17:3: unknown key 'webhok' in notify (keys: webhook, email, file); did you mean 'webhook'?"]),
    ("notify:\n  file: [a, b]\n",
     ["p.yaml:17:9: notify file must be a path like notices.jsonl, or \"-\" for the screen, not a list"]),
    ("notify: {}\n",
     ["p.yaml:16:9: notify names no channel; add webhook:, email: or file:, or remove notify:"]),
    ("notify:\n  email:\n", ["p.yaml:17:3: notify email needs server, from and to, like server: localhost:25"]),
    ("notify:\n  email: {to: {sam: sam@acme.example}}\n", [
        "p.yaml:17:10: notify email needs `server:`, the SMTP server as host:port, like localhost:25",
        "p.yaml:17:10: notify email needs `from:`, the address the emails come from, like baton@example.com"]),
])
def test_notify_block_problems_are_named_at_their_place(block: str, expected: list[str]) -> None:
    assert problems(MINIMAL + block) == expected


def test_email_settings_are_checked_key_by_key() -> None:
    block = dedent("""\
        notify:
          email:
            server: smtp.acme.example
            from: baton
            to: {sales_manager: boss@acme.example, sammy: s@acme.example, alice: alice-at-acme}
            tls: true
        """)
    assert problems(MINIMAL + block) == [
        ("p.yaml:18:13: email server must be host:port, like localhost:25 or smtp.example.com:587,"
        " not 'smtp.acme.example'"),
        "p.yaml:19:11: email from: 'baton' is not an email address (it has no @; write it like jane@example.com)",
        ("p.yaml:20:10: email to 'sales_manager', who is in no role (people: alice, bob, sam);"
        " 'sales_manager' is a role: list its people, like sam: ..."),
        "p.yaml:20:44: email to 'sammy', who is in no role (people: alice, bob, sam); did you mean 'sam'?",
        ("p.yaml:20:74: email to alice: 'alice-at-acme' is not an email address"
        " (it has no @; write it like jane@example.com)"),
        "p.yaml:21:5: unknown key 'tls' in notify email (keys: server, from, to)",
    ]


def test_a_good_notify_block_is_kept_in_the_policy() -> None:
    from statemachine.policy import parse_policy

    block = dedent("""\
        notify:
          webhook: https://hooks.acme.example/baton
          email: {server: "smtp.acme.example:587", from: baton@acme.example, to: {sam: sam@acme.example}}
          file: "-"
        """)
    assert parse_policy(MINIMAL + block, "p.yaml").notify == {
        "webhook": "https://hooks.acme.example/baton",
        "email": {"server": "smtp.acme.example:587", "from": "baton@acme.example", "to": {"sam": "sam@acme.example"}},
        "file": "-",
    }

