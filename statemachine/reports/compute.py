"""`compute`: every report's figures from the `events` table alone, in one
read of the log.

The lead events are read lead by lead, each lead's in seq order (through
the `events_by_lead` index, as `audit verify` reads them), so memory holds
one lead at a time however long the log and however many the leads; the
few events of no lead that change what the rules are (`policy_applied`)
are read first, in seq order, and met by each lead at their seq. Events
after the as-of time are left out, as `audit replay --as-of` leaves them
out, so the figures of a past moment come out the same whatever was
logged since. Personal values are never read.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from ..errors import BadUsage, UnknownGrouping
from ..events import CREATED, POLICY_APPLIED
from ..store import Store
from ..times import for_people, iso, now_utc, parse_time
from ..workspace import compiled_policy
from .figures import Figures, build
from .policy_facts import PolicyFacts, VersionFacts
from .tally import Tally
from .walk import OWNER, LeadWalk, Window

CHUNK = 2000
_LEAD_EVENTS = ('SELECT seq, lead, at, event, "to", data, policy_version FROM events '
                "WHERE lead IS NOT NULL AND at <= ? ORDER BY lead, seq")
_POLICY_CHANGES = ("SELECT seq, at, data FROM events WHERE lead IS NULL AND event = ? AND at <= ? ORDER BY seq")

_FIRST_POLICY = "SELECT data FROM events WHERE lead IS NULL AND event = ? ORDER BY seq LIMIT 1"

Moment = str | dt.datetime | None


class _Change:
    __slots__ = ("at", "maps", "new", "old", "seq")

    def __init__(self, seq: int, at: str, old: PolicyFacts, new: PolicyFacts, maps: dict[str, str]):
        self.seq, self.at, self.old, self.new, self.maps = seq, at, old, new, maps


def compute(store: Store, *, since: Moment = None, until: Moment = None, as_of: Moment = None,
            by: str | None = None) -> Figures:
    """The figures of the leads' handover between `since` and `until` (either
    open), as the log stood at `as_of` (default: now); `by` (a field or
    `owner`) splits funnel, conversion and SLA lines into groups. Times are
    ISO 8601 text (naive: in the policy's zone) or aware datetimes."""
    with store.snapshot():
        zone = compiled_policy(store)[0].timezone
        end = _moment(as_of, zone, "--as-of") or iso(now_utc())
        start, stop = _moment(since, zone, "--since"), _moment(until, zone, "--until")
        if start and stop and start > stop:
            raise BadUsage(f"--since {for_people(start, zone)} is after --until {for_people(stop, zone)}, "
                           "so nothing could be counted; swap them")
        versions = VersionFacts(store)
        changes, in_force = _policy_changes(store, versions, end)
        if in_force is None:  # before the first policy_applied: the first version, not the one in force today
            in_force = _first_version(store)
        facts = versions[in_force] if in_force is not None else versions[compiled_policy(store)[0].version]
        policy = facts.policy
        _check_by(by, policy)
        window = Window(start, stop, policy.timezone, by)
        tally = Tally()
        _read_leads(store, end, tally, window, versions, facts, changes)
    shown = {"since": start, "until": stop, "as_of": end, "policy": policy.name, "version": policy.version,
             "zone": policy.timezone}
    return build(tally, shown, facts)


def _moment(value: Moment, zone: str, option: str) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            raise ValueError(f"{option}: a datetime without a time zone")
        return iso(value)
    return iso(parse_time(value, zone, option))


def _check_by(by: str | None, policy: Any) -> None:
    if by is None or by == OWNER:
        return
    shown = [name for name, field in policy.fields.items() if not field.personal]
    if by not in policy.fields:
        raise UnknownGrouping(by, [OWNER, *shown])
    if policy.fields[by].personal:
        raise UnknownGrouping(by, [OWNER, *shown], personal=True)


def _first_version(store: Store) -> int | None:
    row = store.db.execute(_FIRST_POLICY, (POLICY_APPLIED,)).fetchone()
    version = json.loads(row[0]).get("version") if row else None
    return version if isinstance(version, int) else None


def _policy_changes(store: Store, versions: VersionFacts, end: str) -> tuple[list[_Change], int | None]:
    """Each `policy_applied` up to `end` that replaced a version, and the version in force at `end`."""
    changes: list[_Change] = []
    in_force = None
    for seq, at, text in store.db.execute(_POLICY_CHANGES, (POLICY_APPLIED, end)):
        data = json.loads(text)
        version, previous = data.get("version"), data.get("previous")
        if not isinstance(version, int):
            continue
        in_force = version
        if isinstance(previous, int):
            maps = data.get("maps")
            changes.append(_Change(seq, at, versions[previous], versions[version], maps if isinstance(maps, dict) else {}))
    return changes, in_force


def _read_leads(store: Store, end: str, tally: Tally, window: Window, versions: VersionFacts,
                as_of: PolicyFacts, changes: list[_Change]) -> None:
    walk = LeadWalk(tally, window, versions, as_of)
    current: str | None = None
    pending = 0  # index of the next policy change this lead has yet to meet
    next_change = changes[0].seq if changes else None
    facts, facts_version = as_of, as_of.version
    for rows in store.stream(_LEAD_EVENTS, (end,), CHUNK):  # a server-side cursor on PostgreSQL: flat memory
        for seq, lead, at, kind, to, data, version in rows:
            if lead != current:
                _catch_up(walk, changes, pending, None)
                walk.finish()
                current = lead
                # a lead meets only the changes after it was created
                pending = next((i for i, change in enumerate(changes) if change.seq > seq), len(changes))
                next_change = changes[pending].seq if pending < len(changes) else None
            if walk.state is None and kind != CREATED:
                continue  # an event before the lead's `created` (or `created` after --as-of): `audit verify` names it
            if next_change is not None and next_change < seq:
                pending = _catch_up(walk, changes, pending, seq)
                next_change = changes[pending].seq if pending < len(changes) else None
            if version != facts_version:
                facts, facts_version = versions[version], version
            walk.feed(kind, at, to, data, facts)
    _catch_up(walk, changes, pending, None)
    walk.finish()


def _catch_up(walk: LeadWalk, changes: list[_Change], pending: int, before: int | None) -> int:
    """Apply to the lead the policy changes from `pending` up to seq `before`
    (all of them when None); returns the index of the next one."""
    while pending < len(changes) and (before is None or changes[pending].seq < before):
        change = changes[pending]
        if walk.state is not None:
            walk.policy_change(change.at, change.old, change.new, change.maps)
        pending += 1
    return pending
