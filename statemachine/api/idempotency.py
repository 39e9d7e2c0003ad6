"""`Idempotency-Key`: a retried POST gets the first answer again and writes nothing.

A web form whose network drops the answer sends the same request again; with
the same key it must not make a second lead. The answer to a request that
wrote something is kept in `api_answers`, keyed by the token's actor and the
key, in the same transaction as the events it answers for: either both are
committed or neither, so a retry can never find the change without its
answer, or the answer without the change. A refusal writes nothing and is not
kept, so a client may fix its request and send it again under the same key.

The same key with a different request (another path or another body) is
refused: which of the two was meant cannot be known. Answers are kept for a
day, and the answers about a lead are deleted when the lead is forgotten
(`lead forget`), since they hold its values.
"""

from __future__ import annotations

import datetime as dt
import hashlib

from ..errors import BadArgument
from ..schema import ensure_api_tables
from ..store import Store
from ..times import iso

KEEP = dt.timedelta(hours=24)
MAX_KEY_LENGTH = 255


class KeyReused(BadArgument):
    """An Idempotency-Key sent again with another request."""

    def __init__(self, key: str, method: str, path: str):
        super().__init__(
            f"Idempotency-Key {key!r} was already used for another request than this {method} {path} "
            "(another path or another body); send a new key with each new request"
        )
        self.key = key


def check_key(key: str) -> None:
    if not key or len(key) > MAX_KEY_LENGTH or not key.isascii() or not key.isprintable():
        raise BadArgument(
            f"the Idempotency-Key header must be 1 to {MAX_KEY_LENGTH} printable ASCII characters, "
            "like a UUID; send a new one with each new request"
        )


def request_digest(method: str, path: str, body: bytes) -> str:
    """What identifies a request for its key: the method, the path and the body."""
    digest = hashlib.sha256(f"{method} {path}\n".encode("utf-8", "surrogateescape"))
    digest.update(body)
    return digest.hexdigest()


def earlier_answer(store: Store, actor: str, key: str, digest: str, method: str,
                   path: str) -> tuple[int, str] | None:
    """(status, body as JSON text) answered earlier to this key, or None;
    KeyReused when the key answered another request."""
    row = store.db.execute(
        "SELECT request, status, body FROM api_answers WHERE actor = ? AND key = ?", (actor, key)
    ).fetchone()
    if row is None:
        return None
    if row[0] != digest:
        raise KeyReused(key, method, path)
    return int(row[1]), str(row[2])


def keep_answer(store: Store, actor: str, key: str, digest: str, status: int, body: str,
                lead: str | None, now: dt.datetime) -> None:
    """Inside the request's transaction: keep its answer, and let go of those over a day old."""
    store.db.execute("DELETE FROM api_answers WHERE created_at < ?", (iso(now - KEEP),))
    store.db.execute(
        "INSERT INTO api_answers (actor, key, request, status, body, lead, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (actor, key, digest, status, body, lead, iso(now)),
    )


def forget_answers(store: Store, lead: str) -> None:
    """Inside `lead forget`'s transaction: the kept answers about `lead` go, with its values."""
    ensure_api_tables(store)
    store.db.execute("DELETE FROM api_answers WHERE lead = ?", (lead,))
