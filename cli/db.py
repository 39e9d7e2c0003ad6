"""`baton db copy`: a whole database from one store to another."""

from __future__ import annotations

import click

from .app import App, plural


@click.group()
def db() -> None:
    """Copy a database between SQLite and PostgreSQL."""


@db.command()
@click.argument("source", metavar="FROM")
@click.argument("target", metavar="TO")
@click.pass_obj
def copy(app: App, source: str, target: str) -> None:
    """Copy FROM into a new database TO, then verify TO.

    Each of FROM and TO is an SQLite file or a postgresql:// URL. TO must
    be a file that does not exist yet, or a PostgreSQL database without
    Baton's tables. The copy ends with `audit verify` on TO, which must give
    FROM's head."""
    from statemachine.audit import verify
    from statemachine.dbcopy import copy_database, refuse_into
    from statemachine.dburl import masked
    from statemachine.errors import DatabaseProblem
    from statemachine.store import Store

    refuse_into(source, target)
    copied = copy_database(source, target)
    copy_store = Store.open(target, write=False)
    try:
        report = verify(copy_store)
    finally:
        copy_store.close()
    shown_from, shown_to = masked(source), masked(target)
    if not report.ok or report.head != copied.head:
        found = "; ".join(str(problem) for problem in report.problems[:3]) or "its head differs"
        raise DatabaseProblem(f"the copy at {shown_to} does not verify ({found}); do not use it")
    head = "the log is empty" if copied.head is None else f"head: seq {copied.head.seq}, hash {copied.head.hash}"
    if app.as_json:
        app.emit({"from": shown_from, "to": shown_to, "rows": copied.rows,
                  "head": None if copied.head is None else {"seq": copied.head.seq, "hash": copied.head.hash}})
        return
    click.echo(
        f"Copied {shown_from} to {shown_to}: {plural(copied.rows['events'], 'event')}, "
        f"{plural(copied.rows['leads'], 'lead')}. audit verify on {shown_to}: the chain is intact, every "
        f"transition was legal, the leads table matches the log; {head}, the same on both."
    )
