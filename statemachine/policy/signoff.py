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

from ..errors import BatonError
from ..policies import text_hash
from ..store import Event, Store
from .model import Policy

APPROVED = "approved"


def _listed(items: list[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def short(digest: str) -> str:
    """The first 8 hex digits of a hash, as people compare them."""
    return f"{digest[:8]}..."


def required_roles(policy: Policy) -> tuple[str, ...]:
    return tuple(dict.fromkeys(policy.approvals))


def _members(policy: Policy, role: str) -> str:
    return ", ".join(policy.actors_of(role)) or "nobody"


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


# -- refusals ------------------------------------------------------------------------
class NoSignOff(BatonError):
    """The policy in force asks for no approvals."""

    def __init__(self, in_force: Policy, file: str):
        super().__init__(
            f"policy {in_force.name} version {in_force.version} asks for no approvals, so there is nothing to "
            f"approve: `baton policy apply {file}` puts a new version in force without sign-off"
        )


class NotAnApprover(BatonError):
    """The actor is in none of the roles that must approve (or not in the one named)."""

    def __init__(self, in_force: Policy, actor: str, file: str, role: str | None = None):
        required = required_roles(in_force)
        roles = "; ".join(f"{r}: {_members(in_force, r)}" for r in required)
        people = [p for r in required for p in in_force.actors_of(r)]
        example = people[0] if people else "NAME"
        if role is None:
            what = (f"{actor} is in none of the roles that approve a change to policy {in_force.name} "
                    f"({roles}), so cannot approve {file}")
        elif role not in required:
            what = (f"--role {role}: {role} is not a role that approves a change to policy {in_force.name} "
                    f"(those are {roles})")
        else:
            what = f"{actor} is not in {role} ({_members(in_force, role)}), so cannot approve for it"
            example = in_force.actors_of(role)[0] if in_force.actors_of(role) else example
        mine = [r for r in required if actor in in_force.actors_of(r)]
        if role is not None and role not in required and mine:
            # a head who named a role that signs nothing: the fix is their own role, not someone else
            command = f"baton --as {actor} policy approve {file}"
            fix = (" or ".join(f"`{command} --role {r}`" for r in mine) if len(mine) > 1 else f"`{command}`")
            super().__init__(f"{what}; you are in {_listed(mine)}: run {fix}")
        else:
            super().__init__(f"{what}; ask one of them to run `baton --as {example} policy approve {file}`")
        self.actor = actor


class WhichRole(BatonError):
    """The actor is in more than one of the roles that must approve."""

    def __init__(self, actor: str, roles: list[str]):
        options = " or ".join(f"--role {role}" for role in roles)
        super().__init__(
            f"{actor} is in {_listed(roles)}, which must each approve; say which one you approve for "
            f"with {options} (each role needs its own person)"
        )


class OnePersonOneRole(BatonError):
    """The actor already signed another role of the same text."""

    def __init__(self, actor: str, signed_as: str, role: str, others: tuple[str, ...]):
        who = f" ({', '.join(others)})" if others else ""
        super().__init__(
            f"{actor} already approved this text as {signed_as}, and one person cannot also sign for {role}: "
            f"two-team sign-off needs another person of {role}{who} to approve it"
        )


class NeverApplicable(BatonError):
    """The file's version is not above the one in force."""

    def __init__(self, file: str, version: int, active: int):
        super().__init__(
            f"{file} is policy version {version}, but version {active} is in force, so it could never be "
            f"applied and there is nothing to approve; set `version: {active + 1}` in {file}"
        )


class ApprovalsMissing(BatonError):
    """`policy apply` of a text the required roles have not all approved."""

    def __init__(self, in_force: Policy, file: str, status: TextStatus, edited: bool):
        required = required_roles(in_force)
        parts = [
            f"cannot apply version {status.version} of {status.policy} yet: policy {in_force.name} version "
            f"{in_force.version} needs {_listed(list(required))} to approve this exact text "
            f"(sha256 {short(status.hash)}) first"
        ]
        if edited:
            parts.append(f"{file} was edited since version {status.version} was approved, "
                         "and an approval holds only for the exact text approved")
        if status.signed:
            parts.append(_listed([f"{role} approved it ({a.actor})" for role, a in status.signed.items()]))
        for role, people in status.awaiting.items():
            parts.append(f"waiting for {role} ({', '.join(people) or 'nobody'}): run "
                         f"`{approve_command(in_force, people, role, file)}`")
        super().__init__("; ".join(parts))
        self.missing = list(status.awaiting)


def approve_command(in_force: Policy, people: tuple[str, ...], role: str, file: str) -> str:
    """The command one of `people` runs to approve `file` for `role`."""
    person = people[0] if people else "NAME"
    both = sum(1 for r in required_roles(in_force) if person in in_force.actors_of(r)) > 1
    return f"baton --as {person} policy approve {file}" + (f" --role {role}" if both else "")


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
