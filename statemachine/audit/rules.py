"""(b) Legality: the policy of each version as the log recorded it, trusted
only if its stored text has the hash its `policy_applied` recorded, and
whether a transition was legal on the lead as the log had it then: its
states against the transition's, then the version's machine (`machine.py`)
asked whether the actor could fire it, the refusal put in an auditor's words.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from ..chain import canonical
from ..errors import MissingKeys
from ..machine import LeadMachine, LeadView
from ..policy.model import Policy
from ..policy.versions import text_hash
from ..store import Event, Store
from ..times import from_iso
from .read import Row


@dataclass
class _Version:
    policy: Policy
    machine: LeadMachine


class Rules:
    """The policy of each version as stored, checked against the hash its
    `policy_applied` event recorded. The text is authoritative; the cached
    compiled form is used only for a text today's checker no longer accepts."""

    def __init__(self, store: Store):
        self.store = store
        self._versions: dict[int, _Version | None] = {}

    def load(self, version: int, recorded_hash: Any) -> str | None:
        """Load `version`; None, or why its stored text cannot be trusted."""
        row = self.store.db.execute(
            "SELECT text, hash, compiled FROM policies WHERE version = ?", (version,)
        ).fetchone()
        self._versions[version] = None
        if row is None:
            return f"policy version {version} is missing from the policies table"
        text, stored_hash, compiled = row
        if not isinstance(text, str) or text_hash(text) != recorded_hash or stored_hash != recorded_hash:
            return f"the stored text of policy version {version} does not match the hash recorded when it was applied"
        policy = _parse(text, version, compiled)
        if policy is None:
            return f"the stored text of policy version {version} no longer reads as a policy"
        self._versions[version] = _Version(policy, LeadMachine(policy))
        return None

    def get(self, version: Any) -> _Version | None:
        return self._versions.get(version) if isinstance(version, int) else None


def _parse(text: str, version: int, compiled: str | None) -> Policy | None:
    from ..errors import PolicyInvalid
    from ..policy import parse_policy
    from ..policy.model import from_plain

    try:
        return parse_policy(text, f"policy version {version}")
    except PolicyInvalid:
        pass
    try:
        return from_plain(json.loads(compiled)) if compiled else None
    except (ValueError, KeyError, TypeError):
        return None


def lead_view(row: Row) -> LeadView:
    return LeadView(row["id"], row["state"], row["owner"], row["fields"], row["attempts"], from_iso(row["state_since"]))


def transition_refusal(version: _Version, event: Event, row: Row) -> str | None:
    """None if `event` (a transition) was legal on the lead as replayed, or why not."""
    policy = version.policy
    transition = policy.transitions[event.event]
    lead, name = row["id"], event.event
    if event.from_ != row["state"]:
        return f"{lead} {name} says it left {event.from_}, but the log had {lead} in {row['state']}"
    if row["state"] not in transition.sources:
        return f"{lead} was in {row['state']}; '{name}' only moves a lead out of {', '.join(transition.sources)}"
    if event.to != transition.dest:
        return f"{lead} {name} went to {event.to}, but '{name}' goes to {transition.dest}"
    args = {k: v if isinstance(v, str) else canonical(v) for k, v in event.data.items() if v is not None}
    view = lead_view(row)
    try:
        now = from_iso(event.at)
    except (TypeError, ValueError):
        return f"its time {event.at!r} is not ISO 8601"
    refusal = version.machine.refusal(transition, view, event.actor, args, now)
    if isinstance(refusal, MissingKeys):
        return f"{lead} {name} was fired without {', '.join(refusal.keys)}"
    return None if refusal is None else str(refusal)
