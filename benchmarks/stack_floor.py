"""The floor of Baton's own stack, for benchmarks/cli_latency.py: a minimal
click command, run by the same interpreter, that does the least a `lead
show` or a `lead advance` must do with the same SQLite file.

    python benchmarks/stack_floor.py --db FILE show LEAD
        read the lead's row of the `leads` table and print it;
    python benchmarks/stack_floor.py --db FILE advance LEAD
        append one row to the `events` table in a WAL transaction
        (BEGIN IMMEDIATE, the chain's tail read, INSERT, COMMIT).

No policy, no rules, no hashing: what is left of a Baton command's time
above this is Baton's own.
"""

from __future__ import annotations

import sqlite3

import click


@click.group()
@click.option("--db", required=True, metavar="PATH")
@click.pass_context
def cli(ctx: click.Context, db: str) -> None:
    ctx.obj = sqlite3.connect(db, isolation_level=None)
    ctx.call_on_close(ctx.obj.close)


@cli.command()
@click.argument("lead")
@click.pass_obj
def show(db: sqlite3.Connection, lead: str) -> None:
    row = db.execute("SELECT * FROM leads WHERE id = ?", (lead,)).fetchone()
    if row is None:
        raise click.ClickException(f"no lead {lead}")
    click.echo(" ".join(str(value) for value in row))


@cli.command()
@click.argument("lead")
@click.pass_obj
def advance(db: sqlite3.Connection, lead: str) -> None:
    db.execute("BEGIN IMMEDIATE")
    seq, prev = db.execute("SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1").fetchone()
    db.execute(
        "INSERT INTO events VALUES (?, ?, '2026-03-02T10:00:00+00:00', 'jane', 'hand_over', 'MQL', 'SAL', '{}', 1, ?, ?)",
        (seq + 1, lead, prev, f"{seq + 1:064x}"),
    )
    db.execute("COMMIT")
    click.echo(f"{lead}: MQL -> SAL")


if __name__ == "__main__":
    cli()
