"""`audit log`: the events as stored, filtered by lead, time, event and
actor; a filter naming something the log never held is refused with a
did-you-mean."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..errors import UnknownFilter
from ..events import BATON_EVENTS
from ..policy.model import Policy
from ..store import Store
from .read import _SELECT


def check_filter(store: Store, policy: Policy, lead: str | None, events: tuple[str, ...],
                 actor: str | None) -> None:
    from ..errors import closest

    def in_log(column: str, value: str) -> bool:
        return store.db.execute(f"SELECT 1 FROM events WHERE {column} = ? LIMIT 1", (value,)).fetchone() is not None

    def hint(word: str, choices: list[str]) -> str:
        near = closest(word, choices)
        return f"; did you mean '{near}'?" if near else ""

    if lead is not None and not in_log("lead", lead):
        near = lead.upper() if lead.upper() != lead and in_log("lead", lead.upper()) else None
        raise UnknownFilter(f"--lead {lead}: the log has no lead '{lead}'{hint(lead, [near] if near else [])}; "
                            "`baton lead list` shows the leads")
    known = [*BATON_EVENTS, *policy.transitions]
    for kind in events:
        if kind not in known and not in_log("event", kind):
            raise UnknownFilter(f"--event {kind}: no event in the log is called '{kind}'{hint(kind, known)} "
                                f"(events: {', '.join(known)})")
    if actor is not None and not in_log("actor", actor):
        people = sorted({person for members in policy.roles.values() for person in members} | {"system"})
        raise UnknownFilter(f"--actor {actor}: no event in the log is by '{actor}'{hint(actor, people)} "
                            f"(people in the policy: {', '.join(people)})")


def log_filter(lead: str | None = None, since: str | None = None, until: str | None = None,
               events: tuple[str, ...] = (), actor: str | None = None) -> tuple[str, tuple[Any, ...]]:
    """A WHERE clause and its parameters for `audit log`."""
    clauses: list[str] = []
    params: list[Any] = []
    for column, value in (("lead", lead), ("actor", actor)):
        if value is not None:
            clauses.append(f"{column} = ?")
            params.append(value)
    if since is not None:
        clauses.append("at >= ?")
        params.append(since)
    if until is not None:
        clauses.append("at <= ?")
        params.append(until)
    if events:
        clauses.append(f"event IN ({','.join('?' * len(events))})")
        params.extend(events)
    return (f"WHERE {' AND '.join(clauses)}" if clauses else ""), tuple(params)


def raw_events(store: Store, where: str = "", params: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """The rows of `events` as stored (`data` as its JSON text), in seq order,
    streamed in one snapshot (on PostgreSQL a server-side cursor)."""
    with store.snapshot():
        for rows in store.stream(f"{_SELECT} {where} ORDER BY seq", params):
            yield from rows
