"""What the customer asked for: an optional field of the case form, kept on the case, shown beside the
options, told in the lesson beside what was given (without personal data), and counted in reports."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import fields, forms, notices, reports
from bot.actions import handle
from bot.errors import InvalidInput
from bot.measures import Period
from bot.replies import ActionId, Field, Form, InputKind, Reply
from db.models import Case, Delivery, Staff
from tests.helpers import ALICE, open_late_delivery, resolve_and_post

pytestmark = pytest.mark.usefixtures("people")

CASE = {
    "customer_name": "Jane Doe",
    "category": "late_delivery",
    "severity": "major",
    "description": "Parcel promised Monday arrived Friday",
}
NOTES = {"outcome": "Sent a voucher", "root_cause": "Courier delay", "lesson": "Check the courier"}
ASKED = "Jane wants a refund, and a call back from Mr Peter Okonkwo"


def _open(session: Session, policy, clock, **inputs: str) -> Case:
    reply = handle(
        ActionId.OPEN_CASE, "", ALICE, {**CASE, **inputs}, session=session, policy=policy, clock=clock
    )
    assert isinstance(reply, Reply) and reply.case_id is not None
    case = session.get(Case, reply.case_id)
    assert case is not None
    return case


def _give(session: Session, policy, clock, case_id: int, amount: str = "10") -> None:
    inputs = {"amount": amount, "type": "voucher"}
    handle(ActionId.GIVE_AMOUNT, str(case_id), ALICE, inputs, session=session, policy=policy, clock=clock)


def test_the_case_form_asks_what_the_customer_asked_for_after_what_happened(policy) -> None:
    inputs = forms.case_form(policy).inputs
    names = [i.name for i in inputs]
    assert names.index("asked_for") == names.index("description") + 1
    asked = inputs[names.index("asked_for")]
    assert (asked.label, asked.kind, asked.required, asked.max_length) == (
        "What did the customer ask for?",
        InputKind.TEXT,
        False,
        500,
    )
    assert asked.hint == "In their words, if they said: a refund, a call back"
    assert fields.BY_NAME["asked_for"] is fields.ASKED_FOR


def test_what_the_customer_asked_for_is_kept_on_the_case_as_typed(session: Session, policy, clock) -> None:
    assert _open(session, policy, clock, asked_for="  A refund  ").asked_for == "A refund"
    assert _open(session, policy, clock, asked_for="   ").asked_for is None
    assert _open(session, policy, clock).asked_for is None


def test_an_answer_over_500_characters_is_refused_on_its_field(session: Session, policy, clock) -> None:
    with pytest.raises(InvalidInput) as error:
        _open(session, policy, clock, asked_for="a" * 501)
    assert error.value.field == "asked_for"
    assert "What did the customer ask for?" in error.value.message
    assert session.scalars(select(Case)).all() == []


def test_the_suggestion_shows_what_the_customer_asked_for_above_the_options(
    session: Session, policy, clock
) -> None:
    reply = open_late_delivery(session, policy, clock, asked_for="A refund and a call back").reply
    assert reply.fields[-1] == Field("Customer asked for", "A refund and a call back")
    assert reply.items  # the options follow
    plain = open_late_delivery(session, policy, clock).reply
    assert "Customer asked for" not in [f.label for f in plain.fields]


def test_the_lesson_tells_what_was_asked_beside_what_was_given_without_personal_data(
    session: Session, policy, clock
) -> None:
    case = _open(session, policy, clock, asked_for=ASKED)
    _give(session, policy, clock, case.id)
    deps = {"session": session, "policy": policy, "clock": clock}
    preview = handle(ActionId.RESOLVE_CASE, str(case.id), ALICE, NOTES, **deps)
    assert isinstance(preview, Form)
    resolve_and_post(session, policy, clock, ALICE, case.id, **NOTES)
    lesson = session.scalars(select(Delivery).where(Delivery.kind == "lesson")).one()
    posted = notices.render(session, lesson, policy=policy)
    assert posted is not None

    asked = "[customer] wants a refund, and a call back from Mr [name]"
    assert lesson.payload["lesson"]["asked_for"] == asked
    labels = [f.label for f in posted.fields]
    assert labels[-2:] == ["Asked for", "Compensation"]  # side by side
    assert posted.fields[-2].value == asked and "$10.00" in posted.fields[-1].value
    # the resolver saw exactly this before the team did
    assert [f for f in preview.fields if f.label in ("Asked for", "Compensation")] == list(posted.fields[-2:])
    for private in ("Jane", "Okonkwo", "Peter"):
        assert private not in str(posted)


def test_a_lesson_where_nothing_was_given_says_so_beside_what_was_asked(
    session: Session, policy, clock
) -> None:
    case = _open(session, policy, clock, asked_for="A refund")
    resolve_and_post(session, policy, clock, ALICE, case.id, **NOTES)
    lesson = session.scalars(select(Delivery).where(Delivery.kind == "lesson")).one()
    posted = notices.render(session, lesson, policy=policy)
    assert posted is not None
    assert list(posted.fields[-2:]) == [Field("Asked for", "A refund"), Field("Compensation", "None given")]


def test_a_lesson_without_an_ask_shows_the_compensation_alone(session: Session, policy, clock) -> None:
    case = _open(session, policy, clock)
    _give(session, policy, clock, case.id)
    resolve_and_post(session, policy, clock, ALICE, case.id, **NOTES)
    lesson = session.scalars(select(Delivery).where(Delivery.kind == "lesson")).one()
    posted = notices.render(session, lesson, policy=policy)
    assert posted is not None
    assert [f.label for f in posted.fields][-1] == "Compensation"
    assert "Asked for" not in [f.label for f in posted.fields]


def test_the_team_report_compares_what_customers_asked_for_with_what_they_were_given(
    session: Session, policy, clock
) -> None:
    for asked, given in [("A refund", True), ("A call back", True), ("A refund", False), ("", True)]:
        case = _open(session, policy, clock, asked_for=asked)
        if given:
            _give(session, policy, clock, case.id)
    _open(session, policy, clock)  # neither asked nor given
    dana = session.scalars(select(Staff).where(Staff.email == "dana@example.com")).one()
    since, until = clock.now() - timedelta(days=7), clock.now() + timedelta(hours=1)

    report = reports.build_report(session, policy, Period(since, until))
    assert report.asked == reports.AskedAndGiven(cases=5, asked=3, given=2)
    reply = reports.report_reply(session, policy, dana, since, until, "week")
    shown = {f.label: f.value for f in reply.fields}
    assert shown["What customers asked for"] == (
        "Asked for something in 3 of 5 cases; 2 of those were given compensation"
    )


def test_a_report_where_nobody_asked_for_anything_leaves_the_line_out(
    session: Session, policy, clock
) -> None:
    _open(session, policy, clock)
    dana = session.scalars(select(Staff).where(Staff.email == "dana@example.com")).one()
    since, until = clock.now() - timedelta(days=7), clock.now() + timedelta(hours=1)
    reply = reports.report_reply(session, policy, dana, since, until, "week")
    assert reports.build_report(session, policy, Period(since, until)).asked.cases == 1
    assert "What customers asked for" not in [f.label for f in reply.fields]
