"""`baton init`: create the database and put the policy in force."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from .app import App

if TYPE_CHECKING:
    from statemachine.store import Store


@click.command()
@click.option("--policy", "policy_file", required=True, metavar="FILE", help="The policy to put in force.")
@click.pass_obj
def init(app: App, policy_file: str) -> None:
    """Create the database and activate the policy."""
    from statemachine.backfill import write_clock
    from statemachine.dburl import is_postgres, masked
    from statemachine.policy import read_policy_file
    from statemachine.policy.versions import command_time, store_policy
    from statemachine.schema import create_database
    from statemachine.times import from_iso

    text, policy = read_policy_file(policy_file)
    # On PostgreSQL, `identity: login` acts as the database login, known once connected.
    actor = None if is_postgres(app.db) else app.actor_for(policy, write=True)
    at = command_time(app.now, policy)
    recorded_at = write_clock(policy, from_iso(at)) if app.now else None

    def first_version(store: Store) -> dict[str, Any]:
        store.recorded_at = recorded_at
        who = actor if actor is not None else app.actor_for(policy, write=True, db_login=store.login())
        return store_policy(store, text, policy, who, at)

    create_database(app.db, policy, first_version)
    summary = {
        "db": masked(app.db), "policy": policy.name, "version": policy.version,
        "states": len(policy.states), "transitions": len(policy.transitions),
    }
    if app.as_json:
        app.emit(summary)
    else:
        click.echo(
            f"Created {masked(app.db)} with policy {policy.name} version {policy.version} "
            f"({len(policy.states)} states, {len(policy.transitions)} transitions)."
        )
