"""Resolving, the anonymised lesson, follow-ups, and the outbox dispatcher."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot import deliveries, dispatcher
from bot.actions import handle
from bot.errors import Conflict
from bot.ports import Recipient, SendError
from bot.replies import ActionId, Reply
from bot.staff import import_staff
from db.models import Case, Delivery
from tests.conftest import STAFF_CSV, FakeClock
from tests.helpers import ALICE, BOB, counts, open_late_delivery, resolve_and_post

pytestmark = pytest.mark.usefixtures("people")

LESSON = dict(
    outcome="Called Jane Doe on +1 (555) 010-2030 and sent ORD-10042 again by express",
    root_cause="Courier scanned the parcel for Jane but left it at the depot",
    lesson="Check depot scans before promising a date",
)


def resolve(session, policy, clock, case_id, actor=ALICE, **overrides):
    return resolve_and_post(session, policy, clock, actor, case_id, **{**LESSON, **overrides})


def test_resolving_broadcasts_a_lesson_without_the_customers_personal_data(
    session: Session, policy, clock
) -> None:
    case = open_late_delivery(session, policy, clock)
    handle(ActionId.GIVE_OPTION, f"{case.case_id}:2", ALICE, session=session, policy=policy, clock=clock)
    reply = resolve(session, policy, clock, case.case_id)
    assert (
        reply.title == f"{case.ref} resolved"
        and "on Nov 11, 2026, 9:00\u202fAM EST, Mend will ask" in reply.text
    )
    lesson = session.scalars(select(Delivery).where(Delivery.kind == "lesson")).one()
    assert lesson.channel == "lessons"
    stored = str(lesson.payload)
    for secret in ("Jane", "Doe", "555", "010-2030", "10042", "jane.doe"):
        assert secret not in stored
    assert lesson.payload["lesson"]["lesson"] == "Check depot scans before promising a date"
    assert lesson.payload["lesson"]["compensation"] == "Voucher ($15.00)"
    follow_up = session.scalars(select(Delivery).where(Delivery.kind == "follow_up")).one()
    assert follow_up.due_at == clock.now().replace(day=11)


def test_an_offer_described_with_the_customers_details_is_anonymised_in_the_lesson(
    session: Session, policy, clock
) -> None:
    case = open_late_delivery(session, policy, clock)
    label = "Voucher for Jane Doe, order ORD-10042, jane.doe@example.com"
    inputs = {"amount": "10", "type": "voucher", "label": label}
    handle(
        ActionId.GIVE_AMOUNT, str(case.case_id), ALICE, inputs, session=session, policy=policy, clock=clock
    )
    resolve(session, policy, clock, case.case_id)
    lesson = session.scalars(select(Delivery).where(Delivery.kind == "lesson")).one()
    compensation = lesson.payload["lesson"]["compensation"]
    assert "Voucher for" in compensation and "$10.00" in compensation
    for secret in ("Jane", "Doe", "10042", "jane.doe"):
        assert secret not in compensation


def test_a_case_waiting_for_approval_cannot_be_resolved_yet(session: Session, policy, clock) -> None:
    case = open_late_delivery(session, policy, clock)
    handle(ActionId.REQUEST_APPROVAL, f"{case.case_id}:3", ALICE, session=session, policy=policy, clock=clock)
    with pytest.raises(Conflict, match="still has a request waiting on Bob Reyes"):
        resolve(session, policy, clock, case.case_id)


def test_resolve_needs_every_note(session: Session, policy, clock) -> None:
    case = open_late_delivery(session, policy, clock)
    before = counts(session)
    with pytest.raises(Exception) as error:
        resolve(session, policy, clock, case.case_id, lesson="")
    assert getattr(error.value, "field", None) == "lesson"
    assert counts(session) == before


def test_reopen_and_cancel_keep_the_record(session: Session, policy, clock) -> None:
    case = open_late_delivery(session, policy, clock)
    resolve(session, policy, clock, case.case_id)
    card = handle(
        ActionId.REOPEN_CASE,
        str(case.case_id),
        ALICE,
        {"reason": "Customer called back"},
        session=session,
        policy=policy,
        clock=clock,
    )
    assert session.get(Case, case.case_id).status == "open" and card.title.startswith(case.ref)
    skipped = session.scalars(select(Delivery.status).where(Delivery.kind == "follow_up")).one()
    assert skipped == "skipped"
    handle(
        ActionId.CANCEL_CASE,
        str(case.case_id),
        ALICE,
        {"reason": "Duplicate"},
        session=session,
        policy=policy,
        clock=clock,
    )
    assert session.get(Case, case.case_id).status == "cancelled"


class RecordingNotifier:
    """Stands in for a chat platform's API: records what was sent, can fail on demand."""

    def __init__(self) -> None:
        self.sent: list[tuple[Recipient, Reply]] = []
        self.updated: list[tuple[dict[str, Any], Reply]] = []
        self.failures: list[SendError] = []

    def send(self, recipient: Recipient, reply: Reply) -> dict[str, Any]:
        if self.failures:
            raise self.failures.pop(0)
        self.sent.append((recipient, reply))
        return {"message": len(self.sent)}

    def update(self, sent_ref: dict[str, Any], reply: Reply) -> None:
        self.updated.append((sent_ref, reply))


def _setup(sessions: sessionmaker[Session], policy, clock) -> int:
    with sessions() as session:
        import_staff(STAFF_CSV, session=session, policy=policy, clock=clock)
        case = open_late_delivery(session, policy, clock)
        handle(
            ActionId.REQUEST_APPROVAL, f"{case.case_id}:3", ALICE, session=session, policy=policy, clock=clock
        )
        return case.case_id


def test_the_approval_card_reaches_the_manager_and_is_updated_after_the_decision(
    fresh_sessions, policy
) -> None:
    clock, notifier = FakeClock(), RecordingNotifier()
    _setup(fresh_sessions, policy, clock)
    report = dispatcher.dispatch_due(sessions=fresh_sessions, notifier=notifier, policy=policy, clock=clock)
    assert report.sent == 1
    recipient, card = notifier.sent[0]
    assert recipient.name == "Bob Reyes" and recipient.accounts["console"]["user_id"] == "bob"
    assert card.title.startswith("Approval needed: R-") and [b.label for b in card.buttons] == [
        "Approve",
        "Deny",
    ]
    with fresh_sessions() as session:
        request_id = card.buttons[0].value
        handle(ActionId.APPROVE, request_id, BOB, session=session, policy=policy, clock=clock)
    dispatcher.dispatch_due(sessions=fresh_sessions, notifier=notifier, policy=policy, clock=clock)
    told = notifier.sent[1]
    assert told[0].name == "Alice Park" and "Bob Reyes approved 15% discount ($40.00)" in told[1].title
    ((ref, updated),) = notifier.updated
    assert ref == {"message": 1} and updated.text.startswith("Approved by Bob Reyes") and not updated.buttons


def test_failed_sends_back_off_then_dead_letter_and_rate_limits_only_delay(fresh_sessions, policy) -> None:
    clock, notifier = FakeClock(), RecordingNotifier()
    _setup(fresh_sessions, policy, clock)
    notifier.failures = [SendError("rate limited", retry_after=30)]
    report = dispatcher.dispatch_due(sessions=fresh_sessions, notifier=notifier, policy=policy, clock=clock)
    assert (report.retried, report.sent) == (1, 0)
    with fresh_sessions() as session:
        row = session.scalars(select(Delivery).where(Delivery.kind == "approval_request")).one()
        assert row.status == "pending" and row.attempts == 0
        assert (row.due_at - clock.now()).total_seconds() == 30
    notifier.failures = [SendError("connection reset")] * policy.deliveries.max_attempts
    for _ in range(policy.deliveries.max_attempts):
        clock.advance(hours=2)
        dispatcher.dispatch_due(sessions=fresh_sessions, notifier=notifier, policy=policy, clock=clock)
    with fresh_sessions() as session:
        row = session.scalars(select(Delivery).where(Delivery.kind == "approval_request")).one()
        assert row.status == "failed" and row.attempts == policy.deliveries.max_attempts
        assert row.last_error == "connection reset"
    assert notifier.sent == []


def test_a_claim_whose_lease_expired_is_claimed_again(fresh_sessions, policy) -> None:
    clock = FakeClock()
    _setup(fresh_sessions, policy, clock)
    with fresh_sessions() as session:
        first = dispatcher.claim_due(session, now=clock.now(), limit=10)
        assert len(first) == 1
        assert dispatcher.claim_due(session, now=clock.now(), limit=10) == []
        clock.advance(minutes=2)
        assert dispatcher.claim_due(session, now=clock.now(), limit=10) == first


def test_two_workers_claim_different_rows(fresh_sessions, policy, dialect) -> None:
    if dialect == "sqlite":
        pytest.skip("SKIP LOCKED is a PostgreSQL matter; SQLite serialises writers")
    clock = FakeClock()
    with fresh_sessions() as session:
        import_staff(STAFF_CSV, session=session, policy=policy, clock=clock)
        for n in range(20):
            deliveries.enqueue(session, deliveries.Kind.LESSON, now=clock.now(), channel="lessons", n=n)
        session.commit()
    one, two = fresh_sessions(), fresh_sessions()
    one.begin()
    locked = one.execute(select(Delivery.id).limit(5).with_for_update()).scalars().all()
    claimed = dispatcher.claim_due(two, now=clock.now(), limit=100)
    assert len(claimed) == 15 and not set(claimed) & set(locked)
    one.rollback()
    one.close()
    two.close()


def test_resolving_says_when_mend_will_ask_inside_working_hours(session: Session, policy, clock) -> None:
    clock.set(datetime(2026, 11, 13, 21, 0, tzinfo=UTC))  # Friday 16:00 in New York
    case = open_late_delivery(session, policy, clock, severity="critical")  # follow-up after 4 hours
    reply = resolve_and_post(session, policy, clock, ALICE, case.case_id, **LESSON)
    # Four hours on is Friday 20:00, after hours: Mend asks on Monday at 09:00 there.
    assert "on Nov 16, 2026, 9:00\u202fAM EST, Mend will ask you" in reply.text
