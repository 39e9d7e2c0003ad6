"""SIGKILL at random points of `sla sweep`, `notify send` and `baton serve`
(issue 14, item 7): whatever the moment, the log verifies, every due clock's
breach is recorded exactly once, every notification is pending or sent, and
a delivery cut between the receiver's answer and the sender's record of it
is sent again, with the same `id`; no other is sent twice.

Each seed copies a database of 24 leads whose `respond` and `chase` clocks
are due, with a webhook and a mail server (tests/crash_receivers.py), starts
the real command as a process and kills it at a seeded point: N
milliseconds after it started, when the log reaches N events, when the
outbox has recorded N deliveries, or at the receivers' Nth delivery (before
answering, after answering, or after answering while the test holds the
write lock).
One to three killed runs, then a complete `sla sweep` and `notify send`.
BATON_CRASH_RUNS seeds per command (default 4); BATON_CRASH_SEED is the
first seed, to replay a failure. The long run (README, Development):

    BATON_CRASH_RUNS=500 pytest -q tests/test_crash_safety.py
"""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from conftest import Baton
from crash_receivers import WAIT_SECONDS, Deliveries, Kill, Receivers
from test_concurrency import baton_executable
from test_notify import breach, init_with_notify, send

from cli.main import cli

RUNS = int(os.environ.get("BATON_CRASH_RUNS", "4"))
FIRST_SEED = int(os.environ.get("BATON_CRASH_SEED", "0"))
LEADS = 24
CREATED_AT = "2026-11-23T09:00"
SWEEP_AT = "2026-11-23T12:00"  # both clocks of every lead are due
ADDRESSES = {"alice": "alice@acme.example", "sam": "sam@acme.example"}  # bob has none: no email for him

POLICY = """\
policy: crash-test
version: 1
timezone: UTC
roles:
  marketing: [jane]
  sales: [alice, bob]
  sales_manager: [sam]
fields:
  score: {type: integer, default: 0}
states:
  new: {owner: sales}
  stale: {owner: sales}
  lost: {final: true}
initial: new
transitions:
  escalate: {from: new, to: stale, by: [system]}
  drop: {from: stale, to: lost, by: [sales]}
routing:
  on: new
  rules:
    - assign: [alice, bob]
      strategy: least_loaded
sla:
  - name: respond
    state: new
    within: 1h
    breach: {notify: [owner, sales_manager], reassign: true}
  - name: chase
    state: new
    within: 2h
    breach: {notify: [owner], fire: escalate}
audit:
  witness: daily
notify:
  webhook: WEBHOOK
  email: {server: "SMTP", from: baton@acme.example, to: ADDRESSES}
"""

# How the watcher sees a run's progress, for the `events` and `marks` kills.
PROGRESS = {"events": "SELECT coalesce(max(seq), 0) FROM events",
            "marks": "SELECT coalesce(sum(json_array_length(delivered)), 0) FROM outbox"}


@pytest.fixture
def receivers() -> Iterator[Receivers]:
    both = Receivers(ADDRESSES)
    yield both
    both.down()


@pytest.fixture
def template(tmp_path: Path, receivers: Receivers) -> Path:
    """24 leads created at 09:00, routed to alice and bob; at 12:00 both clocks of each are due."""
    webhook, mail = receivers.webhook, receivers.mail
    policy = tmp_path / "crash-policy.yaml"
    policy.write_text(POLICY.replace("WEBHOOK", webhook.url).replace("SMTP", mail.server)
                      .replace("ADDRESSES", json.dumps(ADDRESSES)))
    db = tmp_path / "template.db"
    leads = tmp_path / "leads.csv"
    leads.write_text("id,score\n" + "".join(f"L-{n},{n}\n" for n in range(LEADS)))
    for args in (["init", "--policy", str(policy)], ["lead", "import", str(leads)]):
        result = CliRunner().invoke(cli, ["--db", str(db), "--as", "jane", "--now", CREATED_AT, *args])
        assert result.exit_code == 0, result.output
    return db


def run(db: Path, *args: str) -> Result:
    """`baton` in this process, at noon."""
    return CliRunner().invoke(cli, ["--db", str(db), "--as", "jane", "--now", SWEEP_AT, *args],
                              catch_exceptions=False)


def copy_of(template: Path, target: Path) -> Path:
    with closing(sqlite3.connect(template)) as source, closing(sqlite3.connect(target)) as copy:
        source.backup(copy)
    return target


def query(db: Path, sql: str) -> list[tuple[Any, ...]]:
    with closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as connection:
        return connection.execute(sql).fetchall()


def breaches(db: Path) -> Counter[tuple[str, str]]:
    rows = query(db, "SELECT lead, data FROM events WHERE event = 'sla_breach'")
    return Counter((lead, json.loads(data)["sla"]) for lead, data in rows)


@dataclass
class Row:
    id: int
    kind: str
    lead: str | None
    sla: str | None
    status: str
    recipients: list[str]
    delivered: list[str]
    breach_seq: int | None

    @property
    def destinations(self) -> set[str]:
        """The webhook, and an email to each recipient with an address."""
        return {"webhook", *(f"email:{actor}" for actor in self.recipients if actor in ADDRESSES)}


def outbox(db: Path) -> dict[int, Row]:
    rows = query(db, "SELECT id, kind, lead, sla, status, recipients, delivered, breach_seq FROM outbox")
    return {id_: Row(id_, kind, lead, sla, status, json.loads(recipients), json.loads(delivered), breach_seq)
            for id_, kind, lead, sla, status, recipients, delivered, breach_seq in rows}


@dataclass
class Story:
    """One seed's runs: the clocks that were due, and each delivery cut
    (accepted by its receiver, never recorded) as (id, destination)."""

    command: str
    expected: set[tuple[str, str]]
    cuts: Counter[tuple[int, str]] = field(default_factory=Counter)
    killed: int = 0


ARGS = {"sweep": ["sla", "sweep"], "send": ["notify", "send"], "serve": ["serve", "--every", "0.1"]}


def run_killed(story: Story, db: Path, receivers: Receivers, kill: Kill, log: Path) -> None:
    """Start the command, kill it where `kill` says (or let it end), then check the database."""
    env = {**os.environ, "BATON_DB": str(db), "BATON_NOW": SWEEP_AT, "BATON_ACTOR": "jane",
           "BATON_BUSY_TIMEOUT_MS": "10000", "BATON_LOG": "error"}
    got = receivers.got
    already = len(got.got)
    got.arm(kill, db)
    watch = sqlite3.connect(f"file:{db}?mode=ro", uri=True, isolation_level=None)
    with open(log, "w") as stderr:
        process = subprocess.Popen([baton_executable(), *ARGS[story.command]], env=env,
                                   stdout=subprocess.DEVNULL, stderr=stderr)
    try:
        got.victim = process.pid
        deadline = time.monotonic() + WAIT_SECONDS
        started = time.monotonic()
        while process.poll() is None:
            if kill.when in PROGRESS and watch.execute(PROGRESS[kill.when]).fetchone()[0] >= kill.count:
                process.kill()
            if kill.when == "ms" and (time.monotonic() - started) * 1000 >= kill.count:
                process.kill()
            assert time.monotonic() < deadline, f"{story.command} was neither killed nor done in {WAIT_SECONDS}s"
            time.sleep(0.001)
    finally:
        if process.poll() is None:
            process.kill()
        process.wait()
        receivers.release()
        watch.close()
    assert "Traceback" not in log.read_text(), log.read_text()
    if process.returncode == -signal.SIGKILL:
        story.killed += 1
    else:
        assert story.command != "serve", f"serve ended by itself: {log.read_text()}"
        assert process.returncode in (0, 1), log.read_text()  # send: 1 while any row is pending
    check_invariants(story, db, got)
    rows = outbox(db)
    this_run = got.got[already:]
    uncommitted = {(d.id, d.destination) for d in this_run
                   if d.answered and d.id is not None and d.destination not in rows[d.id].delivered}
    # The sender goes on to the next delivery only once the last one is recorded: one cut at most.
    assert len(uncommitted) <= 1, f"accepted but never recorded: {sorted(uncommitted)}"
    story.cuts.update(uncommitted)
    if kill.when == "delivery" and process.returncode == -signal.SIGKILL:
        [chosen] = [d for d in this_run if d.destination.startswith(kill.channel or "")][kill.count - 1:kill.count]
        assert chosen.answered == (kill.answer != "none")
        assert chosen.id is not None
        if kill.answer == "held":
            assert uncommitted == {(chosen.id, chosen.destination)}, "the write lock was held: it was not recorded"
        if kill.answer == "none":
            assert chosen.destination not in rows[chosen.id].delivered, "recorded as delivered without an answer"


def check_invariants(story: Story, db: Path, got: Deliveries) -> None:
    """What holds after any run, killed or not."""
    verify = run(db, "audit", "verify")
    assert verify.exit_code == 0, verify.output
    counted = breaches(db)
    assert set(counted) <= story.expected, f"breaches of clocks that were not due: {set(counted) - story.expected}"
    assert max(counted.values(), default=1) == 1, f"breached twice: {[k for k, n in counted.items() if n > 1]}"
    rows = outbox(db)
    assert {row.status for row in rows.values()} <= {"pending", "sent"}
    assert all(row.destinations <= set(row.delivered) for row in rows.values() if row.status == "sent")
    # Each breach (each of these clocks notifies) has its one outbox row, written with it.
    breach_seqs = sorted(seq for (seq,) in query(db, "SELECT seq FROM events WHERE event = 'sla_breach'"))
    assert sorted(row.breach_seq or 0 for row in rows.values() if row.kind == "sla_breach") == breach_seqs
    assert sum(1 for row in rows.values() if row.kind == "witness") <= (1 if story.command == "serve" else 0)
    # Every notification a receiver got carries the id of its outbox row, and goes where that row goes.
    for delivery in got.got:
        assert delivery.id in rows, f"{delivery.destination} got a notification without a known id: {delivery.body}"
        assert delivery.destination in rows[delivery.id].destinations


def check_final(story: Story, db: Path, got: Deliveries) -> None:
    """After a complete sweep and send: all done, and each delivery arrived once, plus once per cut."""
    check_invariants(story, db, got)
    assert breaches(db) == Counter(story.expected), "every due clock breaches exactly once"
    rows = outbox(db)
    assert {row.status for row in rows.values()} == {"sent"}
    accepted = got.accepted()
    for delivery in accepted:
        row = rows[delivery.id or 0]
        if delivery.destination == "webhook":
            assert (delivery.body["kind"], delivery.body["lead"], delivery.body["sla"]) == (row.kind, row.lead, row.sla)
        elif row.lead is not None:
            assert f"Lead: {row.lead}" in delivery.body["text"].splitlines()
    assert Counter((d.id, d.destination) for d in accepted) == Counter(
        {(row.id, where): 1 + story.cuts[(row.id, where)] for row in rows.values() for where in row.destinations}
    )


def plan(rng: random.Random, story: Story, db: Path) -> Kill | None:
    """A seeded kill point that the run will reach (serve) or may reach (the
    others may end first), or None when nothing is left to do."""
    left = len(story.expected) - sum(breaches(db).values())  # each breach writes at least one event
    rows = outbox(db).values()
    # deliveries still to make: those of the pending rows, and at least the webhook of each breach to come
    waiting = sum(len(row.destinations - set(row.delivered)) for row in rows if row.status == "pending") + left
    choices = ["events", "events"] if story.command == "sweep" else ["delivery", "delivery", "delivery", "marks"]
    if story.command == "serve" and left:
        choices.append("events")
    when = rng.choice([*choices, "ms"])
    if when == "ms":  # any moment, starting up included
        return Kill("ms", rng.randint(0, 600))
    if when == "events":
        return Kill("events", query(db, PROGRESS["events"])[0][0] + rng.randint(1, left)) if left else None
    if not waiting:
        return None
    if when == "marks":
        return Kill("marks", query(db, PROGRESS["marks"])[0][0] + rng.randint(1, waiting))
    return Kill("delivery", rng.randint(1, waiting), rng.choice(["none", "free", "held"]))


@pytest.mark.parametrize("command", ["sweep", "send", "serve"])
def test_killed_at_any_point_every_breach_once_and_every_notification_sent(
        command: str, template: Path, receivers: Receivers, tmp_path: Path) -> None:
    got = receivers.got
    if command == "send":
        result = run(template, "sla", "sweep")  # the outbox is full, the sender is what is killed
        assert result.exit_code == 0, result.output
    due = query(template, f"SELECT lead, name FROM clocks WHERE breached_at IS NULL AND due_at <= '{SWEEP_AT}:00+00:00'")
    expected = {(lead, name) for lead, name in due} | set(breaches(template))
    assert len(expected) == 2 * LEADS
    killed = 0
    for seed in range(FIRST_SEED, FIRST_SEED + RUNS):
        rng = random.Random(f"{command}-{seed}")
        got.got.clear()
        db = copy_of(template, tmp_path / f"{command}-{seed}.db")
        story = Story(command, expected)
        try:
            for number in range(rng.randint(1, 3)):
                kill = plan(rng, story, db)
                if kill is None:
                    break
                run_killed(story, db, receivers, kill, tmp_path / f"{command}-{seed}-{number}.log")
            got.arm(None, db)
            for args in (["sla", "sweep"], ["notify", "send"]):
                result = run(db, *args)
                assert result.exit_code == 0, result.output
            check_final(story, db, got)
        except AssertionError as failure:
            raise AssertionError(f"{command}, seed {seed} (replay: BATON_CRASH_SEED={seed} BATON_CRASH_RUNS=1): "
                                 f"{failure}") from failure
        killed += story.killed
    # The kills happened: runs that all ended by themselves would prove nothing.
    assert killed >= 1


def test_a_webhook_delivery_cut_before_its_record_is_sent_again_with_the_same_id(
        template: Path, receivers: Receivers, tmp_path: Path) -> None:
    """The webhook answers the second notification 200, and `notify send` dies
    before it can record that: the next send offers it first, the same body
    with the same `id` (which is why receivers keep `id` as the idempotency
    key), and sends nothing else twice."""
    got = receivers.got
    assert run(template, "sla", "sweep").exit_code == 0
    story = Story("send", set(breaches(template)))
    run_killed(story, template, receivers, Kill("delivery", 2, "held", channel="webhook"), tmp_path / "send.log")
    assert story.killed == 1
    first, cut = [d for d in got.got if d.destination == "webhook"]
    assert first.answered and cut.answered and cut.id is not None
    rows = outbox(template)
    assert (rows[first.id or 0].status, rows[cut.id].status, rows[cut.id].delivered) == ("sent", "pending", [])
    assert story.cuts == Counter({(cut.id, "webhook"): 1})
    before = len(got.got)
    assert run(template, "notify", "send").exit_code == 0
    assert got.got[before].body == cut.body
    check_final(story, template, got)


def test_a_line_a_crash_left_half_written_does_not_swallow_the_next_one(
        baton: Baton, db_path: Path, tmp_path: Path) -> None:
    """A process killed in the middle of appending to the `file:` channel can
    leave a line without its end. The next notification starts a line of its
    own, so a reader loses only the broken line, not the one sent after it."""
    init_with_notify(baton, tmp_path, "file: notices.jsonl\n")
    breach(baton)
    notices = db_path.parent / "notices.jsonl"
    notices.write_text('{"id": 7, "lead": "L-9", "te')
    assert send(baton).exit_code == 0
    breach(baton, "L-2")
    assert send(baton).exit_code == 0  # after a whole line, the next follows at once
    broken, *lines = notices.read_text().splitlines()
    assert broken == '{"id": 7, "lead": "L-9", "te'
    assert [(json.loads(line)["id"], json.loads(line)["lead"]) for line in lines] == [(1, "L-1"), (2, "L-2")]
