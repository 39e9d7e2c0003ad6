"""Personal values stay out of the log: events carry salted digests, the
values live in their own table, so erasing them never breaks the chain."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from conftest import Baton, as_json, connect_raw, json_lines

from statemachine.audit import verify_chain
from statemachine.store import Store

pytestmark = pytest.mark.both_stores  # every database test here runs on SQLite and on PostgreSQL


def test_personal_values_appear_in_events_only_as_digests(baton: Baton, db: Path) -> None:
    baton("lead", "add", "--id", "L-1", "email=ana@northwind.example", "first_name=Ana", "company=Northwind")
    created = json_lines(baton("--json", "lead", "history", "L-1"))[0]
    fields = created["data"]["fields"]
    assert fields["company"] == "Northwind"
    assert set(fields["email"]) == {"personal"} and len(fields["email"]["personal"]) == 64
    raw = "|".join(data for (data,) in connect_raw(db).execute("SELECT data FROM events").fetchall())
    assert "ana@northwind.example" not in raw and "Ana" not in raw


def test_digest_is_sha256_of_salt_and_canonical_value(baton: Baton, db: Path) -> None:
    baton("lead", "add", "--id", "L-1", "email=ana@northwind.example")
    digest, salt, value = connect_raw(db).execute("SELECT digest, salt, value FROM personal").fetchone()
    assert json.loads(value) == "ana@northwind.example"
    assert hashlib.sha256((salt + '"ana@northwind.example"').encode()).hexdigest() == digest


def test_same_value_twice_gets_different_digests(baton: Baton, db: Path) -> None:
    baton("lead", "add", "--id", "L-1", "email=ana@northwind.example")
    baton("lead", "add", "--id", "L-2", "email=ana@northwind.example")
    digests = [d for (d,) in connect_raw(db).execute("SELECT digest FROM personal")]
    assert len(set(digests)) == 2


def test_show_gives_the_value_back(baton: Baton, db: Path) -> None:
    baton("lead", "add", "--id", "L-1", "phone=+44 20 7946 0000")
    assert as_json(baton("--json", "lead", "show", "L-1"))["fields"]["phone"] == "+44 20 7946 0000"


def test_erasing_personal_values_leaves_the_chain_intact(baton: Baton, db: Path) -> None:
    baton("lead", "add", "--id", "L-1", "email=ana@northwind.example", "score=70")
    baton("lead", "set", "L-1", "email=ana.ortiz@northwind.example")
    with connect_raw(db) as conn:
        assert conn.execute("DELETE FROM personal WHERE lead = 'L-1'").rowcount == 2
    store = Store.open(str(db), write=False)
    try:
        assert verify_chain(store) == (3, None)
    finally:
        store.close()
