"""Putting a policy in force: its exact text, hash and compiled form are
stored, and a `policy_applied` event records the change.

`apply_policy` puts a new version in force over an older one, in one
transaction: the version must go up, leads sitting in a state the new
version removes must be sent somewhere by `--map OLD=NEW` (each move is a
`moved` event), and new fields get their `leads` columns. Only a person in
a role of the version in force may change it, and only with the sign-off it
asks for (`policy.signoff`).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from ..errors import BadArgument, BadUsage, LeadsInRemovedStates, VersionNotHigher
from ..events import MOVED, POLICY_APPLIED
from ..store import Store
from ..times import iso, now_utc, parse_time
from .model import Policy, to_plain


@dataclass
class Applied:
    policy: str
    version: int
    previous: int
    hash: str
    maps: dict[str, str]
    moved: dict[str, list[str]] = field(default_factory=dict)  # OLD -> the leads moved
    added_fields: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "policy": self.policy, "version": self.version, "previous": self.previous, "hash": self.hash,
            "maps": self.maps, "moved": self.moved, "added_fields": self.added_fields,
        }


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def store_policy(store: Store, text: str, policy: Policy, actor: str, at: str,
                 extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """Inside a transaction: record `policy` as the one in force."""
    digest = text_hash(text)
    store.db.execute(
        "INSERT INTO policies(version, name, hash, text, applied_at, compiled) VALUES (?, ?, ?, ?, ?, ?)",
        (policy.version, policy.name, digest, text, at, json.dumps(to_plain(policy))),
    )
    store.set_meta("policy_version", str(policy.version))
    data = {"policy": policy.name, "version": policy.version, "hash": digest, **(extra or {})}
    store.append(None, at, actor, POLICY_APPLIED, None, None, data, policy.version)
    return data


def command_time(now: str | None, policy: Policy) -> str:
    return iso(parse_time(now, policy.timezone) if now else now_utc())


def parse_maps(pairs: tuple[str, ...] | list[str]) -> dict[str, str]:
    """`OLD=NEW` options -> {OLD: NEW}."""
    maps: dict[str, str] = {}
    for pair in pairs:
        old, sep, new = (part.strip() for part in pair.partition("="))
        if not sep or not old or not new:
            raise BadUsage(f"--map '{pair}' is not OLD=NEW; write it like --map SAL=MQL")
        if old in maps and maps[old] != new:
            raise BadUsage(f"--map {old}= is given twice ({old}={maps[old]}, {old}={new}); keep one")
        maps[old] = new
    return maps


def check_maps(old: Policy, new: Policy, maps: dict[str, str]) -> None:
    for source, target in maps.items():
        if source not in old.states:
            raise BadArgument(
                f"--map {source}={target}: {source} is not a state of policy version {old.version} "
                f"(states: {', '.join(old.states)})"
            )
        if target not in new.states:
            raise BadArgument(
                f"--map {source}={target}: {target} is not a state of policy version {new.version} "
                f"(states: {', '.join(new.states)})"
            )
        if source in new.states:
            raise BadArgument(
                f"--map {source}={target}: policy version {new.version} keeps {source}, so its leads stay there; "
                "--map only moves leads out of a state the new version removes"
            )


def apply_policy(store: Store, file: str, text: str, policy: Policy, actor: str, at: str,
                 maps: dict[str, str]) -> Applied:
    """Put `policy` in force over the active one, in one transaction."""
    from ..lifecycle import Recorder, read_row, refuse_outsider, row_to_columns
    from ..sla import retime_clocks
    from ..workspace import Workspace, compiled_policy
    from .signoff import require_sign_off

    with store.transaction():
        old, _ = compiled_policy(store)
        refuse_outsider(old, actor, changing_policy=True)
        if policy.version <= old.version:
            raise VersionNotHigher(file, policy.version, old.version)
        approved_by = require_sign_off(store, old, file, text, policy)
        check_maps(old, policy, maps)
        removed = [state for state in old.states if state not in policy.states]
        counts = _leads_in(store, removed)
        unmapped = {state: n for state, n in counts.items() if state not in maps}
        if unmapped:
            raise LeadsInRemovedStates(policy.version, unmapped, list(policy.states))
        signed = {} if approved_by is None else {"approved_by": approved_by}
        data = store_policy(store, text, policy, actor, at, {"previous": old.version, "maps": maps, **signed})
        columns = set(store.lead_columns())
        added = [name for name in policy.fields if name not in columns]
        store.add_field_columns(added, {name: spec.type for name, spec in policy.fields.items()})
        applied = Applied(policy.name, policy.version, old.version, data["hash"], maps, added_fields=added)
        ws = Workspace(store, actor, at)  # the new version is in force inside this transaction
        assert ws.policy.version == policy.version
        # Before the moves, as `audit rebuild` meets them in the log: the
        # policy_applied event, then each lead's `moved`.
        retime_clocks(store, old, ws.machine, at, maps, lambda state: store.leads_in_state(state))
        for source, target in maps.items():
            leads = [lead for (lead,) in store.db.execute("SELECT id FROM leads WHERE state = ? ORDER BY rowid", (source,))]
            for lead in leads:
                recorder = Recorder(ws, read_row(store, ws.policy, lead))
                recorder.record(lead, MOVED, source, target, {"map": f"{source}={target}"})
                assert recorder.row is not None
                # Not `recorder.save()`: it would adjust the owner's load by
                # judging the old state under the new policy, which has no such
                # state. The load is recounted once, below, for every lead.
                store.write_lead(row_to_columns(ws.policy, recorder.row))
            if leads:
                applied.moved[source] = leads
        # The new version may change which states are final, and moves may
        # take leads into or out of them: least_loaded must count afresh.
        store.recount_load(policy.open_states)
        return applied


def _leads_in(store: Store, states: list[str]) -> dict[str, int]:
    if not states:
        return {}
    marks = ",".join("?" * len(states))
    counts = dict(store.db.execute(f"SELECT state, count(*) FROM leads WHERE state IN ({marks}) GROUP BY state", states))
    return {state: counts[state] for state in states if state in counts}
