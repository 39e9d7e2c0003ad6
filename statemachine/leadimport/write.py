"""Creating many leads in one transaction: `lead import`.

Each lead is made by the rule `lead add` follows (`new_lead`: a `created`
event in the chain, its personal values sealed, its row in `leads`) and gets
the clocks of the initial state, but the rows are written a batch at a time
with `executemany` instead of one statement each, so a large export goes in
at close to the speed of SQLite itself. Memory stays flat: a batch is
forgotten once written. What entering the initial state does is the
machine's to say (`LeadMachine.on_enter`): a policy that routes leads as they
enter it takes the one-lead path, since each routing decision depends on the
one before (and each assignment may queue its `assigned` notification).

The batched path is in two halves: `_seal` does what needs no database and
no lead id (`new_lead`: defaults, sealing personal values, the event's data
text), and `_Batch.flush` gives ids, chains and writes. On Linux the first
half runs in a forked reader process (`reader`), so that it overlaps the
second, which is mostly SQLite's; only this process touches the database.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from ..chain import canonical, hasher
from ..errors import BadImportRow
from ..events import CREATED
from ..new_lead import LeadTemplate, Sealed, new_lead
from ..sla import CLOCK_INSERT, due_at
from ..statements import insert_many
from ..store import PERSONAL_INSERT
from ..workspace import Workspace
from .check import LeadFile, Row
from .read import BadRow
from .reader import batches_read_by_child, can_fork

BATCH = 2000


@dataclass
class ImportResult:
    imported: int = 0
    bad: list[Any] = field(default_factory=list)


# A row sealed: what a `created` event needs that does not depend on the
# lead id or on seq, worked out by `_seal` (in the reader process, when there
# is one): (line, the id the file gives or None, and what `new_lead` gives:
# the event's data text, the personal values sealed, the leads row's field
# values). A plain tuple: it is pickled a hundred thousand times on the
# two-process path.
_Sealed = tuple[int, str | None, str, list[Sealed], tuple[Any, ...]]


def _seal(template: LeadTemplate, rows: list[Row | BadRow]) -> list[_Sealed | BadRow]:
    """The per-row work that needs neither the database nor the lead id."""
    salts = template.salts(len(rows))  # enough for every personal field of every row
    sealed_rows: list[_Sealed | BadRow] = []
    for row in rows:
        if isinstance(row, BadRow):
            sealed_rows.append(row)
            continue
        data_text, personal, values = new_lead(template, row.fields, row.blank, salts)
        sealed_rows.append((row.line, row.id, data_text, personal, values))
    return sealed_rows


class _Batch:
    """Sealed rows not yet written, and where the chain and the generated
    ids stand.

    `flush` takes the rows in file order, so a duplicate id is named by its
    own line even though the ids of a whole batch are looked up at once."""

    def __init__(self, ws: Workspace, file: str, skip_bad: bool, result: ImportResult):
        self.ws, self.file, self.skip_bad, self.result = ws, file, skip_bad, result
        policy, store = ws.policy, ws.store
        self.rows: list[_Sealed | BadRow] = []  # the batch `flush` writes next
        self.template = LeadTemplate(policy)
        self.at, self.actor, self.version, self.initial = ws.at, ws.actor, policy.version, policy.initial
        self.chain = hasher(self.at, self.actor, CREATED, None, self.initial, self.version)
        # the initial state's clocks all start now, so their due times are the same for every lead
        self.clocks = [(sla.name, sla.state, self.at, due_at(policy, sla, self.at))
                       for sla in ws.machine.on_enter(self.initial).clocks]
        self.seq, self.prev = store.chain_tail()
        self.number = int(store.meta("next_lead") or "1")
        # What `Store.append` adds to a back-filled event's data, spliced into
        # the text: "recorded_at" sorts after "fields", the one other key.
        self.recorded = "" if store.recorded_at is None else f',"recorded_at":{canonical(store.recorded_at)}'

    def refuse(self, row: BadRow) -> None:
        _refuse(self.file, row, self.skip_bad, self.result)

    def flush(self) -> None:
        rows, self.rows = self.rows, []
        store = self.ws.store
        given = [row[1] for row in rows if not isinstance(row, BadRow) and row[1] is not None]
        generated = sum(1 for row in rows if not isinstance(row, BadRow) and row[1] is None)
        # One query for the ids the rows give and those they will most likely
        # be given; an id beyond those (after a collision) is looked up alone.
        looked_up = [*given, *(f"L-{n}" for n in range(self.number, self.number + generated))]
        existing = store.existing_leads(looked_up) if looked_up else set()
        checked = set(looked_up)
        ids: set[str] = set()

        def taken(lead: str) -> bool:
            if lead in ids:
                return True
            return lead in existing if lead in checked else store.lead_exists(lead)

        events: list[tuple[Any, ...]] = []
        leads: list[tuple[Any, ...]] = []
        personal: list[tuple[str, str, str, str, str]] = []
        clocks: list[tuple[str, str, str, str, str]] = []
        chain, lead_row = self.chain, self.template.row
        at, actor, version, initial = self.at, self.actor, self.version, self.initial
        seq, prev, number, recorded = self.seq, self.prev, self.number, self.recorded  # locals: this loop runs once a row
        for row in rows:
            if isinstance(row, BadRow):
                self.refuse(row)
                continue
            line, lead, data_text, sealed, values = row
            if lead is None:
                lead = f"L-{number}"
                while taken(lead):
                    number += 1
                    lead = f"L-{number}"
                number += 1
            elif taken(lead):
                self.refuse(BadRow(line, f"lead '{lead}' already exists"))
                continue
            ids.add(lead)
            for digest, name, salt, text in sealed:
                personal.append((digest, lead, name, salt, text))
            seq += 1
            if recorded:
                data_text = data_text[:-1] + recorded + "}"
            digest = chain(seq, lead, data_text, prev)
            events.append((seq, lead, at, actor, CREATED, None, initial, data_text, version, prev, digest))
            prev = digest
            leads.append(lead_row(lead, at, values))
            if self.clocks:
                clocks.extend((lead, *clock) for clock in self.clocks)
        self.seq, self.prev, self.number = seq, prev, number
        self.result.imported += len(events)
        if not events:
            return
        store.append_hashed(events)
        db = store.db
        insert_many(db, "leads", self.template.columns, leads)
        db.executemany(PERSONAL_INSERT, personal)
        db.executemany(CLOCK_INSERT, clocks)


def import_leads(ws: Workspace, file: str, rows: Iterable[Row | BadRow], skip_bad: bool,
                 progress: Callable[[], None] | None = None) -> ImportResult:
    """Create a lead per row in ONE transaction: every row or none.

    A bad row (or a duplicate id) stops the import and rolls it all back,
    unless `skip_bad`, which collects it and goes on.

    Where os.fork exists, a child process reads and seals the rows
    (`reader`) while this one gives them ids, chains them and writes
    them: the two halves take about as long, and each has a CPU."""
    from ..lifecycle import require_member

    require_member(ws)
    policy, store = ws.policy, ws.store
    result = ImportResult()
    with store.transaction():
        if ws.machine.on_enter(policy.initial).route:
            _import_one_by_one(ws, file, rows, skip_bad, progress, result)
        else:
            with _cycle_collector_paused():
                batch = _Batch(ws, file, skip_bad, result)
                batches = partial(_sealed_batches, rows, skip_bad, batch.template)
                if can_fork():
                    with batches_read_by_child(file, batches) as received:
                        _write_batches(batch, received, progress, rows)
                else:
                    _write_batches(batch, batches(), progress, rows)
            store.set_meta("next_lead", str(batch.number))
        if progress is not None:
            progress()
    return result


def _write_batches(batch: _Batch, batches: Iterable[tuple[list[_Sealed | BadRow], int | None]],
                   progress: Callable[[], None] | None, rows: Iterable[Row | BadRow]) -> None:
    """Each batch through `_Batch.flush`, telling progress every 1000 rows.
    A batch may come with how far a reader process has read the file: the
    LeadFile here, which a progress bar asks, is then told."""
    count = 0
    for sealed, bytes_read in batches:
        if progress is not None:
            if bytes_read is not None and isinstance(rows, LeadFile):
                rows.follow(bytes_read)
            for _ in range(-(-count // 1000) * 1000, count + len(sealed), 1000):
                progress()
        count += len(sealed)
        batch.rows = sealed
        batch.flush()


def _sealed_batches(rows: Iterable[Row | BadRow], skip_bad: bool, template: LeadTemplate,
                    ) -> Iterator[tuple[list[_Sealed | BadRow], int | None]]:
    """The rows a batch at a time, sealed, each batch with how far the file
    has been read (None for rows that are not a LeadFile's). Without
    skip_bad a bad row ends the import: its batch ends with it (so that a
    duplicate id on an earlier line is the one named) and nothing after it
    is read."""
    def sealed(batch: list[Row | BadRow]) -> tuple[list[_Sealed | BadRow], int | None]:
        return _seal(template, batch), rows.bytes_read if isinstance(rows, LeadFile) else None

    batch: list[Row | BadRow] = []
    for row in rows:
        batch.append(row)
        if not skip_bad and isinstance(row, BadRow):
            yield sealed(batch)
            return
        if len(batch) >= BATCH:
            yield sealed(batch)
            batch = []
    yield sealed(batch)


def _refuse(file: str, row: BadRow, skip_bad: bool, result: ImportResult) -> None:
    """A bad row ends the import, or with skip_bad is set aside and listed."""
    if not skip_bad:
        raise BadImportRow(file, row.line, row.reason)
    result.bad.append(row)


@contextmanager
def _cycle_collector_paused() -> Iterator[None]:
    """Python's cycle collector off while rows are read and written.

    A batch holds thousands of rows, tuples and strings that outlive a few
    collections, so the collector walks them again and again (a twentieth of
    the import), yet they form no reference cycles: reference counting frees
    every one. The one-lead path, which runs the whole engine, keeps it."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _import_one_by_one(ws: Workspace, file: str, rows: Iterable[Row | BadRow], skip_bad: bool,
                       progress: Callable[[], None] | None, result: ImportResult) -> None:
    """Each row through `lifecycle.create`, as `lead add` makes a lead."""
    from ..lifecycle import create

    for count, row in enumerate(rows):
        if progress is not None and count % 1000 == 0:
            progress()
        if isinstance(row, Row) and row.id is not None and ws.store.lead_exists(row.id):
            row = BadRow(row.line, f"lead '{row.id}' already exists")
        if isinstance(row, BadRow):
            _refuse(file, row, skip_bad, result)
            continue
        result.imported += 1
        # a blank cell is null, not the field's default
        create(ws, row.id, {**dict.fromkeys(row.blank), **row.fields} if row.blank else row.fields)
