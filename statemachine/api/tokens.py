"""API tokens: `baton token create ACTOR` / `revoke ACTOR`, and who a request is.

A token is `baton_` and 43 random URL-safe characters (32 bytes from
`secrets`); only its SHA-256 is stored, so a copy of the database gives no
one a token. A request acts as its token's actor, nothing else. Tokens are
made and revoked by the roles in the policy's `api: {admins: [...]}` (by
default `sales_manager`); a revoked token stays in the table, with who
revoked it and when, and is refused from that moment on.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from ..errors import BadArgument, NotAllowedHere, _no_role
from ..lifecycle import require_member
from ..policy.model import SYSTEM, Policy
from ..schema import ensure_api_tables
from ..store import Store
from ..workspace import Workspace

PREFIX = "baton_"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def api_admins(policy: Policy) -> tuple[str, ...]:
    """The roles that may make and revoke tokens (`api: {admins: [...]}`)."""
    return policy.api_admins


def may_manage_tokens(ws: Workspace, doing: str = "make or revoke") -> None:
    """Refuse, before anything is written, an actor who is not an API admin
    (`doing`: what they asked, in the sentence)."""
    require_member(ws)
    roles = api_admins(ws.policy)
    if not any(ws.actor in ws.policy.actors_of(role) for role in roles):
        people = ", ".join(dict.fromkeys(a for role in roles for a in ws.policy.actors_of(role))) or "nobody yet"
        raise NotAllowedHere(
            f"{ws.actor} may not {doing} API tokens: only {' or '.join(roles)} ({people}) may, "
            "as the policy's `api: {admins: [...]}` says"
        )


def create_token(ws: Workspace, actor: str) -> str:
    """A new token for `actor` (a person in a role of the policy), stored as its hash."""
    may_manage_tokens(ws)
    actor = actor.strip()
    if not actor:
        raise BadArgument("the actor is empty; name the person the token acts for, like `baton token create alice`")
    if actor == SYSTEM:
        raise BadArgument("'system' is Baton itself and gets no token; name a person of the policy, like alice")
    if not any(actor in members for members in ws.policy.roles.values()):
        listed = "; ".join(f"{role}: {', '.join(members)}" for role, members in ws.policy.roles.items() if members)
        raise BadArgument(f"{_no_role(actor, ws.policy.roles)}, so gets no token: a token acts for a person "
                          f"of the policy ({listed})")
    token = PREFIX + secrets.token_urlsafe(32)
    with ws.store.transaction():
        ensure_api_tables(ws.store)
        ws.store.db.execute(
            "INSERT INTO api_tokens (hash, actor, created_at, created_by) VALUES (?, ?, ?, ?)",
            (token_hash(token), actor, ws.at, ws.actor),
        )
    return token


def revoke_tokens(ws: Workspace, actor: str) -> int:
    """End every live token of `actor`; how many. None to end is refused."""
    may_manage_tokens(ws)
    with ws.store.transaction():
        ensure_api_tables(ws.store)
        cursor = ws.store.db.execute(
            "UPDATE api_tokens SET revoked_at = ?, revoked_by = ? WHERE actor = ? AND revoked_at IS NULL",
            (ws.at, ws.actor, actor),
        )
        if cursor.rowcount == 0:
            raise BadArgument(f"{actor} has no token to revoke (`baton token list` shows who has one); nothing changed")
        return int(cursor.rowcount)


def token_list(ws: Workspace) -> list[dict[str, Any]]:
    """Every token ever made, oldest first, without its hash: who, made when
    and by whom, revoked when and by whom."""
    may_manage_tokens(ws, "list")
    ensure_api_tables(ws.store)
    rows = ws.store.db.execute(
        "SELECT actor, created_at, created_by, revoked_at, revoked_by FROM api_tokens ORDER BY created_at, actor"
    )
    keys = ("actor", "created_at", "created_by", "revoked_at", "revoked_by")
    return [dict(zip(keys, row)) for row in rows]


def token_actor(store: Store, token: str) -> str | None:
    """The actor of a live token, or None (unknown, revoked, or not a token)."""
    if not token.startswith(PREFIX):
        return None
    row = store.db.execute(
        "SELECT actor FROM api_tokens WHERE hash = ? AND revoked_at IS NULL", (token_hash(token),)
    ).fetchone()
    return None if row is None else str(row[0])
