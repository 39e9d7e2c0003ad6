"""The witness: with `audit: {witness: daily}`, each `baton serve` round
queues the log's head once a day (in the policy's zone) as an outbox row of
kind `witness`, which `notify send` delivers like any other; the log itself
is left as it was."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from conftest import DEFAULT_POLICY, Baton, add_ready_lead, query

from statemachine.service import StopFlag, run_cycle
from statemachine.store import Store

pytestmark = pytest.mark.both_stores  # every database test here runs on SQLite and on PostgreSQL

WITNESS = "\naudit:\n  witness: daily\n"
NOTIFY = "\nnotify:\n  file: notices.jsonl\n  email:\n    server: localhost:25\n    from: baton@example.com\n" \
         "    to: {sam: sam@example.com, jane: jane@example.com}\n"


@pytest.fixture(autouse=True)
def _notices_in_the_tests_folder(notices_folder: Path) -> None:
    """Every round here may send to NOTIFY's file: on PostgreSQL, into the test's folder."""


def init(baton: Baton, tmp_path: Path, extra: str) -> None:
    policy = tmp_path / "witness-policy.yaml"
    policy.write_text(DEFAULT_POLICY.read_text() + extra)
    result = baton("init", "--policy", str(policy))
    assert result.exit_code == 0, result.stderr


def round_at(db_path: Path, now: str) -> int | None:
    """One serve round at `now` (in the policy's zone); the seq it witnessed."""
    store = Store.open(str(db_path), write=True)
    try:
        cycle = run_cycle(store, now, StopFlag(), io.StringIO())
    finally:
        store.close()
    assert cycle is not None
    return cycle.witness


def head(db_path: Path) -> tuple[int, str]:
    (seq, digest), = query(db_path, "SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1")
    return int(seq), str(digest)  # type: ignore[call-overload]


def witnesses(db_path: Path) -> list[tuple[object, ...]]:
    return query(db_path, "SELECT lead, recipients, text, status FROM outbox WHERE kind = 'witness' ORDER BY id")


def sentence(db_path: Path, seq: int, digest: str, day: str) -> str:
    """The witness's sentence, naming the database as its keeper knows it:
    the SQLite file's name, or the PostgreSQL URL."""
    name = db_path.name if isinstance(db_path, Path) else str(db_path)
    return (f"Baton's log head of {name} on {day}: seq {seq}, hash {digest}; "
            f"check it later with `baton audit verify --expect {seq}:{digest}`.")


def test_a_round_queues_the_head_once_a_day_in_the_policys_zone(baton: Baton, db_path: Path, tmp_path: Path) -> None:
    init(baton, tmp_path, NOTIFY + WITNESS)
    add_ready_lead(baton, "L-1")
    seq, digest = head(db_path)
    events = query(db_path, "SELECT count(*) FROM events")

    assert round_at(db_path, "2026-11-23T10:00") == seq
    assert witnesses(db_path) == [(None, '["sam", "jane"]', sentence(db_path, seq, digest, "2026-11-23"), "pending")]
    assert query(db_path, "SELECT count(*) FROM events") == events  # the witness writes no event

    # later that day, even after the log grew: nothing more
    add_ready_lead(baton, "L-2")
    assert round_at(db_path, "2026-11-23T23:59") is None
    assert len(witnesses(db_path)) == 1

    # the next day in London is a new day
    seq2, digest2 = head(db_path)
    assert round_at(db_path, "2026-11-24T00:01") == seq2
    assert [row[2] for row in witnesses(db_path)] == [
        sentence(db_path, seq, digest, "2026-11-23"), sentence(db_path, seq2, digest2, "2026-11-24")]
    assert round_at(db_path, "2026-11-24T09:00") is None
    assert len(witnesses(db_path)) == 2


def test_the_day_is_the_policys_not_utc(baton: Baton, db_path: Path, tmp_path: Path) -> None:
    text = DEFAULT_POLICY.read_text().replace("timezone: Europe/London", "timezone: America/New_York")
    policy = tmp_path / "ny.yaml"
    policy.write_text(text + NOTIFY + WITNESS)
    assert baton("init", "--policy", str(policy)).exit_code == 0
    # 23:00 in New York is already the 24th in UTC
    assert round_at(db_path, "2026-11-23T23:00") is not None
    assert round_at(db_path, "2026-11-23T23:30") is None
    seq, digest = head(db_path)
    assert witnesses(db_path)[0][2] == sentence(db_path, seq, digest, "2026-11-23")


def test_without_the_audit_key_no_witness_is_queued(baton: Baton, db_path: Path, tmp_path: Path) -> None:
    init(baton, tmp_path, NOTIFY)
    assert round_at(db_path, "2026-11-23T10:00") is None
    assert round_at(db_path, "2026-11-24T10:00") is None
    assert witnesses(db_path) == []
    assert query(db_path, "SELECT value FROM meta WHERE key = 'witness_day'") == []


def test_notify_send_delivers_the_witness_to_the_file(
        baton: Baton, db_path: Path, notices_folder: Path, tmp_path: Path) -> None:
    init(baton, tmp_path, "\nnotify:\n  file: notices.jsonl\n" + WITNESS)
    seq, digest = head(db_path)
    assert round_at(db_path, "2026-11-23T10:00") == seq  # the round sends it at once

    lines = [json.loads(line) for line in (notices_folder / "notices.jsonl").read_text().splitlines()]
    witnessed = [line for line in lines if line["kind"] == "witness"]
    assert len(witnessed) == 1
    assert witnessed[0]["lead"] is None
    assert witnessed[0]["recipients"] == []
    assert witnessed[0]["text"] == sentence(db_path, seq, digest, "2026-11-23")
    assert witnesses(db_path)[0][3] == "sent"
    # the kept head is the one `audit verify --expect` holds the log against
    verify = baton("audit", "verify", "--expect", f"{seq}:{digest}")
    assert verify.exit_code == 0, verify.stdout + verify.stderr


def test_notify_send_delivers_a_queued_witness(
        baton: Baton, db_path: Path, notices_folder: Path, tmp_path: Path) -> None:
    init(baton, tmp_path, "\nnotify:\n  file: notices.jsonl\n" + WITNESS)
    from statemachine.witness import queue_witness
    from statemachine.workspace import Workspace

    store = Store.open(str(db_path), write=True)
    try:
        ws = Workspace(store, "system", "2026-11-23T10:00")
        assert queue_witness(store, ws.policy, ws.now) is not None
    finally:
        store.close()
    result = baton("notify", "send", now="2026-11-23T10:00")
    assert result.exit_code == 0, result.stderr
    lines = [json.loads(line) for line in (notices_folder / "notices.jsonl").read_text().splitlines()]
    assert [line["kind"] for line in lines] == ["witness"]
    assert witnesses(db_path)[0][3] == "sent"


def line_of(text: str, start: str) -> int:
    """The line number of the last line of `text` starting with `start`."""
    return max(number for number, line in enumerate(text.splitlines(), 1) if line.startswith(start))


def check(baton: Baton, tmp_path: Path, extra: str) -> list[str]:
    policy = tmp_path / "checked.yaml"
    policy.write_text(DEFAULT_POLICY.read_text() + extra)
    result = baton("policy", "check", str(policy))
    assert result.exit_code == 1
    assert result.stdout == ""
    return [line.removeprefix(f"{policy}:") for line in result.stderr.splitlines()]


def test_the_checker_locates_a_wrong_witness(baton: Baton, tmp_path: Path) -> None:
    text = DEFAULT_POLICY.read_text() + NOTIFY + "\naudit:\n  witness: hourly\n"
    assert check(baton, tmp_path, NOTIFY + "\naudit:\n  witness: hourly\n") == [
        f"{line_of(text, '  witness:')}:12: witness must be daily (the log's head sent once a day), not 'hourly'; "
        "leave it out for no witness"]
    assert check(baton, tmp_path, NOTIFY + "\naudit:\n  witnes: daily\n") == [
        f"{line_of(text, '  witness:')}:3: unknown key 'witnes' in audit (keys: witness); did you mean 'witness'?"]


def test_a_witness_needs_a_notify_channel(baton: Baton, tmp_path: Path) -> None:
    text = DEFAULT_POLICY.read_text() + WITNESS
    assert check(baton, tmp_path, WITNESS) == [
        f"{line_of(text, '  witness:')}:12: witness: daily sends the log's head through the notify channels, but the policy "
        "names none; add notify: with a webhook, email or file"]
