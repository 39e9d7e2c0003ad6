"""What changed in the keys that say who is acting and what a change may
claim about itself (`identity`, `logins`, `clock: now_on_writes`) and how
the log is witnessed (`audit: witness`), each in the sentence a head reads.

`diff.py` lists these changes among the others; `sentence` says each one
(`diff_words.sentence` hands these kinds here).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from .model import Policy

if TYPE_CHECKING:
    from .diff import Change

KINDS = ("identity", "logins", "clock", "audit")
# Changes about people and the log rather than leads: `policy simulate`, which
# judges leads, names these apart, so a head sees them there too.
BEYOND_LEADS = ("approvals", "erasure", *KINDS)


def beyond_leads(old: Policy, new: Policy) -> list[Change]:
    from .diff import diff_policies

    return [change for change in diff_policies(old, new) if change.kind in BEYOND_LEADS]


def trust_changes(old: Policy, new: Policy) -> Iterator[Change]:
    from .diff import ADDED, CHANGED, REMOVED, Change

    if old.identity != new.identity:
        yield Change("identity", "identity", "", CHANGED, old.identity, new.identity)
    before, after = old.logins or {}, new.logins or {}
    for login in sorted(set(before) | set(after)):
        if login not in after:
            yield Change("logins", login, "", REMOVED, before[login], None)
        elif login not in before:
            yield Change("logins", login, "", ADDED, None, after[login])
        elif before[login] != after[login]:
            yield Change("logins", login, "", CHANGED, before[login], after[login])
    if old.now_on_writes != new.now_on_writes:
        yield Change("clock", "now_on_writes", "", CHANGED, old.now_on_writes, new.now_on_writes)
    if old.witness != new.witness:
        yield Change("audit", "witness", "", CHANGED, old.witness, new.witness)


def sentence(change: Change) -> str:
    if change.kind == "identity":
        if change.new == "login":
            return ("identity: who is acting is now the login name (identity: login, mapped through logins); "
                    "--as and BATON_ACTOR are refused")
        return f"identity: who is acting is no longer the login name ({change.old}); --as or BATON_ACTOR says it again"
    if change.kind == "logins":
        login = change.name
        if change.old is None:
            return f"logins: login {login} now acts as {change.new}"
        if change.new is None:
            return f"logins: login {login} no longer acts as {change.old} (it acts as {login})"
        return f"logins: login {login} acted as {change.old}, now acts as {change.new}"
    if change.kind == "clock":
        if change.new == "refuse":
            return "now_on_writes: a change may no longer give its own time with --now (refuse); it is dated when made"
        return (f"now_on_writes: a change may give its own time with --now again ({change.new}, was {change.old}); "
                "one far from the clock records when it was really made")
    if change.new is not None:
        return f"witness: the log's head is now sent out {RHYTHMS.get(change.new, change.new)} (witness: {change.new})"
    return f"witness: the log's head is no longer sent out (it was sent {RHYTHMS.get(change.old, change.old)})"


RHYTHMS = {"daily": "once a day through the notify channels"}
