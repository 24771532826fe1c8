"""Follow-ups and reminders land in working hours, in the recipient's zone, across daylight-saving changes."""

from __future__ import annotations

from datetime import UTC, datetime

from bot import messages
from bot.quiet_hours import location_of, next_working_time


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_a_time_inside_working_hours_is_kept(policy) -> None:
    new_york = location_of(policy, "hq")
    assert next_working_time(utc(2026, 11, 10, 15, 0), new_york) == utc(2026, 11, 10, 15, 0)


def test_a_follow_up_due_at_3_am_waits_for_the_morning(policy) -> None:
    new_york = location_of(policy, "hq")
    # 08:00 UTC on a Wednesday is 03:00 in New York; the office opens at 09:00 EST.
    assert next_working_time(utc(2026, 11, 11, 8, 0), new_york) == utc(2026, 11, 11, 14, 0)


def test_london_opens_at_half_past_eight_gmt_after_the_clocks_go_back(policy) -> None:
    london = location_of(policy, "london")
    # Saturday 24 October 2026, 20:00 UTC = 21:00 BST, after hours. Clocks go back on Sunday the 25th
    # and London works Monday to Saturday: Monday 08:30 GMT is 08:30 UTC, not 07:30.
    assert next_working_time(utc(2026, 10, 24, 20, 0), london) == utc(2026, 10, 26, 8, 30)
    # Before the change the same wall-clock opening is an hour earlier in UTC.
    assert next_working_time(utc(2026, 10, 23, 5, 0), london) == utc(2026, 10, 23, 7, 30)


def test_new_york_opens_at_nine_est_after_daylight_saving_ends(policy) -> None:
    new_york = location_of(policy, "hq")
    # Friday 30 October 2026, 22:00 UTC = 18:00 EDT, after hours. DST ends on Sunday 1 November:
    # Monday's 09:00 EST is 14:00 UTC (it was 13:00 UTC the week before).
    assert next_working_time(utc(2026, 10, 30, 22, 0), new_york) == utc(2026, 11, 2, 14, 0)
    assert next_working_time(utc(2026, 10, 26, 12, 0), new_york) == utc(2026, 10, 26, 13, 0)


def test_a_weekend_waits_for_the_first_working_day(policy) -> None:
    new_york = location_of(policy, "hq")
    assert next_working_time(utc(2026, 11, 14, 15, 0), new_york) == utc(2026, 11, 16, 14, 0)


def test_unknown_locations_use_the_default_one(policy) -> None:
    assert location_of(policy, "atlantis") == policy.locations[policy.default_location]
    assert location_of(policy, None).timezone == "America/New_York"


def test_times_read_in_the_readers_zone_with_its_abbreviation() -> None:
    moment = utc(2026, 10, 24, 20, 0)
    assert messages.when(moment, "Europe/London") == "2026-10-24 21:00 BST"
    assert messages.when(utc(2026, 10, 26, 8, 30), "Europe/London") == "2026-10-26 08:30 GMT"
    assert messages.when(moment) == "2026-10-24 20:00 UTC"
