"""What --db names: an SQLite file's path or a PostgreSQL URL, and how a URL
is shown to people (its password masked, always).

Kept apart from `pg.py` so that telling the two apart never imports psycopg.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

PREFIXES = ("postgresql://", "postgres://")
_QUERY_PASSWORD = re.compile(r"(?i)(password=)[^&\s]*")


def is_postgres(db: str) -> bool:
    """Whether --db is a PostgreSQL URL rather than an SQLite file."""
    return db.startswith(PREFIXES)


def masked(db: str) -> str:
    """`db` as it may be printed or logged: a URL's password, in the user part
    or as `password=` in its query, becomes ***. A path comes back as it is."""
    if not is_postgres(db):
        return db
    try:
        parts = urlsplit(db)
        netloc = parts.netloc
        if "@" in netloc:
            user, _, host = netloc.rpartition("@")
            if ":" in user:
                user = user.split(":", 1)[0] + ":***"
            netloc = f"{user}@{host}"
        text = urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
    except ValueError:
        # Not a URL urllib can read: keep the scheme only, never the rest.
        text = db.split("://", 1)[0] + "://***"
    return _QUERY_PASSWORD.sub(r"\1***", text)


_USER_PASSWORD = re.compile(r"^[a-z]+://[^/@:]*:([^@]*)@", re.IGNORECASE)
_PARAM_PASSWORD = re.compile(r"(?i)password=([^&\s]*)")


def scrubbed(text: str, db: str) -> str:
    """`text` (a driver's message) without `db`'s password, however the
    driver quoted the URL: the whole URL, then each password left, as ***."""
    text = text.replace(db, masked(db))
    found = _USER_PASSWORD.match(db)
    secrets = [found.group(1)] if found else []
    secrets += _PARAM_PASSWORD.findall(db)
    for secret in sorted(filter(None, secrets), key=len, reverse=True):
        text = text.replace(secret, "***")
    return text

