"""Two-team sign-off: who must approve a new version of the policy, and
whether they have.

While the policy in force declares `approvals: {required: [ROLE, ...]}`, a
new version goes in force only when one person of each required role has
approved its exact text (`baton policy approve FILE`). Each approval is an
`approved` event bound to the SHA-256 of the text, so any edit, even of a
comment, needs new approvals: the heads sign what they read. One person
signs for one role of a text, since two-team sign-off means two people.

Approvals count from the `policy_applied` of the version in force: a new
version in force is a new baseline, and a text approved against the old one
must be looked at again. The first approval of a text tells the people
still awaited, through the outbox.

`SignOffCheck` asks `audit verify`'s question of the log alone: did each
`policy_applied` have the approvals its predecessor required?
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from ..events import APPROVED, Event
from ..store import Store
from .model import Policy
from .signoff_refusals import (
    ApprovalsMissing,
    LastSigner,
    NeverApplicable,
    NoSignOff,
    NotAnApprover,
    OnePersonOneRole,
    WhichRole,
    _listed,
    _members,
    required_roles,
)
from .versions import text_hash


# -- what the log holds ------------------------------------------------------------
@dataclass(frozen=True)
class Approval:
    """One `approved` event: `actor` approved, for `role`, the text with
    `hash` (policy `policy`, version `version`), while version `in_force`
    was in force."""

    seq: int
    at: str
    actor: str
    role: str
    hash: str
    policy: str
    version: int
    in_force: int | None

    @classmethod
    def of(cls, event: Event) -> Approval | None:
        """The approval an event records; None if it is not a well-formed one."""
        data = event.data
        role, digest, name, version = (data.get(k) for k in ("role", "hash", "policy", "version"))
        if event.event != APPROVED or event.lead is not None or not isinstance(role, str) \
                or not isinstance(digest, str) or not isinstance(version, int):
            return None
        return cls(event.seq, event.at, event.actor, role, digest, str(name), version, event.policy_version)

    def as_json(self) -> dict[str, Any]:
        return {"role": self.role, "actor": self.actor, "at": self.at, "seq": self.seq}


def signed_roles(approvals: Iterable[Approval], required: tuple[str, ...],
                 holds_role: Callable[[Approval], bool]) -> dict[str, Approval]:
    """Each required role that has signed -> the approval that signs for it:
    the first one, in seq order, by a person in the role (`holds_role`) who
    has not signed another role of the same text."""
    signed: dict[str, Approval] = {}
    signers: set[str] = set()
    for approval in approvals:
        if approval.role in required and approval.role not in signed and approval.actor not in signers \
                and holds_role(approval):
            signed[approval.role] = approval
            signers.add(approval.actor)
    return signed


def last_applied_seq(store: Store) -> int:
    """The seq of the `policy_applied` that put the version in force."""
    row = store.db.execute(
        "SELECT max(seq) FROM events WHERE lead IS NULL AND event = 'policy_applied'"
    ).fetchone()
    return int(row[0] or 0)


def approvals_since(store: Store, seq: int) -> list[Approval]:
    """The approvals logged after `seq`, in seq order."""
    found = []
    for event in store.events("WHERE lead IS NULL AND event = ? AND seq > ?", (APPROVED, seq)):
        approval = Approval.of(event)
        if approval is not None:
            found.append(approval)
    return found


@dataclass
class TextStatus:
    """Where one text stands: who approved it for which role, who is awaited."""

    policy: str
    version: int
    hash: str
    approvals: list[Approval]
    signed: dict[str, Approval]
    awaiting: dict[str, tuple[str, ...]]  # role -> the people who may still approve for it

    @property
    def ready(self) -> bool:
        return not self.awaiting

    def waiting_for(self) -> str:
        """'marketing_head (hana) and sales_head (sam)'."""
        return _listed([f"{role} ({', '.join(people) or 'nobody'})" for role, people in self.awaiting.items()])

    def as_json(self) -> dict[str, Any]:
        return {
            "policy": self.policy, "version": self.version, "hash": self.hash,
            "approved": [a.as_json() for a in self.approvals], "awaiting": list(self.awaiting),
            "ready": self.ready,
        }


def text_status(in_force: Policy, name: str, version: int, digest: str, approvals: list[Approval]) -> TextStatus:
    """`approvals` (of any text, since `in_force` was applied) as they stand for one text."""
    mine = [a for a in approvals if a.hash == digest]
    required = required_roles(in_force)
    signed = signed_roles(mine, required, lambda a: a.actor in in_force.actors_of(a.role))
    signers = {a.actor for a in signed.values()}
    awaiting = {
        role: tuple(p for p in in_force.actors_of(role) if p not in signers)
        for role in required if role not in signed
    }
    return TextStatus(name, version, digest, mine, signed, awaiting)


def approved_texts(store: Store, in_force: Policy) -> list[TextStatus]:
    """Every text approved since `in_force` was applied, in the order first approved."""
    approvals = approvals_since(store, last_applied_seq(store))
    firsts: dict[str, Approval] = {}
    for approval in approvals:
        firsts.setdefault(approval.hash, approval)
    return [text_status(in_force, a.policy, a.version, digest, approvals) for digest, a in firsts.items()]


# -- approving -----------------------------------------------------------------------
@dataclass
class Outcome:
    """What `approve` did: `approval` is the one recorded now, or the one
    already there for the role (`recorded` False: nothing was written)."""

    approval: Approval
    recorded: bool
    status: TextStatus
    notified: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {**self.status.as_json(), "role": self.approval.role, "actor": self.approval.actor,
                "recorded": self.recorded, "notified": self.notified}


def _role_of(in_force: Policy, actor: str, role: str | None, file: str) -> str:
    required = required_roles(in_force)
    if role is not None:
        if role not in required or actor not in in_force.actors_of(role):
            raise NotAnApprover(in_force, actor, file, role)
        return role
    mine = [r for r in required if actor in in_force.actors_of(r)]
    if not mine:
        raise NotAnApprover(in_force, actor, file)
    if len(mine) > 1:
        raise WhichRole(actor, mine)
    return mine[0]


def _leaves_a_signer(in_force: Policy, before: TextStatus, actor: str, role: str) -> None:
    """Refuse an approval after which another awaited role would have nobody
    left to sign it: one person signs one role, so it could never be applied."""
    signers = {a.actor for a in before.signed.values()} | {actor}
    for other in before.awaiting:
        if other != role and not [p for p in in_force.actors_of(other) if p not in signers]:
            others = [p for p in in_force.actors_of(role) if p not in signers]
            raise LastSigner(actor, role, other, others)


def approve(store: Store, file: str, text: str, candidate: Policy, actor: str, at: str,
            role: str | None = None) -> Outcome:
    """Record `actor`'s approval of `text` (checked as `candidate`), in one transaction."""
    from ..workspace import compiled_policy

    digest = text_hash(text)
    with store.transaction():
        in_force, _ = compiled_policy(store)
        if not required_roles(in_force):
            raise NoSignOff(in_force, file)
        approvals = approvals_since(store, last_applied_seq(store))
        before = text_status(in_force, candidate.name, candidate.version, digest, approvals)
        # the role this person signed already, if any: without --role, they are told so
        signed_as = next((r for r, a in before.signed.items() if a.actor == actor), None)
        role = _role_of(in_force, actor, role or signed_as, file)
        if candidate.version <= in_force.version:
            raise NeverApplicable(file, candidate.version, in_force.version)
        if role in before.signed:
            return Outcome(before.signed[role], False, before)
        if signed_as is not None:
            raise OnePersonOneRole(actor, signed_as, role, before.awaiting.get(role, ()))
        _leaves_a_signer(in_force, before, actor, role)
        data = {"policy": candidate.name, "version": candidate.version, "hash": digest, "role": role}
        event = store.append(None, at, actor, APPROVED, None, None, data, in_force.version)
        approval = Approval.of(event)
        assert approval is not None
        after = text_status(in_force, candidate.name, candidate.version, digest, [*approvals, approval])
        notified = _tell_the_others(store, approval, after) if not before.approvals else []
        return Outcome(approval, True, after, notified)


def _tell_the_others(store: Store, approval: Approval, status: TextStatus) -> list[str]:
    """Inside the approval's transaction: one `approval` notification to the
    people still awaited, through the outbox the SLA notifications use."""
    recipients = list(dict.fromkeys(p for people in status.awaiting.values() for p in people))
    if not recipients:
        return []
    text = (f"{approval.actor} approved version {status.version} of {status.policy}; "
            f"waiting for {status.waiting_for()}.")
    store.db.execute(
        "INSERT INTO outbox(lead, kind, sla, due, owner, recipients, text, created_at, "
        "status, tries, next_try_at, delivered) VALUES (NULL, 'approval', NULL, NULL, NULL, ?, ?, ?, 'pending', 0, ?, '[]')",
        (json.dumps(recipients), text, approval.at, approval.at),
    )
    return recipients


# -- applying ------------------------------------------------------------------------
def require_sign_off(store: Store, in_force: Policy, file: str, text: str, candidate: Policy) -> dict[str, str] | None:
    """Inside `policy apply`'s transaction: None when the policy in force asks
    for no approvals; else {role: actor} who approved `text`, or raise
    naming the roles still missing."""
    required = required_roles(in_force)
    if not required:
        return None
    approvals = approvals_since(store, last_applied_seq(store))
    status = text_status(in_force, candidate.name, candidate.version, text_hash(text), approvals)
    if not status.ready:
        edited = not status.approvals and any(a.version == candidate.version for a in approvals)
        raise ApprovalsMissing(in_force, file, status, edited)
    return {role: status.signed[role].actor for role in required}


# -- verify --------------------------------------------------------------------------
class SignOffCheck:
    """`audit verify`'s sign-off rules, fed the events of no lead in seq
    order: each `approved` event by a person in its role under the version
    it records, and each `policy_applied` with one approval of its exact
    text (by hash) per role its predecessor required, since that
    predecessor was applied."""

    def __init__(self, policy_of: Callable[[Any], Policy | None]):
        self.policy_of = policy_of  # version -> its policy, None when untrustworthy (reported already)
        self.pending: list[Approval] = []

    def approved(self, event: Event) -> str | None:
        """Why this `approved` event could not have been recorded, or None."""
        approval = Approval.of(event)
        if approval is None:
            return "an approval without the policy, version, hash and role it approves"
        policy = self.policy_of(approval.in_force)
        if policy is None:
            return None
        if approval.role not in required_roles(policy):
            required = ", ".join(required_roles(policy)) or "none"
            return (f"{approval.actor} approved as {approval.role}, but policy version {policy.version} asks for "
                    f"no approval by {approval.role} (required: {required})")
        if approval.actor not in policy.actors_of(approval.role):
            return (f"{approval.actor} approved as {approval.role}, but under policy version {policy.version} "
                    f"{approval.role} is {_members(policy, approval.role)}")
        self.pending.append(approval)
        return None

    def applied(self, event: Event, before: Policy | None) -> str | None:
        """Why this `policy_applied` lacks the approvals `before` (the version
        in force until it) required, or None. The count starts again after it."""
        pending, self.pending = self.pending, []
        if before is None or not required_roles(before):
            return None
        digest = event.data.get("hash")

        def holds_role(approval: Approval) -> bool:
            policy = self.policy_of(approval.in_force)
            return policy is not None and approval.actor in policy.actors_of(approval.role)

        required = required_roles(before)
        signed = signed_roles((a for a in pending if a.hash == digest), required, holds_role)
        missing = [role for role in required if role not in signed]
        if not missing:
            return None
        awaited = _listed([f"{role} ({_members(before, role)})" for role in missing])
        return (f"it applies version {event.data.get('version')} without the approval that policy version "
                f"{before.version} required of {awaited}: no `approved` event for its text (by hash) before it")
