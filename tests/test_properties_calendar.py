"""Properties of business time (statemachine/calendar.py), which every SLA
clock with `business: true` is due by: a lead that arrives later is never due
earlier, a longer promise never ends sooner, and a clock never runs out while
the office is closed.

Bounded and seeded in CI; `HYPOTHESIS_PROFILE=long` searches longer."""
from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from statemachine.calendar import WEEKDAYS, Calendar
from statemachine.policy.model import BusinessHours

ZONES = ("Europe/London", "America/New_York", "Asia/Kolkata")
WORKING_WEEK = 5 * 8 * 60
UTC = dt.UTC


@st.composite
def business_hours(draw: st.DrawFn) -> BusinessHours:
    # Opening and closing stay clear of 00:00-04:59, where London and New York
    # change their clocks: a closing inside the skipped hour is the moment of
    # the change, which the local clock reads as a later time.
    opens = draw(st.integers(min_value=5 * 60, max_value=14 * 60))
    closes = draw(st.integers(min_value=opens + 30, max_value=23 * 60 + 59))
    days = draw(st.sets(st.sampled_from(WEEKDAYS), min_size=1))
    holidays = draw(st.sets(st.dates(dt.date(2026, 1, 1), dt.date(2029, 3, 31)), max_size=6))
    return BusinessHours(
        days=tuple(day for day in WEEKDAYS if day in days),
        start=f"{opens // 60:02d}:{opens % 60:02d}",
        end=f"{closes // 60:02d}:{closes % 60:02d}",
        holidays=tuple(sorted(day.isoformat() for day in holidays)),
        holiday_country=draw(st.sampled_from([None, "GB-ENG", "US"])),
    )


calendars = st.builds(Calendar.of, business_hours(), st.sampled_from(ZONES))
starts = st.datetimes(dt.datetime(2026, 1, 1), dt.datetime(2028, 12, 31, 23, 59), timezones=st.just(UTC))
minutes = st.integers(min_value=0, max_value=3 * WORKING_WEEK)


@given(calendars, starts, starts, minutes, st.booleans())
def test_a_later_start_is_never_due_earlier(calendar: Calendar, a: dt.datetime, b: dt.datetime,
                                            length: int, business: bool) -> None:
    early, late = sorted((a, b))
    assert calendar.due(early, length, business) <= calendar.due(late, length, business)


@given(calendars, starts, minutes, minutes, st.booleans())
def test_a_longer_clock_is_never_due_sooner(calendar: Calendar, start: dt.datetime,
                                            a: int, b: int, business: bool) -> None:
    short, long = sorted((a, b))
    assert calendar.due(start, short, business) <= calendar.due(start, long, business)


@given(calendars, starts, minutes.filter(bool))
def test_a_business_clock_runs_out_only_while_the_office_is_open(calendar: Calendar, start: dt.datetime,
                                                                  length: int) -> None:
    due = calendar.due(start, length, business=True)
    local = due.astimezone(calendar.zone)
    assert calendar.is_business_day(local.date()), f"due {local} on a day off"
    opens = dt.time.fromisoformat(calendar.hours.start)
    closes = dt.time.fromisoformat(calendar.hours.end)
    assert opens <= local.time().replace(tzinfo=None) <= closes, f"due {local}, outside {opens}-{closes}"
    # Only time that really passes while open counts: never sooner than wall time.
    assert due - start >= dt.timedelta(minutes=length)


@given(calendars, starts, minutes)
def test_a_wall_clock_is_due_exactly_its_minutes_later(calendar: Calendar, start: dt.datetime,
                                                       length: int) -> None:
    assert calendar.due(start, length, business=False) == start + dt.timedelta(minutes=length)
