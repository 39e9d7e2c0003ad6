"""How large one input may be, the same for every way in.

A value (a CSV cell, a JSON lines value, a `FIELD=VALUE` on the command
line, a lead id) may hold at most 1 MB of UTF-8, and a policy file at most
1 MB: a lead's notes fit many times over, and a file pasted into a cell by
mistake does not double the database.
"""

from __future__ import annotations

MAX_VALUE_BYTES = 1024 * 1024
MAX_POLICY_BYTES = 1024 * 1024
# The body of one HTTP API request (`baton serve --http`): one lead's values
# fit, and a client that streams more is cut off as soon as it passes this.
MAX_REQUEST_BYTES = 1024 * 1024
# A text of this many characters or fewer is within MAX_VALUE_BYTES whatever
# they are (UTF-8 takes at most 4 bytes a character): only a longer one is
# encoded to be measured, so the check costs one `len` a value.
SURELY_FITS = MAX_VALUE_BYTES // 4


def oversize(text: str) -> str | None:
    """Why `text` is too large for one value, or None."""
    if len(text) <= SURELY_FITS:
        return None
    size = len(text.encode("utf-8", "surrogatepass"))
    if size <= MAX_VALUE_BYTES:
        return None
    return f"is {size:,} bytes, over the limit of 1 MB for one value ({MAX_VALUE_BYTES:,} bytes of UTF-8)"
