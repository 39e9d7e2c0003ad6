"""`baton serve`: the long-running service; sweep and send until told to stop,
and with --http, the HTTP JSON API beside them."""

from __future__ import annotations

import os
import sys

import click

from .app import App


@click.command()
@click.option("--every", type=click.FloatRange(min=0.1), default=60, show_default=True, metavar="SECONDS",
              help="How long one round of sweep and send waits for the next.")
@click.option("--http", "address", metavar="HOST:PORT",
              help="Also serve the HTTP JSON API there (PORT alone: on loopback, 127.0.0.1).")
@click.pass_obj
def serve(app: App, every: float, address: str | None) -> None:
    """Sweep and send in a loop; --http: the API too.

    Runs `sla sweep` and `notify send` every SECONDS until SIGTERM or Ctrl-C.
    With --http HOST:PORT, the API under /v1 answers requests that carry a
    token from `baton token create`; SIGTERM lets the requests in flight finish.
    Only one serve may run on a database; logs go to stderr (BATON_LOG, info by default here).
    """
    os.environ.setdefault("BATON_LOG", "info")
    from statemachine.policy.model import SYSTEM
    from statemachine.service import serve as run_service
    from statemachine.service import serving_lock, stop_on_signals
    from statemachine.workspace import PinnedStore, Workspace

    if address is not None:
        from statemachine.api.server import parse_address

        parse_address(address)  # a malformed HOST:PORT is a usage error before anything starts
    # Pinned, as for any command: a round's events record the policy version it
    # loaded, and a round that meets a newer one is refused (logged) and the next
    # round runs under it.
    store = PinnedStore.open(app.db, write=True)
    try:
        Workspace(store, SYSTEM, app.now, write=True)  # a missing policy or a refused --now (exit 1), a bad --now (exit 2)
        with serving_lock(app.db):
            if address is not None:
                from statemachine.api.server import run_http

                store.close()  # the loop and the API open their own connections, one a thread
                run_http(app.db, address, every, app.now, sys.stdout)
                return
            with stop_on_signals() as stop:
                run_service(store, every, app.now, stop, sys.stdout)
    finally:
        store.close()
