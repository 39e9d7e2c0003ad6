"""A head an auditor can hold: `audit head` prints the log's last seq and
hash, `audit verify --expect SEQ:HASH` catches a log rewritten with fresh
hashes since that head was kept, verify prints the head it verified and,
when the leads table and the log disagree, that either may be the altered
one. And `audit log --format csv` is safe to open in a spreadsheet.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from conftest import Baton, as_json
from test_audit import SUMMARY, TABLE_HINT, rechain, seq_of, tamper
from test_database import reading, snapshot

pytestmark = pytest.mark.both_stores  # every database test here runs on SQLite and on PostgreSQL


def problems(result: Any) -> list[str]:
    """Every line a failed verify prints on stderr (the hint included); exit 1, nothing on stdout."""
    assert result.exit_code == 1, result.output
    assert result.stdout == ""
    return list(result.stderr.splitlines())


def head_of(db: Path) -> tuple[int, str, str]:
    with reading(db) as conn:
        seq, digest, at = conn.execute("SELECT seq, hash, at FROM events ORDER BY seq DESC LIMIT 1").fetchone()
    return int(seq), str(digest), str(at)


def forge_and_launder(db: Path, baton: Baton) -> int:
    """What the issue found: L-2's created event given a better score, every
    hash after it recomputed, the leads table rebuilt from the forged log.
    Returns the seq forged."""
    seq = seq_of(db, "L-2", "created")
    tamper(db, "UPDATE events SET data = ? WHERE seq = ?", json.dumps({"fields": {"score": 90}}, separators=(",", ":")),
           seq)
    rechain(db, seq)
    assert baton("audit", "rebuild").exit_code == 0
    return seq


# -- audit head ---------------------------------------------------------------------------
def test_head_prints_the_last_seq_and_hash(baton: Baton, story: Path) -> None:
    seq, digest, _ = head_of(story)
    result = baton("audit", "head")
    assert result.exit_code == 0
    assert result.stdout == (
        f"Head of the log: seq {seq}, hash {digest}, logged 2026-11-23 09:00 GMT.\n"
        f"Keep it; `baton audit verify --expect {seq}:{digest}` checks the log still holds it.\n"
    )


def test_head_json_is_one_object_with_seq_hash_and_at(baton: Baton, story: Path) -> None:
    seq, digest, at = head_of(story)
    assert as_json(baton("--json", "audit", "head")) == {"seq": seq, "hash": digest, "at": at}


def test_head_of_an_empty_log_says_so(baton: Baton, story: Path) -> None:
    tamper(story, "DELETE FROM events")
    assert baton("audit", "head").stdout == "The log is empty: it has no head yet.\n"
    assert as_json(baton("--json", "audit", "head")) == {"seq": None, "hash": None, "at": None}


# -- verify prints the head ---------------------------------------------------------------
def test_verify_prints_the_head_it_verified(baton: Baton, story: Path) -> None:
    seq, digest, _ = head_of(story)
    result = baton("audit", "verify")
    assert result.exit_code == 0
    assert result.stdout == f"verified {seq} events, 2 leads: {SUMMARY}; head: seq {seq}, hash {digest}\n"
    report = as_json(baton("--json", "audit", "verify"))
    assert report["head"] == {"seq": seq, "hash": digest}


# -- verify --expect ----------------------------------------------------------------------
def test_verify_expect_passes_while_the_log_holds_the_kept_head(baton: Baton, story: Path) -> None:
    kept = as_json(baton("--json", "audit", "head"))
    assert baton("lead", "attempt", "L-2", "--channel", "phone").exit_code == 0  # the log grows on
    seq, digest, _ = head_of(story)
    result = baton("audit", "verify", "--expect", f"{kept['seq']}:{kept['hash']}")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == (f"verified {seq} events, 2 leads: {SUMMARY}, 1 kept head still in the log; "
                             f"head: seq {seq}, hash {digest}\n")


def test_verify_expect_catches_a_log_rewritten_with_fresh_hashes(baton: Baton, story: Path) -> None:
    """The forged log passes verify on its own; the head kept before names the rewrite."""
    kept_seq, kept_hash, _ = head_of(story)
    forge_and_launder(story, baton)
    assert baton("audit", "verify").exit_code == 0  # the forger's hashes hold together
    now_hash = head_of(story)[1]
    assert problems(baton("audit", "verify", "--expect", f"{kept_seq}:{kept_hash}")) == [
        f"seq {kept_seq}: you expected hash {kept_hash[:12]}... here, but the log holds {now_hash[:12]}... "
        "(the log was rewritten since that head was kept)",
    ]
    result = baton("--json", "audit", "verify", "--expect", f"{kept_seq}:{kept_hash.upper()}")
    assert result.exit_code == 1
    assert json.loads(result.stdout)["problems"] == [{
        "seq": kept_seq, "message": f"you expected hash {kept_hash[:12]}... here, but the log holds "
                                   f"{now_hash[:12]}... (the log was rewritten since that head was kept)",
    }]


def test_verify_expect_passes_for_a_head_kept_before_the_rewritten_part(baton: Baton, story: Path) -> None:
    with reading(story) as conn:
        first = conn.execute("SELECT hash FROM events WHERE seq = 1").fetchone()[0]
    forge_and_launder(story, baton)
    assert baton("audit", "verify", "--expect", f"1:{first}").exit_code == 0


def test_verify_expect_names_a_kept_seq_the_log_no_longer_has(baton: Baton, story: Path) -> None:
    seq, digest, _ = head_of(story)
    tamper(story, "DELETE FROM events WHERE seq = ?", seq)
    assert problems(baton("audit", "verify", "--expect", f"{seq}:{digest}"))[0] == (
        f"seq {seq}: you expected hash {digest[:12]}... here, but the log has no seq {seq} "
        "(events were removed from the log since that head was kept)"
    )


def test_verify_expect_that_is_not_seq_colon_hash_is_a_usage_error(baton: Baton, story: Path) -> None:
    before = snapshot(story)
    for given in ("12", "12:abc", "x:" + "a" * 64, "0:" + "a" * 64):
        result = baton("audit", "verify", "--expect", given)
        assert result.exit_code == 2, given
        assert result.stdout == ""
        assert result.stderr == (
            f"Error: --expect '{given}' is not a head; write it as SEQ:HASH, the seq and the 64-character "
            "hash `baton audit head` printed, e.g. --expect 42:9f86d081884c7d65...\n"
        )
    assert snapshot(story) == before


# -- when the leads table and the log disagree ----------------------------------------------
def test_verify_says_either_side_may_be_altered_and_rebuild_trusts_the_log(baton: Baton, story: Path) -> None:
    tamper(story, "UPDATE leads SET state = 'won' WHERE id = 'L-2'")
    tamper(story, "UPDATE leads SET owner = 'bob' WHERE id = 'L-1'")
    """One line after the problems, however many leads differ."""
    assert problems(baton("audit", "verify")) == [
        "lead L-1: the leads table does not match the log: owner 'bob' (log: 'alice')",
        "lead L-2: the leads table does not match the log: state 'won' (log: 'MQL')",
        TABLE_HINT,
    ]


def test_verify_of_a_broken_chain_alone_gives_no_rebuild_hint(baton: Baton, story: Path) -> None:
    tamper(story, "UPDATE events SET data = '{}' WHERE seq = ?", seq_of(story, "L-1", "updated"))
    assert TABLE_HINT not in problems(baton("audit", "verify"))


# -- CSV safe to open -------------------------------------------------------------------------
def test_log_csv_neutralises_a_lead_id_a_spreadsheet_would_run(baton: Baton, story: Path) -> None:
    lead = '=HYPERLINK("http://x")'
    assert baton("lead", "add", "--id", lead, "score=10").exit_code == 0
    result = baton("audit", "log", "--format", "csv", "--event", "created")
    assert result.exit_code == 0
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [row["lead"] for row in rows] == ["L-1", "L-2", "'" + lead]
    assert rows[-1]["data"] == '{"fields":{"score":10}}'  # a JSON object starts with `{`: as hashed


def test_every_formula_start_is_neutralised_and_numbers_are_left_alone() -> None:
    from statemachine.csv_cells import safe_cell

    assert [safe_cell(text) for text in ("=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx")] == [
        "'=1+1", "'+1", "'-1", "'@SUM(A1)", "'\tx", "'\rx",
    ]
    assert [safe_cell(value) for value in ("L-1", "", None, -3, -2.5, 7)] == ["L-1", "", "", -3, -2.5, 7]
