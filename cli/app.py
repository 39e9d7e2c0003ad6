"""What every command shares: the global options, the workspace it opens
lazily, KEY=VALUE parsing and JSON output."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import click

from statemachine.errors import BadArgument, BadUsage
from statemachine.workspace import Workspace

if TYPE_CHECKING:
    from statemachine.policy.model import Policy


class App:
    """The global options, and the workspace opened from them when a command first asks."""

    def __init__(self, db: str, actor: str | None, now: str | None, as_json: bool):
        self.db, self.actor, self.now, self.as_json = db, actor, now, as_json
        self._workspace: Workspace | None = None

    def actor_name(self) -> str:
        if self.actor is None:
            import getpass  # only here: it imports the terminal's modules

            return getpass.getuser()
        if not self.actor.strip():
            raise BadArgument(
                "--as (or BATON_ACTOR) is empty; say who is acting, like --as alice, or leave it out to act as your login name"
            )
        return self.actor.strip()

    def acting_as(self) -> str:
        actor = self.actor_name()
        if actor == "system":
            raise BadArgument("'system' is Baton itself and cannot be used with --as; act as yourself, e.g. --as alice")
        return actor

    def actor_for(self, policy: Policy, *, write: bool, db_login: str | None = None) -> str:
        """Who is acting under `policy`: with `identity: login`, the login name
        (through `logins`), and --as is refused; otherwise --as or the login.
        On PostgreSQL the login is the database's (`db_login`, session_user):
        the one the server authenticated, whatever machine runs Baton."""
        if policy.identity != "login":
            return self.acting_as() if write else self.actor_name()
        if db_login is not None:
            login = db_login
        else:
            import getpass  # only here: it imports the terminal's modules

            login = getpass.getuser()
        person = (policy.logins or {}).get(login, login)
        if self.actor is not None:
            raise BadArgument(
                f"policy {policy.name} takes who is acting from the login (identity: login), so --as and BATON_ACTOR "
                f"are refused; leave them out (your login {login} acts as {person})"
            )
        if write and person == "system":
            raise BadArgument(f"login {login} maps to 'system', which is Baton itself; map it to a person in logins")
        return person

    def workspace(self, *, write: bool) -> Workspace:
        if self._workspace is None:
            provisional = self.actor.strip() if self.actor and self.actor.strip() else "-"
            ws = Workspace.open(self.db, provisional, self.now, write=write)
            try:
                ws.actor = self.actor_for(ws.policy, write=write, db_login=ws.store.login())
            except BaseException:
                ws.close()
                raise
            self._workspace = ws
        return self._workspace

    def close(self) -> None:
        if self._workspace is not None:
            self._workspace.close()
            self._workspace = None

    def emit(self, value: Any) -> None:
        click.echo(json.dumps(value, ensure_ascii=False, default=str))

    def emit_lines(self, values: Iterable[Any]) -> None:
        for value in values:
            self.emit(value)


def split_pairs(pairs: Iterable[str], what: str = "FIELD=VALUE") -> list[tuple[str, str]]:
    example = "score=70 (an empty value clears a field)" if what == "FIELD=VALUE" else 'reason="no budget this year"'
    out = []
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise BadUsage(f"'{pair}' is not {what}; write it like {example}")
        out.append((name.strip(), value))
    return out


def plural(count: int, noun: str) -> str:
    """'1 lead', '2 leads'."""
    return f"{count} {noun}{'' if count == 1 else 's'}"
