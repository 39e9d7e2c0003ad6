"""The hash chain rule of the event log (SPEC, "audit log --json").

hash = SHA-256 of the canonical JSON of exactly these keys of an event:
seq, lead, at, actor, event, from, to, data, policy_version, prev.
Canonical JSON: keys sorted, separators `,` and `:`, UTF-8 without escapes.
The first event's `prev` is 64 zeros.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

GENESIS = "0" * 64
HASHED_KEYS = ("seq", "lead", "at", "actor", "event", "from", "to", "data", "policy_version", "prev")

_encode = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode
_string = json.encoder.encode_basestring  # how `_encode` writes a str when ensure_ascii is off


def canonical(value: Any) -> str:
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
    value (a tampered row's) is encoded by `_scalar`."""
    if type(seq) is int and (policy_version is None or type(policy_version) is int):
        try:
            body = (f'{{"actor":{_string(actor)},"at":{_string(at)},"data":{data_text},"event":{_string(event)},'
                    f'"from":{"null" if from_ is None else _string(from_)},'
                    f'"lead":{"null" if lead is None else _string(lead)},'
                    f'"policy_version":{"null" if policy_version is None else int.__repr__(policy_version)},'
                    f'"prev":{_string(prev)},"seq":{int.__repr__(seq)},"to":{"null" if to is None else _string(to)}}}')
        except TypeError:  # a text column holding something else
            body = _body(seq, lead, at, actor, event, from_, to, data_text, policy_version, prev)
    else:
        body = _body(seq, lead, at, actor, event, from_, to, data_text, policy_version, prev)
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def _body(seq: Any, lead: Any, at: Any, actor: Any, event: Any, from_: Any, to: Any, data_text: str,
          policy_version: Any, prev: Any) -> str:
    return (f'{{"actor":{_scalar(actor)},"at":{_scalar(at)},"data":{data_text},"event":{_scalar(event)},'
            f'"from":{_scalar(from_)},"lead":{_scalar(lead)},"policy_version":{_scalar(policy_version)},'
            f'"prev":{_scalar(prev)},"seq":{_scalar(seq)},"to":{_scalar(to)}}}')


def _scalar(value: Any) -> str:
    """`_encode(value)`, with a short way for the types a column holds."""
    kind = type(value)
    if kind is str:
        return _string(value)
    if value is None:
        return "null"
    if kind is int:
        return int.__repr__(value)
    return _encode(value)  # anything else a tampered row may hold: as the encoder has it


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
    sha256 = hashlib.sha256

    def digest(seq: int, lead: str | None, data_text: str, prev: str) -> str:
        body = f'{head}{data_text}{middle}{_encode(lead)}{version}{prev}","seq":{int(seq)}{tail}'
        return sha256(body.encode("utf-8")).hexdigest()

    return digest
