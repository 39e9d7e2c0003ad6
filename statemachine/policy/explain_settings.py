"""What the policy's settings about people and the log say, in plain words:
who approves a new version (`approvals`), who may erase a person's data
(`erasure`), who is acting (`identity`, `logins`), whether a change may give
its own time (`clock`), who witnesses the log (`audit`), who manages the HTTP
API's tokens (`api`) and how other tools' posted leads are read (`intake`).

`baton policy explain SETTING` prints these sentences (`--json`: the setting,
its value as the policy holds it, and the sentences); `explain.py` turns to
this module for a name that is neither a trigger nor a state.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .model import Policy

SETTINGS = ("approvals", "erasure", "identity", "logins", "clock", "audit", "api", "intake")


@dataclass(frozen=True)
class SettingExplained:
    name: str
    value: Any
    says: tuple[str, ...]

    def as_json(self) -> dict[str, Any]:
        return {"kind": "setting", "name": self.name, "value": self.value, "says": list(self.says)}


def _roles(policy: Policy, roles: tuple[str, ...]) -> str:
    return ", ".join(f"{role} ({', '.join(policy.actors_of(role)) or 'nobody yet'})" for role in roles)


def _approvals(policy: Policy) -> SettingExplained:
    if not policy.approvals:
        says = ("No approvals are required: a new version goes in force when someone in a role of the policy "
                "applies it.",)
    else:
        says = (f"A new version goes in force only once one person of each of these roles has approved its exact "
                f"text (`baton policy approve FILE`): {_roles(policy, policy.approvals)}.",)
    return SettingExplained("approvals", list(policy.approvals), says)


def _erasure(policy: Policy) -> SettingExplained:
    if policy.erasure is None:
        says = ("Nobody may erase a person's data: the policy does not say who may; add "
                "`erasure: {by: [ROLE, ...]}` to let them.",)
    else:
        says = (f"On a person's request, these may erase every personal value of their lead "
                f"(`baton lead forget ID --reason TEXT`): {_roles(policy, policy.erasure) or 'nobody'}.",)
    return SettingExplained("erasure", None if policy.erasure is None else list(policy.erasure), says)


def _identity(policy: Policy, name: str) -> SettingExplained:
    logins = policy.logins or {}
    if policy.identity != "login":
        says: tuple[str, ...] = ("Who is acting is given with --as (or BATON_ACTOR); without it, the login name.",)
    else:
        says = ("Who is acting is the login name; --as and BATON_ACTOR are refused.",)
    says += tuple(f"Login {login} acts as {person}." for login, person in logins.items())
    value = dict(logins) if name == "logins" else policy.identity
    return SettingExplained(name, value, says)


def _clock(policy: Policy) -> SettingExplained:
    if policy.now_on_writes == "refuse":
        says = ("A change may not give its own time with --now: each is dated when it is made.",)
    else:
        says = ("A change may give its own time with --now (to record one made earlier); one more than five "
                "minutes from the clock also records when it was really made.",)
    return SettingExplained("clock", {"now_on_writes": policy.now_on_writes}, says)


def _audit(policy: Policy) -> SettingExplained:
    if policy.witness == "daily":
        says = ("Once a day `baton serve` sends the head of the log through the notify channels, so a copy "
                "lives outside the database and a rewritten log shows.",)
    else:
        says = ("No witness: the head of the log is sent nowhere; keep it yourself with `baton audit head`.",)
    return SettingExplained("audit", {"witness": policy.witness}, says)


def _api(policy: Policy) -> SettingExplained:
    says = (f"API tokens (`baton token create ACTOR`, `revoke`) are made and ended by: "
            f"{_roles(policy, policy.api_admins)}; a request through the API acts as its token's person.",)
    return SettingExplained("api", {"admins": list(policy.api_admins)}, says)


def _intake(policy: Policy) -> SettingExplained:
    if not policy.intake:
        return SettingExplained("intake", {}, ("No intakes: other tools post leads with Baton's own field names "
                                               "(`POST /v1/leads`).",))
    from .diff_api import fills

    says = []
    for name, intake in policy.intake.items():
        mapped = "".join(f"{key} {fills(target)}, " for key, target in intake.mapping.items())
        nulls = "; " + ", ".join(f'"{token}"' for token in intake.nulls) + " mean no value" if intake.nulls else ""
        extra = "any other key is left out" if intake.extra == "ignore" else "a post with any other key is refused"
        says.append(f"`POST /v1/intake/{name}` reads a posted lead: {mapped}a key named as a field (in any case) "
                    f"fills that field{nulls}; {extra}.")
    value = {name: {"map": dict(i.mapping), "null": list(i.nulls), "extra": i.extra} for name, i in policy.intake.items()}
    return SettingExplained("intake", value, tuple(says))


_EXPLAIN: dict[str, Callable[[Policy], SettingExplained]] = {
    "approvals": _approvals, "erasure": _erasure, "identity": lambda p: _identity(p, "identity"),
    "logins": lambda p: _identity(p, "logins"), "clock": _clock, "audit": _audit,
    "api": _api, "intake": _intake,
}


def explain_setting(policy: Policy, name: str) -> SettingExplained:
    return _EXPLAIN[name](policy)
