"""The hash chain rule of the event log (SPEC, "audit log --json").

hash = SHA-256 of the canonical JSON of exactly these keys of an event:
seq, lead, at, actor, event, from, to, data, policy_version, prev.
Canonical JSON: keys sorted, separators `,` and `:`, UTF-8 without escapes.
The first event's `prev` is 64 zeros.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from json.encoder import encode_basestring
from typing import Any, Protocol

GENESIS = "0" * 64
HASHED_KEYS = ("seq", "lead", "at", "actor", "event", "from", "to", "data", "policy_version", "prev")

_encode = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode


class _Hash(Protocol):
    def hexdigest(self) -> str: ...


def _first_sha256(data: bytes) -> _Hash:
    """hashlib's SHA-256, imported when something is first hashed: `lead
    show` hashes nothing, and OpenSSL's hashlib takes 2 ms to import."""
    global sha256
    from hashlib import sha256 as imported

    sha256 = imported
    return imported(data)


sha256: Callable[[bytes], _Hash] = _first_sha256


def canonical(value: Any) -> str:
    """The canonical JSON text of `value`.

    Field values are scalars, and a bulk import encodes several a row: for
    those the text is written directly, as the encoder itself writes them
    (`encode_basestring` is its string function without ensure_ascii, and
    it writes ints and finite floats with their types' own repr), without
    going through its general machinery; tests/test_chain.py compares the
    two over many values. Anything else, subclasses and non-finite floats
    included, goes to the encoder."""
    kind = type(value)
    if kind is str:
        return encode_basestring(value)
    if kind is int:
        return int.__repr__(value)
    if kind is bool:
        return "true" if value else "false"
    if kind is float and math.isfinite(value):
        return float.__repr__(value)
    return _encode(value)


def event_hash(seq: int, lead: str | None, at: str, actor: str, event: str, from_: str | None,
               to: str | None, data: dict[str, Any], policy_version: int | None, prev: str) -> str:
    return hash_of(seq, lead, at, actor, event, from_, to, _encode(data), policy_version, prev)


def hash_of(seq: int, lead: str | None, at: str, actor: str, event: str, from_: str | None,
            to: str | None, data_text: str, policy_version: int | None, prev: str) -> str:
    """`event_hash` for an event whose `data` is already canonical JSON text.
    The body is written out key by key in their sorted order, each value as
    `_encode` writes it: `audit verify` hashes every event, and encoding a
    dict of them (then splicing the text in) cost three times as much. The
    short way takes the types Baton writes (text, null, integers); any other
    value (a tampered row's) is written by `canonical`."""
    if type(seq) is int and (policy_version is None or type(policy_version) is int):
        try:
            body = (f'{{"actor":{encode_basestring(actor)},"at":{encode_basestring(at)},"data":{data_text},"event":{encode_basestring(event)},'
                    f'"from":{"null" if from_ is None else encode_basestring(from_)},'
                    f'"lead":{"null" if lead is None else encode_basestring(lead)},'
                    f'"policy_version":{"null" if policy_version is None else int.__repr__(policy_version)},'
                    f'"prev":{encode_basestring(prev)},"seq":{int.__repr__(seq)},"to":{"null" if to is None else encode_basestring(to)}}}')
        except TypeError:  # a text column holding something else
            body = _body(seq, lead, at, actor, event, from_, to, data_text, policy_version, prev)
    else:
        body = _body(seq, lead, at, actor, event, from_, to, data_text, policy_version, prev)
    return sha256(body.encode("utf-8")).hexdigest()


def _body(seq: Any, lead: Any, at: Any, actor: Any, event: Any, from_: Any, to: Any, data_text: str,
          policy_version: Any, prev: Any) -> str:
    return (f'{{"actor":{canonical(actor)},"at":{canonical(at)},"data":{data_text},"event":{canonical(event)},'
            f'"from":{canonical(from_)},"lead":{canonical(lead)},"policy_version":{canonical(policy_version)},'
            f'"prev":{canonical(prev)},"seq":{canonical(seq)},"to":{canonical(to)}}}')


def hasher(at: str, actor: str, event: str, from_: str | None, to: str | None,
           policy_version: int | None) -> Callable[[int, str | None, str, str], str]:
    """`hash_of` with the keys that a run of like events share fixed, so a
    bulk import encodes them once: the returned function takes (seq, lead,
    data_text, prev).

    The body is the canonical JSON of the hashed keys written out in their
    sorted order (actor, at, data, event, from, lead, policy_version, prev,
    seq, to); `seq` is an integer and `prev` a hex digest, so neither needs
    escaping."""
    head = f'{{"actor":{_encode(actor)},"at":{_encode(at)},"data":'
    middle = f',"event":{_encode(event)},"from":{_encode(from_)},"lead":'
    version = f',"policy_version":{_encode(policy_version)},"prev":"'
    tail = f',"to":{_encode(to)}}}'
    from hashlib import sha256

    def digest(seq: int, lead: str | None, data_text: str, prev: str) -> str:
        body = f'{head}{data_text}{middle}{canonical(lead)}{version}{prev}","seq":{int(seq)}{tail}'
        return sha256(body.encode("utf-8")).hexdigest()

    return digest
