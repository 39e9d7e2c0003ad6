"""`audit verify` of freshly imported leads (one `created` event each) names
the same problems, word for word, whether a lead is checked on its own in
the middle of a chunk of the log or at a chunk's edge, where its events may
run on into the next chunk and every lead is replayed in full. Forgeries are
written with sqlite3, never with Baton's own code.
"""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from conftest import Baton, connect_raw
from test_database import expected_hash

pytestmark = pytest.mark.both_stores  # every database test here runs on SQLite and on PostgreSQL

# Names, quotes, a backslash and text beyond ASCII, as real exports have them.
EXPORT = '''id,first_name,last_name,email,phone,company,title,persona,source,product,awareness,score
L-1,Ana,Smith,ana.smith@example.com,+44 20 7946 0001,Acme Ltd,CFO,executive,webinar,Payroll,problem,61
L-2,Chloé,Müller,chloe@example.com,,"Wayne ""& Co""",Head of HR,manager,referral,HR suite,solution,99
L-3,Farid,García,farid@example.com,+44 20 7946 0003,Back\\slash plc,CEO,executive,event,Payroll,product,75
L-4,Hiro,Tanaka,hiro@example.com,+44 20 7946 0004,東京商事,IT Lead,practitioner,paid_ad,Expenses,solution,0
L-5,Ines,Rossi,ines@example.com,,Globex,Payroll Specialist,assistant,content_download,Time tracking,problem,100
'''
SUMMARY = "the chain is intact, every transition was legal, the leads table matches the log"


@pytest.fixture
def imported(baton: Baton, db: Path, tmp_path: Path) -> Path:
    export = tmp_path / "leads.csv"
    export.write_text(EXPORT, encoding="utf-8")
    result = baton("lead", "import", str(export))
    assert result.exit_code == 0, result.stderr
    # a boolean and a number, which the table stores otherwise than the log writes them
    assert baton("lead", "add", "--id", "L-35", "email=zoe@example.com", "authority=yes", "budget=2500",
                 "score=70").exit_code == 0
    return db


def tamper(db: Path, sql: str, *params: Any) -> None:
    with closing(connect_raw(db)) as conn:
        conn.execute(sql, params)
        conn.commit()


def created_seq(db: Path, lead: str) -> int:
    with closing(connect_raw(db)) as conn:
        return int(conn.execute("SELECT seq FROM events WHERE lead = ? AND event = 'created'", (lead,)).fetchone()[0])


def rewrite_created(db: Path, lead: str, **changes: Any) -> None:
    """Change a lead's `created` event and recompute the chain from it on, as a forger who knows the rule would."""
    with closing(connect_raw(db)) as conn:
        conn.row_factory = sqlite3.Row
        start = created_seq(db, lead)
        rows = [dict(r) for r in conn.execute("SELECT * FROM events WHERE seq >= ? ORDER BY seq", (start - 1,))]
        prev = rows[0]["hash"]
        for row in rows[1:]:
            if row["seq"] == start:
                row.update(changes)
            row["prev"] = prev
            row["hash"] = prev = expected_hash(row)
            conn.execute('UPDATE events SET "to" = ?, data = ?, prev = ?, hash = ? WHERE seq = ?',
                         (row["to"], row["data"], row["prev"], row["hash"], row["seq"]))
        conn.commit()


def verify_lines(baton: Baton, monkeypatch: pytest.MonkeyPatch, alone: tuple[str, ...] = ("L-3", "L-35")) -> list[str]:
    """What verify prints, checked to be the same when every lead sits at the
    edge of a chunk of one event (each replayed in full) as in one chunk,
    where the leads inside it (`alone` among them) are checked on their own."""
    from test_audit import without_table_hint

    from statemachine.audit import compare, read

    def run() -> list[str]:
        head = json.loads(baton("--json", "audit", "head").stdout)
        result = baton("audit", "verify")
        assert "Traceback" not in result.output
        assert result.exit_code == (0 if result.stdout else 1), result.output
        if not result.stdout:
            return without_table_hint(result.stderr.splitlines())
        verified_head = f"; head: seq {head['seq']}, hash {head['hash']}"
        assert result.stdout.endswith(verified_head + "\n"), result.stdout
        return result.stdout.removesuffix(verified_head + "\n").splitlines()

    asked = []
    matches = compare._TableRows.created_matches

    def spy(table: Any, event: Any, *rest: Any) -> bool:
        asked.append(event.lead)
        return matches(table, event, *rest)

    with monkeypatch.context() as patch:
        patch.setattr(compare._TableRows, "created_matches", spy)
        whole = run()
    assert set(asked) >= set(alone), "the leads inside the chunk were not checked on their own"
    with monkeypatch.context() as patch:
        patch.setattr(read, "CHUNK", 1)
        assert run() == whole
    return whole


def test_imported_leads_verify(baton: Baton, imported: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert verify_lines(baton, monkeypatch) == [f"verified 7 events, 6 leads: {SUMMARY}"]


@pytest.mark.parametrize(("sql", "message"), [
    ("UPDATE leads SET company = 'Hooli' WHERE id = 'L-3'",
     "lead L-3: the leads table does not match the log: company 'Hooli' (log: 'Back\\\\slash plc')"),
    ("UPDATE leads SET last_name = 'Garcia' WHERE id = 'L-3'",
     "lead L-3: the leads table does not match the log: last_name 'Garcia' (log: 'García')"),
    ("UPDATE leads SET phone = '+44 20 7946 0009' WHERE id = 'L-2'",
     "lead L-2: the leads table does not match the log: phone '+44 20 7946 0009' (log: null)"),
    ("UPDATE leads SET content = 'a webinar' WHERE id = 'L-4'",
     "lead L-4: the leads table does not match the log: content 'a webinar' (log: null)"),
    ("UPDATE leads SET score = NULL WHERE id = 'L-4'",
     "lead L-4: the leads table does not match the log: score null (log: 0)"),
    ("UPDATE leads SET state = 'SAL' WHERE id = 'L-3'",
     "lead L-3: the leads table does not match the log: state 'SAL' (log: 'MQL')"),
    ("UPDATE leads SET owner = 'alice' WHERE id = 'L-3'",
     "lead L-3: the leads table does not match the log: owner 'alice' (log: null)"),
    ("UPDATE leads SET attempts = 1 WHERE id = 'L-3'",
     "lead L-3: the leads table does not match the log: attempts 1 (log: 0)"),
    ("UPDATE leads SET updated_at = '2026-12-01T09:00:00+00:00' WHERE id = 'L-3'",
     "lead L-3: the leads table does not match the log: updated_at '2026-12-01T09:00:00+00:00' "
     "(log: '2026-11-23T09:00:00+00:00')"),
    ("DELETE FROM leads WHERE id = 'L-3'", "lead L-3: in the log but missing from the leads table"),
    ("INSERT INTO leads (id, state, attempts) VALUES ('L-30', 'MQL', 0)",
     "lead L-30: in the leads table but not in the log"),
], ids=["field", "personal field", "empty field filled", "column never set", "field emptied", "state", "owner",
        "attempts", "time", "deleted row", "added row"])
def test_an_edited_leads_row_is_named(baton: Baton, imported: Path, monkeypatch: pytest.MonkeyPatch,
                                      sql: str, message: str) -> None:
    tamper(imported, sql)
    assert verify_lines(baton, monkeypatch, alone=("L-35",)) == [message]


def test_an_edited_personal_value_is_named_at_its_created_event(
        baton: Baton, imported: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tamper(imported, "UPDATE personal SET value = '\"eve@evil.example\"' WHERE lead = 'L-3' AND field = 'email'")
    tamper(imported, "UPDATE leads SET email = 'eve@evil.example' WHERE id = 'L-3'")
    assert verify_lines(baton, monkeypatch) == [
        f"seq {created_seq(imported, 'L-3')}: the personal table holds a value for L-3's email that does not "
        "match the digest the log recorded (it was changed)"
    ]


@pytest.mark.parametrize("sql", [
    "UPDATE personal SET value = NULL WHERE lead = 'L-3' AND field = 'email'",
    "DELETE FROM personal WHERE lead = 'L-3' AND field = 'phone'",
    "UPDATE personal SET field = 'title' WHERE lead = 'L-3' AND field = 'email'",
], ids=["value erased in place", "row gone", "field renamed"])
def test_what_verify_does_not_hold_against_a_lead(baton: Baton, imported: Path, monkeypatch: pytest.MonkeyPatch,
                                                  sql: str) -> None:
    """An erased or missing personal value counts as present (an erasure never
    makes history look illegal), and the table's `field` column is not evidence."""
    tamper(imported, sql)
    assert verify_lines(baton, monkeypatch) == [f"verified 7 events, 6 leads: {SUMMARY}"]


def test_an_edited_created_event_is_named_by_its_seq(
        baton: Baton, imported: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seq = created_seq(imported, "L-3")
    tamper(imported, "UPDATE events SET data = replace(data, 'CEO', 'CFO') WHERE seq = ?", seq)
    lines = verify_lines(baton, monkeypatch, alone=("L-2",))  # then the walk in seq order names the break
    assert lines == [f"seq {seq}: its content does not match its hash (it was changed)"]


def test_a_rechained_created_event_is_judged_and_compared(
        baton: Baton, imported: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with closing(connect_raw(imported)) as conn:
        data = json.loads(conn.execute("SELECT data FROM events WHERE seq = ?",
                                       (created_seq(imported, "L-3"),)).fetchone()[0])
    data["fields"]["score"] = 95
    rewrite_created(imported, "L-3", to="SAL", data=json.dumps(data, sort_keys=True, separators=(",", ":"),
                                                               ensure_ascii=False))
    seq = created_seq(imported, "L-3")
    assert verify_lines(baton, monkeypatch) == [
        f"seq {seq}: L-3 was created in SAL, but policy version 1 starts leads in MQL",
        "lead L-3: the leads table does not match the log: state 'MQL' (log: 'SAL'), score 75 (log: 95)",
    ]


def test_a_created_event_written_with_spaces_verifies(
        baton: Baton, imported: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Data that is not in canonical form still hashes by the SPEC's rule and
    replays to the same row."""
    with closing(connect_raw(imported)) as conn:
        text = conn.execute("SELECT data FROM events WHERE seq = ?", (created_seq(imported, "L-3"),)).fetchone()[0]
    rewrite_created(imported, "L-3", data=json.dumps(json.loads(text), indent=1))
    assert verify_lines(baton, monkeypatch) == [f"verified 7 events, 6 leads: {SUMMARY}"]
