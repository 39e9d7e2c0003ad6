"""Checking and replaying the log, for auditors who trust nothing but it.

What an auditor gets:
- `verify`: a `Report` of every `Problem` in the log, proving (a) the hash
  chain unbroken, (b) every event legal under the policy version recorded on
  it, judged on the lead as the log itself had it at that moment, and (c) the
  `leads` table, and each rep's open-lead count, equal to a replay of the log.
  `verify_chain` proves (a) alone.
- `replay`: the leads as they stood at a past moment, from the log alone;
  `rebuild`: the `leads` table, SLA clocks and open-lead counts written
  afresh from the log.
- `log_filter`, `check_filter`, `raw_events`: the log filtered for `audit log`.
- `log_head`: the last event's seq and hash, for an auditor to keep;
  `verify(expected=...)` names each kept head the log no longer holds.

How the parts fit: `read` reads the log a chunk at a time with the personal
values each chunk holds, and every walk reads through it. `chain` checks (a),
`rules` judges (b) under each policy version, `compare` sets the `leads`
table beside the replay for (c). `timeline` places each event in seq order
(the version in force at it, a `moved` right after its --map), and
`verifier` walks the log with all of them, lead by lead, holding one lead
at a time; `report` holds what it finds. `replaying` and `log` serve the
other commands. Everything streams: no walk holds the log.
"""

from __future__ import annotations

from .chain import ChainCheck, ContentBroken, content_matches, links_hold, verify_chain
from .compare import row_differences
from .head import expected_problems, log_head, parse_expected
from .log import check_filter, log_filter, raw_events
from .read import Chunk, PersonalValues, Row, event_count, read_chunks
from .replaying import rebuild, replay
from .report import Head, Problem, Report
from .rules import Rules, lead_view, transition_refusal
from .verifier import Verifier, verify

__all__ = [
    "verify", "verify_chain", "replay", "rebuild", "read_chunks", "event_count",
    "check_filter", "log_filter", "raw_events", "Report", "Problem",
    "PersonalValues", "Chunk", "Row", "ChainCheck", "content_matches", "links_hold",
    "Rules", "transition_refusal", "lead_view", "row_differences", "Verifier", "ContentBroken",
    "Head", "log_head", "parse_expected", "expected_problems",
]
