"""Every copy of a request's card is known to the core, and a repeated click answers as the first did."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot import deliveries, notices
from bot.actions import handle
from bot.approvals import decide_approval, request_card, show_request
from bot.commands import DecideApproval, GiveAmount, GiveOption
from bot.errors import Conflict
from bot.offers import give_amount, give_option
from bot.replies import ActionId
from bot.staff import import_staff
from db import queries
from db.models import ApprovalDecision, ApprovalRequest, Delivery, Offer
from tests.conftest import STAFF_CSV, FakeClock
from tests.helpers import ALICE, BOB, CAROL, counts, open_late_delivery

pytestmark = pytest.mark.usefixtures("people")


def _ask(session: Session, policy, clock, amount: str = "40", **kw: Any):
    """Alice opens a case and asks approval of `amount` (Bob decides $40); return the case and reply."""
    case = open_late_delivery(session, policy, clock)
    reply = give_amount(
        GiveAmount(ALICE, case.case_id, amount, "voucher", **kw), session=session, policy=policy, clock=clock
    )
    return case, reply


def _request(session: Session) -> ApprovalRequest:
    return session.scalars(select(ApprovalRequest)).one()


def _mark_sent(session: Session) -> None:
    """The dispatcher sent the approver's card: it has an address to update."""
    session.execute(
        update(Delivery)
        .where(Delivery.kind == "approval_request", Delivery.status == "pending")
        .values(status="sent", sent_ref={"message": "approver"})
    )


def _remember(session: Session, clock, request: ApprovalRequest, recipient_id: int, where: str) -> None:
    """Record a copy an edge showed, as `UseCases.after` does for a reply's keep."""
    keep = deliveries.card_copy(request, recipient_id)
    deliveries.remember_message(
        session,
        kind=deliveries.Kind(keep.kind),
        case_id=keep.case_id,
        recipient_id=keep.recipient_id,
        sent_ref={"message": where},
        now=clock.now(),
        request_id=keep.request_id,
    )


def _card_updates(session: Session) -> list[Delivery]:
    return list(session.scalars(select(Delivery).where(Delivery.kind == "card_update").order_by(Delivery.id)))


# --- a repeated click ---------------------------------------------------------------------------


def test_a_repeated_ask_for_approval_shows_the_same_card_and_asks_once(
    session: Session, policy, clock
) -> None:
    case, first = _ask(session, policy, clock, request_key="click-1")
    again = give_amount(
        GiveAmount(ALICE, case.case_id, "40", "voucher", request_key="click-1"),
        session=session,
        policy=policy,
        clock=clock,
    )
    assert again == first and "sent to Bob Reyes for approval" in again.title
    assert [b.label for b in again.buttons] == ["Customer is waiting"]
    assert again.keep is not None and again.keep.recipient_id == _request(session).requested_by_id
    assert counts(session)["offers"] == 1 and counts(session)["approval_requests"] == 1


def test_a_repeated_click_after_the_decision_shows_the_decision(session: Session, policy, clock) -> None:
    case, _ = _ask(session, policy, clock, request_key="click-1")
    decide_approval(
        DecideApproval(BOB, _request(session).id, approve=True), session=session, policy=policy, clock=clock
    )
    again = give_amount(
        GiveAmount(ALICE, case.case_id, "40", "voucher", request_key="click-1"),
        session=session,
        policy=policy,
        clock=clock,
    )
    assert "Bob Reyes approved" in again.title and [b.label for b in again.buttons] == ["Resolve"]
    assert again.keep is None


def test_the_approvers_repeated_decision_shows_the_decided_card(session: Session, policy, clock) -> None:
    _ask(session, policy, clock)
    request_id = _request(session).id
    first = decide_approval(
        DecideApproval(BOB, request_id, approve=True), session=session, policy=policy, clock=clock
    )
    clock.advance(seconds=1)
    again = decide_approval(
        DecideApproval(BOB, request_id, approve=True), session=session, policy=policy, clock=clock
    )
    assert again == first and again.title.endswith(": approved") and not again.buttons
    assert counts(session)["approval_decisions"] == 1
    # someone else, or the other verdict, is still told who decided
    with pytest.raises(Conflict, match="Already approved by Bob Reyes"):
        decide_approval(
            DecideApproval(CAROL, request_id, approve=True), session=session, policy=policy, clock=clock
        )
    with pytest.raises(Conflict, match="Already approved by Bob Reyes"):
        decide_approval(
            DecideApproval(BOB, request_id, approve=False, reason="Second thoughts"),
            session=session,
            policy=policy,
            clock=clock,
        )
    deliveries_after = counts(session)["deliveries"]
    decide_approval(
        DecideApproval(BOB, request_id, approve=True), session=session, policy=policy, clock=clock
    )
    assert counts(session)["deliveries"] == deliveries_after, "a repeat tells nobody anything again"


# --- copies of the card -------------------------------------------------------------------------


def test_a_review_of_a_waiting_request_is_kept_as_a_copy_for_the_viewer(
    session: Session, policy, clock
) -> None:
    _ask(session, policy, clock)
    request = _request(session)
    review = show_request(BOB, request.id, session=session, policy=policy, clock=clock)
    assert {b.label for b in review.buttons} == {"Approve", "Deny"}
    bob = queries.get_staff_by_email(session, "bob@example.com")
    assert review.keep == deliveries.card_copy(request, bob.id)
    assert review.keep.kind == deliveries.Kind.APPROVAL_REQUEST
    decide_approval(
        DecideApproval(BOB, request.id, approve=True), session=session, policy=policy, clock=clock
    )
    # a decided card never changes again: nothing to keep
    assert show_request(BOB, request.id, session=session, policy=policy, clock=clock).keep is None


def test_a_decision_updates_every_copy_once(session: Session, policy, clock) -> None:
    _ask(session, policy, clock)
    request = _request(session)
    _mark_sent(session)
    bob = queries.get_staff_by_email(session, "bob@example.com")
    _remember(session, clock, request, request.requested_by_id, "employee")
    _remember(session, clock, request, bob.id, "review")
    _remember(session, clock, request, bob.id, "review")  # the same message recorded twice
    decide_approval(
        DecideApproval(BOB, request.id, approve=True), session=session, policy=policy, clock=clock
    )
    targets = [session.get(Delivery, u.payload["target_id"]).sent_ref for u in _card_updates(session)]
    assert sorted(t["message"] for t in targets) == ["approver", "employee", "review"]


def test_cancelling_a_case_tells_every_copy_the_request_was_withdrawn(
    session: Session, policy, clock
) -> None:
    case, _ = _ask(session, policy, clock)
    request = _request(session)
    _mark_sent(session)
    bob = queries.get_staff_by_email(session, "bob@example.com")
    _remember(session, clock, request, request.requested_by_id, "employee")
    _remember(session, clock, request, bob.id, "review")
    handle(
        ActionId.CANCEL_CASE,
        str(case.case_id),
        ALICE,
        {"reason": "Opened on the wrong customer"},
        session=session,
        policy=policy,
        clock=clock,
    )
    updates = _card_updates(session)
    assert len(updates) == 3 and {u.status for u in updates} == {"pending"}
    for update_row in updates:
        card = notices.render(session, update_row, policy=policy)
        assert card is not None and card.title.endswith("request withdrawn")
        assert f"because {case.ref} was cancelled" in card.text and not card.buttons
    reminders = session.scalars(select(Delivery.status).where(Delivery.kind == "reminder")).all()
    assert set(reminders) == {"skipped"}


def test_the_employees_copy_never_offers_to_decide_their_own_request(session: Session, policy, clock) -> None:
    _ask(session, policy, clock)
    request = _request(session)
    alice = queries.get_staff(session, request.requested_by_id)
    bob = queries.get_staff_by_email(session, "bob@example.com")
    request.level = 1  # escalated: the update every copy gets says where it waits now
    own = request_card(session, request.id, policy=policy, viewer=alice)
    assert [b.label for b in own.buttons] == ["Customer is waiting"]
    assert "waits for approval by Bob Reyes" in own.title
    theirs = request_card(session, request.id, policy=policy, viewer=bob)
    assert {b.label for b in theirs.buttons} == {"Approve", "Deny"}


# --- at the same moment, on PostgreSQL -----------------------------------------------------------


@pytest.mark.postgres
def test_one_approver_clicking_twice_at_once_sees_the_decision_twice(dialect, request, policy) -> None:
    if dialect == "sqlite":
        pytest.skip("row locks are a PostgreSQL matter; SQLite serialises writers")
    fresh_sessions = request.getfixturevalue("fresh_sessions")
    clock = FakeClock()
    with fresh_sessions() as session:
        import_staff(STAFF_CSV, session=session, policy=policy, clock=clock)
        _ask(session, policy, clock, amount="100")
        request_id = session.scalars(select(ApprovalRequest.id)).one()
    barrier = threading.Barrier(2)
    titles: list[str] = []

    def decide() -> None:
        with fresh_sessions() as session:
            barrier.wait()
            card = decide_approval(
                DecideApproval(CAROL, request_id, approve=True), session=session, policy=policy, clock=clock
            )
            titles.append(card.title)

    threads = [threading.Thread(target=decide) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(titles) == 2 and all(t.endswith(": approved") for t in titles)
    with fresh_sessions() as session:
        assert len(session.scalars(select(ApprovalDecision)).all()) == 1


@pytest.mark.postgres
def test_a_double_click_at_once_gives_one_offer_and_the_same_answer_twice(dialect, request, policy) -> None:
    if dialect == "sqlite":
        pytest.skip("row locks are a PostgreSQL matter; SQLite serialises writers")
    fresh_sessions = request.getfixturevalue("fresh_sessions")
    clock = FakeClock()
    with fresh_sessions() as session:
        import_staff(STAFF_CSV, session=session, policy=policy, clock=clock)
        case_id = open_late_delivery(session, policy, clock).case_id
    barrier = threading.Barrier(2)
    replies: list[Any] = []

    def click() -> None:
        with fresh_sessions() as session:
            barrier.wait()
            replies.append(
                give_option(
                    GiveOption(ALICE, case_id, 2, request_key="click-1"),
                    session=session,
                    policy=policy,
                    clock=clock,
                )
            )

    threads = [threading.Thread(target=click) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(replies) == 2 and replies[0] == replies[1] and "given" in replies[0].title
    with fresh_sessions() as session:
        assert len(session.scalars(select(Offer)).all()) == 1


def test_resolve_is_refused_before_its_form_while_an_approval_waits(session: Session, policy, clock) -> None:
    """Nothing is asked that would be thrown away: the refusal comes before the questions."""
    case, _ = _ask(session, policy, clock)
    with pytest.raises(Conflict) as refused:
        handle(ActionId.RESOLVE, str(case.case_id), ALICE, session=session, policy=policy, clock=clock)
    assert "Bob Reyes" in refused.value.message
