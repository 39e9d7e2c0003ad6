"""Auditors' commands: `audit verify` names every way the database can be
tampered with, `audit replay` gives leads as they stood at a past moment,
`audit rebuild` writes the projection afresh, and `audit log` filters and
exports the log.

Forgeries are written with sqlite3 (psycopg on PostgreSQL) and a chain recomputed from the SPEC's
rule (`test_database.expected_hash`), never with Baton's own code.
"""

from __future__ import annotations

import csv
import io
import json
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from conftest import BANT, Baton, add_ready_lead, as_json, connect_raw, json_lines, run_process, sign_off
from test_database import expected_hash, reading, snapshot

pytestmark = pytest.mark.both_stores  # every database test here runs on SQLite and on PostgreSQL

SUMMARY = "the chain is intact, every transition was legal, the leads table matches the log"
# What verify adds once after the problems when the leads table (or a rep's count) disagrees with the log.
TABLE_HINT = ("The leads table and the log disagree: either one may be the one that was altered. "
              "`baton audit rebuild` rewrites the table from the log, so run it only once you trust the log "
              "(`baton audit verify --expect SEQ:HASH` holds it against a head kept earlier).")
AT = "2026-11-23T09:00:00+00:00"


# -- building a history and tampering with it ------------------------------------------
def tamper(db: Path, sql: str, *params: Any) -> None:
    with closing(connect_raw(db)) as conn:
        conn.execute(sql, params)
        conn.commit()


def seq_of(db: Path, lead: str, event: str) -> int:
    with reading(db) as conn:
        return int(conn.execute("SELECT seq FROM events WHERE lead = ? AND event = ?", (lead, event)).fetchone()[0])


def last_seq(db: Path) -> int:
    with reading(db) as conn:
        return int(conn.execute("SELECT max(seq) FROM events").fetchone()[0])


def rechain(db: Path, start: int = 1) -> None:
    """Recompute prev and hash from `start` on, as a forger who knows the rule would."""
    with closing(connect_raw(db)) as conn:
        rows = [dict(r) for r in conn.execute("SELECT * FROM events WHERE seq >= ? - 1 ORDER BY seq", (start,))]
        prev = rows[0]["hash"] if rows[0]["seq"] == start - 1 else "0" * 64
        for row in rows:
            if row["seq"] < start:
                continue
            row["prev"] = prev
            row["hash"] = expected_hash(row)
            conn.execute("UPDATE events SET prev = ?, hash = ? WHERE seq = ?", (row["prev"], row["hash"], row["seq"]))
            prev = row["hash"]
        conn.commit()


def forge(db: Path, lead: str | None, actor: str, event: str, from_: str | None, to: str | None,
          data: dict[str, Any] | None = None, version: int = 1, at: str = AT) -> int:
    """Append a fully chained forged event; returns its seq."""
    with closing(connect_raw(db)) as conn:
        seq, prev = conn.execute("SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1").fetchone()
        row = {
            "seq": seq + 1, "lead": lead, "at": at, "actor": actor, "event": event, "from": from_, "to": to,
            "data": json.dumps(data or {}, sort_keys=True, separators=(",", ":")), "policy_version": version,
            "prev": prev,
        }
        row["hash"] = expected_hash(row)
        conn.execute("INSERT INTO events VALUES (?,?,?,?,?,?,?,?,?,?,?)", tuple(row.values()))
        conn.commit()
        return seq + 1


def problems(result: Any) -> list[str]:
    """The lines a failed verify prints on stderr; exit 1, nothing on stdout."""
    assert result.exit_code == 1, result.output
    assert result.stdout == ""
    assert "Traceback" not in result.output
    return without_table_hint(result.stderr.splitlines())


def without_table_hint(lines: list[str]) -> list[str]:
    """The problem lines, once the table hint is proven to close them exactly
    when a lead or a rep differs from the log."""
    table_differs = any(line.startswith(("lead ", "rep ")) for line in lines)
    assert (lines[-1:] == [TABLE_HINT]) == table_differs, lines
    assert lines.count(TABLE_HINT) == (1 if table_differs else 0), lines
    return lines[:-1] if table_differs else lines


def verified(db: Path, leads: int, events: int | None = None) -> str:
    """verify's summary line for a log of `events` events (all of them, if None)."""
    seq = last_seq(db) if events is None else events
    with reading(db) as conn:
        digest = conn.execute("SELECT hash FROM events WHERE seq = ?", (seq,)).fetchone()[0]
    return f"verified {seq} events, {leads} leads: {SUMMARY}; head: seq {seq}, hash {digest}\n"


def head_json(db: Path) -> dict[str, Any]:
    with reading(db) as conn:
        seq, digest = conn.execute("SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1").fetchone()
    return {"seq": seq, "hash": digest}


# -- verify: an untouched log ------------------------------------------------------------
def test_verify_passes_on_an_untouched_log(baton: Baton, story: Path) -> None:
    result = baton("audit", "verify")
    assert result.exit_code == 0
    assert result.stdout == verified(story, 2)
    assert result.stderr == ""


def test_verify_json_is_one_summary_object(baton: Baton, story: Path) -> None:
    assert as_json(baton("--json", "audit", "verify")) == {
        "ok": True, "events": last_seq(story), "leads": 2, "head": head_json(story), "problems": [],
    }


def test_verify_json_lists_problems_and_exits_1(baton: Baton, story: Path) -> None:
    tamper(story, "UPDATE leads SET state = 'won' WHERE id = 'L-2'")
    result = baton("--json", "audit", "verify")
    assert result.exit_code == 1
    assert json.loads(result.stdout) == {
        "ok": False, "events": last_seq(story), "leads": 2, "head": head_json(story),
        "problems": [{"lead": "L-2", "message": "the leads table does not match the log: state 'won' (log: 'MQL')"}],
        "hint": TABLE_HINT,
    }


def test_verify_json_gives_no_table_hint_when_only_an_event_is_wrong(baton: Baton, story: Path) -> None:
    """The hint is about the leads table; an edited event of no lead leaves
    the table agreeing with the log, so a script is not told to distrust it."""
    assert baton("rep", "away", "bob", actor="sam").exit_code == 0
    seq = last_seq(story)
    tamper(story, "UPDATE events SET data = replace(data, 'bob', 'carol') WHERE seq = ?", seq)
    result = baton("--json", "audit", "verify")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["problems"] == [{"seq": seq, "message": "its content does not match its hash (it was changed)"}]
    assert "hint" not in report


def test_verify_passes_after_personal_values_are_erased(baton: Baton, story: Path) -> None:
    """The handover checklist read L-1's email; erased, it still counts as given."""
    tamper(story, "DELETE FROM personal")
    assert baton("audit", "verify").stdout == verified(story, 2)


def test_verify_judges_one_moment_while_other_commands_commit(
    baton: Baton, story: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Commands that commit after verify has walked the log (a new lead, an
    attempt on L-2) are not false alarms about the leads table: verify reads
    the log and the tables as of the moment it started."""
    from conftest import MONDAY_9AM

    from statemachine import audit, lifecycle
    from statemachine.workspace import Workspace

    walked = last_seq(story)
    compare = audit.Verifier.compare

    def others_commit_then_compare(verifier: audit.Verifier, store: Any) -> None:
        ws = Workspace.open(str(story), "jane", MONDAY_9AM, write=True)
        try:
            lifecycle.add_lead(ws, "L-3", [("score", "5")])
            lifecycle.log_attempt(ws, "L-2", "phone", None)
        finally:
            ws.close()
        compare(verifier, store)

    monkeypatch.setattr(audit.Verifier, "compare", others_commit_then_compare)
    result = baton("audit", "verify")
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout == verified(story, 2, events=walked)
    assert last_seq(story) == walked + 2


def run_verify(db: Path, stderr_on_a_terminal: bool) -> tuple[int, str, str]:
    """`baton audit verify` as a real process: (exit code, stdout, stderr),
    its stderr a pseudo-terminal or a pipe."""
    import os

    from test_concurrency import baton_executable

    env = {**os.environ, "BATON_DB": str(db), "BATON_ACTOR": "auditor"}
    return run_process([baton_executable(), "audit", "verify"], env, stderr_on_a_terminal)


def test_verify_draws_a_progress_bar_on_a_terminal_only(story: Path) -> None:
    summary = verified(story, 2)
    code, stdout, terminal = run_verify(story, stderr_on_a_terminal=True)
    assert (code, stdout) == (0, summary)
    assert "verifying" in terminal and "100%" in terminal
    assert run_verify(story, stderr_on_a_terminal=False) == (0, summary, "")


def long_history(baton: Baton, db: Path, attempts: int) -> Path:
    """One lead with `attempts` contact attempts logged: a log that grows
    while the projection stays one row."""
    from conftest import MONDAY_9AM

    from statemachine import lifecycle
    from statemachine.workspace import Workspace

    assert baton("lead", "add", "--id", "L-1", "score=1").exit_code == 0
    ws = Workspace.open(str(db), "jane", MONDAY_9AM, write=True)
    try:
        with ws.store.transaction():
            recorder = lifecycle.Recorder(ws, lifecycle.read_row(ws.store, ws.policy, "L-1"))
            for number in range(attempts):
                recorder.record("L-1", "attempt", "MQL", "MQL", {"note": f"call {number}: " + "x" * 200})
            recorder.save()
    finally:
        ws.close()
    return db


def verify_peak_bytes(db: Path) -> int:
    """The most memory (Python objects) `verify` held at once, on a passing log."""
    import tracemalloc

    from statemachine.audit import verify
    from statemachine.store import Store

    store = Store.open(str(db), write=False)
    try:
        tracemalloc.start()
        try:
            report = verify(store)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    finally:
        store.close()
    assert report.ok, report.problems
    return peak


def test_verify_memory_does_not_grow_with_the_log(
    tmp_path: Path, policy_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ten times the events, read in chunks of 200: the peak stays about the
    same (reading the whole log at once would hold every event: about 10x)."""
    from click.testing import CliRunner
    from conftest import MONDAY_9AM

    from cli.main import cli
    from statemachine.audit import read

    monkeypatch.setattr(read, "CHUNK", 200)
    logs = {}
    for attempts in (1_000, 10_000):
        db = tmp_path / f"{attempts}.db"

        def run(*args: str, db: Path = db) -> Any:
            return CliRunner().invoke(cli, ["--db", str(db), "--as", "jane", "--now", MONDAY_9AM, *args])

        assert run("init", "--policy", str(policy_file)).exit_code == 0
        logs[attempts] = long_history(run, db, attempts)
    verify_peak_bytes(logs[1_000])  # first-use costs (imports, caches) out of the way
    small, large = verify_peak_bytes(logs[1_000]), verify_peak_bytes(logs[10_000])
    assert large < 1.5 * small, f"peak {large} bytes for 10,000 events against {small} for 1,000"


def test_verify_memory_does_not_grow_with_the_number_of_leads(
    tmp_path: Path, policy_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ten times the leads: the walk keeps one lead at a time, so the peak
    stays about the same (keeping every replayed lead would give about 10x)."""
    from click.testing import CliRunner
    from conftest import MONDAY_9AM

    from cli.main import cli
    from statemachine.audit import read

    monkeypatch.setattr(read, "CHUNK", 200)
    peaks = {}
    for leads in (300, 3_000):
        db = tmp_path / f"{leads}.db"
        export = tmp_path / f"{leads}.csv"
        export.write_text("email,need,score\n" + "".join(
            f"lead{n}@example.com,{'x' * 300},{n % 100}\n" for n in range(leads)))

        def run(*args: str, db: Path = db) -> Any:
            return CliRunner().invoke(cli, ["--db", str(db), "--as", "jane", "--now", MONDAY_9AM, *args])

        assert run("init", "--policy", str(policy_file)).exit_code == 0
        assert run("lead", "import", str(export)).exit_code == 0
        peaks[leads] = verify_peak_bytes(db)
    small, large = peaks[300], peaks[3_000]
    assert large < 1.5 * small, f"peak {large} bytes for 3,000 leads against {small} for 300"


@pytest.mark.parametrize("leads_too", [False, True], ids=["personal only", "personal and leads"])
def test_edited_personal_value_is_named_at_the_event_holding_its_digest(
    baton: Baton, story: Path, leads_too: bool
) -> None:
    """The log holds only a salted digest of L-1's email; a value swapped in
    the personal table (and the leads table made to agree) no longer matches it."""
    tamper(story, "UPDATE personal SET value = '\"eve@evil.example\"' WHERE lead = 'L-1' AND field = 'email'")
    if leads_too:
        tamper(story, "UPDATE leads SET email = 'eve@evil.example' WHERE id = 'L-1'")
    assert problems(baton("audit", "verify")) == [
        f"seq {seq_of(story, 'L-1', 'created')}: the personal table holds a value for L-1's email that does not "
        "match the digest the log recorded (it was changed)"
    ]
    (row,) = json_lines(baton("--json", "audit", "replay", "--as-of", "2026-12-01", "--lead", "L-1"))
    assert row["fields"]["email"] == "[erased]"  # never the forged value


# -- verify: the chain -------------------------------------------------------------------
def test_edited_event_is_named_by_its_seq(baton: Baton, story: Path) -> None:
    seq = seq_of(story, "L-1", "updated")
    tamper(story, "UPDATE events SET data = replace(data, '25000.0', '95000.0') WHERE seq = ?", seq)
    assert problems(baton("audit", "verify")) == [f"seq {seq}: its content does not match its hash (it was changed)"]


def test_edited_actor_is_named_by_its_seq(baton: Baton, story: Path) -> None:
    seq = seq_of(story, "L-1", "qualify")
    tamper(story, "UPDATE events SET actor = 'bob' WHERE seq = ?", seq)
    assert problems(baton("audit", "verify")) == [f"seq {seq}: its content does not match its hash (it was changed)"]


@pytest.mark.sqlite_only  # a PostgreSQL text column cannot hold a blob
@pytest.mark.parametrize("column", ["actor", "at", "lead", "hash"])
def test_a_column_turned_into_a_blob_is_named_by_its_seq_not_a_crash(baton: Baton, story: Path, column: str) -> None:
    """Bytes have no canonical JSON, so no hash of them can match: verify must
    say which event was changed, not stop with a traceback. (`data` as a BLOB
    of the same bytes decodes to the same object, so it still verifies.)"""
    seq = seq_of(story, "L-1", "qualify")
    tamper(story, f'UPDATE events SET "{column}" = CAST("{column}" AS BLOB) WHERE seq = ?', seq)
    found = problems(baton("audit", "verify"))
    assert found and found[0].startswith(f"seq {seq}: "), found


def test_deleted_event_is_named_by_its_seq(baton: Baton, story: Path) -> None:
    seq = seq_of(story, "L-1", "hand_over")
    tamper(story, "DELETE FROM events WHERE seq = ?", seq)
    assert problems(baton("audit", "verify")) == [f"seq {seq}: missing (the next event is seq {seq + 1})"]


def test_forged_event_with_its_own_hash_but_a_wrong_prev_is_named(baton: Baton, story: Path) -> None:
    """Inserted in the middle: the later events are renumbered to make room."""
    seq = seq_of(story, "L-1", "qualify")
    tamper(story, "UPDATE events SET seq = -seq - 1 WHERE seq >= ?", seq)
    tamper(story, "UPDATE events SET seq = -seq WHERE seq < 0")
    row = {
        "seq": seq, "lead": "L-1", "at": AT, "actor": "alice", "event": "attempt", "from": "SAL", "to": "SAL",
        "data": "{}", "policy_version": 1, "prev": "f" * 64,
    }
    row["hash"] = expected_hash(row)
    tamper(story, "INSERT INTO events VALUES (?,?,?,?,?,?,?,?,?,?,?)", *row.values())
    assert problems(baton("audit", "verify")) == [f"seq {seq}: its prev does not match the hash of seq {seq - 1}"]


def test_forged_event_appended_at_the_end_with_a_wrong_prev_is_named(baton: Baton, story: Path) -> None:
    seq = last_seq(story) + 1
    row = {
        "seq": seq, "lead": "L-2", "at": AT, "actor": "jane", "event": "attempt", "from": "MQL", "to": "MQL",
        "data": "{}", "policy_version": 1, "prev": "0" * 64,
    }
    row["hash"] = expected_hash(row)
    tamper(story, "INSERT INTO events VALUES (?,?,?,?,?,?,?,?,?,?,?)", *row.values())
    assert problems(baton("audit", "verify")) == [f"seq {seq}: its prev does not match the hash of seq {seq - 1}"]


def insert_at(db: Path, seq: int, lead: str, actor: str, event: str, from_: str, to: str) -> None:
    """Insert an event at `seq`, renumbering the later ones, and rechain the lot."""
    tamper(db, "UPDATE events SET seq = -seq - 1 WHERE seq >= ?", seq)
    tamper(db, "UPDATE events SET seq = -seq WHERE seq < 0")
    tamper(db, "INSERT INTO events VALUES (?,?,?,?,?,?,?,'{}',1,'','')", seq, lead, AT, actor, event, from_, to)
    rechain(db, seq)


def test_forgery_inserted_mid_log_and_rechained_is_caught_by_the_rules(baton: Baton, story: Path) -> None:
    """Alice qualifies L-1 before its BANT was known; every hash after it is
    recomputed, and the real qualify later no longer fits the replayed state."""
    seq = seq_of(story, "L-1", "updated")
    insert_at(story, seq, "L-1", "alice", "qualify", "SAL", "SQL")
    assert baton("audit", "rebuild").exit_code == 0
    assert problems(baton("audit", "verify")) == [
        f"seq {seq}: not legal under policy version 1: cannot qualify L-1: "
        "qualification checklist is missing: budget, authority, need, timeline",
        f"seq {seq + 2}: not legal under policy version 1: L-1 qualify says it left SAL, but the log had L-1 in SQL",
    ]


def test_reordered_events_are_named_at_the_first_swapped_seq(baton: Baton, story: Path) -> None:
    first, second = seq_of(story, "L-1", "hand_over"), seq_of(story, "L-1", "updated")
    tamper(story, "UPDATE events SET seq = -1 WHERE seq = ?", first)
    tamper(story, "UPDATE events SET seq = ? WHERE seq = ?", first, second)
    tamper(story, "UPDATE events SET seq = ? WHERE seq = -1", second)
    assert problems(baton("audit", "verify")) == [f"seq {first}: its prev does not match the hash of seq {first - 1}"]


def test_only_the_first_chain_break_is_reported(baton: Baton, story: Path) -> None:
    tamper(story, "UPDATE events SET actor = 'mallory' WHERE seq >= 2")
    assert problems(baton("audit", "verify")) == ["seq 2: its content does not match its hash (it was changed)"]


def test_edited_policy_text_is_named_at_its_policy_applied_event(baton: Baton, story: Path) -> None:
    tamper(story, "UPDATE policies SET text = replace(text, 'score >= 60', 'score >= 0') WHERE version = 1")
    assert problems(baton("audit", "verify")) == [
        "seq 1: the stored text of policy version 1 does not match the hash recorded when it was applied"
    ]


@pytest.mark.parametrize(("sql", "versions"), [
    ("DELETE FROM policies", "none"),
    ("UPDATE meta SET value = '7' WHERE key = 'policy_version'", "1"),
], ids=["policies emptied", "meta points at no version"])
def test_missing_policy_text_is_named_not_taken_for_an_uninitialised_database(
    baton: Baton, story: Path, sql: str, versions: str
) -> None:
    tamper(story, sql)
    version = "7" if "meta" in sql else "1"
    result = baton("audit", "verify")
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: {story} says policy version {version} is in force, but its policies table has no version "
        f"{version} (versions: {versions}); the table was changed outside Baton: restore the database from a backup\n"
    )


# -- verify: every transition legal, as the log had the lead -----------------------------
FORGERIES = {
    "guards and checklist": (
        ("L-2", "jane", "hand_over", "MQL", "SAL", {}),
        "cannot hand_over L-2: handover checklist is missing: contact details, lead source, persona, "
        "product of interest, awareness level; the score must reach 60 before marketing hands a lead over",
    ),
    "role": (
        ("L-1", "bob", "accept", "SQL", "accepted", {}),
        "bob may not accept L-1: only the lead's owner or sales_manager (sam) may",
    ),
    "state": (
        ("L-1", "alice", "win", "SQL", "won", {}),
        "L-1 was in SQL; 'win' only moves a lead out of contacted",
    ),
    "from": (
        ("L-1", "alice", "accept", "MQL", "accepted", {}),
        "L-1 accept says it left MQL, but the log had L-1 in SQL",
    ),
    "to": (
        ("L-1", "alice", "accept", "SQL", "won", {}),
        "L-1 accept went to won, but 'accept' goes to accepted",
    ),
    "requires": (
        ("L-1", "alice", "recycle", "SQL", "recycled", {"reason": "  "}),
        "L-1 recycle was fired without reason",
    ),
}


@pytest.mark.parametrize("forged", FORGERIES.values(), ids=FORGERIES.keys())
def test_rechained_forgery_of_an_illegal_transition_is_caught_by_the_rules(
    baton: Baton, story: Path, forged: tuple[tuple[Any, ...], str]
) -> None:
    """The chain and the leads table are made consistent with the forgery
    (`audit rebuild`); only the policy can tell."""
    (lead, actor, trigger, from_, to, data), why = forged
    seq = forge(story, lead, actor, trigger, from_, to, data)
    assert baton("audit", "rebuild").exit_code == 0
    assert problems(baton("audit", "verify")) == [f"seq {seq}: not legal under policy version 1: {why}"]


def test_legal_forgery_by_the_owner_passes(baton: Baton, story: Path) -> None:
    """The rules are what is checked: a legal event is legal, whoever wrote it."""
    forge(story, "L-1", "alice", "accept", "SQL", "accepted")
    assert baton("audit", "rebuild").exit_code == 0
    assert baton("audit", "verify").exit_code == 0


def test_forged_unknown_trigger_is_named(baton: Baton, story: Path) -> None:
    seq = forge(story, "L-1", "alice", "teleport", "SQL", "won")
    assert baton("audit", "rebuild").exit_code == 0
    assert problems(baton("audit", "verify")) == [f"seq {seq}: 'teleport' is not a transition of policy version 1"]


def test_forged_move_without_a_policy_map_is_named(baton: Baton, story: Path) -> None:
    seq = forge(story, "L-1", "jane", "moved", "SQL", "MQL")
    assert baton("audit", "rebuild").exit_code == 0
    assert problems(baton("audit", "verify")) == [
        f"seq {seq}: L-1 moved from SQL to MQL, but no policy apply --map SQL=MQL moved it"
    ]


def test_event_recorded_under_a_version_not_in_force_is_named(baton: Baton, story: Path) -> None:
    seq = forge(story, "L-2", "jane", "attempt", "MQL", "MQL", version=2)
    assert baton("audit", "rebuild").exit_code == 0
    assert problems(baton("audit", "verify")) == [f"seq {seq}: it records policy version 2, but version 1 was in force"]


def test_event_of_a_lead_never_created_is_named(baton: Baton, story: Path) -> None:
    seq = forge(story, "L-77", "jane", "attempt", "MQL", "MQL")
    assert problems(baton("audit", "verify")) == [f"seq {seq}: an event for L-77 before it was created"]


def test_guards_are_judged_on_the_fields_as_they_were_then(baton: Baton, story: Path) -> None:
    """L-1's score drops to 10 after its handover: the handover stays legal."""
    assert baton("lead", "set", "L-1", "score=10").exit_code == 0
    assert baton("audit", "verify").exit_code == 0


# -- verify: one read of the log, the same findings as a walk in seq order ----------------
def seq_walk_report(db: Path) -> list[str]:
    """What the walk in seq order alone finds (the one `verify` falls back
    to when the chain breaks), to hold the one-read walk to it."""
    from statemachine.audit import verifier
    from statemachine.audit.report import _problem_order
    from statemachine.store import Store

    store = Store.open(str(db), write=False)
    try:
        with store.snapshot():
            report = verifier._verify_in_seq_order(store, None)
    finally:
        store.close()
    report.problems.sort(key=_problem_order)
    return [str(p) for p in report.problems]


@pytest.fixture
def applied(baton: Baton, story: Path, tmp_path: Path) -> Path:
    """The story, then L-3 and L-4 handed over, version 2 applied renaming
    SAL to handed (--map SAL=handed: two `moved` events right after the
    policy_applied), bob away (an event of no lead), and an attempt on L-2."""
    from test_policy_apply import variant

    for lead in ("L-3", "L-4"):
        add_ready_lead(baton, lead)
        assert baton("lead", "advance", lead, "hand_over").exit_code == 0
    v2 = variant(tmp_path, 2, rename_sal=True)
    sign_off(baton, v2)
    assert baton("policy", "apply", str(v2), "--map", "SAL=handed", actor="sam").exit_code == 0
    assert baton("rep", "away", "bob", actor="bob").exit_code == 0
    assert baton("lead", "attempt", "L-2").exit_code == 0
    return story


def test_moves_right_after_their_policy_apply_pass_in_one_read(baton: Baton, applied: Path) -> None:
    assert baton("audit", "verify").exit_code == 0
    assert seq_walk_report(applied) == []


def test_a_move_forged_after_other_events_is_named_wherever_the_lead_sorts(baton: Baton, applied: Path) -> None:
    """Read lead by lead, each event is still judged by where it stands in
    seq order: a `moved` that fits the --map but comes after another event
    (bob away), recorded under version 1 after version 2 went in force."""
    seq = rep_away_seq(applied)
    insert_at(applied, seq + 1, "L-3", "sam", "moved", "SAL", "handed")
    assert baton("audit", "rebuild").exit_code == 0
    found = problems(baton("audit", "verify"))
    assert found == [
        f"seq {seq + 1}: L-3 moved from SAL to handed, but no policy apply --map SAL=handed moved it",
        f"seq {seq + 1}: it records policy version 1, but version 2 was in force",
        f"seq {seq + 1}: L-3 moved from SAL, but the log had it in handed",
    ]
    assert found == seq_walk_report(applied)


def test_a_move_forged_inside_the_run_of_moves_is_judged_by_the_map(baton: Baton, applied: Path) -> None:
    moved = seq_of(applied, "L-3", "moved")
    insert_at(applied, moved + 1, "L-1", "sam", "moved", "SQL", "MQL")
    assert baton("audit", "rebuild").exit_code == 0
    found = problems(baton("audit", "verify"))
    assert found == [
        f"seq {moved + 1}: L-1 moved from SQL to MQL, but no policy apply --map SQL=MQL moved it",
        f"seq {moved + 1}: it records policy version 1, but version 2 was in force",
    ]
    assert found == seq_walk_report(applied)


def rep_away_seq(db: Path) -> int:
    with reading(db) as conn:
        return int(conn.execute("SELECT seq FROM events WHERE event = 'rep_away'").fetchone()[0])


def test_an_edited_event_of_no_lead_is_named_by_its_seq(baton: Baton, applied: Path) -> None:
    seq = rep_away_seq(applied)
    tamper(applied, "UPDATE events SET data = replace(data, 'bob', 'carol') WHERE seq = ?", seq)
    assert problems(baton("audit", "verify")) == [f"seq {seq}: its content does not match its hash (it was changed)"]


def test_a_broken_chain_still_has_the_events_before_it_judged(baton: Baton, story: Path) -> None:
    """The illegal forgery before the break is named; nothing after the
    break is judged or compared, and the leads are those seen before it."""
    forged = forge(story, "L-2", "jane", "hand_over", "MQL", "SAL")
    assert baton("lead", "set", "L-2", "score=99").exit_code == 0
    assert baton("lead", "add", "--id", "L-5", "score=1").exit_code == 0
    edited = last_seq(story)
    tamper(story, "UPDATE events SET actor = 'mallory' WHERE seq = ?", edited)
    tamper(story, "UPDATE leads SET state = 'won'")
    result = baton("--json", "audit", "verify")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert (report["events"], report["leads"]) == (edited - 1, 2)
    assert [p["seq"] for p in report["problems"]] == [forged, edited]
    assert report["problems"][1]["message"] == "its content does not match its hash (it was changed)"


# -- verify: the leads projection ----------------------------------------------------------
@pytest.mark.parametrize(("sql", "message"), [
    ("UPDATE leads SET state = 'won' WHERE id = 'L-1'",
     "lead L-1: the leads table does not match the log: state 'won' (log: 'SQL')"),
    ("UPDATE leads SET owner = 'bob' WHERE id = 'L-1'",
     "lead L-1: the leads table does not match the log: owner 'bob' (log: 'alice')"),
    ("UPDATE leads SET budget = 99, authority = 0 WHERE id = 'L-1'",
     "lead L-1: the leads table does not match the log: budget 99.0 (log: 25000.0), authority 0 (log: True)"),
    ("UPDATE leads SET attempts = 3 WHERE id = 'L-2'",
     "lead L-2: the leads table does not match the log: attempts 3 (log: 0)"),
    ("DELETE FROM leads WHERE id = 'L-2'",
     "lead L-2: in the log but missing from the leads table"),
    ("INSERT INTO leads (id, state, attempts) VALUES ('L-99', 'won', 0)",
     "lead L-99: in the leads table but not in the log"),
], ids=["state", "owner", "fields", "attempts", "deleted row", "added row"])
def test_edited_leads_table_is_named_by_lead(baton: Baton, story: Path, sql: str, message: str) -> None:
    tamper(story, sql)
    assert problems(baton("audit", "verify")) == [message]


def test_every_differing_lead_is_listed(baton: Baton, story: Path) -> None:
    tamper(story, "UPDATE leads SET score = score + 1")
    assert problems(baton("audit", "verify")) == [
        "lead L-1: the leads table does not match the log: score 76 (log: 75)",
        "lead L-2: the leads table does not match the log: score 11 (log: 10)",
    ]


# -- replay ------------------------------------------------------------------------------
@pytest.fixture
def day(baton: Baton, db: Path) -> Path:
    """L-1 created 09:00, handed over 10:00, qualified 11:00; L-2 created 12:00;
    then L-3 back-filled as created at 08:00."""
    add_ready_lead(baton, "L-1")
    assert baton("lead", "advance", "L-1", "hand_over", now="2026-11-23T10:00").exit_code == 0
    assert baton("lead", "set", "L-1", *BANT, actor="alice", now="2026-11-23T11:00").exit_code == 0
    assert baton("lead", "advance", "L-1", "qualify", actor="alice", now="2026-11-23T11:00").exit_code == 0
    assert baton("lead", "add", "--id", "L-2", "score=10", now="2026-11-23T12:00").exit_code == 0
    assert baton("lead", "add", "--id", "L-3", "score=20", now="2026-11-23T08:00").exit_code == 0
    return db


def states_at(baton: Baton, moment: str, *extra: str) -> list[tuple[str, str, str | None]]:
    return [(r["id"], r["state"], r["owner"]) for r in json_lines(baton("--json", "audit", "replay", "--as-of", moment, *extra))]


@pytest.mark.parametrize(("moment", "expected"), [
    ("2026-11-23T07:59", []),
    ("2026-11-23T08:30", [("L-3", "MQL", None)]),
    ("2026-11-23T09:59", [("L-1", "MQL", None), ("L-3", "MQL", None)]),
    ("2026-11-23T10:00", [("L-1", "SAL", None), ("L-3", "MQL", None)]),
    ("2026-11-23T11:30", [("L-1", "SQL", "alice"), ("L-3", "MQL", None)]),
    ("2026-11-23T12:00:00+00:00", [("L-1", "SQL", "alice"), ("L-2", "MQL", None), ("L-3", "MQL", None)]),
])
def test_replay_gives_the_leads_as_they_stood_at_a_moment(
    baton: Baton, day: Path, moment: str, expected: list[tuple[str, str, str | None]]
) -> None:
    assert states_at(baton, moment) == expected


def test_replay_reads_the_log_alone(baton: Baton, day: Path) -> None:
    tamper(day, "DELETE FROM leads")
    assert states_at(baton, "2026-11-23T10:00") == [("L-1", "SAL", None), ("L-3", "MQL", None)]


def test_replay_of_one_lead_shows_its_fields_then(baton: Baton, day: Path) -> None:
    (row,) = json_lines(baton("--json", "audit", "replay", "--as-of", "2026-11-23T10:30", "--lead", "L-1"))
    assert row == {
        "id": "L-1", "state": "SAL", "owner": None, "attempts": 0,
        "state_since": "2026-11-23T10:00:00+00:00", "created_at": "2026-11-23T09:00:00+00:00",
        "updated_at": "2026-11-23T10:00:00+00:00",
        "fields": {
            "email": "ana@northwind.example", "source": "webinar", "persona": "manager",
            "product": "Forecasting", "awareness": "solution", "score": 75,
        },
    }


def test_replay_shows_erased_values_as_erased(baton: Baton, day: Path) -> None:
    tamper(day, "DELETE FROM personal")
    (row,) = json_lines(baton("--json", "audit", "replay", "--as-of", "2026-11-23T10:30", "--lead", "L-1"))
    assert row["fields"]["email"] == "[erased]"


def test_replay_for_people_is_a_table(baton: Baton, day: Path) -> None:
    assert baton("audit", "replay", "--as-of", "2026-11-23T11:30").stdout.splitlines() == [
        "Leads as of 2026-11-23 11:30 GMT, from the log:",
        "ID           STATE        OWNER      ATTEMPTS  SINCE",
        "L-1          SQL          alice             0  2026-11-23 11:00 GMT",
        "L-3          MQL          -                 0  2026-11-23 08:00 GMT",
    ]
    assert baton("audit", "replay", "--as-of", "2026-11-01").stdout == "No leads at 2026-11-01 00:00 GMT.\n"


def test_replay_of_a_lead_not_yet_created_is_refused(baton: Baton, day: Path) -> None:
    result = baton("audit", "replay", "--as-of", "2026-11-23T11:00", "--lead", "L-2")
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: the log has no lead 'L-2' at 2026-11-23 11:00 GMT; "
        "`baton audit log --lead L-2` shows its events\n"
    )


def test_replay_refuses_a_time_that_is_not_one(baton: Baton, day: Path) -> None:
    result = baton("audit", "replay", "--as-of", "yesterday")
    assert result.exit_code == 2  # a time that is not one is a usage error, as --now's, issue 12
    assert result.stderr.startswith("Error: --as-of 'yesterday' is not a time; write it as ISO 8601")


# -- rebuild -------------------------------------------------------------------------------
def test_rebuild_after_wiping_leads_restores_the_table_exactly(baton: Baton, story: Path) -> None:
    before = snapshot(story)["leads"]
    tamper(story, "DELETE FROM leads")
    assert problems(baton("audit", "verify")) == [
        "lead L-1: in the log but missing from the leads table",
        "lead L-2: in the log but missing from the leads table",
    ]
    result = baton("audit", "rebuild")
    assert result.exit_code == 0
    assert result.stdout == "Rebuilt the leads table from the log: 2 leads.\n"
    assert snapshot(story)["leads"] == before
    assert baton("audit", "verify").exit_code == 0


def clocks(db: Path) -> list[tuple[Any, ...]]:
    with reading(db) as conn:
        return [tuple(r) for r in conn.execute("SELECT lead, name, state, started_at, due_at, breached_at FROM clocks ORDER BY lead, name")]


def test_rebuild_restores_the_sla_clocks_each_under_its_own_policy_version(
    baton: Baton, db: Path, tmp_path: Path
) -> None:
    """L-1's acknowledge clock breached and restarted with bob; L-2's started
    under version 1 (4 business hours) and version 2 re-timed both to 8 from
    their starts; L-3's started under version 2; L-4 is in contacted. Wiped
    and tampered with, the clocks come back exactly."""
    from conftest import DEFAULT_POLICY, to_sql

    assert to_sql(baton, "L-1").exit_code == 0  # alice, due 13:00
    assert baton("sla", "sweep", now="2026-11-23T13:30").exit_code == 0  # breach: reassigned to bob
    assert to_sql(baton, "L-2", now="2026-11-23T14:00").exit_code == 0
    v2 = tmp_path / "v2.yaml"
    v2.write_text(DEFAULT_POLICY.read_text().replace("version: 1\n", "version: 2\n", 1)
                  .replace("within: 4h", "within: 8h", 1))
    sign_off(baton, v2, now="2026-11-23T14:30")
    assert baton("policy", "apply", str(v2), actor="sam", now="2026-11-23T14:30").exit_code == 0
    assert to_sql(baton, "L-3", now="2026-11-23T15:00").exit_code == 0
    assert to_sql(baton, "L-4", now="2026-11-23T15:00").exit_code == 0
    for trigger in ("accept", "contact"):
        assert baton("lead", "advance", "L-4", trigger, actor="sam", now="2026-11-23T15:30").exit_code == 0
    before = clocks(db)
    assert [(lead, name, due) for lead, name, _, _, due, _ in before] == [
        ("L-1", "acknowledge", "2026-11-24T13:00:00+00:00"),  # 8 business hours from 13:30, for bob
        ("L-2", "acknowledge", "2026-11-24T13:30:00+00:00"),  # 8 from 14:00 (re-timed by version 2)
        ("L-3", "acknowledge", "2026-11-24T14:30:00+00:00"),  # 8 from 15:00 (version 2)
        ("L-4", "follow_up", "2026-12-07T15:30:00+00:00"),
    ]
    tamper(db, "DELETE FROM clocks WHERE lead = 'L-3'")
    tamper(db, "UPDATE clocks SET due_at = '2027-01-01T00:00:00+00:00', breached_at = NULL")
    assert baton("audit", "rebuild").exit_code == 0
    assert clocks(db) == before


def test_rebuild_writes_null_for_erased_values(baton: Baton, story: Path) -> None:
    tamper(story, "DELETE FROM personal")
    assert as_json(baton("--json", "audit", "rebuild")) == {"leads": 2}
    with reading(story) as conn:
        assert conn.execute("SELECT email FROM leads WHERE id = 'L-1'").fetchone()[0] is None
    assert baton("audit", "verify").exit_code == 0


def test_rebuild_refuses_a_broken_log_and_writes_nothing(baton: Baton, story: Path) -> None:
    seq = seq_of(story, "L-1", "updated")
    tamper(story, "UPDATE events SET data = '{}' WHERE seq = ?", seq)
    tamper(story, "DELETE FROM leads WHERE id = 'L-2'")
    before = snapshot(story)
    result = baton("audit", "rebuild")
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: the log is broken at seq {seq}: its content does not match its hash (it was changed); "
        "nothing was rebuilt (see `baton audit verify`)\n"
    )
    assert snapshot(story) == before


# -- the log: filters and export ---------------------------------------------------------------
def seqs(baton: Baton, *args: str) -> list[int]:
    return [e["seq"] for e in json_lines(baton("--json", "audit", "log", *args))]


def test_log_filters_by_until(baton: Baton, day: Path) -> None:
    events = json_lines(baton("--json", "audit", "log", "--until", "2026-11-23T10:00"))
    assert [(e["lead"], e["event"]) for e in events] == [
        (None, "policy_applied"), ("L-1", "created"), ("L-1", "hand_over"), ("L-3", "created"),
    ]


def test_log_filters_by_since_in_any_zone(baton: Baton, day: Path) -> None:
    """05:00 in New York is 10:00 in London (and in the log, which is UTC);
    L-3, logged last but back-filled as created at 08:00, is before it."""
    events = json_lines(baton("--json", "audit", "log", "--since", "2026-11-23T05:00-05:00"))
    assert [(e["lead"], e["event"]) for e in events] == [
        ("L-1", "hand_over"), ("L-1", "updated"), ("L-1", "qualify"), ("L-1", "assigned"), ("L-2", "created"),
    ]


def test_log_filters_by_lead(baton: Baton, day: Path) -> None:
    events = json_lines(baton("--json", "audit", "log", "--lead", "L-3"))
    assert [(e["lead"], e["event"]) for e in events] == [("L-3", "created")]


def test_log_filters_by_event_repeatable(baton: Baton, day: Path) -> None:
    events = json_lines(baton("--json", "audit", "log", "--event", "created", "--event", "qualify"))
    assert [(e["lead"], e["event"]) for e in events] == [
        ("L-1", "created"), ("L-1", "qualify"), ("L-2", "created"), ("L-3", "created"),
    ]


def test_log_filters_by_actor(baton: Baton, day: Path) -> None:
    events = json_lines(baton("--json", "audit", "log", "--actor", "alice"))
    assert [e["event"] for e in events] == ["updated", "qualify", "assigned"]


def test_log_filters_combine(baton: Baton, day: Path) -> None:
    events = json_lines(baton(
        "--json", "audit", "log", "--lead", "L-1", "--since", "2026-11-23T10:00", "--until", "2026-11-23T11:00",
        "--event", "hand_over", "--event", "updated",
    ))
    assert [e["event"] for e in events] == ["hand_over", "updated"]


def test_log_format_jsonl_is_the_json_output(baton: Baton, day: Path) -> None:
    assert baton("audit", "log", "--format", "jsonl").stdout == baton("--json", "audit", "log").stdout


def test_log_csv_has_the_spec_columns_and_data_as_json_text(baton: Baton, day: Path) -> None:
    out = baton("audit", "log", "--format", "csv", "--lead", "L-1").stdout
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[0] == ["seq", "lead", "at", "actor", "event", "from", "to", "data", "policy_version", "prev", "hash"]
    events = json_lines(baton("--json", "audit", "log", "--lead", "L-1"))
    assert len(rows) == 1 + len(events)
    for row, event in zip(rows[1:], events):
        assert row[0] == str(event["seq"]) and row[3] == event["actor"] and row[4] == event["event"]
        assert json.loads(row[7]) == event["data"]
        assert row[9:] == [event["prev"], event["hash"]]
    created = rows[1]
    assert created[5] == "" and created[6] == "MQL"  # null is an empty cell


def test_log_for_people_is_one_line_an_event(baton: Baton, day: Path) -> None:
    lines = baton("audit", "log", "--lead", "L-1", "--event", "hand_over").stdout.splitlines()
    assert [line.split() for line in lines] == [
        [str(seq_of(day, "L-1", "hand_over")), "2026-11-23T10:00:00+00:00", "L-1", "jane", "hand_over", "MQL", "->", "SAL"]
    ]


def test_log_for_people_shows_where_a_new_lead_starts(baton: Baton, day: Path) -> None:
    lines = baton("audit", "log", "--lead", "L-2").stdout.splitlines()
    assert [line.split()[3:] for line in lines] == [["jane", "created", "in", "MQL"]]


@pytest.mark.parametrize(("option", "message"), [
    (("--lead", "L-99"), "--lead L-99: the log has no lead 'L-99'; `baton lead list` shows the leads"),
    (("--lead", "l-1"), "--lead l-1: the log has no lead 'l-1'; did you mean 'L-1'?; `baton lead list` shows the leads"),
    (("--event", "hand_ovr"), "--event hand_ovr: no event in the log is called 'hand_ovr'; did you mean 'hand_over'? (events: "),
    (("--actor", "alcie"), "--actor alcie: no event in the log is by 'alcie'; did you mean 'alice'? (people in the policy: "),
])
def test_a_log_filter_naming_what_the_log_never_held_is_refused(
    baton: Baton, day: Path, option: tuple[str, str], message: str
) -> None:
    """A typo must not read as "nothing happened"."""
    result = baton("audit", "log", *option)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.startswith(f"Error: {message}")
    assert result.stderr.count("\n") == 1


def test_a_log_filter_on_a_real_name_with_no_match_in_range_is_empty_not_refused(baton: Baton, day: Path) -> None:
    result = baton("audit", "log", "--actor", "alice", "--until", "2026-11-23T09:00")
    assert (result.exit_code, result.stdout) == (0, "")


def test_verify_counts_in_plain_words(baton: Baton, db: Path) -> None:
    assert baton("lead", "add", "--id", "L-1", "score=10").exit_code == 0
    assert baton("audit", "verify").stdout.startswith("verified 2 events, 1 lead: the chain is intact")


@pytest.mark.parametrize("text", [
    "{}", ' {"a": 1} ', '{"a":[1,2.5,null,true],"b":{"c":"\\u00e9"}}', "\ufeff{}", "{}x", "", "nope", "[1]",
    '{"a":1', b'{"b":1}', 5,
], ids=repr)
def test_data_is_decoded_as_json_loads_decodes_it(text: Any) -> None:
    """verify decodes each event's `data` by the scanner alone when it can;
    whatever the text, the outcome is json.loads's: the value or a ValueError/TypeError."""
    from statemachine.audit.read import _decoded

    try:
        expected: Any = json.loads(text)
    except (TypeError, ValueError) as error:
        with pytest.raises(type(error)):
            _decoded(text)
    else:
        assert _decoded(text) == expected


def test_log_refuses_a_window_that_ends_before_it_starts(baton: Baton, db: Path) -> None:
    result = baton("audit", "log", "--since", "2026-12-01", "--until", "2026-11-01")
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == "Error: --since 2026-12-01 is after --until 2026-11-01, so no event could match; swap them\n"
