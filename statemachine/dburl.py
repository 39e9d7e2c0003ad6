"""What --db names: an SQLite file's path or a PostgreSQL URL, and how a URL
is shown to people (its password masked, always).

Kept apart from `pg.py` so that telling the two apart never imports psycopg.
"""

from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit

PREFIXES = ("postgresql://", "postgres://")
_QUERY_PASSWORD = re.compile(r"(?i)(password=)[^&\s]*")


def is_postgres(db: str) -> bool:
    """Whether --db is a PostgreSQL URL rather than an SQLite file."""
    return db.startswith(PREFIXES)


def _password_at(db: str) -> tuple[int, int] | None:
    """Where a URL's password lies in `db` (start, end), or None without one.

    libpq ends the user part at the first `@` or `/`, so a raw `#` or `?`
    in a password still logs in; a raw `@` or `/` in it does not (see
    `unencoded`), yet must not show either: the widest reading wins."""
    scheme, _, rest = db.partition("://")
    ends = []
    first = re.search(r"[@/]", rest)
    if first and first.group() == "@":
        ends.append(first.start())
    before_query = rest.split("?", 1)[0]
    if "@" in before_query:
        ends.append(before_query.rfind("@"))
    if not ends:
        return None
    end = max(ends)
    colon = rest.find(":", 0, end)
    if colon < 0:
        return None
    offset = len(scheme) + 3
    return offset + colon + 1, offset + end


_OTHER_URL = re.compile(r"\s*[A-Za-z][A-Za-z0-9+.-]+://")  # two letters at least: C:// is a Windows drive


def other_url(db: str) -> str | None:
    """A sentence for a --db that is a URL but not PostgreSQL's as libpq
    reads it (`PostgreSQL://`, `postgresql+psycopg://`, a leading space),
    which would otherwise be taken for a file's path; else None."""
    if is_postgres(db) or not _OTHER_URL.match(db):
        return None
    return (f"{masked(db)} is neither an SQLite file nor a PostgreSQL URL; write the URL as "
            "postgresql://USER:PASSWORD@HOST:PORT/DATABASE (lower case, no driver name, no spaces)")


def masked(db: str) -> str:
    """`db` as it may be printed or logged: a URL's password, in the user part
    or as `password=` in its query, becomes ***. A path comes back as it is."""
    if not is_postgres(db) and not _OTHER_URL.match(db):
        return db
    try:
        urlsplit(db)
    except ValueError:
        # Not a URL urllib can read: keep the scheme only, never the rest.
        return db.split("://", 1)[0] + "://***"
    where = _password_at(db)
    text = db if where is None else db[:where[0]] + "***" + db[where[1]:]
    return _QUERY_PASSWORD.sub(r"\1***", text)


def unencoded(db: str) -> str | None:
    """A sentence for a URL whose password has a raw `@` or `/`, which
    libpq cuts in two (and would try part of it as the host); else None."""
    where = _password_at(db)
    secret = "" if where is None else db[where[0]:where[1]]
    if not re.search(r"[@/]", secret) or re.fullmatch(r"\d+/[^@]*", secret):  # HOST:PORT/DB@NAME: no password
        return None
    return (f"the password in {masked(db)} has a character a URL cannot carry as it is; "
            "write @ as %40 and / as %2F in it (and % as %25)")


_PARAM_PASSWORD = re.compile(r"(?i)password=([^&\s]*)")


def scrubbed(text: str, db: str) -> str:
    """`text` (a driver's message) without `db`'s password, however the
    driver quoted the URL: the whole URL, then each password left, as ***."""
    text = text.replace(db, masked(db))
    where = _password_at(db)
    secrets = [db[where[0]:where[1]]] if where else []
    secrets += _PARAM_PASSWORD.findall(db)
    secrets += [unquote(secret) for secret in secrets]
    for secret in sorted(set(filter(None, secrets)), key=len, reverse=True):
        text = text.replace(secret, "***")
    return text
