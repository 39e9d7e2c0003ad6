"""The database file: what Baton refuses to open, what `init` creates, the hash
chain as an auditor recomputes it, and that a refused or failed command
writes nothing.

The chain is checked here with hashlib and json alone, from the SPEC's rule,
never with Baton's own code, so a bug there cannot hide itself.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import stat
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from conftest import BANT, READY, Baton, add_ready_lead, connect_raw, to_sql

import statemachine.leadimport.write
import statemachine.lifecycle
import statemachine.policy.versions
from statemachine.store import Store

# Every database test runs on SQLite and on PostgreSQL, but those about the
# SQLite file itself (its bytes, folder, permissions, locks, PRAGMAs).
pytestmark = pytest.mark.both_stores

GENESIS = "0" * 64
HASHED = ("seq", "lead", "at", "actor", "event", "from", "to", "data", "policy_version", "prev")
EVENT_COLUMNS = [*HASHED, "hash"]
MONDAY = "2026-11-23T09:00:00+00:00"  # conftest's MONDAY_9AM, London in winter


# -- reading the file as an auditor would ------------------------------------------
@contextmanager
def reading(path: Path) -> Iterator[sqlite3.Connection]:
    """A connection of our own, closed at once so Baton stays the last one
    (to a PostgreSQL test database: conftest's `PgTestConnection`)."""
    if str(path).startswith("postgresql://"):
        with closing(connect_raw(path)) as pg:
            yield pg
        return
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
        db.row_factory = sqlite3.Row
        yield db


def event_rows(path: Path) -> list[dict[str, Any]]:
    with reading(path) as db:
        return [dict(row) for row in db.execute("SELECT * FROM events ORDER BY seq")]


def expected_hash(row: dict[str, Any]) -> str:
    """SPEC: SHA-256 of the canonical JSON (keys sorted, `,` and `:`, UTF-8
    without escapes, `data` as an object) of exactly the hashed keys."""
    body = {key: row[key] for key in HASHED}
    body["data"] = json.loads(row["data"])
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def assert_chain_intact(path: Path) -> list[dict[str, Any]]:
    """Seqs run 1, 2, 3 ...; each prev is the hash before; each hash recomputes."""
    rows = event_rows(path)
    prev = GENESIS
    for number, row in enumerate(rows, start=1):
        assert row["seq"] == number, f"seq {row['seq']} where {number} was due"
        assert row["prev"] == prev, f"seq {number} does not link to the event before"
        assert row["hash"] == expected_hash(row), f"seq {number} does not recompute"
        prev = row["hash"]
    return rows


def snapshot(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table: what "writes nothing" compares."""
    if str(path).startswith("postgresql://"):
        return _pg_snapshot(path)
    with reading(path) as db:
        tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        return {t: [tuple(r) for r in db.execute(f'SELECT * FROM "{t}" ORDER BY {_row_order(db, t)}')] for t in tables}


def _pg_snapshot(url: Path) -> dict[str, list[tuple[Any, ...]]]:
    """`snapshot` of a PostgreSQL test database: its schema's tables, rows in the order of all their columns."""
    with reading(url) as db:
        tables = [r[0] for r in db.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() ORDER BY 1")]
        shot = {}
        for table in tables:
            width = len(db.execute(f'SELECT * FROM "{table}" LIMIT 0').description)
            order = ", ".join(str(n) for n in range(1, width + 1))
            shot[table] = [tuple(r) for r in db.execute(f'SELECT * FROM "{table}" ORDER BY {order}')]
        return shot


def _row_order(db: sqlite3.Connection, table: str) -> str:
    """rowid, or the primary key of a WITHOUT ROWID table (`personal`)."""
    try:
        db.execute(f'SELECT rowid FROM "{table}" LIMIT 0')
        return "rowid"
    except sqlite3.OperationalError:
        keys = sorted((pk, name) for _, name, _, _, _, pk in db.execute(f'PRAGMA table_info("{table}")') if pk)
        return ", ".join(f'"{name}"' for _, name in keys)


def folder_listing(path: Path) -> list[str]:
    return sorted(os.listdir(path))


def refusal(result: Result) -> str:
    """The one `Error:` line a refused command ends with; exit 1, no traceback."""
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert result.stdout == ""
    return result.stderr.splitlines()[-1]


def make_read_only(path: Path) -> None:
    # The tests may run as root, whom permissions do not stop; Baton goes by
    # the permission bits, as a user would.
    path.chmod(stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)


# -- files Baton refuses to open -----------------------------------------------------
COMMANDS = [
    ("lead", "show", "L-1"),
    ("lead", "add", "score=70"),
    ("lead", "list"),
    ("lead", "history", "L-1"),
    ("audit", "log"),
    ("policy", "show"),
    ("rep", "list"),
]
WRITE_COMMANDS = [
    ("lead", "add", "score=70"),
    ("lead", "set", "L-1", "score=90"),
    ("lead", "advance", "L-1", "hand_over"),
    ("lead", "attempt", "L-1"),
]
READ_COMMANDS = {  # command -> what its output shows of L-1
    ("lead", "show", "L-1"): "L-1  MQL",
    ("lead", "list"): "L-1 ",
    ("lead", "history", "L-1"): "created",
    ("audit", "log"): "L-1",
}


@pytest.mark.sqlite_only  # a missing file, not created
@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_missing_database_is_refused_by_name_and_not_created(
    baton: Baton, db_path: Path, tmp_path: Path, command: tuple[str, ...]
) -> None:
    result = baton(*command)
    assert refusal(result) == (
        f"Error: no Baton database at {db_path}; create one with "
        "`baton init --policy policies/default.yaml`, or point --db (or BATON_DB) at yours"
    )
    assert folder_listing(tmp_path) == []


@pytest.mark.sqlite_only  # a folder where the file goes
@pytest.mark.parametrize("command", [COMMANDS[0], COMMANDS[1]], ids=" ".join)
def test_folder_given_as_database_is_refused(baton: Baton, db_path: Path, command: tuple[str, ...]) -> None:
    db_path.mkdir()
    assert refusal(baton(*command)) == (
        f"Error: {db_path} is a folder, not a Baton database; point --db at the database file"
    )
    assert os.listdir(db_path) == []


@pytest.mark.sqlite_only  # a file that is not SQLite
@pytest.mark.parametrize("content", [b"id,email\nL-1,ana@example.com\n", b""], ids=["csv", "empty"])
@pytest.mark.parametrize("command", [COMMANDS[0], COMMANDS[1]], ids=" ".join)
def test_file_that_is_not_sqlite_is_refused_and_left_untouched(
    baton: Baton, db_path: Path, tmp_path: Path, command: tuple[str, ...], content: bytes
) -> None:
    db_path.write_bytes(content)
    assert refusal(baton(*command)) == f"Error: {db_path} is not a Baton database (not an SQLite file); check --db"
    assert db_path.read_bytes() == content
    assert folder_listing(tmp_path) == ["baton.db"]


@pytest.mark.sqlite_only  # another program's SQLite file
@pytest.mark.parametrize("command", [COMMANDS[0], COMMANDS[1]], ids=" ".join)
def test_sqlite_file_of_another_program_is_refused_and_left_untouched(
    baton: Baton, db_path: Path, tmp_path: Path, command: tuple[str, ...]
) -> None:
    with closing(sqlite3.connect(db_path)) as other:
        other.execute("CREATE TABLE contacts (name TEXT)")
        other.execute("INSERT INTO contacts VALUES ('Ana')")
        other.commit()
    before = db_path.read_bytes()
    assert refusal(baton(*command)) == (
        f"Error: {db_path} is an SQLite file but not a Baton database; check --db"
    )
    assert db_path.read_bytes() == before
    assert folder_listing(tmp_path) == ["baton.db"]


def test_a_baton_database_missing_newer_tables_is_named_as_another_version(baton: Baton, db: Path) -> None:
    with closing(connect_raw(db)) as conn:
        conn.execute("DROP TABLE outbox")
        conn.commit()
    assert refusal(baton("lead", "list")) == (
        f"Error: {db} was made by another version of Baton (it has no outbox table); use the Baton that made it"
    )


@pytest.mark.sqlite_only  # a damaged SQLite file
def test_damaged_sqlite_file_is_refused_and_left_untouched(baton: Baton, db_path: Path) -> None:
    damaged = b"SQLite format 3\x00" + bytes(range(256)) * 16
    db_path.write_bytes(damaged)
    assert refusal(baton(*COMMANDS[1])) == (
        f"Error: {db_path} is not a Baton database (the SQLite file is damaged); check --db"
    )
    assert db_path.read_bytes() == damaged


@pytest.mark.sqlite_only  # the file's permission bits
@pytest.mark.parametrize("command", WRITE_COMMANDS, ids=" ".join)
def test_read_only_database_refuses_changes_and_stays_byte_identical(
    baton: Baton, db: Path, command: tuple[str, ...]
) -> None:
    add_ready_lead(baton, "L-1")
    make_read_only(db)
    before = db.read_bytes()
    assert refusal(baton(*command)) == (
        f"Error: {db} is read-only; make it writable (chmod u+w) or work on a copy"
    )
    assert db.read_bytes() == before


@pytest.mark.sqlite_only  # the file's permission bits
@pytest.mark.parametrize("command", READ_COMMANDS, ids=" ".join)
def test_read_only_database_still_answers_read_commands(baton: Baton, db: Path, command: tuple[str, ...]) -> None:
    add_ready_lead(baton, "L-1")
    make_read_only(db)
    before = db.read_bytes()
    result = baton(*command)
    assert result.exit_code == 0, result.output
    assert READ_COMMANDS[command] in result.stdout
    assert db.read_bytes() == before


@contextmanager
def held_lock(path: Path, how: str) -> Iterator[sqlite3.Connection]:
    """Another program holding the write lock, as `sqlite3 baton.db` could."""
    with closing(sqlite3.connect(path, isolation_level=None)) as other:
        other.execute(f"BEGIN {how}")
        try:
            yield other
        finally:
            other.execute("ROLLBACK")


@pytest.mark.sqlite_only  # SQLite's own lock modes (PostgreSQL's: test_serve, test_concurrency)
@pytest.mark.parametrize("how", ["IMMEDIATE", "EXCLUSIVE"])
@pytest.mark.parametrize("command", WRITE_COMMANDS, ids=" ".join)
def test_locked_database_refuses_changes_and_says_to_try_again(
    baton: Baton, db: Path, command: tuple[str, ...], how: str
) -> None:
    add_ready_lead(baton, "L-1")
    before = snapshot(db)
    with held_lock(db, how):
        result = baton(*command)
    assert refusal(result) == f"Error: {db} is locked by another Baton command or program; try again in a moment"
    assert snapshot(db) == before


@pytest.mark.sqlite_only  # SQLite's WAL readers beside a writer
def test_locked_database_still_answers_read_commands(baton: Baton, db: Path) -> None:
    # WAL mode: readers see the last commit while someone else writes.
    add_ready_lead(baton, "L-1")
    with held_lock(db, "EXCLUSIVE") as other:
        other.execute("UPDATE leads SET state = 'won' WHERE id = 'L-1'")
        result = baton("--json", "lead", "show", "L-1")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["state"] == "MQL"


@pytest.mark.sqlite_only  # SQLite's exclusive locking mode
def test_database_locked_against_readers_refuses_reads_and_says_to_try_again(baton: Baton, db: Path) -> None:
    add_ready_lead(baton, "L-1")
    with closing(sqlite3.connect(db, isolation_level=None)) as other:
        # Exclusive locking mode keeps even readers out once it has written.
        other.execute("PRAGMA locking_mode = EXCLUSIVE")
        other.execute("BEGIN EXCLUSIVE")
        other.execute("COMMIT")
        result = baton("lead", "show", "L-1")
    assert refusal(result) == f"Error: {db} is locked by another Baton command or program; try again in a moment"


@pytest.mark.parametrize("value", ["soon", "-1"])
def test_bad_busy_timeout_is_refused_in_words(
    baton: Baton, db: Path, monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("BATON_BUSY_TIMEOUT_MS", value)
    assert refusal(baton("lead", "list")) == (
        f"Error: BATON_BUSY_TIMEOUT_MS={value!r} is not a number of milliseconds; set it like 5000, or unset it"
    )


# -- init ------------------------------------------------------------------------------
@pytest.mark.sqlite_only  # the file's journal mode and PRAGMAs
def test_init_creates_a_wal_database_with_the_tables_spec_names(
    baton: Baton, db_path: Path, policy_file: Path
) -> None:
    result = baton("init", "--policy", str(policy_file))
    assert result.exit_code == 0, result.output
    assert result.stdout == f"Created {db_path} with policy default-handover version 1 (8 states, 8 transitions).\n"
    with reading(db_path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        columns = {
            table: [r[1] for r in db.execute(f"PRAGMA table_info({table})")]
            for table in ("events", "leads", "policies")
        }
    assert columns["events"] == EVENT_COLUMNS
    assert {"id", "state", "owner", "email", "score", "budget", "authority", "timeline"} <= set(columns["leads"])
    assert {"version", "text", "hash"} <= set(columns["policies"])


def test_init_keeps_the_exact_policy_text(baton: Baton, db_path: Path, policy_file: Path) -> None:
    assert baton("init", "--policy", str(policy_file)).exit_code == 0
    with reading(db_path) as db:
        rows = db.execute("SELECT version, text FROM policies").fetchall()
    assert [tuple(r) for r in rows] == [(1, policy_file.read_text(encoding="utf-8"))]


def test_init_logs_policy_applied_as_the_first_event_of_the_chain(baton: Baton, db: Path) -> None:
    [first] = assert_chain_intact(db)
    assert first["seq"] == 1
    assert first["lead"] is None
    assert first["event"] == "policy_applied"
    assert first["actor"] == "jane"
    assert first["at"] == MONDAY
    assert (first["from"], first["to"]) == (None, None)
    assert first["policy_version"] == 1
    assert first["prev"] == GENESIS
    assert first["hash"] == expected_hash(first)


@pytest.mark.sqlite_only  # the file's bytes
def test_init_on_an_existing_database_refuses_and_leaves_it_untouched(
    baton: Baton, db: Path, policy_file: Path
) -> None:
    before = db.read_bytes()
    assert refusal(baton("init", "--policy", str(policy_file))) == (
        f"Error: {db} already exists and init never overwrites a file; pick another --db"
    )
    assert db.read_bytes() == before


@pytest.mark.sqlite_only  # a file of another kind
def test_init_over_any_other_file_refuses_and_leaves_it_untouched(
    baton: Baton, db_path: Path, policy_file: Path
) -> None:
    db_path.write_bytes(b"keep me\n")
    assert refusal(baton("init", "--policy", str(policy_file))).startswith(f"Error: {db_path} already exists")
    assert db_path.read_bytes() == b"keep me\n"


@pytest.mark.sqlite_only  # no file made
def test_init_with_a_bad_policy_creates_no_file(baton: Baton, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("policy: [\n", encoding="utf-8")
    result = baton("init", "--policy", str(bad))
    assert result.exit_code == 1
    assert result.stderr.startswith(f"{bad}:2:1: ")
    assert folder_listing(tmp_path) == ["bad.yaml"]


@pytest.mark.sqlite_only  # the file's folder
def test_init_into_a_folder_that_does_not_exist_creates_nothing(
    baton: Baton, tmp_path: Path, policy_file: Path
) -> None:
    target = tmp_path / "nowhere" / "baton.db"
    result = baton("--db", str(target), "init", "--policy", str(policy_file))
    assert refusal(result) == f"Error: cannot create {target}: the folder {target.parent} does not exist"
    assert folder_listing(tmp_path) == ["policy.yaml"]


def test_init_failing_half_way_leaves_no_file_and_no_temporary_files(
    baton: Baton, db_path: Path, tmp_path: Path, policy_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_store_policy = statemachine.policy.versions.store_policy

    def store_then_fail(store: Store, *args: Any) -> Any:
        real_store_policy(store, *args)  # the policy row and first event are written ...
        raise RuntimeError("power cut")  # ... and then the command dies

    monkeypatch.setattr(statemachine.policy.versions, "store_policy", store_then_fail)
    with pytest.raises(RuntimeError, match="power cut"):
        baton("init", "--policy", str(policy_file))
    assert not db_path.exists()
    assert folder_listing(tmp_path) == ["policy.yaml"]


@pytest.mark.sqlite_only  # a file made meanwhile
def test_init_never_replaces_a_database_created_meanwhile(
    baton: Baton, db_path: Path, tmp_path: Path, policy_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two `baton init` at once: the slower one must not overwrite the first."""
    real_store_policy = statemachine.policy.versions.store_policy

    def another_init_wins_meanwhile(store: Store, *args: Any) -> Any:
        db_path.write_bytes(b"the other init's database")
        return real_store_policy(store, *args)

    monkeypatch.setattr(statemachine.policy.versions, "store_policy", another_init_wins_meanwhile)
    assert refusal(baton("init", "--policy", str(policy_file))) == (
        f"Error: {db_path} already exists and init never overwrites a file; pick another --db"
    )
    assert db_path.read_bytes() == b"the other init's database"
    assert folder_listing(tmp_path) == ["baton.db", "policy.yaml"]


# -- the chain ---------------------------------------------------------------------------
def test_every_event_recomputes_and_links_to_the_one_before(baton: Baton, db: Path) -> None:
    assert to_sql(baton, "L-1", "need=Prévisions — mensuelles ✓").exit_code == 0
    assert baton("lead", "attempt", "L-1", "--channel", "call", "--note", "left a message", actor="alice").exit_code == 0
    assert baton("lead", "advance", "L-1", "recycle", "reason=pas de budget cette année", actor="alice").exit_code == 0
    assert baton("lead", "add", "first_name=Zoë", "email=zoe@example.com", "score=12").exit_code == 0
    rows = assert_chain_intact(db)
    assert [(r["lead"], r["event"]) for r in rows] == [
        (None, "policy_applied"),
        ("L-1", "created"), ("L-1", "hand_over"), ("L-1", "updated"), ("L-1", "qualify"),
        ("L-1", "assigned"), ("L-1", "attempt"), ("L-1", "recycle"),
        ("L-2", "created"),
    ]


def test_editing_any_event_breaks_the_recomputed_chain(baton: Baton, db: Path) -> None:
    """The check above would notice a change: the chain is not vacuous."""
    add_ready_lead(baton, "L-1")
    with closing(connect_raw(db)) as writer:
        writer.execute("""UPDATE events SET data = '{"fields":{"score":99}}' WHERE seq = 2""")
        writer.commit()
    with pytest.raises(AssertionError, match="seq 2 does not recompute"):
        assert_chain_intact(db)


# -- refused commands write nothing -------------------------------------------------------
REFUSALS = {
    "guard": (
        ("lead", "advance", "L-low", "hand_over"), "jane",
        "Error: cannot hand_over L-low: the score must reach 60 before marketing hands a lead over",
    ),
    "checklist": (
        ("lead", "advance", "L-bare", "hand_over"), "jane",
        "Error: cannot hand_over L-bare: handover checklist is missing: "
        "contact details, lead source, persona, product of interest, awareness level",
    ),
    "wrong role": (
        ("lead", "advance", "L-1", "hand_over"), "alice",
        "Error: alice may not hand_over L-1: only marketing (jane, omar) may",
    ),
    "wrong state": (
        ("lead", "advance", "L-1", "accept"), "sam",
        "Error: L-1 is in MQL; 'accept' only moves a lead out of SQL",
    ),
    "missing requires key": (
        ("lead", "advance", "L-2", "recycle"), "alice",
        "Error: 'recycle' needs reason: run `baton lead advance L-2 recycle reason=...`",
    ),
    "empty requires key": (
        ("lead", "advance", "L-2", "recycle", "reason="), "alice",
        "Error: 'recycle' needs reason: run `baton lead advance L-2 recycle reason=...`",
    ),
    "key baton writes itself": (
        ("lead", "advance", "L-2", "recycle", "reason=stale", "released=alice"), "alice",
        "Error: released=... cannot be given: Baton itself records in it the rep a transition "
        "takes the lead from; leave released=... out",
    ),
    "unknown lead": (
        ("lead", "advance", "L-404", "hand_over"), "jane",
        "Error: no lead 'L-404'; `baton lead list` shows the leads there are",
    ),
    "unknown lead for an attempt": (
        ("lead", "attempt", "L-404"), "jane",
        "Error: no lead 'L-404'; `baton lead list` shows the leads there are",
    ),
    "unknown trigger": (
        ("lead", "advance", "L-1", "promote"), "jane",
        "Error: no transition 'promote' in the policy "
        "(transitions: hand_over, qualify, accept, contact, win, disqualify, recycle, renurture)",
    ),
    "unknown field": (
        ("lead", "set", "L-1", "score=90", "colour=red"), "jane",
        "Error: no field 'colour' in the policy (fields: first_name, last_name, email, phone, company, title, "
        "persona, source, product, awareness, content, next_steps, score, budget, authority, need, timeline)",
    ),
    "bad value": (
        ("lead", "set", "L-1", "email=new@example.com", "score=lots"), "jane",
        "Error: field 'score': 'lots' is not a whole number (use digits, like 12)",
    ),
    "bad value in a new lead": (
        ("lead", "add", "--id", "L-9", "email=not-an-email"), "jane",
        "Error: field 'email': 'not-an-email' is not an email address (it has no @; write it like jane@example.com)",
    ),
    "duplicate id": (
        ("lead", "add", "--id", "L-1", "email=someone@else.example"), "jane",
        "Error: lead 'L-1' already exists; choose another id or leave --id out",
    ),
}


@pytest.fixture
def leads(baton: Baton, db: Path) -> Path:
    """L-1 ready in MQL, L-2 in SAL, L-low under the score, L-bare with no checklist."""
    add_ready_lead(baton, "L-1")
    add_ready_lead(baton, "L-2")
    assert baton("lead", "advance", "L-2", "hand_over").exit_code == 0
    low = [f for f in READY if not f.startswith("score=")]
    assert baton("lead", "add", "--id", "L-low", *low, "score=20").exit_code == 0
    assert baton("lead", "add", "--id", "L-bare", "score=80").exit_code == 0
    return db


@pytest.mark.parametrize("case", list(REFUSALS))
def test_refused_command_writes_nothing(baton: Baton, leads: Path, case: str) -> None:
    command, actor, message = REFUSALS[case]
    before = snapshot(leads)
    assert refusal(baton(*command, actor=actor)) == message
    assert snapshot(leads) == before


# -- failures half-way roll everything back ---------------------------------------------------
def test_failure_after_the_first_event_rolls_back_the_whole_command(
    baton: Baton, db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_ready_lead(baton, "L-1")
    assert baton("lead", "advance", "L-1", "hand_over").exit_code == 0
    assert baton("lead", "set", "L-1", *BANT, actor="alice").exit_code == 0
    before = snapshot(db)

    def routing_crashes(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("routing crashed")

    # `qualify` appends its event, then routes the lead on entering SQL.
    monkeypatch.setattr(statemachine.lifecycle, "choose_rep", routing_crashes)
    with pytest.raises(RuntimeError, match="routing crashed"):
        baton("lead", "advance", "L-1", "qualify", actor="alice")
    assert snapshot(db) == before
    monkeypatch.undo()
    assert baton("lead", "advance", "L-1", "qualify", actor="alice").exit_code == 0
    assert_chain_intact(db)


def test_import_failing_half_way_imports_nothing(
    baton: Baton, db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = tmp_path / "leads.csv"
    source.write_text("id,email,score\n" + "".join(f"I-{n},i{n}@example.com,{n}\n" for n in range(10)))
    before = snapshot(db)
    real_flush = statemachine.leadimport.write._Batch.flush
    flushed = []

    def flush_then_crash(batch: Any) -> None:
        if len(flushed) == 2:
            raise RuntimeError("crashed after six rows were written")
        flushed.append(real_flush(batch))

    monkeypatch.setattr(statemachine.leadimport.write, "BATCH", 3)
    monkeypatch.setattr(statemachine.leadimport.write._Batch, "flush", flush_then_crash)
    with pytest.raises(RuntimeError, match="six rows"):
        baton("lead", "import", str(source))
    assert len(flushed) == 2
    assert snapshot(db) == before


@pytest.mark.sqlite_only  # SQLite's max_page_count as a full disk
def test_full_disk_is_refused_with_sqlites_reason_and_writes_nothing(
    baton: Baton, db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLite rolls the transaction back itself on a full disk; Baton must
    still report the full disk, not its own failed ROLLBACK."""
    add_ready_lead(baton, "L-1")
    before = snapshot(db)
    real_open = Store.open

    def open_on_a_full_disk(path: str, *, write: bool) -> Store:
        store = real_open(path, write=write)
        pages = store.db.execute("PRAGMA page_count").fetchone()[0]
        store.db.execute(f"PRAGMA max_page_count = {pages}")  # not one page more
        return store

    monkeypatch.setattr(Store, "open", staticmethod(open_on_a_full_disk))
    result = baton("lead", "add", "--id", "L-2", "need=" + "a long story " * 5000)
    assert refusal(result) == f"Error: {db}: database error: database or disk is full"
    assert snapshot(db) == before


