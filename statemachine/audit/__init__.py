"""Checking and replaying the log, for auditors who trust nothing but it.

`verify` proves the chain, the legality of every event under its policy
version and the `leads` table equal to a replay; `verify_chain` proves the
chain alone. `replay` gives the leads as they stood at a past moment and
`rebuild` writes the projection afresh from the log. `log_filter`,
`check_filter` and `raw_events` serve `audit log`.
"""

from __future__ import annotations

from .verifier import (
    ChainCheck,
    Chunk,
    ContentBroken,
    PersonalValues,
    Problem,
    Report,
    Row,
    Rules,
    Verifier,
    check_filter,
    content_matches,
    event_count,
    lead_view,
    links_hold,
    log_filter,
    raw_events,
    read_chunks,
    rebuild,
    replay,
    row_differences,
    transition_refusal,
    verify,
    verify_chain,
)

__all__ = [
    "verify", "verify_chain", "replay", "rebuild", "read_chunks", "event_count",
    "check_filter", "log_filter", "raw_events", "Report", "Problem",
    "PersonalValues", "Chunk", "Row", "ChainCheck", "content_matches", "links_hold",
    "Rules", "transition_refusal", "lead_view", "row_differences", "Verifier", "ContentBroken",
]
