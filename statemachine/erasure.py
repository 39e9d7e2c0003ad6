"""Erasure on request: `baton lead forget ID --reason TEXT`.

Every personal value a lead ever had lives in the `personal` table (the log
holds only salted digests), in the lead's row of `leads` (its current ones),
in the `assigned` notifications of the outbox (the rep's handover) and in the
HTTP API's kept answers (`api_answers`). One transaction deletes the first,
nulls the second, takes the values out of the third, deletes the fourth and
appends an `erased` event (who, why, which fields), so the request and the
erasure commit together or not at all.

Deleting a row leaves its bytes in the file's free space unless SQLite
overwrites them: the erasing connection runs with `secure_delete` on, and a
checkpoint after the commit copies the pages into the database file and
empties the WAL, which would otherwise keep the old pages. The chain is
untouched: a digest whose value is gone replays as `[erased]`
(`audit/read.py`), and as null in the `leads` table.
"""

from __future__ import annotations

import json
from typing import Any

from .assigned_notice import summary
from .errors import BadArgument, ErasureRefused
from .events import CREATED, ERASED, UPDATED
from .lifecycle import Recorder, read_row, require_member
from .oplog import log
from .projection import is_personal
from .store import Event, Store
from .workspace import Workspace

ERASED_TEXT = "[erased]"


def may_erase(ws: Workspace) -> None:
    """Refuse, before anything is read or written, an actor the policy's
    `erasure: {by: [...]}` does not name (or a policy without the key)."""
    policy = ws.policy
    if policy.erasure is None:
        raise ErasureRefused(
            f"policy {policy.name} version {policy.version} does not say who may erase a person's data; "
            "add `erasure: {by: [ROLE, ...]}` to it (like by: [sales_manager]) and apply it"
        )
    require_member(ws)
    if not any(ws.actor in policy.actors_of(role) for role in policy.erasure):
        roles = ", ".join(policy.erasure)
        people = ", ".join(dict.fromkeys(a for role in policy.erasure for a in policy.actors_of(role))) or "nobody yet"
        raise ErasureRefused(
            f"{ws.actor} may not erase a person's data: the policy's erasure names {roles} ({people}); "
            "ask one of them"
        )


def forget(ws: Workspace, lead: str, reason: str) -> Recorder:
    """Erase every personal value `lead` ever had, in one transaction with
    its `erased` event; then empty the WAL. The recorder holds that event."""
    reason = reason.strip()
    if not reason:
        raise BadArgument("--reason is empty; say why the data is erased, like --reason \"asked by email on 3 March\"")
    may_erase(ws)
    store = ws.store
    # `Store.open` turns it on for every connection; erasure relies on it, so
    # it is said again here: what this transaction frees or rewrites is zeroed.
    store.db.execute("PRAGMA secure_delete = ON")
    with store.transaction():
        recorder = Recorder(ws, read_row(store, ws.policy, lead))
        values = store.db.execute("SELECT field, value FROM personal WHERE lead = ?", (lead,)).fetchall()
        if not values:
            raise ErasureRefused(f"{lead} holds no personal data, so there is nothing to erase; nothing was written")
        names = {str(field) for field, _ in values}
        fields = [f for f in ws.policy.fields if f in names] + sorted(names - set(ws.policy.fields))
        store.db.execute("DELETE FROM personal WHERE lead = ?", (lead,))
        recorder.record(lead, ERASED, None, None, {"reason": reason, "erased": fields})
        gone = _sealed_now(store.events("WHERE lead = ?", (lead,)))
        assert recorder.row is not None
        recorder.row = {**recorder.row, "fields": {k: v for k, v in recorder.row["fields"].items() if k not in gone}}
        recorder.save()
        _clear_outbox(ws, lead, set(fields), [_text(value) for _, value in values])
        from .api.idempotency import forget_answers  # only here: `lead show` reads erased_fields and needs none of it

        forget_answers(store, lead)  # the HTTP API's kept answers about the lead hold its values too
    _empty_wal(store)
    return recorder


def _sealed_now(events: Any) -> set[str]:
    """The fields whose latest value in these events (a lead's) is a personal
    one: erased, they replay as `[erased]`, which the `leads` table holds as null."""
    latest: dict[str, Any] = {}
    for event in events:
        assert isinstance(event, Event)
        if event.event in (CREATED, UPDATED) and isinstance(event.data.get("fields"), dict):
            latest.update(event.data["fields"])
    return {name for name, value in latest.items() if is_personal(value)}


def _text(stored: Any) -> str:
    """A personal value as a notification's text would show it."""
    try:
        value = json.loads(stored)
    except (TypeError, ValueError):
        return str(stored)
    return value if isinstance(value, str) else str(value)


def _clear_outbox(ws: Workspace, lead: str, fields: set[str], values: list[str]) -> None:
    """Take the erased values out of the lead's notifications, sent or not:
    an `assigned` row carries them in `fields` (JSON) and in its sentence."""
    db = ws.store.db
    has_fields = any(row[1] == "fields" for row in db.execute("PRAGMA table_info(outbox)"))
    rows = db.execute(f"SELECT id, text, {'fields' if has_fields else 'NULL'} FROM outbox WHERE lead = ?",
                      (lead,)).fetchall()
    for id_, text, stored in rows:
        kept = None
        if stored is not None:
            carried = json.loads(stored)
            kept = {name: value for name, value in carried.items() if name not in fields}
            # the sentence names the lead by the fields it carried: name it by those kept
            before, after = summary(ws.policy, carried), summary(ws.policy, kept)
            if before:
                text = text.replace(f"{lead} ({before})", f"{lead} ({after})" if after else lead)
        for value in sorted((v for v in values if v), key=len, reverse=True):
            text = text.replace(value, ERASED_TEXT)
        if has_fields:
            db.execute("UPDATE outbox SET text = ?, fields = ? WHERE id = ?",
                       (text, None if kept is None else json.dumps(kept, ensure_ascii=False), id_))
        else:
            db.execute("UPDATE outbox SET text = ? WHERE id = ?", (text, id_))


def _empty_wal(store: Store) -> None:
    """Copy the committed pages into the database file and truncate the WAL,
    which still holds the pages as they were before. A command in the middle
    of a read keeps the WAL from being emptied; that is logged (the old pages
    stay in the WAL until a later checkpoint overwrites them)."""
    busy, _, _ = store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    if busy and store.postgres:
        log("warning", "erasure: this login does not own the personal, leads and outbox tables, so PostgreSQL "
            "skipped their VACUUM; the old rows stay until autovacuum or the owner runs VACUUM", db=store.path)
    elif busy:
        log("warning", "erasure: the WAL could not be emptied while another command was reading", db=store.path)


def erased_fields(store: Store, lead: str, fields: dict[str, Any]) -> list[str]:
    """The fields of `lead` erased on request that have had no value since
    (`fields`: its current ones), for `lead show` to mark `[erased]`."""
    erased: list[str] = []
    for (data,) in store.db.execute("SELECT data FROM events WHERE lead = ? AND event = ? ORDER BY seq",
                                    (lead, ERASED)):
        named = json.loads(data).get("erased")
        erased.extend(name for name in (named if isinstance(named, list) else []) if name not in erased)
    return [name for name in erased if fields.get(name) is None]
