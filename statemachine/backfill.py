"""When a change may say its own time, and what it records when it does.

`--now` lets a change be back-filled (entered today for last Tuesday), which
an auditor must be able to see: a write whose clock is more than five
minutes from the wall clock records the wall-clock time as `recorded_at` in
the data of every event it appends. A policy can forbid `--now` on changes
entirely (`clock: {now_on_writes: refuse}`), and a time before 2000 or more
than a year ahead is refused outright: no lead existed then, or yet.
"""

from __future__ import annotations

import datetime as dt

from .errors import ClockRefused
from .policy.model import Policy
from .store import Store
from .times import UTC, iso, now_utc

RECORDED_AT = "recorded_at"
DRIFT = dt.timedelta(minutes=5)
EARLIEST = dt.datetime(2000, 1, 1, tzinfo=UTC)
AHEAD = dt.timedelta(days=365)


def wall_clock(given: dt.datetime) -> dt.datetime:
    """The machine's clock, to judge the command's `given` --now by. A test
    suite that plays out a simulated week puts here a clock that follows it."""
    return now_utc()


def write_clock(policy: Policy, moment: dt.datetime) -> str | None:
    """For a change made with `--now` = `moment`: refuse it, or say what to
    record as `recorded_at` (None when the two clocks agree)."""
    if policy.now_on_writes == "refuse":
        raise ClockRefused(
            f"policy version {policy.version} refuses --now on changes (clock: now_on_writes: refuse); "
            "leave out --now (and BATON_NOW) so the change carries the time it is made"
        )
    wall = wall_clock(moment)
    if moment < EARLIEST or moment > wall + AHEAD:
        raise ClockRefused(
            f"--now {iso(moment)} is out of range: a change may be dated from 2000-01-01 "
            f"up to a year after today ({iso(wall + AHEAD)[:10]})"
        )
    return iso(wall) if abs(moment - wall) > DRIFT else None


def back_filled(store: Store) -> int:
    """How many events record a `recorded_at` (`audit verify` counts them).
    `instr` first: it skips the other events without parsing their JSON."""
    row = store.db.execute(
        "SELECT count(*) FROM events WHERE instr(data, '\"recorded_at\":') > 0 "
        "AND json_type(data, '$.recorded_at') IS NOT NULL"
    ).fetchone()
    return int(row[0])
