"""When SLA clocks run out: business time across weekends, holidays and
daylight-saving changes, and wall time."""

from __future__ import annotations

import datetime as dt
import random
import subprocess
import sys
from zoneinfo import ZoneInfo

import pytest

from statemachine.calendar import LONGEST_MINUTES, NEVER, Calendar
from statemachine.policy.model import BusinessHours

UTC = dt.UTC
LONDON = "Europe/London"
NEW_YORK = "America/New_York"
# The SPEC's example policy: 09:00-17:30, Monday to Friday.
SPEC_HOURS = BusinessHours(end="17:30", holidays=("2026-12-25", "2026-12-26"))
PLAIN_HOURS = BusinessHours(end="17:30")
GB_HOURS = BusinessHours(end="17:30", holiday_country="GB")


def at(text: str, zone: str = LONDON) -> dt.datetime:
    """A local wall-clock time in `zone`."""
    return dt.datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(zone))


def utc(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=UTC)


def due(start: dt.datetime, minutes: int, hours: BusinessHours = PLAIN_HOURS, zone: str = LONDON,
        business: bool = True) -> dt.datetime:
    return Calendar.of(hours, zone).due(start, minutes, business)


def local(moment: dt.datetime, zone: str = LONDON) -> str:
    return moment.astimezone(ZoneInfo(zone)).isoformat()


# -- one day --------------------------------------------------------------------------------
def test_a_start_within_hours_counts_from_the_start() -> None:
    assert due(at("2026-11-23T10:00"), 4 * 60) == utc("2026-11-23T14:00")


def test_the_due_time_is_an_aware_utc_datetime() -> None:
    result = due(at("2026-06-01T10:00"), 4 * 60)
    assert result.tzinfo is UTC
    assert result.isoformat() == "2026-06-01T13:00:00+00:00"
    assert local(result) == "2026-06-01T14:00:00+01:00"


def test_a_start_before_opening_counts_from_opening() -> None:
    assert due(at("2026-11-23T07:15"), 4 * 60) == utc("2026-11-23T13:00")


def test_a_start_after_closing_counts_from_the_next_opening() -> None:
    assert due(at("2026-11-23T18:00"), 4 * 60) == utc("2026-11-24T13:00")


def test_a_start_at_closing_counts_from_the_next_opening() -> None:
    assert due(at("2026-11-23T17:30"), 60) == utc("2026-11-24T10:00")


def test_a_clock_that_runs_out_at_closing_is_due_at_closing_not_next_morning() -> None:
    assert due(at("2026-11-23T13:30"), 4 * 60) == utc("2026-11-23T17:30")


def test_a_clock_that_needs_one_more_minute_than_today_has_is_due_just_after_opening() -> None:
    assert due(at("2026-11-23T13:30"), 4 * 60 + 1) == utc("2026-11-24T09:01")


def test_a_start_in_another_zone_is_the_same_instant() -> None:
    start = at("2026-11-23T05:00", NEW_YORK)  # 10:00 in London
    assert due(start, 4 * 60) == due(at("2026-11-23T10:00"), 4 * 60) == utc("2026-11-23T14:00")


def test_seconds_in_the_start_carry_into_the_due_time() -> None:
    assert due(at("2026-11-23T10:00:30.5"), 60) == utc("2026-11-23T11:00:30.5")


def test_zero_minutes_is_due_at_the_start_even_outside_hours() -> None:
    assert due(at("2026-11-28T12:00"), 0) == utc("2026-11-28T12:00")


# -- weekends and working days -----------------------------------------------------------------
def test_friday_afternoon_rolls_to_monday() -> None:
    assert due(at("2026-11-27T16:00"), 4 * 60) == utc("2026-11-30T11:30")


def test_a_start_on_a_weekend_counts_from_monday_opening() -> None:
    assert due(at("2026-11-28T11:00"), 4 * 60) == utc("2026-11-30T13:00")


def test_only_the_listed_days_are_working_days() -> None:
    hours = BusinessHours(days=("mon", "wed"), start="09:00", end="17:00")
    # One hour on Wednesday, then nothing until Monday.
    assert due(at("2026-11-25T16:00"), 4 * 60, hours) == utc("2026-11-30T12:00")
    # Monday evening skips Tuesday.
    assert due(at("2026-11-30T18:00"), 60, hours) == utc("2026-12-02T10:00")


def test_a_weekend_day_can_be_a_working_day() -> None:
    hours = BusinessHours(days=("sat", "sun"), start="10:00", end="14:00")
    assert due(at("2026-11-27T16:00"), 6 * 60, hours) == utc("2026-11-29T12:00")


# -- holidays -------------------------------------------------------------------------------------
def test_an_explicit_holiday_in_the_way_is_skipped() -> None:
    hours = BusinessHours(end="17:30", holidays=("2026-11-24",))
    assert due(at("2026-11-23T16:00"), 4 * 60, hours) == utc("2026-11-25T11:30")


def test_a_start_on_an_explicit_holiday_counts_from_the_next_working_day() -> None:
    assert due(at("2026-12-25T10:00"), 60, SPEC_HOURS) == utc("2026-12-28T10:00")


def test_explicit_holidays_alone_leave_the_boxing_day_substitute_a_working_day() -> None:
    # The SPEC lists 25 and 26 December; 26 December 2026 is a Saturday anyway.
    assert due(at("2026-12-24T16:00"), 4 * 60, SPEC_HOURS) == utc("2026-12-28T11:30")


def test_gb_country_holidays_include_christmas_boxing_day_and_its_substitute() -> None:
    calendar = Calendar.of(GB_HOURS, LONDON)
    assert not calendar.is_business_day(dt.date(2026, 12, 25))
    assert not calendar.is_business_day(dt.date(2026, 12, 26))
    assert not calendar.is_business_day(dt.date(2026, 12, 28))  # Boxing Day (observed)
    assert calendar.is_business_day(dt.date(2026, 12, 29))


def test_gb_country_holidays_push_a_christmas_eve_clock_to_the_29th() -> None:
    assert due(at("2026-12-24T16:00"), 4 * 60, GB_HOURS) == utc("2026-12-29T11:30")


def test_country_holidays_of_a_later_year_are_loaded_when_reached() -> None:
    # 2027: Christmas on a Saturday, Boxing Day on a Sunday; both observed on 27 and 28 December.
    assert due(at("2027-12-24T16:00"), 4 * 60, GB_HOURS) == utc("2027-12-29T11:30")


def test_country_and_explicit_holidays_add_up() -> None:
    hours = BusinessHours(end="17:30", holidays=("2026-12-29",), holiday_country="GB")
    assert due(at("2026-12-24T16:00"), 4 * 60, hours) == utc("2026-12-30T11:30")


def test_gb_alone_leaves_easter_monday_and_the_august_bank_holiday_working_days() -> None:
    # The `holidays` package's GB list is what all four nations share.
    calendar = Calendar.of(GB_HOURS, LONDON)
    assert calendar.is_business_day(dt.date(2026, 4, 6))
    assert calendar.is_business_day(dt.date(2026, 8, 31))


def test_an_english_team_names_its_subdivision_to_get_easter_monday_and_the_august_bank_holiday() -> None:
    england = BusinessHours(end="17:30", holiday_country="GB-ENG")
    calendar = Calendar.of(england, LONDON)
    assert not calendar.is_business_day(dt.date(2026, 4, 6))  # Easter Monday
    assert not calendar.is_business_day(dt.date(2026, 8, 31))  # Late Summer Bank Holiday
    assert not calendar.is_business_day(dt.date(2026, 12, 28))  # Boxing Day (observed), as for GB
    # Thursday before Easter, 16:00: 1.5h, then Good Friday and Easter Monday are off.
    assert local(due(at("2026-04-02T16:00"), 4 * 60, england)) == "2026-04-07T11:30:00+01:00"
    assert local(due(at("2026-04-02T16:00"), 4 * 60, GB_HOURS)) == "2026-04-06T11:30:00+01:00"


def test_an_unknown_subdivision_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="no public holiday calendar for country 'GB-XXX'"):
        Calendar.of(BusinessHours(holiday_country="GB-XXX"), LONDON)


def test_is_business_day_is_false_on_days_off() -> None:
    calendar = Calendar.of(SPEC_HOURS, LONDON)
    assert calendar.is_business_day(dt.date(2026, 11, 27))  # Friday
    assert not calendar.is_business_day(dt.date(2026, 11, 28))  # Saturday
    assert not calendar.is_business_day(dt.date(2026, 12, 25))  # listed holiday


def test_an_unknown_holiday_country_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="no public holiday calendar for country 'XX'"):
        Calendar.of(BusinessHours(holiday_country="XX"), LONDON)


def test_the_holidays_package_is_only_imported_for_a_holiday_country() -> None:
    code = (
        "import sys, datetime as dt\n"
        "from statemachine.calendar import Calendar\n"
        "from statemachine.policy.model import BusinessHours\n"
        "start = dt.datetime(2026, 12, 24, 16, tzinfo=dt.timezone.utc)\n"
        "Calendar.of(BusinessHours(holidays=('2026-12-25',)), 'Europe/London').due(start, 600, True)\n"
        "assert 'holidays' not in sys.modules\n"
        "Calendar.of(BusinessHours(holiday_country='GB'), 'Europe/London').due(start, 600, True)\n"
        "assert 'holidays' in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# -- daylight saving --------------------------------------------------------------------------------
def test_london_spring_forward_weekend_keeps_local_opening_hours() -> None:
    # Friday 15:00 GMT; Monday is BST, and the last 1.5h end at 10:30 local = 09:30 UTC.
    result = due(at("2026-03-27T15:00"), 4 * 60)
    assert result == utc("2026-03-30T09:30")
    assert local(result) == "2026-03-30T10:30:00+01:00"


def test_london_fall_back_weekend_keeps_local_opening_hours() -> None:
    result = due(at("2026-10-23T15:00"), 4 * 60)  # 14:00 UTC
    assert result == utc("2026-10-26T10:30")
    assert local(result) == "2026-10-26T10:30:00+00:00"


def test_forty_business_hours_across_the_london_spring_change() -> None:
    # Thu, Fri, Mon, Tue give 4 x 8.5h = 34h; 6h more on Wednesday, in BST.
    result = due(at("2026-03-26T09:00"), 40 * 60)
    assert result == utc("2026-04-01T14:00")
    assert local(result) == "2026-04-01T15:00:00+01:00"


def test_new_york_spring_forward_weekend_keeps_local_opening_hours() -> None:
    hours = BusinessHours()  # 09:00-17:00
    result = due(at("2026-03-06T15:00", NEW_YORK), 4 * 60, hours, NEW_YORK)  # 20:00 UTC
    assert result == utc("2026-03-09T15:00")
    assert local(result, NEW_YORK) == "2026-03-09T11:00:00-04:00"


def test_new_york_fall_back_weekend_keeps_local_opening_hours() -> None:
    hours = BusinessHours()
    result = due(at("2026-10-30T15:00", NEW_YORK), 4 * 60, hours, NEW_YORK)  # 19:00 UTC
    assert result == utc("2026-11-02T16:00")
    assert local(result, NEW_YORK) == "2026-11-02T11:00:00-05:00"


def test_wall_time_across_london_spring_forward_is_real_elapsed_time() -> None:
    result = due(at("2026-03-29T00:30"), 4 * 60, business=False)
    assert result == utc("2026-03-29T04:30")
    assert local(result) == "2026-03-29T05:30:00+01:00"


def test_wall_time_across_london_fall_back_is_real_elapsed_time() -> None:
    result = due(at("2026-10-25T00:30"), 4 * 60, business=False)  # 23:30 UTC the day before
    assert result == utc("2026-10-25T03:30")
    assert local(result) == "2026-10-25T03:30:00+00:00"


def test_wall_time_across_new_york_spring_forward_is_real_elapsed_time() -> None:
    result = due(at("2026-03-08T01:30", NEW_YORK), 2 * 60, zone=NEW_YORK, business=False)
    assert result == utc("2026-03-08T08:30")
    assert local(result, NEW_YORK) == "2026-03-08T04:30:00-04:00"


def test_wall_time_ignores_weekends_and_holidays() -> None:
    assert due(at("2026-12-24T16:00"), 14 * 24 * 60, GB_HOURS, business=False) == utc("2027-01-07T16:00")


def test_a_clock_change_inside_opening_hours_shortens_the_day_by_real_time() -> None:
    around_the_clock = BusinessHours(days=("sun",), start="00:00", end="23:00")
    # 29 March 2026: 01:00 GMT jumps to 02:00 BST, so Sunday has 22 real hours, not 23.
    sunday = at("2026-03-29T00:00")
    assert due(sunday, 3 * 60, around_the_clock) == utc("2026-03-29T03:00")
    assert due(sunday, 22 * 60, around_the_clock) == utc("2026-03-29T22:00")  # 23:00 BST, closing
    assert local(due(sunday, 22 * 60 + 1, around_the_clock)) == "2026-04-05T00:01:00+01:00"


def test_a_clock_change_inside_opening_hours_lengthens_the_day_by_real_time() -> None:
    around_the_clock = BusinessHours(days=("sun",), start="00:00", end="23:00")
    # 25 October 2026: 02:00 BST goes back to 01:00 GMT, so Sunday has 24 real hours.
    sunday = at("2026-10-25T00:00")  # 23:00 UTC on the Saturday
    assert due(sunday, 3 * 60, around_the_clock) == utc("2026-10-25T02:00")  # 02:00 GMT
    assert due(sunday, 24 * 60, around_the_clock) == utc("2026-10-25T23:00")  # 23:00 GMT, closing


def test_opening_inside_a_skipped_hour_counts_from_the_change() -> None:
    hours = BusinessHours(days=("sun",), start="01:30", end="05:00")
    # 01:30 never shows on 29 March 2026; the clock reads 02:00 BST from 01:00 UTC.
    assert due(at("2026-03-28T12:00"), 60, hours) == utc("2026-03-29T02:00")


# -- long clocks --------------------------------------------------------------------------------------
def test_fourteen_days_of_business_time_skips_whole_weeks() -> None:
    # 14 x 24h = 20160 min = 39 days of 510 min + 270 min: seven weeks, Mon-Thu, then Friday 13:30.
    assert due(at("2026-01-05T09:00"), 14 * 24 * 60) == utc("2026-02-27T13:30")


def test_fourteen_days_of_business_time_loses_the_easter_and_may_holidays() -> None:
    # Good Friday 3 April and May Day 4 May 2026 fall inside, each costing a working
    # day; two days on from Friday 22 May skips the Spring bank holiday, 25 May.
    without = due(at("2026-03-30T09:00"), 14 * 24 * 60)
    with_gb = due(at("2026-03-30T09:00"), 14 * 24 * 60, GB_HOURS)
    assert local(without) == "2026-05-22T13:30:00+01:00"
    assert local(with_gb) == "2026-05-27T13:30:00+01:00"


def test_a_year_of_business_time_lands_on_the_same_day_as_counting_day_by_day() -> None:
    minutes = 250 * 510 + 17
    start = at("2026-02-11T11:11")
    assert due(start, minutes, GB_HOURS) == slow_due(start, minutes, GB_HOURS, LONDON)


@pytest.mark.parametrize("business", [True, False])
def test_a_clock_longer_than_a_century_never_comes_due_instead_of_overflowing(business: bool) -> None:
    # `within: 99999999d` passes the policy check; the lead entering its state must not fail.
    assert due(at("2026-11-23T10:00"), 99_999_999 * 24 * 60, GB_HOURS, business=business) == NEVER
    assert due(at("2026-11-23T10:00"), LONGEST_MINUTES + 1, GB_HOURS, business=business) == NEVER
    assert NEVER.astimezone(ZoneInfo("Pacific/Kiritimati")).year == 9999  # every zone can show it


def test_a_clock_of_a_century_is_still_counted() -> None:
    start = at("2026-11-23T10:00")
    assert due(start, LONGEST_MINUTES, business=False) == start + dt.timedelta(minutes=LONGEST_MINUTES)


def test_a_clock_that_would_end_past_the_calendar_is_due_never() -> None:
    assert due(utc("9999-12-01T00:00"), 60 * 24 * 60, business=False) == NEVER
    assert due(utc("9999-12-01T00:00"), 60 * 24 * 60) == NEVER


def test_a_calendar_without_working_days_raises_instead_of_looping() -> None:
    with pytest.raises(ValueError, match="no business time in the 3660 days"):
        due(at("2026-11-23T10:00"), 60, BusinessHours(days=()))


def test_a_naive_start_is_refused() -> None:
    with pytest.raises(ValueError, match="no time zone"):
        due(dt.datetime(2026, 11, 23, 10), 60)


def test_calendars_are_built_once_per_hours_and_zone() -> None:
    assert Calendar.of(SPEC_HOURS, LONDON) is Calendar.of(BusinessHours(end="17:30", holidays=SPEC_HOURS.holidays), LONDON)
    assert Calendar.of(SPEC_HOURS, LONDON) is not Calendar.of(SPEC_HOURS, NEW_YORK)


# -- properties, over seeded random clocks ----------------------------------------------------------
CALENDARS = [
    (SPEC_HOURS, LONDON),
    (GB_HOURS, LONDON),
    (BusinessHours(start="08:30", end="16:45", holiday_country="US"), NEW_YORK),
    (BusinessHours(days=("mon", "wed"), start="10:00", end="12:00", holidays=("2026-03-30",)), LONDON),
]
# Around the 2026 changes in both zones, and a stretch of plain weeks.
WINDOWS = [utc("2026-03-02T00:00"), utc("2026-10-19T00:00"), utc("2026-12-14T00:00")]


def random_clocks(seed: int, count: int, longest: int) -> list[tuple[dt.datetime, int]]:
    rng = random.Random(seed)
    return [
        (rng.choice(WINDOWS) + dt.timedelta(minutes=rng.randrange(35 * 24 * 60)), rng.randrange(1, longest))
        for _ in range(count)
    ]


def slow_due(start: dt.datetime, minutes: int, hours: BusinessHours, zone: str) -> dt.datetime:
    """The reference: walk whole minutes from the start, counting those that begin inside business hours."""
    calendar, tz = Calendar.of(hours, zone), ZoneInfo(zone)
    opening, closing = dt.time.fromisoformat(hours.start), dt.time.fromisoformat(hours.end)
    step = dt.timedelta(minutes=1)
    moment = start.astimezone(UTC)
    while True:
        wall = moment.astimezone(tz)
        if opening <= wall.time() < closing and calendar.is_business_day(wall.date()):
            minutes -= 1
            if minutes == 0:
                return moment + step
            moment += step
        elif wall.time() < opening:
            moment = dt.datetime.combine(wall.date(), opening, tz).astimezone(UTC)
        else:
            moment = dt.datetime.combine(wall.date() + dt.timedelta(days=1), dt.time(), tz).astimezone(UTC)


def in_business_hours(moment: dt.datetime, hours: BusinessHours, zone: str) -> bool:
    wall = moment.astimezone(ZoneInfo(zone))
    inside = hours.start <= wall.strftime("%H:%M") < hours.end
    return inside and Calendar.of(hours, zone).is_business_day(wall.date())


@pytest.mark.parametrize(("hours", "zone"), CALENDARS)
def test_due_matches_counting_minute_by_minute(hours: BusinessHours, zone: str) -> None:
    for start, minutes in random_clocks(1, 60, 3 * 24 * 60):
        assert due(start, minutes, hours, zone) == slow_due(start, minutes, hours, zone), (start, minutes)


@pytest.mark.parametrize(("hours", "zone"), CALENDARS)
def test_due_is_inside_business_hours_or_exactly_at_closing(hours: BusinessHours, zone: str) -> None:
    for start, minutes in random_clocks(2, 300, 30 * 24 * 60):
        result = due(start, minutes, hours, zone)
        wall = result.astimezone(ZoneInfo(zone))
        at_closing = wall.strftime("%H:%M") == hours.end and in_business_hours(result - dt.timedelta(minutes=1), hours, zone)
        assert in_business_hours(result, hours, zone) or at_closing, (start, minutes, wall)


@pytest.mark.parametrize(("hours", "zone"), CALENDARS)
def test_business_clocks_add_up(hours: BusinessHours, zone: str) -> None:
    rng = random.Random(3)
    for start, first in random_clocks(3, 300, 20 * 24 * 60):
        second = rng.randrange(1, 20 * 24 * 60)
        assert due(start, first + second, hours, zone) == due(due(start, first, hours, zone), second, hours, zone)


@pytest.mark.parametrize(("hours", "zone"), CALENDARS)
def test_business_time_is_never_sooner_than_wall_time(hours: BusinessHours, zone: str) -> None:
    for start, minutes in random_clocks(4, 300, 30 * 24 * 60):
        assert due(start, minutes, hours, zone) >= due(start, minutes, hours, zone, business=False)
