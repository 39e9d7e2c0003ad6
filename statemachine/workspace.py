"""The context of one command: the open database, the policy in force, the
shared machine, who is acting and the command's clock.

The policy comes from its compiled (plain JSON) form stored beside its text,
keyed by the text's hash; only when that is missing or stale is the YAML
parsed and checked again (and the cache refreshed).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from contextlib import contextmanager

from .errors import DatabaseProblem, PolicyChanged
from .machine import LeadMachine, machine_for
from .policy.model import Policy, from_plain, to_plain
from .store import Store
from .times import iso, now_utc, parse_time

_policies: dict[str, Policy] = {}


def compiled_policy(store: Store, version: int | None = None) -> tuple[Policy, str]:
    """The policy of `version` (default: the one in force) and its text hash."""
    row = store.policy_row(version)
    if row is None:
        raise _no_policy(store, version)
    number, text, text_hash, compiled = row
    if text_hash in _policies:
        return _policies[text_hash], text_hash
    policy = None
    if compiled:
        try:
            policy = from_plain(json.loads(compiled))
        except (ValueError, KeyError, TypeError):
            policy = None  # written by another Baton version: rebuild from the text
    if policy is None:
        from .policy import parse_policy

        policy = parse_policy(text, f"policy version {number}")
        store.cache_compiled(number, json.dumps(to_plain(policy)))
    _policies[text_hash] = policy
    return policy, text_hash


def _no_policy(store: Store, version: int | None) -> DatabaseProblem:
    active = store.meta("policy_version")
    if version is None and active is None:
        return DatabaseProblem(f"{store.path} has no policy in force; run `baton init --policy FILE`")
    known = [str(v) for (v,) in store.db.execute("SELECT version FROM policies ORDER BY version")]
    if version is not None:
        return DatabaseProblem(f"{store.path} has no policy version {version} (versions: {', '.join(known) or 'none'})")
    # The database was set up, but the text of the version in force is gone:
    # deleted or edited outside Baton, which an auditor must be told plainly.
    return DatabaseProblem(
        f"{store.path} says policy version {active} is in force, but its policies table has no version {active} "
        f"(versions: {', '.join(known) or 'none'}); the table was changed outside Baton: "
        "restore the database from a backup"
    )


class PinnedStore(Store):
    """A Store whose write transactions run only under the policy version the
    command loaded: `policy apply` may commit between a command's start and
    its BEGIN IMMEDIATE, and an event must record the version in force."""

    pinned_version: int | None = None

    @contextmanager
    def transaction(self) -> Iterator[Store]:
        with super().transaction() as store:
            active = self.meta("policy_version")
            if self.pinned_version is not None and active is not None and int(active) != self.pinned_version:
                raise PolicyChanged(self.pinned_version, int(active))
            yield store


class Workspace:
    def __init__(self, store: Store, actor: str, now: str | dt.datetime | None = None, *, write: bool = False,
                 policy: tuple[Policy, str] | None = None):
        """`now` as text is the command's --now; with `write`, the command
        changes the database, so that time is judged (`clock.write_clock`).
        `policy` is `compiled_policy(store)` when the caller knows it still is
        (the API's server, which keeps it while no other program commits)."""
        self.store = store
        self.actor = actor
        self.policy, self.policy_hash = policy or compiled_policy(store)
        if isinstance(store, PinnedStore):
            store.pinned_version = self.policy.version
        if isinstance(now, str):
            now = parse_time(now, self.policy.timezone)
            if write:
                from .backfill import write_clock

                store.recorded_at = write_clock(self.policy, now)
        self.now: dt.datetime = now or now_utc()
        self.at = iso(self.now)

    @property
    def machine(self) -> LeadMachine:
        return machine_for(self.policy, self.policy_hash)

    @classmethod
    def open(cls, path: str, actor: str, now: str | None, *, write: bool) -> Workspace:
        return cls(PinnedStore.open(path, write=write), actor, now, write=write)

    def close(self) -> None:
        self.store.close()
