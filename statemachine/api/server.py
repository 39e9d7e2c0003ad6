"""`baton serve --http HOST:PORT`: uvicorn serving the API, and the sweep and
send loop beside it in the same process, on a thread with its own connection.

SIGTERM or Ctrl-C: uvicorn stops accepting connections, lets the requests
in flight finish (long polls answer at once), and only then returns; the
loop stops between transactions, and the process exits 0.
"""

from __future__ import annotations

import errno
import socket
import threading
from typing import TextIO

from ..dburl import masked
from ..errors import BadArgument, BadUsage
from ..oplog import log
from ..service import StopFlag, serve, stop_on_signals
from ..workspace import PinnedStore

DRAIN_SECONDS = 30  # the longest SIGTERM waits for requests in flight


def parse_address(text: str) -> tuple[str, int]:
    """HOST:PORT, or :PORT / PORT for loopback; [::1]:PORT for IPv6."""
    host, sep, port = text.rpartition(":")
    if not sep:
        host, port = "", text
    host = host.strip("[]") or "127.0.0.1"
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise BadUsage(f"--http {text!r} is not HOST:PORT; write it like 127.0.0.1:8080 (loopback), "
                       "or 0.0.0.0:8080 to take requests from other machines")
    return host, int(port)


def listening_socket(host: str, port: int) -> socket.socket:
    """The socket the API serves on, bound here, before anything starts: a
    taken port or a foreign address is refused in one sentence (exit 1),
    before the sweep loop has run a round and so written anything."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM,
                                                             flags=socket.AI_PASSIVE)[0]
    except (socket.gaierror, UnicodeError):
        raise BadArgument(f"could not serve on {host}:{port}: {host!r} is not an address of this machine nor a "
                          "name it can look up; write an address like 127.0.0.1 (loopback) or 0.0.0.0") from None
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
    except OSError as error:
        sock.close()
        why = {errno.EADDRINUSE: f"port {port} is already in use by another program there",
               errno.EADDRNOTAVAIL: f"{host} is not an address of this machine",
               errno.EACCES: f"port {port} needs administrator rights (ports below 1024 do)"}
        raise BadArgument(f"could not serve on {host}:{port}: {why.get(error.errno or 0, error.strerror)}; "
                          "pick another --http HOST:PORT, like 127.0.0.1:8080") from None
    return sock


def run_http(db: str, address: str, every: float, now: str | None, stdout: TextIO) -> None:
    """Serve the API on `address` and sweep and send every `every` seconds, until stopped."""
    import uvicorn

    from .app import build_app

    host, port = parse_address(address)
    sock = listening_socket(host, port)
    server: uvicorn.Server | None = None
    app = build_app(db, now, stopping=lambda: server is not None and server.should_exit)
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False, lifespan="on",
                            server_header=False, timeout_graceful_shutdown=DRAIN_SECONDS)
    server = uvicorn.Server(config)
    loop_stop = StopFlag()
    store = PinnedStore.open(db, write=True)
    loop = threading.Thread(target=serve, args=(store, every, now, loop_stop, stdout), name="baton-sweep")
    # Our flag's handlers are in place first: uvicorn puts them back after its
    # own graceful stop and hands them the signal, which ends with exit 0.
    with stop_on_signals() as signalled:
        loop.start()
        log("info", "serving http", db=masked(db), host=host, port=port)
        try:
            server.run(sockets=[sock])
        except SystemExit:
            if server.started:
                raise
            # uvicorn could not start (it has logged why): said below in Baton's words
        finally:
            loop_stop.signal = signalled.signal or "stopped"
            loop.join()
            store.close()
            sock.close()
    log("info", "stopped http", db=masked(db), signal=signalled.signal)
    if not server.started:
        raise BadArgument(f"could not serve on {host}:{port}: the address is taken or not this machine's; "
                          "pick another --http HOST:PORT")
