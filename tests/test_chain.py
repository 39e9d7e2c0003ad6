"""The chain rule of SPEC, computed independently: `hash` is the SHA-256 of
the canonical JSON of exactly the hashed keys."""

from __future__ import annotations

import enum
import hashlib
import json
import random
import sys
from typing import Any

import pytest

from statemachine.chain import GENESIS, canonical, event_hash, hash_of, hasher


def spec_hash(**event: Any) -> str:
    body = json.dumps(event, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


EVENTS = [
    dict(seq=1, lead=None, at="2026-11-23T09:00:00+00:00", actor="jane", event="policy_applied", **{"from": None},
         to=None, data={"policy": "p", "version": 1, "hash": "ab" * 32}, policy_version=1, prev=GENESIS),
    dict(seq=2, lead='L-"1"\\é', at="2026-11-23T09:00:00+00:00", actor="Zoë \u2028", event="created",
         **{"from": None}, to="MQL", data={"fields": {"score": 82, "need": "ünïcode\n\"quoted\"", "ok": True,
                                                       "budget": 2.5, "none": None}},
         policy_version=3, prev="f" * 64),
    dict(seq=10**12, lead="L-2", at="2027-01-01T00:00:00+00:00", actor="system", event="recycle",
         **{"from": "contacted"}, to="recycled", data={}, policy_version=None, prev="0" * 64),
]


@pytest.mark.parametrize("event", EVENTS, ids=lambda e: e["event"])
def test_event_hash_is_the_sha256_of_the_canonical_json(event: dict[str, Any]) -> None:
    args = (event["seq"], event["lead"], event["at"], event["actor"], event["event"], event["from"], event["to"],
            event["data"], event["policy_version"], event["prev"])
    assert event_hash(*args) == spec_hash(**event)


@pytest.mark.parametrize("event", EVENTS, ids=lambda e: e["event"])
def test_a_hasher_for_a_run_of_like_events_gives_the_same_hash(event: dict[str, Any]) -> None:
    run = hasher(event["at"], event["actor"], event["event"], event["from"], event["to"], event["policy_version"])
    assert run(event["seq"], event["lead"], canonical(event["data"]), event["prev"]) == spec_hash(**event)


@pytest.mark.parametrize("column", [
    ("lead", "\x00\x1f\x7f tab\t"), ("actor", "emoji \U0001f600 and \ud7ff"), ("policy_version", 2.5),
    ("policy_version", "3"), ("policy_version", -7), ("seq", 2**70), ("to", 1e300), ("from", float("nan")),
], ids=repr)
def test_hash_of_writes_every_value_a_tampered_column_may_hold_as_the_canonical_json(
    column: tuple[str, Any]
) -> None:
    """`hash_of` writes the body itself rather than encoding a dict: for any
    value a column of a tampered row can hold it must hash what the SPEC says."""
    name, value = column
    event = {**EVENTS[1], name: value}
    args = (event["seq"], event["lead"], event["at"], event["actor"], event["event"], event["from"], event["to"],
            canonical(event["data"]), event["policy_version"], event["prev"])
    assert hash_of(*args) == spec_hash(**event)


def test_hash_of_refuses_a_blob_as_the_encoder_does() -> None:
    with pytest.raises(TypeError):
        hash_of(1, "L-1", "t", b"bytes", "created", None, "MQL", "{}", 1, GENESIS)  # type: ignore[arg-type]


def spec_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


class Level(enum.IntEnum):
    HIGH = 3


class Name(str):
    pass


TRICKY_TEXT = ['', 'plain', 'quote " inside', 'back\\slash', 'both \\"', '\\u00e9 as text', 'Zoë Müller',
               'García 日本語 😀', '\u2028\u2029', '\x7f', '\ud800 lone surrogate', 'tab\tnew\nline\r',
               *(chr(code) for code in range(0x20)), '</script>', "it's", '{"personal": "x"}']
TRICKY_NUMBERS = [0, -1, 1, 2**63 - 1, -(2**63), 2**64, 10**40, 0.0, -0.0, 1.5, -2.25, 1e16, 1e-7, 123456789.125,
                  sys.float_info.max, sys.float_info.min, 5e-324, 0.1 + 0.2, float("nan"), float("inf"),
                  float("-inf"), True, False, None, Level.HIGH]


def random_scalar(rng: random.Random) -> Any:
    kind = rng.randrange(5)
    if kind == 0:
        return "".join(chr(rng.choice([rng.randrange(0x20, 0x7f), rng.randrange(0x20), rng.randrange(0x80, 0x800),
                                       rng.randrange(0x800, 0x10ffff)])) for _ in range(rng.randrange(12)))
    if kind == 1:
        return rng.randrange(-(2**70), 2**70) >> rng.randrange(70)
    if kind == 2:
        return rng.uniform(-1, 1) * 10 ** rng.randrange(-320, 300)
    return rng.choice(TRICKY_NUMBERS + TRICKY_TEXT)


def test_canonical_writes_scalars_exactly_as_the_spec_json_does() -> None:
    """`canonical` writes scalars itself (the bulk import's hot path); the
    text must be byte for byte what the JSON encoder of the SPEC gives."""
    rng = random.Random(3)
    values = [*TRICKY_TEXT, *TRICKY_NUMBERS, Name("sub"), *(random_scalar(rng) for _ in range(20_000))]
    for value in values:
        assert canonical(value) == spec_json(value), repr(value)


def test_canonical_writes_lists_and_objects_as_the_spec_json_does() -> None:
    rng = random.Random(4)
    for _ in range(2_000):
        items = [random_scalar(rng) for _ in range(rng.randrange(6))]
        keys = [str(random_scalar(rng)) for _ in items]
        for value in (items, dict(zip(keys, items)), {"fields": {"a": items, "b": {"personal": "f" * 64}}}):
            assert canonical(value) == spec_json(value)
