"""The head of the log (its last event's seq and hash), which an auditor
keeps outside the database, and the check that a head kept earlier is still
in the log: a log rewritten with freshly computed hashes passes the chain
walk, but no longer holds the hash the auditor kept.
"""

from __future__ import annotations

import re

from ..errors import BadExpectedHead
from ..store import Store
from .report import Head, Problem

_EXPECTED = re.compile(r"(\d+):([0-9a-fA-F]{64})")


def log_head(store: Store) -> Head | None:
    """The last event of the log, or None for an empty log."""
    row = store.db.execute("SELECT seq, hash, at FROM events ORDER BY seq DESC LIMIT 1").fetchone()
    return None if row is None else Head(int(row[0]), str(row[1]), str(row[2]))


def parse_expected(text: str) -> tuple[int, str]:
    """SEQ:HASH as `audit head` prints it; `BadExpectedHead` otherwise."""
    matched = _EXPECTED.fullmatch(text.strip())
    if matched is None or int(matched[1]) < 1:
        raise BadExpectedHead(text)
    return int(matched[1]), matched[2].lower()


def expected_problems(store: Store, expected: list[tuple[int, str]]) -> list[Problem]:
    """A problem for each kept head the log no longer holds, at its seq."""
    problems = []
    for seq, digest in expected:
        row = store.db.execute("SELECT hash FROM events WHERE seq = ?", (seq,)).fetchone()
        if row is None:
            problems.append(Problem(
                f"you expected hash {digest[:12]}... here, but the log has no seq {seq} "
                "(events were removed from the log since that head was kept)", seq=seq))
        elif row[0] != digest:
            problems.append(Problem(
                f"you expected hash {digest[:12]}... here, but the log holds {str(row[0])[:12]}... "
                "(the log was rewritten since that head was kept)", seq=seq))
    return problems
