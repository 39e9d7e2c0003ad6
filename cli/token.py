"""`baton token`: the HTTP API's tokens, made and revoked by the policy's API admins."""

from __future__ import annotations

import click

from statemachine.times import for_people

from .app import App


@click.group()
def token() -> None:
    """Tokens for the HTTP API (`baton serve --http`).

    A request acts as its token's actor. Only the roles in the policy's
    `api: {admins: [...]}` (by default sales_manager) make and revoke them."""


@token.command()
@click.argument("actor")
@click.pass_obj
def create(app: App, actor: str) -> None:
    """Make a new token for ACTOR (shown once).

    ACTOR is a person of the policy; the token is the last line printed.
    Only its hash is kept: copy it now."""
    from statemachine.api.tokens import create_token

    made = create_token(app.workspace(write=True), actor)
    if app.as_json:
        app.emit({"actor": actor.strip(), "token": made})
        return
    click.echo(f"A new API token for {actor.strip()}; it is shown only this once, so keep it somewhere safe:")
    click.echo(made)


@token.command()
@click.argument("actor")
@click.pass_obj
def revoke(app: App, actor: str) -> None:
    """End every token of ACTOR at once."""
    from statemachine.api.tokens import revoke_tokens

    count = revoke_tokens(app.workspace(write=True), actor)
    if app.as_json:
        app.emit({"actor": actor, "revoked": count})
        return
    click.echo(f"Revoked {count} token{'s' if count != 1 else ''} of {actor}; requests with {'them' if count != 1 else 'it'} are refused from now on.")


@token.command(name="list")
@click.pass_obj
def list_(app: App) -> None:
    """Every token: for whom, by whom, and if revoked.

    When each was made, and when it was revoked and by whom."""
    from statemachine.api.tokens import token_list

    ws = app.workspace(write=True)  # an older database gets the tokens table on first use
    rows = token_list(ws)
    if app.as_json:
        app.emit_lines(rows)
        return
    if not rows:
        click.echo("No API tokens yet; make one with `baton token create ACTOR`.")
    zone = ws.policy.timezone
    for row in rows:
        made = f"made {for_people(row['created_at'], zone)} by {row['created_by']}"
        ended = f"; revoked {for_people(row['revoked_at'], zone)} by {row['revoked_by']}" if row["revoked_at"] else ""
        click.echo(f"{row['actor']:<12} {made}{ended}")
