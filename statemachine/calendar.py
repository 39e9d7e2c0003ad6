"""Business time: when an SLA clock runs out, in wall time or business time.

A `Calendar` knows one policy zone's working days, opening hours and holidays
(explicit dates, and a country's public holidays from the `holidays` package:
`GB`, or a subdivision in ISO 3166-2 form, `GB-ENG`, whose list is longer:
England has Easter Monday and the August bank holiday, the UK as a whole not).
Business hours are local wall-clock times: a day is 09:00-17:30 local on
either side of a daylight-saving change. Time is counted as real elapsed time
while the local clock is inside business hours on a working day, so the rare
day whose opening hours contain a clock change is an hour shorter or longer.

Pure: no I/O, no clock. Holidays and clock changes are worked out one year at
a time, the first time a year is needed, and kept on the (shared) calendar.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_left
from functools import lru_cache
from itertools import accumulate
from zoneinfo import ZoneInfo

from .policy.model import BusinessHours

__all__ = ["Calendar"]

UTC = dt.UTC
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# A clock that finds no working day in ten years never will (say, no `days`).
MAX_IDLE_DAYS = 3660
# Opening and closing instants kept per calendar: a few years of days.
BOUNDS_KEPT = 4096
# A clock longer than a century (say `within: 99999999d`) is due at NEVER, a
# day short of the calendar's end so every zone can show it: it never fires,
# rather than failing the command that started it with an overflow, or
# working out thousands of years of holidays to place a business-time clock.
LONGEST_MINUTES = 100 * 366 * 24 * 60
NEVER = dt.datetime(9999, 12, 30, tzinfo=dt.UTC)

# Built once: calling timedelta() with keywords costs more than the rest of `due`.
_DAY = dt.timedelta(days=1)
_MINUTE = dt.timedelta(minutes=1)
_US = dt.timedelta(microseconds=1)


class Calendar:
    """Business time in one zone: working days, hours, holidays."""

    def __init__(self, hours: BusinessHours, zone: str):
        self.hours = hours
        self.zone = ZoneInfo(zone)
        names = {day.lower()[:3] for day in hours.days}
        if names - set(WEEKDAYS):
            raise ValueError(f"unknown day(s) {', '.join(sorted(names - set(WEEKDAYS)))}; use {', '.join(WEEKDAYS)}")
        self._workdays = tuple(day in names for day in WEEKDAYS)
        try:
            self._open = dt.time.fromisoformat(hours.start)
            self._close = dt.time.fromisoformat(hours.end)
            self._explicit = frozenset(dt.date.fromisoformat(day) for day in hours.holidays)
        except ValueError as error:
            raise ValueError(f"bad business hours {hours}: {error}") from None
        if self._close <= self._open:
            raise ValueError(f"business hours end ({hours.end}) must be after they start ({hours.start})")
        self._country = hours.holiday_country
        if self._country:
            _country_holidays(self._country, 2000)  # fail now, not mid-sweep, on an unknown country
        # Business time in a normal working day and week, in whole microseconds.
        self._day_us = (dt.datetime.combine(dt.date.min, self._close) - dt.datetime.combine(dt.date.min, self._open)) // _US
        self._week_us = self._day_us * sum(self._workdays)
        self._years: set[int] = set()
        self._holidays: set[dt.date] = set(self._explicit)
        # Working days whose business time is not `_day_us`: holidays (0) and
        # days with a clock change inside opening hours (their exact bounds).
        self._short: dict[dt.date, int] = {}
        self._shifted: dict[dt.date, tuple[dt.datetime, dt.datetime]] = {}
        self._short_days: list[int] = []  # ordinals of `_short`, sorted
        self._short_sums: list[int] = [0]  # running sums of what those days lack
        self._bounds_of: dict[dt.date, tuple[dt.datetime, dt.datetime]] = {}

    @classmethod
    def of(cls, hours: BusinessHours, zone: str) -> Calendar:
        """The calendar for these hours in this zone, built once and shared."""
        return _calendar(hours, zone)

    def __repr__(self) -> str:
        return f"Calendar({self.hours!r}, {self.zone.key!r})"

    def is_business_day(self, day: dt.date) -> bool:
        """A working day of the week that is neither an explicit nor a country holiday."""
        if not self._workdays[day.weekday()]:
            return False
        if day.year not in self._years:
            self._load_year(day.year)
        return day not in self._holidays

    def due(self, start: dt.datetime, minutes: int, business: bool) -> dt.datetime:
        """When a clock started at `start` (aware, any zone) with `minutes` runs out, as an aware UTC datetime.

        business=False: wall time, start + minutes of real elapsed time.
        business=True: only minutes inside business hours on working days that
        are not holidays count; a start outside hours begins counting at the
        next opening, and a clock that runs out exactly at closing is due at
        closing, not at the next opening. Zero minutes is due at `start`.
        A clock longer than a century is due at NEVER.
        """
        if start.utcoffset() is None:
            raise ValueError(f"start {start.isoformat()} has no time zone; give an aware datetime")
        if minutes < 0:
            raise ValueError(f"a clock cannot run for {minutes} minutes")
        if minutes > LONGEST_MINUTES:
            return NEVER
        try:
            return self._due(start.astimezone(UTC), minutes, business)
        except OverflowError:  # a start in the last century of the calendar
            return NEVER

    # -- internals ---------------------------------------------------------------
    def _due(self, begin: dt.datetime, minutes: int, business: bool) -> dt.datetime:
        if not business or minutes == 0:
            return begin + _MINUTE * minutes

        remaining = _MINUTE * minutes
        day = begin.astimezone(self.zone).date()
        if self._capacity(day):
            opening, closing = self._bounds(day)
            if begin < closing:
                begin = max(begin, opening)
                if begin + remaining <= closing:
                    return begin + remaining
                remaining -= closing - begin
        return self._count_days(day + _DAY, remaining // _US)

    def _count_days(self, day: dt.date, left: int) -> dt.datetime:
        """Spend `left` microseconds of business time from the opening of `day` on."""
        idle_since = day
        while True:
            if self._week_us and left > self._week_us:
                # Whole weeks at once; what holidays and short days in them
                # lack is handed back and spent on the days after.
                weeks = (left - 1) // self._week_us
                until = day + _DAY * (7 * weeks)
                spent = weeks * self._week_us - self._lacking(day, until)
                if spent:
                    idle_since = until
                left -= spent
                day = until
            else:
                capacity = self._capacity(day)
                if left <= capacity:
                    return self._bounds(day)[0] + _US * left
                if capacity:
                    idle_since = day
                left -= capacity
                day += _DAY
            if (day - idle_since).days > MAX_IDLE_DAYS:
                raise ValueError(
                    f"no business time in the {MAX_IDLE_DAYS} days from {idle_since.isoformat()}; "
                    f"business_hours needs a working day (days: {list(self.hours.days)})"
                )

    def _capacity(self, day: dt.date) -> int:
        """Microseconds of business time in `day` (0 on days off and holidays)."""
        if not self._workdays[day.weekday()]:
            return 0
        if day.year not in self._years:
            self._load_year(day.year)
        return self._short.get(day, self._day_us)

    def _bounds(self, day: dt.date) -> tuple[dt.datetime, dt.datetime]:
        """Opening and closing of a working day, as UTC instants."""
        bounds = self._bounds_of.get(day)
        if bounds is None:
            bounds = self._shifted.get(day) or (
                dt.datetime.combine(day, self._open, self.zone).astimezone(UTC),
                dt.datetime.combine(day, self._close, self.zone).astimezone(UTC),
            )
            if len(self._bounds_of) >= BOUNDS_KEPT:
                self._bounds_of.clear()
            self._bounds_of[day] = bounds
        return bounds

    def _lacking(self, first: dt.date, until: dt.date) -> int:
        """Business time that holidays and short days in [first, until) lack."""
        for year in range(first.year, until.year + 1):
            if year not in self._years:
                self._load_year(year)
        lo = bisect_left(self._short_days, first.toordinal())
        hi = bisect_left(self._short_days, until.toordinal())
        return self._short_sums[hi] - self._short_sums[lo]

    def _load_year(self, year: int) -> None:
        self._years.add(year)
        if self._country:
            self._holidays.update(_country_holidays(self._country, year))
        for day in _clock_change_days(self.zone, year):
            if self._workdays[day.weekday()] and day not in self._holidays:
                opening = _earliest_at_or_after(day, self._open, self.zone)
                closing = _latest_reaching(day, self._close, self.zone)
                closing = max(opening, closing)
                self._shifted[day] = (opening, closing)
                capacity = (closing - opening) // _US
                if capacity != self._day_us:
                    self._short[day] = capacity
        # A country's list for one year may hold a day of the next (an observed day).
        for day in self._holidays:
            if day.year in self._years and self._workdays[day.weekday()]:
                self._short[day] = 0
        self._short_days = sorted(day.toordinal() for day in self._short)
        lacks = (self._day_us - self._short[dt.date.fromordinal(o)] for o in self._short_days)
        self._short_sums = [0, *accumulate(lacks)]


@lru_cache(maxsize=64)
def _calendar(hours: BusinessHours, zone: str) -> Calendar:
    return Calendar(hours, zone)


def _country_holidays(country: str, year: int) -> list[dt.date]:
    """A country's public holidays in `year`; `GB-ENG` (ISO 3166-2) is England's."""
    # Imported here: most policies list their holidays, and the package is slow to load.
    import holidays

    code, _, subdivision = country.partition("-")
    try:
        return list(holidays.country_holidays(code, subdiv=subdivision or None, years=year))
    except NotImplementedError:
        raise ValueError(f"no public holiday calendar for country '{country}'") from None


def _clock_change_days(zone: ZoneInfo, year: int) -> list[dt.date]:
    """The local days of `year` in which the zone's UTC offset changes."""
    days = []
    day = dt.date(year, 1, 1)
    offset = dt.datetime.combine(day, dt.time(), zone).utcoffset()
    while day.year == year:
        after = dt.datetime.combine(day + _DAY, dt.time(), zone).utcoffset()
        if after != offset:
            days.append(day)
        day, offset = day + _DAY, after
    return days


def _earliest_at_or_after(day: dt.date, wall: dt.time, zone: ZoneInfo) -> dt.datetime:
    """The first instant the local clock reads `wall` on `day`, or the change
    that skips over it."""
    return _instant(dt.datetime.combine(day, wall), zone, fold=0)


def _latest_reaching(day: dt.date, wall: dt.time, zone: ZoneInfo) -> dt.datetime:
    """The last instant the local clock reads `wall` on `day` (the second time
    when the clock goes back over it), or the change that skips over it."""
    return _instant(dt.datetime.combine(day, wall), zone, fold=1)


def _instant(naive: dt.datetime, zone: ZoneInfo, fold: int) -> dt.datetime:
    moment = naive.replace(tzinfo=zone, fold=fold).astimezone(UTC)
    if moment.astimezone(zone).replace(tzinfo=None) == naive:
        return moment
    # `naive` falls in a gap: the clock jumps over it at the change, found by
    # bisection between the readings with the offsets either side of it.
    early, late = sorted(naive.replace(tzinfo=zone, fold=f).astimezone(UTC) for f in (0, 1))
    after = late.astimezone(zone).utcoffset()
    while late - early > _US:
        middle = early + (late - early) / 2
        if middle.astimezone(zone).utcoffset() == after:
            late = middle
        else:
            early = middle
    return late
