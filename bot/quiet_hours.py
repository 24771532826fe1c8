"""Working hours and time zones: nobody is pinged at 3 am, and times read in the reader's zone."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from policies.schema import Location, Policy


def zone_of(policy: Policy, location: str | None) -> str:
    """Return the time zone of the people at a location (the default location's when unknown)."""
    return location_of(policy, location).timezone


def location_of(policy: Policy, name: str | None) -> Location:
    """Return the policy's location of that name, or its default location."""
    return policy.locations.get(name or "", policy.locations[policy.default_location])


def next_working_time(when: datetime, location: Location) -> datetime:
    """Return `when` if it falls in working hours there, else the next opening, in UTC."""
    zone = ZoneInfo(location.timezone)
    opens, closes = location.working_hours
    local = when.astimezone(zone)
    for days_ahead in range(8):
        day = local.date() + timedelta(days=days_ahead)
        if day.isoweekday() not in location.working_days:
            continue
        # Build the wall-clock times on that day, so a daylight-saving change in between counts.
        start = datetime.combine(day, opens, tzinfo=zone)
        end = datetime.combine(day, closes, tzinfo=zone)
        if days_ahead == 0 and local >= end:
            continue
        if days_ahead == 0 and local >= start:
            return when.astimezone(UTC)
        return start.astimezone(UTC)
    return when.astimezone(UTC)  # no working days at all: send when due


def next_opening(when: datetime, location: Location) -> datetime | None:
    """Return the next opening of working hours there if `when` falls outside them, else None."""
    opens = next_working_time(when, location)
    return opens if opens > when else None


def local_time(when: datetime, location: Location) -> str:
    """Format a time as the people at `location` read it, with their zone's abbreviation."""
    return when.astimezone(ZoneInfo(location.timezone)).strftime("%a %d %b %H:%M %Z")


def monday_of(moment: datetime, zone: ZoneInfo) -> date:
    """Return the date of the Monday that starts the week `moment` falls in, there."""
    day = moment.astimezone(zone).date()
    return day - timedelta(days=day.weekday())


def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    """Return 00:00 on `day` in `zone`, in UTC (so a daylight-saving week is 167 or 169 hours)."""
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)
