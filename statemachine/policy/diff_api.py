"""What changed in the HTTP API's part of a policy, and how `policy diff`
says it: who manages tokens (`api: admins`) and each intake (`intake:`), its
posted keys, its null tokens, its id key and what it does with extra keys.

`diff_policies` (`diff.py`) takes these changes; `diff_words.sentence` says
them with `api_sentence` and `intake_summary`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from .diff import ADDED, CHANGED, REMOVED, Change, _members, _names, _whole
from .model import Intake, Policy

EXTRA_WORDS = {"ignore": "left out", "error": "refused"}


def intake_plain(intake: Intake) -> dict[str, Any]:
    return {"map": dict(intake.mapping), "null": list(intake.nulls), "extra": intake.extra, "id": intake.id_key}


def api_changes(old: Policy, new: Policy) -> Iterator[Change]:
    yield from _members("api", "api", "admin", old.api_admins, new.api_admins)
    for name in _names(dict(old.intake), dict(new.intake)):
        before, after = old.intake.get(name), new.intake.get(name)
        if before is None or after is None:
            yield _whole("intake", name, before and intake_plain(before), after and intake_plain(after))
            continue
        # `id:` is written into the map as the key filling "id": the map says it all
        for key in _names(before.mapping, after.mapping):
            was, now = before.mapping.get(key), after.mapping.get(key)
            if was != now:
                change = ADDED if was is None else REMOVED if now is None else CHANGED
                yield Change("intake", name, "map", change, None if was is None else {key: was},
                             None if now is None else {key: now})
        yield from _members("intake", name, "null", before.nulls, after.nulls)
        if before.extra != after.extra:
            yield Change("intake", name, "extra", CHANGED, before.extra, after.extra)


def fills(target: str) -> str:
    return "is left out" if target == "" else "gives the lead id" if target == "id" else f"fills {target}"


def api_sentence(change: Change) -> str:
    """The sentence of a change to `api:` or to an intake's parts."""
    name, old, new = change.name, change.old, change.new
    if change.kind == "api":
        who, verb = (new, "may now") if change.change == ADDED else (old, "may no longer")
        return f"{who} {verb} create and revoke API tokens"
    if change.attribute == "map":
        [key] = (new or old).keys()
        if change.change == ADDED:
            return f"{name}: posted key '{key}' now {fills(new[key])}"
        if change.change == REMOVED:
            return f"{name}: posted key '{key}' is no longer mapped (it was {old[key] or 'left out'})"
        return f"{name}: posted key '{key}' now {fills(new[key])} (it {fills(old[key])} before)"
    if change.attribute == "null":
        if change.change == ADDED:
            return f'{name}: a posted "{new}" now means no value'
        return f'{name}: a posted "{old}" no longer means no value'
    return (f"{name}: posted keys that fill no field are now {EXTRA_WORDS[new]} "
            f"(they were {EXTRA_WORDS[old]})")


def intake_summary(intake: dict[str, Any]) -> str:
    """An intake added or removed, in a few words."""
    parts = [f"'{key}' {fills(target)}" for key, target in intake["map"].items()] or ["keys fill fields of their name"]
    if intake["null"]:
        parts.append("no value: " + ", ".join(f'"{token}"' for token in intake["null"]))
    parts.append(f"other keys {EXTRA_WORDS[intake['extra']]}")
    return ", ".join(parts)
