"""Opening cases: the suggestion, bad input named by field, customer history, idempotency."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.cases import customer_history, parse_case_ref
from bot.errors import InvalidInput
from db.models import AuditEvent, Case
from tests.helpers import ALICE, counts, open_late_delivery

pytestmark = pytest.mark.usefixtures("people")


def test_opening_a_case_stores_it_with_an_audit_event_and_shows_the_suggestion(
    session: Session, policy, clock
) -> None:
    shown = open_late_delivery(session, policy, clock)
    case = session.get(Case, shown.case_id)
    assert case is not None and case.status == "open" and case.ref == shown.ref
    assert case.customer_email == "jane.doe@example.com" and case.email_key == "jane.doe@example.com"
    assert case.phone_key == "550102030"[-9:] or case.phone_key.endswith("0102030")
    events = session.scalars(select(AuditEvent).where(AuditEvent.case_id == case.id)).all()
    assert [e.action for e in events] == ["case_opened"]
    card = shown.reply
    assert card.title.startswith(f"{shown.ref} · Late or missed delivery · major")
    assert "Jane, I'm truly sorry" in card.text
    assert [i.button.label for i in card.items if i.button] == ["Give", "Give", "Ask approval"]
    assert "$40.00" in card.items[2].title and "over your limit of $25.00" in card.items[2].detail


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("customer_name", "  ", "Customer name is required"),
        ("category", "alien_abduction", "is not a category"),
        ("severity", "apocalyptic", "Choose minor, major or critical"),
        ("description", "x" * 10_000, "What happened is too long (it has 10,000)"),
        ("customer_email", "jane(at)example", "not an email address"),
        ("customer_phone", "12", "not a phone number"),
        ("order_value", "-20", "more than zero"),
        ("order_value", "0", "more than zero"),
        ("order_value", "lots", "not a number"),
        ("order_value", "1e12", "more than Mend accepts"),
        ("tier", "diamond", "is not a tier"),
    ],
)
def test_bad_input_names_the_field_and_stores_nothing(
    session: Session, policy, clock, field, value, message
) -> None:
    before = counts(session)
    with pytest.raises(InvalidInput) as error:
        open_late_delivery(session, policy, clock, **{field: value})
    assert error.value.field == field
    assert message in error.value.message
    assert counts(session) == before


def test_a_repeat_customer_is_recognised_by_email_phone_or_reference_however_typed(
    session: Session, policy, clock
) -> None:
    first = open_late_delivery(session, policy, clock)
    by_phone = open_late_delivery(
        session, policy, clock, customer_ref=None, customer_email=None, customer_phone="555-010-2030"
    )
    by_email = open_late_delivery(
        session,
        policy,
        clock,
        customer_ref=None,
        customer_phone=None,
        customer_email="  Jane.Doe@Example.COM ",
    )
    by_ref = open_late_delivery(
        session, policy, clock, customer_email=None, customer_phone=None, customer_ref="ord 10042"
    )
    with_everything = open_late_delivery(session, policy, clock)
    shown = (first, by_phone, by_email, by_ref, with_everything)
    incidents = [session.get(Case, s.case_id).earlier_incidents for s in shown]
    assert incidents == [0, 1, 1, 1, 4]
    # From two earlier incidents on, the case is treated as one severity worse.
    assert "major case" in by_ref.reply.note
    assert (
        "critical case" in with_everything.reply.note and "4 earlier incidents" in with_everything.reply.note
    )
    stranger = open_late_delivery(
        session,
        policy,
        clock,
        customer_ref="ORD-999",
        customer_email="x@y.org",
        customer_phone="+44 20 7946 0000",
    )
    assert session.get(Case, stranger.case_id).earlier_incidents == 0


def test_the_same_submission_twice_makes_one_case(session: Session, policy, clock) -> None:
    first = open_late_delivery(session, policy, clock, request_key="view-123")
    again = open_late_delivery(session, policy, clock, request_key="view-123")
    assert again.case_id == first.case_id and not again.created
    assert counts(session)["cases"] == 1


def test_history_lists_a_customers_earlier_cases(session: Session, policy, clock) -> None:
    opened = open_late_delivery(session, policy, clock)
    reply = customer_history(ALICE, "jane.doe@example.com", session=session, policy=policy, clock=clock)
    assert reply.title == "1 case for jane.doe@example.com"
    assert reply.items[0].title.startswith(opened.ref)
    assert customer_history(ALICE, "Nobody", session=session, policy=policy, clock=clock).title.startswith(
        "No cases"
    )


def test_case_references_read_both_ways() -> None:
    assert parse_case_ref("R-1042") == 42 and parse_case_ref("r1042") == 42
    with pytest.raises(InvalidInput, match="R-1042"):
        parse_case_ref("case 7")
