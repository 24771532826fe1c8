"""Follow-ups and reminders land in working hours, in the recipient's zone, across daylight-saving changes.

They are due in working hours when queued, and checked again when sent: one found
due after hours (a server that was down when the day opened) waits for the next opening.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from adapters.webhook import WebhookNotifier
from bot import dispatcher, messages
from bot.quiet_hours import location_of, next_working_time
from bot.staff import import_staff
from db.models import Delivery
from tests.conftest import STAFF_CSV, FakeClock
from tests.deliveries.conftest import Recorder
from tests.helpers import ALICE, ERIN, open_late_delivery, resolve_and_post


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
    assert messages.when(moment, "Europe/London") == "Oct 24, 2026, 9:00\u202fPM BST"
    assert messages.when(utc(2026, 10, 26, 8, 30), "Europe/London") == "Oct 26, 2026, 8:30\u202fAM GMT"
    assert messages.when(moment) == "Oct 24, 2026, 8:00\u202fPM UTC"


# --- checked again when sending -------------------------------------------------------------


def _dispatch(sessions, policy, clock, recorder: Recorder) -> dispatcher.DispatchReport:
    return dispatcher.dispatch_due(
        sessions=sessions, notifier=WebhookNotifier(recorder.url), policy=policy, clock=clock
    )


def _deliveries(sessions, kind: str) -> list[Delivery]:
    with sessions() as session:
        return list(session.scalars(select(Delivery).where(Delivery.kind == kind).order_by(Delivery.id)))


def _open_case(sessions, policy, clock: FakeClock, **case) -> int:
    with sessions() as session:
        import_staff(STAFF_CSV, session=session, policy=policy, clock=clock)
        return open_late_delivery(session, policy, clock, **case).case_id


def test_a_follow_up_found_due_after_hours_waits_for_the_next_morning(
    fresh_sessions, policy, recorder
) -> None:
    # Resolved on Friday 16:00 in New York; a critical case is followed up 4 hours later,
    # which is after hours, so the follow-up is due at Monday's opening, 09:00 EST.
    clock = FakeClock(utc(2026, 11, 20, 21, 0))
    case_id = _open_case(fresh_sessions, policy, clock, severity="critical")
    with fresh_sessions() as session:
        resolve_and_post(
            session, policy, clock, ALICE, case_id, outcome="Sent again", root_cause="Depot", lesson="Scan"
        )
    (follow_up,) = _deliveries(fresh_sessions, "follow_up")
    assert follow_up.due_at == utc(2026, 11, 23, 14, 0)
    # The server is down all Monday and comes back at 18:30 in New York, after hours.
    clock.set(utc(2026, 11, 23, 23, 30))
    report = _dispatch(fresh_sessions, policy, clock, recorder)
    # The lesson goes (it is no follow-up), and the reminder queued at opening is not needed.
    assert [body["reply"]["title"].startswith("Lesson") for body in recorder.received] == [True]
    (follow_up,) = _deliveries(fresh_sessions, "follow_up")
    assert follow_up.status == "pending" and follow_up.attempts == 0 and follow_up.last_error is None
    assert follow_up.due_at == utc(2026, 11, 24, 14, 0)  # Tuesday 09:00 EST
    assert (report.claimed, report.deferred, report.sent, report.skipped) == (3, 1, 1, 1)
    clock.set(utc(2026, 11, 24, 13, 59))
    assert _dispatch(fresh_sessions, policy, clock, recorder).claimed == 0
    clock.set(utc(2026, 11, 24, 14, 0))
    assert _dispatch(fresh_sessions, policy, clock, recorder).sent == 1
    assert "confirm it is fixed" in recorder.received[-1]["reply"]["title"]
    (follow_up,) = _deliveries(fresh_sessions, "follow_up")
    assert follow_up.status == "sent" and follow_up.attempts == 1


def test_a_reminder_found_due_after_a_london_saturday_waits_for_monday(
    fresh_sessions, policy, recorder
) -> None:
    # Erin works in London, Monday to Saturday, 08:30-17:00. Her case, opened on Wednesday
    # morning, is due a reminder three days later, Saturday 10:00; the dispatcher next runs
    # at 18:00 that Saturday, after hours, and Sunday is no working day.
    clock = FakeClock(utc(2026, 11, 11, 10, 0))
    case_id = _open_case(fresh_sessions, policy, clock, actor=ERIN)
    (reminder,) = _deliveries(fresh_sessions, "reminder")
    assert reminder.case_id == case_id and reminder.due_at == utc(2026, 11, 14, 10, 0)
    clock.set(utc(2026, 11, 14, 18, 0))
    report = _dispatch(fresh_sessions, policy, clock, recorder)
    assert recorder.received == []
    (reminder,) = _deliveries(fresh_sessions, "reminder")
    assert (reminder.status, reminder.attempts) == ("pending", 0)
    assert reminder.due_at == utc(2026, 11, 16, 8, 30)  # Monday 08:30 GMT
    assert (report.deferred, report.sent) == (1, 0)
    clock.set(reminder.due_at)
    assert _dispatch(fresh_sessions, policy, clock, recorder).sent == 1
    assert recorder.received[-1]["recipient"]["name"] == "Erin Wu"
