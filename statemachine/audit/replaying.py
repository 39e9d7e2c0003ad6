"""`replay` gives the leads as they stood at a past moment, from the log
alone; `rebuild` writes afresh what is derived from the log (the `leads`
table, the SLA clocks, each rep's open-lead count) after a restore.

Both hold one replayed row per lead (the size of the projection, not of the
log), and apply events as the commands did (`projection.apply`, `sla.follow`).
"""

from __future__ import annotations

from typing import Any

from ..errors import BatonError, LogBroken
from ..events import CREATED, POLICY_APPLIED, SLA_BREACH
from ..machine import Erased, LeadMachine, machine_for
from ..projection import apply
from ..sla import follow as follow_clocks
from ..sla import retime_clocks
from ..store import BASE_COLUMNS, Event, Store
from ..workspace import compiled_policy
from .chain import ChainCheck
from .log import log_filter
from .read import Row, read_chunks


def replay(store: Store, as_of: str | None = None, lead: str | None = None) -> dict[str, Row]:
    """The leads as the log has them after the events at or before `as_of`
    (all events if None), in seq order; only `lead` if given."""
    where, params = log_filter(lead=lead, until=as_of)
    where = f"{where} AND lead IS NOT NULL" if where else "WHERE lead IS NOT NULL"
    rows: dict[str, Row] = {}
    for chunk, resolve in read_chunks(store, where, params):
        for event, _ in chunk:
            row = rows.get(event.lead)  # type: ignore[arg-type]
            if row is None and event.event != CREATED:
                continue  # an event of a lead the log never created: `verify` names it
            rows[event.lead] = apply(row, event, resolve)  # type: ignore[index]
    return rows


def rebuild(store: Store) -> int:
    """Inside a transaction: replace the `leads` table with the replay of the
    whole log, which must verify as a chain first, and with it what else is
    derived from the log: the SLA clocks and each rep's open-lead count.
    Returns the leads written."""
    chain = ChainCheck()
    rows: dict[str, Row] = {}
    store.db.execute("DELETE FROM clocks")
    clocks = _ClockReplay(store)
    for chunk, resolve in read_chunks(store):
        for event, text in chunk:
            broken = chain.check(event, text)
            if broken is not None:
                raise LogBroken(f"the log is broken at {broken}; nothing was rebuilt (see `baton audit verify`)")
            if event.lead is None:
                clocks.follow_policy(event, rows)
                continue
            row = rows.get(event.lead)
            if (row is None) != (event.event == CREATED):
                raise LogBroken(
                    f"seq {event.seq}: {event.lead} is {'created twice' if row else 'used before it was created'}; "
                    "nothing was rebuilt (see `baton audit verify`)"
                )
            rows[event.lead] = apply(row, event, resolve)
            clocks.follow(event)
    field_names: list[str] = []
    for row in rows.values():
        field_names.extend(f for f in row["fields"] if f not in field_names)
    store.add_field_columns(field_names)
    columns = [c for c in store.lead_columns()]
    fields = [c for c in columns if c not in BASE_COLUMNS]
    store.db.execute("DELETE FROM leads")
    quoted = ", ".join(f'"{c}"' for c in (*BASE_COLUMNS, *fields))
    marks = ", ".join("?" for _ in (*BASE_COLUMNS, *fields))
    store.db.executemany(
        f"INSERT INTO leads ({quoted}) VALUES ({marks})",
        (
            (*(row[c] for c in BASE_COLUMNS), *(_stored(row["fields"].get(f)) for f in fields))
            for row in rows.values()
        ),
    )
    # least_loaded routing reads a running count of each rep's open leads:
    # count it again from the rows just written, under the policy in force.
    store.recount_load(compiled_policy(store)[0].open_states)
    return len(rows)


class _ClockReplay:
    """The `clocks` table written again event by event, by the same rule the
    commands followed (`sla.follow`), each event under the policy version it
    records: a due time stays the one its own version's calendar gave."""

    def __init__(self, store: Store):
        self.store = store
        self.machines: dict[Any, LeadMachine | None] = {}

    def machine(self, version: Any) -> LeadMachine | None:
        if version not in self.machines:
            try:
                self.machines[version] = machine_for(*compiled_policy(self.store, version))
            except (BatonError, TypeError, ValueError):
                self.machines[version] = None  # missing or unreadable: `verify` names it
        return self.machines[version]

    def follow_policy(self, event: Event, rows: dict[str, Row]) -> None:
        """A `policy_applied` event re-times the running clocks as the apply did."""
        data = event.data
        if event.event != POLICY_APPLIED or not isinstance(data.get("previous"), int):
            return
        old, new = self.machine(data["previous"]), self.machine(data.get("version"))
        if old is None or new is None:
            return
        given = data.get("maps")
        maps: dict[str, str] = given if isinstance(given, dict) else {}
        retime_clocks(self.store, old.policy, new, event.at, maps,
                      lambda state: [lead for lead, row in rows.items() if row["state"] == state])

    def follow(self, event: Event) -> None:
        if event.event == SLA_BREACH and not isinstance(event.data.get("sla"), str):
            return  # a breach that names no clock breaches none
        machine = self.machine(event.policy_version)
        if machine is not None:
            follow_clocks(self.store, machine, event)


def _stored(value: Any) -> Any:
    return None if isinstance(value, Erased) else value
