"""Times: the command's clock (`--now`) and how times are written.

Events store times as ISO 8601 in UTC with an explicit offset, to the second,
so they sort as text and read the same everywhere.
"""

from __future__ import annotations

import datetime as dt
import functools

from .errors import BadUsage

UTC = dt.UTC


@functools.lru_cache(maxsize=256)
def parse_time(text: str, zone: str, what: str = "--now") -> dt.datetime:
    """An ISO 8601 date or time; naive times are in the policy's zone.
    Kept per text and zone: the API's server reads its --now at every request."""
    try:
        value = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise BadUsage(
            f"{what} '{text}' is not a time; write it as ISO 8601, like 2026-11-25T14:30 or 2026-11-25T14:30+00:00"
        ) from None
    if value.tzinfo is None:
        from zoneinfo import ZoneInfo

        value = value.replace(tzinfo=ZoneInfo(zone))
    return value.astimezone(UTC)


def now_utc() -> dt.datetime:
    return dt.datetime.now(UTC).replace(microsecond=0)


def iso(moment: dt.datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def from_iso(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


def for_people(moment: dt.datetime | str, zone: str) -> str:
    """A time as people read it, in the policy's zone: `2027-07-01 10:00 BST`.

    The one form for text output (JSON keeps `iso`, in UTC). Seconds are
    shown only when there are some, as a person would write the time.
    """
    from zoneinfo import ZoneInfo

    if isinstance(moment, str):
        moment = from_iso(moment)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    local = moment.astimezone(ZoneInfo(zone))
    text = local.strftime("%Y-%m-%d %H:%M:%S" if local.second else "%Y-%m-%d %H:%M")
    return f"{text} {local.tzname()}"
