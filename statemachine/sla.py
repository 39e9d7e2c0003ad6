"""SLA clocks: started when a lead enters a state, stopped when it leaves,
breached once.

`follow` keeps the `clocks` table in step with each event, inside the
event's transaction, so a clock never lives in memory only: its due time is
computed once, when it starts, with the policy's business calendar. Which
clocks a state starts is the machine's to say (`LeadMachine.on_enter`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from .calendar import Calendar
from .events import ASSIGNED, CREATED, LIFECYCLE_EVENTS, MOVED, SLA_BREACH, Event
from .policy.model import Policy, Sla
from .record import Record
from .store import Store
from .times import from_iso, iso

if TYPE_CHECKING:
    from .machine import LeadMachine

CLOCK_INSERT = "INSERT INTO clocks(lead, name, state, started_at, due_at) VALUES (?, ?, ?, ?, ?)"


def due_at(policy: Policy, sla: Sla, started_at: str) -> str:
    calendar = Calendar.of(policy.business_hours, policy.timezone)
    return iso(calendar.due(from_iso(started_at), sla.within_minutes, sla.business))


def enters_state(event: Event) -> bool:
    """Created, or moved by a transition (re-entering a state starts afresh)."""
    return event.event == CREATED or (event.event not in LIFECYCLE_EVENTS and event.to is not None)


def follow(store: Store, machine: LeadMachine, event: Event) -> list[Clock] | None:
    """Start, stop, breach or restart clocks for what `event` did, under the
    policy version of `machine`. When the event set all the lead's clocks
    (it entered a state), they are returned as `lead_clocks` would read them
    back; otherwise None."""
    lead = event.lead
    if lead is None:
        return None
    db = store.db
    policy = machine.policy
    if enters_state(event):
        db.execute("DELETE FROM clocks WHERE lead = ?", (lead,))
        started = []
        for sla in machine.on_enter(event.to or "").clocks:
            due = due_at(policy, sla, event.at)
            db.execute(CLOCK_INSERT, (lead, sla.name, sla.state, event.at, due))
            started.append(Clock(lead, sla.name, sla.state, event.at, due, None))
        return sorted(started, key=lambda clock: (clock.due_at, clock.name))  # lead_clocks' ORDER BY
    if event.event == MOVED:
        db.execute("UPDATE clocks SET state = ? WHERE lead = ?", (event.to, lead))
    elif event.event == SLA_BREACH:
        db.execute(
            "UPDATE clocks SET breached_at = ? WHERE lead = ? AND name = ?", (event.at, lead, event.data["sla"])
        )
    elif event.event == ASSIGNED and event.data.get("sla"):
        # an SLA reassign gives the new owner the full time again
        restarted = next((s for s in policy.sla if s.name == event.data["sla"]), None)
        if restarted is not None:
            db.execute(
                "UPDATE clocks SET started_at = ?, due_at = ?, breached_at = NULL WHERE lead = ? AND name = ?",
                (event.at, due_at(policy, restarted, event.at), lead, restarted.name),
            )
    return None


# -- a new policy version over running clocks ------------------------------------------
def same_timing(old: Policy, new: Policy, before: Sla, after: Sla) -> bool:
    """Whether a clock of `before` keeps its due time under `after`."""
    if (before.within_minutes, before.business) != (after.within_minutes, after.business):
        return False
    return not after.business or (old.business_hours, old.timezone) == (new.business_hours, new.timezone)


def retimed_due(old: Policy, new: LeadMachine, name: str, state: str, started_at: str) -> str | None:
    """The due time a running clock has under the version of `new` (None: it
    has no such clock on `state`, so it stops). The clock keeps its start:
    the new version decides only how long it runs."""
    after = next((s for s in new.on_enter(state).clocks if s.name == name), None)
    if after is None:
        return None
    before = next((s for s in old.sla if s.name == name), None)
    if before is not None and same_timing(old, new.policy, before, after):
        return _KEEP
    return due_at(new.policy, after, started_at)


# Returned by `retimed_due` for a clock whose due time does not move.
_KEEP = "keep"


def retime_clocks(store: Store, old: Policy, machine: LeadMachine, at: str, maps: dict[str, str],
                  leads_in: Callable[[str], Iterable[str]]) -> None:
    """Inside `policy apply`'s transaction (and when `audit rebuild` replays
    it): the running clocks under the new version, whose machine is `machine`. A clock the new version
    still has on the lead's state keeps its start and takes the new length;
    one it no longer has stops; a clock it adds to a state starts at the
    apply for the leads already there. Breached clocks stay as they were. `maps` are the
    apply's `--map` moves, whose leads keep their clocks in the new state;
    `leads_in(state)` gives the ids of the leads in a state of `old`."""
    db, new = store.db, machine.policy
    running = db.execute(
        "SELECT lead, name, state, started_at, due_at FROM clocks WHERE breached_at IS NULL"
    ).fetchall()
    for lead, name, state, started_at, due in running:
        target = maps.get(state, state)
        timed = retimed_due(old, machine, name, target, started_at)
        if timed is None:
            db.execute("DELETE FROM clocks WHERE lead = ? AND name = ?", (lead, name))
        elif (timed != _KEEP and timed != due) or target != state:
            db.execute("UPDATE clocks SET due_at = ?, state = ? WHERE lead = ? AND name = ?",
                       (due if timed == _KEEP else timed, target, lead, name))
    added = [sla for state in new.states for sla in machine.on_enter(state).clocks
             if not any(s.name == sla.name and s.state == sla.state for s in old.sla)]
    for sla in added:
        sources = [sla.state, *(old_state for old_state, target in maps.items() if target == sla.state)]
        for source in dict.fromkeys(sources):
            if source not in old.states:
                continue
            for lead in leads_in(source):
                db.execute(
                    "INSERT OR IGNORE INTO clocks(lead, name, state, started_at, due_at) VALUES (?, ?, ?, ?, ?)",
                    (lead, sla.name, sla.state, at, due_at(new, sla, at)),
                )


class Clock(Record):
    lead: str
    name: str
    state: str
    started_at: str
    due_at: str
    breached_at: str | None

    def as_json(self, now: str) -> dict[str, Any]:
        return {
            "name": self.name, "state": self.state, "started": self.started_at, "due": self.due_at,
            "breached": self.breached_at is not None, "breached_at": self.breached_at,
            "overdue": self.due_at <= now,
        }


CLOCK_COLUMNS = "lead, name, state, started_at, due_at, breached_at"


def lead_clocks(store: Store, lead: str) -> list[Clock]:
    rows = store.db.execute(f"SELECT {CLOCK_COLUMNS} FROM clocks WHERE lead = ? ORDER BY due_at, name", (lead,))
    return [Clock(*row) for row in rows]


# The sweep's one look at the clocks: a range scan of the partial index
# `clocks_due` (due_at, where breached_at IS NULL), never of the whole table.
# The partial index holds only the clocks not yet breached: named, because the
# planner may otherwise take the full index on due_at and step over every
# breached clock of a lead still sitting in its state.
DUE_LEADS_SQL = (
    "SELECT lead FROM clocks INDEXED BY clocks_due WHERE breached_at IS NULL AND due_at <= ? ORDER BY due_at, rowid"
)  # ties in the order the clocks started: SQLite's index holds it, PostgreSQL's clocks have a rowid for it


def due_leads(store: Store, now: str) -> list[str]:
    """Leads with a clock due and not yet breached, earliest due first."""
    rows = store.db.execute(DUE_LEADS_SQL, (now,))
    # earliest due first; a lead with several due clocks is listed once
    return list(dict.fromkeys(lead for (lead,) in rows))


def due_clocks(store: Store, lead: str, now: str) -> list[Clock]:
    rows = store.db.execute(
        f"SELECT {CLOCK_COLUMNS} FROM clocks WHERE lead = ? AND breached_at IS NULL AND due_at <= ? "
        "ORDER BY due_at, name",
        (lead, now),
    )
    return [Clock(*row) for row in rows]


def all_clocks(store: Store) -> list[tuple[Clock, str | None]]:
    """Every clock with its lead's owner, soonest due first."""
    rows = store.db.execute(
        f"SELECT {', '.join('c.' + c.strip() for c in CLOCK_COLUMNS.split(','))}, l.owner "
        "FROM clocks c JOIN leads l ON l.id = c.lead ORDER BY c.due_at, c.lead, c.name"
    )
    return [(Clock(*row[:6]), row[6]) for row in rows]
