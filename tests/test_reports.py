"""Reports on demand: who sees which cases, and the report a person asks for in chat."""

from __future__ import annotations

import struct
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import notices, reports
from bot.deliveries import Kind
from bot.errors import InvalidInput
from bot.measures import Dimension
from db.models import Delivery, Staff
from policies.schema import Policy
from tests import test_measures
from tests.fakes import FakeClock
from tests.helpers import ALICE, BOB, ERIN
from tests.test_measures import WEEK, Cases

week = test_measures.week  # the fixture of stored cases


def staff(session: Session, name: str) -> Staff:
    found = session.scalar(select(Staff).where(Staff.email == f"{name}@example.com"))
    assert found is not None
    return found


def ids(session: Session, *names: str) -> set[int]:
    return {staff(session, n).id for n in names}


def test_a_person_sees_their_own_cases_and_everyone_below_them(session: Session, people, policy) -> None:
    assert reports.team_of(session, staff(session, "erin"), policy) == ids(session, "erin")
    assert reports.team_of(session, staff(session, "bob"), policy) == ids(session, "bob", "alice")
    assert reports.team_of(session, staff(session, "carol"), policy) == ids(session, "carol", "bob", "alice")
    assert reports.team_of(session, staff(session, "dana"), policy) is None  # the most senior role


def test_the_policy_names_the_roles_that_see_every_team(session: Session, people, policy: Policy) -> None:
    wider = policy.model_copy(
        update={"reports": policy.reports.model_copy(update={"all_teams": ["manager"]})}
    )
    assert reports.team_of(session, staff(session, "carol"), wider) is None
    assert reports.team_of(session, staff(session, "dana"), wider) is not None


def test_a_manager_does_not_see_another_teams_figures(session: Session, week: Cases, policy) -> None:
    bobs = reports.build_report(
        session, policy, WEEK, scope=reports.team_of(session, staff(session, "bob"), policy)
    )
    assert bobs.total.opened == 3  # Alice's three cases; Erin reports to nobody above Bob
    erins = reports.build_report(session, policy, WEEK, scope=ids(session, "erin"), by=Dimension.CATEGORY)
    assert erins.total.opened == 2 and [label for label, _ in erins.rows] == ["Billing error"]
    everyone = reports.build_report(session, policy, WEEK, by=Dimension.LOCATION)
    assert [(label, row.opened) for label, row in everyone.rows] == [("hq", 3), ("london", 2)]


def test_a_report_asked_for_in_chat_is_sent_to_the_asker_with_a_chart(
    session: Session,
    week: Cases,
    policy,
) -> None:
    clock = FakeClock(WEEK.until)
    answer = reports.request_report(BOB, "week", session=session, policy=policy, clock=clock)
    assert answer.title == "Your report is on its way"
    assert "your cases and those of the people who report to you" in answer.text
    (delivery,) = session.scalars(select(Delivery).where(Delivery.kind == Kind.REPORT.value)).all()
    assert delivery.recipient_id == staff(session, "bob").id and delivery.due_at == clock.now()
    reply = notices.render(session, delivery, policy=policy)
    assert reply is not None and reply.title == "Your team, the past 7 days to November 8"
    fields = {f.label: f.value for f in reply.fields}
    assert fields["Cases opened"] == "3; 33% resolved"
    assert (
        fields["Recovery rate"] == "50% confirmed fixed (1 of 2 followed up; 1 still unhappy, 0 not reached)"
    )
    assert fields["Compensation"].startswith("$37.00 ($7.00 on their own authority, $30.00 approved)")
    assert reply.image is not None and struct.unpack(">II", reply.image.png[16:24]) == (800, 400)
    assert "Billing" not in reply.image.alt and "Tax rate" not in str(reply)  # Erin's case is not Bob's


def test_someone_without_reports_is_told_the_report_holds_their_own_cases(
    session: Session, people, policy
) -> None:
    answer = reports.request_report(ERIN, "", session=session, policy=policy, clock=FakeClock())
    assert "the past 7 days of your own cases" in answer.text


def test_a_report_for_a_period_mend_does_not_know_names_the_field(session: Session, people, policy) -> None:
    with pytest.raises(InvalidInput) as raised:
        reports.request_report(ALICE, "fortnight", session=session, policy=policy, clock=FakeClock())
    assert raised.value.field == "span" and "say week or month" in raised.value.message
    assert session.scalars(select(Delivery).where(Delivery.kind == Kind.REPORT.value)).all() == []


def test_the_chart_covers_the_weeks_of_the_period(session: Session, week: Cases, policy) -> None:
    chart, rows = reports.weekly(session, policy, WEEK)
    # 2 November 00:00 UTC is Sunday 1 November in New York: the period touches two weeks there,
    # and the first case (01:00 UTC on the 2nd) was opened on that Sunday evening.
    assert chart.weeks == ["Oct 26", "Nov 2"]
    assert [r.opened for r in rows] == [1, 4]
    month = reports.weekly(session, policy, type(WEEK)(WEEK.since - timedelta(days=400), WEEK.until))[0]
    assert len(month.weeks) == reports.MAX_CHART_WEEKS
