"""Creating many leads in one transaction: `lead import`.

Each lead gets exactly what `lifecycle.create` gives one lead (a `created`
event in the chain, its personal values sealed, its row in `leads`, the
clocks of the initial state), but the rows are written a batch at a time
with `executemany` instead of one statement each, so a large export goes in
at close to the speed of SQLite itself. Memory stays flat: a batch is
forgotten once written. A policy that routes leads as they enter the initial
state takes the one-lead path, since each routing decision depends on the
one before.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from .chain import canonical, hasher
from .errors import BadImportRow
from .projection import seal_text
from .sla import CLOCK_INSERT, clocks_of, due_at
from .store import BASE_COLUMNS, PERSONAL_INSERT
from .workspace import Workspace

BATCH = 2000


@dataclass
class ImportResult:
    imported: int = 0
    bad: list[Any] = field(default_factory=list)


class _Batch:
    """Rows waiting to be written, and the ids they take."""

    def __init__(self, ws: Workspace):
        self.ws = ws
        self.names = [*BASE_COLUMNS, *ws.policy.fields]
        marks = ",".join("?" * len(self.names))
        quoted = ",".join(f'"{name}"' for name in self.names)
        self.lead_sql = f"INSERT INTO leads ({quoted}) VALUES ({marks})"
        self.events: list[tuple[Any, ...]] = []
        self.leads: list[tuple[Any, ...]] = []
        self.personal: list[tuple[str, str, str, str, str]] = []
        self.clocks: list[tuple[str, str, str, str, str]] = []
        self.ids: set[str] = set()

    def taken(self, lead: str) -> bool:
        return lead in self.ids or self.ws.store.lead_exists(lead)

    def flush(self) -> None:
        if not self.events:
            return
        store = self.ws.store
        store.append_hashed(self.events)
        db = store.db
        db.executemany(self.lead_sql, self.leads)
        db.executemany(PERSONAL_INSERT, self.personal)
        db.executemany(CLOCK_INSERT, self.clocks)
        for rows in (self.events, self.leads, self.personal, self.clocks):
            rows.clear()
        self.ids.clear()


def import_leads(ws: Workspace, file: str, rows: Iterable[Any], skip_bad: bool,
                 progress: Callable[[], None] | None = None) -> ImportResult:
    """Create a lead per row in ONE transaction: every row or none.

    A bad row (or a duplicate id) stops the import and rolls it all back,
    unless `skip_bad`, which collects it and goes on."""
    from .importer import BadRow
    from .lifecycle import create, require_member

    require_member(ws)
    policy, store = ws.policy, ws.store
    one_by_one = policy.routing is not None and policy.initial in policy.routing.on
    defaults = {name: spec.default for name, spec in policy.fields.items() if spec.default is not None}
    personal = {name for name, spec in policy.fields.items() if spec.personal}
    fields = tuple(policy.fields)
    at, actor, version, initial = ws.at, ws.actor, policy.version, policy.initial
    # the initial state's clocks all start now, so their due times are the same for every lead
    clocks = [(sla.name, sla.state, at, due_at(policy, sla, at)) for sla in clocks_of(policy, initial)]
    chain = hasher(at, actor, "created", None, initial, version)
    result = ImportResult()
    with store.transaction():
        batch = _Batch(ws)
        seq, prev = store.chain_tail()
        number = int(store.meta("next_lead") or "1")
        for count, row in enumerate(rows):
            if progress is not None and count % 1000 == 0:
                progress()
            if not isinstance(row, BadRow) and row.id is not None and batch.taken(row.id):
                row = BadRow(row.line, f"lead '{row.id}' already exists")
            if isinstance(row, BadRow):
                if not skip_bad:
                    raise BadImportRow(file, row.line, row.reason)
                result.bad.append(row)
                continue
            result.imported += 1
            # a blank cell is null, not the field's default
            given = {**dict.fromkeys(row.blank), **row.fields} if row.blank else row.fields
            if one_by_one:
                create(ws, row.id, given)
                continue
            lead = row.id
            if lead is None:
                while batch.taken(f"L-{number}"):
                    number += 1
                lead = f"L-{number}"
                number += 1
            values = {k: v for k, v in {**defaults, **given}.items() if v is not None}
            sealed = {}
            for name, value in values.items():
                if name in personal:
                    text = canonical(value)
                    digest, salt = seal_text(text)
                    batch.personal.append((digest, lead, name, salt, text))
                    sealed[name] = {"personal": digest}
                else:
                    sealed[name] = value
            data_text = canonical({"fields": sealed})
            seq += 1
            digest = chain(seq, lead, data_text, prev)
            batch.events.append((seq, lead, at, actor, "created", None, initial, data_text, version, prev, digest))
            prev = digest
            # the row projection.apply gives a `created` event (audit verify compares the two)
            batch.leads.append((lead, initial, None, 0, at, at, at, *map(values.get, fields)))
            batch.clocks.extend((lead, *clock) for clock in clocks)
            batch.ids.add(lead)
            if len(batch.events) >= BATCH:
                batch.flush()
        batch.flush()
        if not one_by_one:
            store.set_meta("next_lead", str(number))
        if progress is not None:
            progress()
    return result
