"""Time that cannot lie quietly, and one size limit for every input.

A change made with a --now far from the wall clock records the real time as
`recorded_at`, which `audit verify` counts; a policy may refuse --now on
changes; a time before 2000 or over a year ahead is refused. A value over
1 MB is refused the same way in a CSV file, a JSON lines file, and on the
command line; a policy file over 1 MB is refused before it is read."""

from __future__ import annotations

import datetime as dt
import json
from contextlib import closing
from pathlib import Path

import pytest
from conftest import BANT, READY, Baton, add_ready_lead, as_json, connect_raw, json_lines

import statemachine.backfill

pytestmark = pytest.mark.both_stores  # every database test here runs on SQLite and on PostgreSQL

# The wall clock of these tests: Monday 2026-11-23 09:00 in London (GMT), the
# conftest's MONDAY_9AM.
WALL = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)
WALL_TEXT = "2026-11-23T09:00:00+00:00"
LAST_FRIDAY = "2026-11-20T09:00"


@pytest.fixture(autouse=True)
def wall(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(statemachine.backfill, "wall_clock", lambda given: WALL)


def log(baton: Baton) -> list[dict[str, object]]:
    return json_lines(baton("--json", "audit", "log", now=None))


def event_count(db: Path) -> int:
    with closing(connect_raw(db)) as conn:
        return int(conn.execute("SELECT count(*) FROM events").fetchone()[0])


# -- recorded_at ------------------------------------------------------------------------------

def test_a_change_dated_days_before_the_wall_clock_records_the_real_time(baton: Baton, db: Path) -> None:
    add_ready_lead(baton, "S-1")  # at 09:00, the wall clock: nothing to record
    assert baton("lead", "advance", "S-1", "hand_over", now="2026-11-23T09:04").exit_code == 0  # 4 minutes off
    assert baton("lead", "set", "S-1", *BANT, actor="alice", now=LAST_FRIDAY).exit_code == 0
    events = log(baton)
    assert [(e["event"], "recorded_at" in e["data"]) for e in events] == [  # type: ignore[operator]
        ("policy_applied", False), ("created", False), ("hand_over", False), ("updated", True),
    ]
    assert events[-1]["data"]["recorded_at"] == WALL_TEXT  # type: ignore[index]
    assert events[-1]["at"] == "2026-11-20T09:00:00+00:00"


def test_every_event_of_a_back_filled_command_records_it(baton: Baton, db: Path) -> None:
    add_ready_lead(baton, "S-1")
    assert baton("lead", "advance", "S-1", "hand_over").exit_code == 0
    assert baton("lead", "set", "S-1", *BANT, actor="alice").exit_code == 0
    assert baton("lead", "advance", "S-1", "qualify", actor="alice", now=LAST_FRIDAY).exit_code == 0
    kinds = [(e["event"], e["data"].get("recorded_at")) for e in log(baton)[4:]]  # type: ignore[attr-defined]
    assert kinds == [("qualify", WALL_TEXT), ("assigned", WALL_TEXT)]  # routing's event too


def test_a_change_dated_ahead_of_the_wall_clock_records_it_too(baton: Baton, db: Path) -> None:
    result = baton("lead", "add", "--id", "S-1", *READY, now="2026-11-23T09:06")
    assert result.exit_code == 0, result.stderr
    assert log(baton)[-1]["data"]["recorded_at"] == WALL_TEXT  # type: ignore[index]


def head(db: Path) -> tuple[int, str]:
    with closing(connect_raw(db)) as conn:
        seq, digest = conn.execute("SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1").fetchone()
    return int(seq), str(digest)


def test_verify_counts_back_filled_events_and_still_passes(baton: Baton, policy_file: Path, db_path: Path) -> None:
    assert baton("init", "--policy", str(policy_file), now=LAST_FRIDAY).exit_code == 0
    add_ready_lead(baton, "S-1")
    assert baton("lead", "advance", "S-1", "hand_over", now=LAST_FRIDAY).exit_code == 0
    assert baton("lead", "advance", "S-1", "disqualify", "reason=no budget", actor="alice",
                 now=LAST_FRIDAY).exit_code == 0
    result = baton("audit", "verify", now=None)
    assert result.exit_code == 0, result.stderr
    seq, digest = head(db_path)
    assert result.stdout.splitlines() == [
        "verified 4 events, 1 lead: the chain is intact, every transition was legal, the leads table matches the log"
        f"; head: seq {seq}, hash {digest}",
        "3 events were written with a --now more than five minutes off the clock "
        "(each records the real time as recorded_at)",
    ]
    assert as_json(baton("--json", "audit", "verify", now=None)) == {
        "ok": True, "events": 4, "leads": 1, "problems": [], "back_filled": 3,
        "head": {"seq": seq, "hash": digest},
    }
    # The projection, a rebuild and a candidate judged against history are all undisturbed.
    replayed = json_lines(baton("--json", "audit", "replay", "--as-of", "2026-11-24T00:00", now=None))
    assert [(r["id"], r["state"], r["owner"]) for r in replayed] == [("S-1", "disqualified", None)]
    assert baton("audit", "rebuild", now=None).exit_code == 0
    assert as_json(baton("--json", "audit", "verify", now=None))["ok"] is True
    history = json_lines(baton("--json", "policy", "simulate", "--history", str(policy_file), now=None))
    assert [(h["trigger"], h["fired"], h["refused"]) for h in history] == [("hand_over", 1, 0), ("disqualify", 1, 0)]


def test_verify_without_back_filled_events_says_nothing_of_them(baton: Baton, db: Path) -> None:
    add_ready_lead(baton, "S-1")
    seq, digest = head(db)
    assert baton("audit", "verify", now=None).stdout.splitlines() == [
        "verified 2 events, 1 lead: the chain is intact, every transition was legal, the leads table matches the log"
        f"; head: seq {seq}, hash {digest}",
    ]
    assert "back_filled" not in as_json(baton("--json", "audit", "verify", now=None))


def test_history_says_when_a_back_filled_change_was_really_written(baton: Baton, db: Path) -> None:
    assert baton("lead", "add", "--id", "S-1", "score=70", now=LAST_FRIDAY).exit_code == 0
    assert baton("lead", "history", "S-1", now=None).stdout.splitlines() == [
        "     2  2026-11-20 09:00 GMT  jane       created in MQL with score 70 [recorded at 2026-11-23 09:00 GMT]",
    ]


def test_an_import_dated_by_now_records_the_real_time_on_every_lead(baton: Baton, db: Path, tmp_path: Path) -> None:
    leads = tmp_path / "leads.csv"
    leads.write_text("email,score\na@example.com,70\nb@example.com,40\n", encoding="utf-8")
    assert baton("lead", "import", str(leads), now=LAST_FRIDAY).exit_code == 0
    created = [e for e in log(baton) if e["event"] == "created"]
    assert [e["data"]["recorded_at"] for e in created] == [WALL_TEXT, WALL_TEXT]  # type: ignore[index]
    assert as_json(baton("--json", "audit", "verify", now=None))["ok"] is True


def test_recorded_at_cannot_be_given_as_a_transition_argument(baton: Baton, db: Path) -> None:
    add_ready_lead(baton, "S-1")
    result = baton("lead", "advance", "S-1", "hand_over", "recorded_at=2026-11-23T09:00")
    assert result.exit_code == 1
    assert result.stderr == ("Error: recorded_at=... cannot be given: Baton itself records in it the real time "
                             "of a change made with --now; leave recorded_at=... out\n")
    assert event_count(db) == 2


def test_a_policy_cannot_require_a_key_named_recorded_at(baton: Baton, policy_file: Path) -> None:
    text = policy_file.read_text(encoding="utf-8")
    policy_file.write_text(text.replace("requires: [reason]         # say why", "requires: [recorded_at]  # say why"))
    result = baton("policy", "check", str(policy_file))
    assert result.exit_code == 1
    line = next(n for n, row in enumerate(policy_file.read_text().splitlines(), 1) if "[recorded_at]" in row)
    assert f"{policy_file}:{line}:16: required key 'recorded_at' is a name Baton uses itself in a transition's event; " \
        "choose another name" in result.output


# -- clock: {now_on_writes: refuse} -----------------------------------------------------------

def _refusing(policy_file: Path, value: str = "refuse") -> None:
    text = policy_file.read_text(encoding="utf-8")
    policy_file.write_text(text + f"\nclock:\n  now_on_writes: {value}\n", encoding="utf-8")


def test_a_policy_that_refuses_now_on_writes_refuses_every_change_with_it(
        baton: Baton, policy_file: Path, db_path: Path) -> None:
    _refusing(policy_file)
    refused = baton("init", "--policy", str(policy_file))
    assert refused.exit_code == 1
    assert not db_path.exists()
    assert baton("init", "--policy", str(policy_file), now=None).exit_code == 0
    message = ("Error: policy version 1 refuses --now on changes (clock: now_on_writes: refuse); leave out --now "
               "(and BATON_NOW) so the change carries the time it is made\n")
    assert refused.stderr == message
    for args in (("lead", "add", "--id", "S-1", *READY), ("rep", "away", "bob"), ("sla", "sweep")):
        result = baton(*args)
        assert (result.exit_code, result.stderr) == (1, message)
    assert event_count(db_path) == 1
    # Without --now the change goes in; reading with --now stays allowed.
    assert baton("lead", "add", "--id", "S-1", *READY, now=None).exit_code == 0
    assert as_json(baton("--json", "lead", "show", "S-1"))["state"] == "MQL"
    assert baton("lead", "list").exit_code == 0


def test_now_on_writes_takes_only_allow_or_refuse(baton: Baton, policy_file: Path) -> None:
    _refusing(policy_file, "sometimes")
    result = baton("policy", "check", str(policy_file))
    assert result.exit_code == 1
    line = len(policy_file.read_text().splitlines())
    assert result.output.splitlines() == [f"{policy_file}:{line}:18: now_on_writes must be allow or refuse, not 'sometimes'"]
    text = policy_file.read_text().replace("now_on_writes: sometimes", "now_on_write: refuse")
    policy_file.write_text(text)
    result = baton("policy", "check", str(policy_file))
    assert result.output.splitlines() == [
        f"{policy_file}:{line}:3: unknown key 'now_on_write' in clock (keys: now_on_writes); did you mean 'now_on_writes'?"
    ]


def test_allow_is_the_default_and_may_be_written(baton: Baton, policy_file: Path) -> None:
    _refusing(policy_file, "allow")
    assert baton("init", "--policy", str(policy_file), now=LAST_FRIDAY).exit_code == 0
    assert baton("lead", "add", "--id", "S-1", *READY, now=LAST_FRIDAY).exit_code == 0


# -- times out of range -----------------------------------------------------------------------

@pytest.mark.parametrize("now, shown", [
    ("1999-12-31T23:59:59Z", "1999-12-31T23:59:59+00:00"),
    ("1900-01-01", "1900-01-01T00:00:00+00:00"),
    ("2027-11-24T09:00Z", "2027-11-24T09:00:00+00:00"),
    ("9999-12-31", "9999-12-31T00:00:00+00:00"),
])
def test_a_change_dated_before_2000_or_over_a_year_ahead_is_refused(
        baton: Baton, db: Path, now: str, shown: str) -> None:
    result = baton("lead", "add", "--id", "S-1", *READY, now=now)
    assert result.exit_code == 1
    assert result.stderr == (f"Error: --now {shown} is out of range: a change may be dated from 2000-01-01 "
                             "up to a year after today (2027-11-23)\n")
    assert event_count(db) == 1


def test_times_at_the_edges_of_the_range_are_taken(baton: Baton, db: Path) -> None:
    assert baton("lead", "add", "--id", "S-1", "score=1", now="2000-01-01T00:00Z").exit_code == 0
    assert baton("lead", "add", "--id", "S-2", "score=1", now="2027-11-23T09:00Z").exit_code == 0


def test_reading_with_a_time_out_of_range_is_allowed(baton: Baton, db: Path) -> None:
    add_ready_lead(baton, "S-1")
    result = baton("--json", "lead", "list", now="1990-01-01")
    assert result.exit_code == 0, result.stderr


def test_init_with_a_time_out_of_range_creates_nothing(baton: Baton, policy_file: Path, db_path: Path) -> None:
    result = baton("init", "--policy", str(policy_file), now="1999-01-01")
    assert result.exit_code == 1
    assert "is out of range" in result.stderr
    assert not db_path.exists()


def test_the_wall_clock_itself_is_the_machines(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.undo()  # this test: the real clock
    before = dt.datetime.now(dt.UTC).replace(microsecond=0)
    assert before <= statemachine.backfill.wall_clock(WALL) <= dt.datetime.now(dt.UTC)


# -- one size limit for every value -----------------------------------------------------------

LIMIT = 1024 * 1024
OVER = "é" * (LIMIT // 2) + "x"  # 1,048,577 bytes of UTF-8 in 524,289 characters
AT_LIMIT = "é" * (LIMIT // 2)  # exactly 1,048,576 bytes
TOO_LARGE = "is 1,048,577 bytes, over the limit of 1 MB for one value (1,048,576 bytes of UTF-8)"


def _bad(result: object) -> list[tuple[int, str]]:
    return [(b["line"], b["reason"]) for b in as_json(result)["bad"]]  # type: ignore[arg-type]


@pytest.mark.parametrize("suffix", ["csv", "jsonl"])
def test_a_value_over_1_mb_is_a_bad_row_in_csv_and_json_lines_alike(
        baton: Baton, db: Path, tmp_path: Path, suffix: str) -> None:
    leads = tmp_path / f"leads.{suffix}"
    rows = [("a@example.com", "short"), ("b@example.com", OVER), ("c@example.com", AT_LIMIT)]
    if suffix == "csv":
        leads.write_text("email,content\n" + "".join(f'{e},"{c}"\n' for e, c in rows), encoding="utf-8")
    else:
        leads.write_text("".join(json.dumps({"email": e, "content": c}) + "\n" for e, c in rows), encoding="utf-8")
    refused = baton("lead", "import", str(leads))
    assert refused.exit_code == 1
    line = 3 if suffix == "csv" else 2
    assert refused.stderr == (f"Error: {leads}:{line}: field 'content': {TOO_LARGE}; nothing was imported "
                              "(fix that row, or pass --skip-bad to import the good rows)\n")
    assert event_count(db) == 1
    result = baton("--json", "lead", "import", str(leads), "--skip-bad")
    assert _bad(result) == [(line, f"field 'content': {TOO_LARGE}")]
    assert as_json(result)["imported"] == 2


def test_a_csv_cell_beyond_what_csv_reads_says_both_things_it_may_be(baton: Baton, db: Path, tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    import csv

    import statemachine.leadimport.read as read

    monkeypatch.setattr(read, "CSV_CELL_CHARS", 2 * LIMIT)
    limit = csv.field_size_limit(2 * LIMIT)  # as 64 MB would be, without writing 64 MB
    try:
        leads = tmp_path / "leads.csv"
        leads.write_text(f'email,content\na@example.com,"{"x" * (2 * LIMIT + 1)}"\nb@example.com,ok\n',
                         encoding="utf-8")
        result = baton("--json", "lead", "import", str(leads), "--skip-bad")
    finally:
        csv.field_size_limit(limit)
    assert _bad(result) == [(2, "has a cell of more than 2,097,152 characters, far over the limit of 1 MB for one "
                                "value (1,048,576 bytes of UTF-8); shorten it, or check for a quote that is not closed")]


def test_lead_add_and_set_refuse_a_value_over_1_mb(baton: Baton, db: Path) -> None:
    added = baton("lead", "add", "--id", "S-1", f"content={OVER}")
    assert added.exit_code == 1
    assert TOO_LARGE in added.stderr and "content" in added.stderr
    assert len(added.stderr.splitlines()) == 1
    assert baton("lead", "add", "--id", "S-1", f"content={AT_LIMIT}").exit_code == 0
    changed = baton("lead", "set", "S-1", f"next_steps={OVER}")
    assert changed.exit_code == 1
    assert TOO_LARGE in changed.stderr and "next_steps" in changed.stderr
    assert event_count(db) == 2


def test_a_lead_id_over_1_mb_is_refused(baton: Baton, db: Path) -> None:
    result = baton("lead", "add", "--id", "L" * (LIMIT + 1), "score=1")
    assert result.exit_code == 1
    assert "the id is 1,048,577 bytes, over the limit of 1 MB for one value" in result.stderr
    assert event_count(db) == 1


def test_a_policy_file_over_1_mb_is_refused_before_it_is_read(baton: Baton, policy_file: Path) -> None:
    text = policy_file.read_text(encoding="utf-8")
    policy_file.write_text(text + "#" * (LIMIT - len(text.encode()) - 1) + "\n", encoding="utf-8")
    assert policy_file.stat().st_size == LIMIT
    assert baton("policy", "check", str(policy_file)).exit_code == 0  # exactly 1 MB is a policy still
    with policy_file.open("a", encoding="utf-8") as handle:
        handle.write("x")
    result = baton("policy", "check", str(policy_file))
    assert result.exit_code == 1
    assert result.output == (f"{policy_file}:1:1: the file is 1,048,577 bytes, over the limit of 1 MB for a policy "
                             "(1,048,576 bytes); a policy is a few pages of YAML: check this is the right file\n")
    assert baton("init", "--policy", str(policy_file)).exit_code == 1


def test_a_transition_indented_one_space_less_is_named_at_its_own_line(baton: Baton, policy_file: Path) -> None:
    text = policy_file.read_text(encoding="utf-8")
    policy_file.write_text(text.replace("\n  contact: {from: accepted", "\n contact: {from: accepted"), encoding="utf-8")
    line = next(n for n, row in enumerate(policy_file.read_text().splitlines(), 1) if row.startswith(" contact:"))
    result = baton("policy", "check", str(policy_file))
    assert result.output == (f"{policy_file}:{line}:2: this is not valid YAML: the indentation here does not match "
                             "the lines above; line it up with the entries it belongs to\n")
