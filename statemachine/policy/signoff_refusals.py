"""The sign-off's refusals, each saying who must act and the command to run,
and the few words they share with `policy approve` and `policy approvals`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import BatonError
from .model import Policy

if TYPE_CHECKING:
    from .signoff import TextStatus


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


class LastSigner(BatonError):
    """The actor is the only one left who can sign another awaited role."""

    def __init__(self, actor: str, role: str, other: str, others: list[str]):
        leave = f"leave {role} to {_listed(others)}" if others else f"{role} then needs another member"
        super().__init__(
            f"{actor} is the only one left who can approve for {other}, and one person signs one role; "
            f"approve for {other} instead (--role {other}) and {leave}"
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
