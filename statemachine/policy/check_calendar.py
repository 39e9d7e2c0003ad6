"""The policy's calendar, checked: its time zone and business hours.

Business hours are working days, an opening and a closing time, and the
public holidays when nobody works: a country's (or a region's, like GB-ENG)
from the holidays package, and dates listed by hand. `_day_minutes` is the
length of one business day, which a business `2d` SLA clock counts in.
"""

from __future__ import annotations

import datetime as dt
import re

from .check_core import CheckerCore, shown
from .load import Node
from .model import BusinessHours

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
CLOCK = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
COUNTRY = re.compile(r"^[A-Za-z]{2}(-[A-Za-z0-9]{1,3})?$")  # GB, or a region like GB-ENG


def _day_minutes(hours: BusinessHours) -> int:
    """Minutes from opening to closing (a malformed start or end is reported
    elsewhere; a day of 8 hours stands in for it)."""
    try:
        (sh, sm), (eh, em) = (map(int, t.split(":")) for t in (hours.start, hours.end))
    except ValueError:
        return 480
    return max((eh * 60 + em) - (sh * 60 + sm), 1)


def _known_country(code: str) -> bool:
    """GB, or a region of it in ISO 3166-2 form (GB-ENG), that the holidays package knows."""
    import holidays

    country, _, region = code.partition("-")
    regions = holidays.list_supported_countries().get(country)
    return regions is not None and (not region or region in regions)


class CalendarChecks(CheckerCore):
    def _timezone(self, node: Node | None) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        if node is None:
            return "UTC"
        zone = self.text(node, "timezone")
        if not zone:
            if not isinstance(node.value, (dict, list)):  # those are reported by `text`
                self.err(node, "timezone is empty; write an IANA name like Europe/London or America/New_York")
            return "UTC"
        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            self.err(node, f"unknown time zone '{zone}'; use an IANA name like Europe/London or America/New_York")
        return zone

    def _holiday_dates(self, node: Node) -> list[str]:
        """A date or a list of dates, as YYYY-MM-DD."""
        dates: list[str] = []
        for item in node.value if node.is_list else [node]:
            day = item.value
            if isinstance(day, (dict, list)):
                self.err(item, "each holiday must be one date, written YYYY-MM-DD, like 2026-12-25")
                continue
            if isinstance(day, dt.datetime):
                day = day.date()
            if isinstance(day, dt.date):
                dates.append(day.isoformat())
                continue
            try:
                dates.append(dt.date.fromisoformat(str(day)).isoformat())
            except ValueError:
                self.err(item, f"holiday '{day}' is not a date; write it as YYYY-MM-DD, like 2026-12-25")
        return dates

    def _business_hours(self, node: Node | None) -> BusinessHours:
        entries = self.mapping(node, "business_hours")
        if node is None or not entries:
            return BusinessHours()
        self.keys(node, ("days", "start", "end", "holidays"), "business_hours")
        days = []
        for day, day_node in self.names(entries.get("days"), "days"):
            if day.lower()[:3] not in DAYS:
                self.err(day_node, f"unknown day '{day}'; use {', '.join(DAYS)}")
            else:
                days.append(day.lower()[:3])
        if "days" in entries and not entries["days"].value:
            self.err(entries["days"], f"business_hours needs at least one working day, like days: [{', '.join(DAYS[:5])}]")
        times, bad_time = {}, False
        for key, default in (("start", "09:00"), ("end", "17:00")):
            item = entries.get(key)
            if item is None:
                times[key] = default
            elif isinstance(item.value, str) and CLOCK.match(item.value):
                times[key] = item.value
            else:
                self.err(item, f"{key} must be a time of day like \"09:00\" (24-hour hh:mm), not {shown(item)}")
                times[key], bad_time = default, True
        if times["start"] >= times["end"] and not bad_time:
            where = entries.get("end") or entries["start"]
            self.err(where, f"business hours end ({times['end']}) must be after they start ({times['start']})")
        holidays: list[str] = []
        country = None
        hol = entries.get("holidays")
        if hol is not None and hol.is_map:
            self.keys(hol, ("country", "dates"), "holidays")
            country = self.text(hol.value.get("country"), "country")
            if country is not None and not COUNTRY.match(country):
                self.err(hol.value["country"], f"country must be a two-letter code like GB or US, or a region "
                                               f"like GB-ENG, not '{country}'")
            elif country is not None and not _known_country(country.upper()):
                self.err(hol.value["country"], f"no public holidays are known for '{country}'; use a code like GB, "
                                               "GB-ENG, US or DE, or list the dates")
            if hol.value.get("dates") is not None:
                holidays = self._holiday_dates(hol.value["dates"])
        elif hol is not None and hol.value is not None:
            holidays = self._holiday_dates(hol)
        return BusinessHours(
            days=tuple(days) or BusinessHours.days, start=times["start"], end=times["end"],
            holidays=tuple(holidays), holiday_country=country.upper() if country else None,
        )
