"""Giving compensation and deciding approvals: limits, budgets, authority, one decision."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.actions import handle
from bot.approvals import decide_approval
from bot.commands import Actor, DecideApproval, GiveAmount, GiveOption
from bot.errors import Conflict, InvalidInput, NotAllowed
from bot.offers import give_amount, give_option
from bot.replies import ActionId, Form
from bot.staff import import_staff
from db.models import ApprovalDecision, ApprovalRequest, AuditEvent, Delivery, Offer
from tests.conftest import STAFF_CSV, FakeClock
from tests.helpers import ALICE, BOB, CAROL, DANA, ERIN, counts, open_late_delivery

pytestmark = pytest.mark.usefixtures("people")


def give(session, policy, clock, case_id, amount, actor=ALICE, **kw):
    return give_amount(
        GiveAmount(actor, case_id, amount, "voucher", **kw), session=session, policy=policy, clock=clock
    )


def test_an_offer_within_the_limit_is_granted_at_once(session: Session, policy, clock) -> None:
    case = open_late_delivery(session, policy, clock)
    reply = give_option(GiveOption(ALICE, case.case_id, 2), session=session, policy=policy, clock=clock)
    offer = session.scalars(select(Offer)).one()
    assert (offer.status, offer.amount, offer.authorised_by_id) == ("granted", 1500, offer.given_by_id)
    assert reply.title == f"{case.ref}: Voucher ($15.00) given"
    assert "$10.00 now" in reply.fields[0].value and "$285.00 of $300.00" in reply.fields[0].value
    assert counts(session)["approval_requests"] == 0


def test_an_offer_exactly_at_the_limit_is_granted(session: Session, policy, clock) -> None:
    case = open_late_delivery(session, policy, clock)
    give(session, policy, clock, case.case_id, "25.00")
    assert session.scalars(select(Offer.status)).one() == "granted"


def test_an_offer_over_the_limit_goes_to_the_manager(session: Session, policy, clock) -> None:
    case = open_late_delivery(session, policy, clock)
    reply = give_option(GiveOption(ALICE, case.case_id, 3), session=session, policy=policy, clock=clock)
    assert reply.title == f"{case.ref}: 15% discount ($40.00) sent to Bob Reyes for approval"
    request = session.scalars(select(ApprovalRequest)).one()
    assert request.status == "pending" and request.due_at == clock.now() + timedelta(minutes=240)
    delivery = session.scalars(select(Delivery).where(Delivery.kind == "approval_request")).one()
    assert delivery.recipient_id == request.approver_id and delivery.payload == {"request_id": request.id}
    assert session.scalars(select(Offer.status)).one() == "pending_approval"


def test_a_used_up_budget_sends_a_small_offer_for_approval(session: Session, policy, clock) -> None:
    for _ in range(12):
        case = open_late_delivery(session, policy, clock)
        give(session, policy, clock, case.case_id, "25")
    case = open_late_delivery(session, policy, clock)
    reply = give(session, policy, clock, case.case_id, "1")
    assert "sent to Bob Reyes" in reply.title
    assert "over what is left of your budget this month ($0.00)" in reply.text
    # A new month brings a new budget.
    clock.advance(days=30)
    case = open_late_delivery(session, policy, clock)
    assert "given" in give(session, policy, clock, case.case_id, "1").title


def test_an_amount_beyond_the_supervisor_goes_to_the_manager_above(session: Session, policy, clock) -> None:
    case = open_late_delivery(session, policy, clock)
    reply = give(session, policy, clock, case.case_id, "400")
    assert "sent to Carol Diaz" in reply.title


def test_someone_without_a_manager_asks_the_approver_group(session: Session, policy, clock) -> None:
    case = open_late_delivery(session, policy, clock, actor=ERIN)
    reply = give(session, policy, clock, case.case_id, "100", actor=ERIN)
    assert "sent to the approvers" in reply.title
    request = session.scalars(select(ApprovalRequest)).one()
    assert request.approver_id is None
    handle(
        ActionId.APPROVE,
        str(request.id),
        Actor("console", "ops"),
        session=session,
        policy=policy,
        clock=clock,
    )
    assert session.scalars(select(Offer.status)).one() == "approved"


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("-5", "more than zero"),
        ("0", "more than zero"),
        ("ten", "not a number"),
        ("5000000", "more than Mend accepts"),
    ],
)
def test_bad_amounts_name_the_field_and_store_nothing(
    session: Session, policy, clock, amount, message
) -> None:
    case = open_late_delivery(session, policy, clock)
    before = counts(session)
    with pytest.raises(InvalidInput) as error:
        give(session, policy, clock, case.case_id, amount)
    assert error.value.field == "amount" and message in error.value.message
    assert counts(session) == before


def test_the_manager_approves_and_the_employee_is_told(session: Session, policy, clock) -> None:
    case = open_late_delivery(session, policy, clock)
    give(session, policy, clock, case.case_id, "40")
    request = session.scalars(select(ApprovalRequest)).one()
    clock.advance(minutes=5)
    card = decide_approval(
        DecideApproval(BOB, request.id, approve=True), session=session, policy=policy, clock=clock
    )
    # 14:05 UTC, shown in Bob's own zone (hq: New York)
    assert card.title.endswith(": approved") and card.text.startswith(
        "Approved by Bob Reyes at Nov 10, 2026, 9:05\u202fAM EST"
    )
    assert not card.buttons
    offer = session.scalars(select(Offer)).one()
    assert offer.status == "approved" and offer.authorised_by_id == request.approver_id
    decided = session.scalars(select(Delivery).where(Delivery.kind == "approval_decided")).one()
    assert decided.recipient_id == request.requested_by_id
    actions = session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions[-2:] == ["approval_requested", "approval_approved"]


def test_nobody_approves_their_own_request(session: Session, policy, clock) -> None:
    case = open_late_delivery(session, policy, clock, actor=BOB)
    give(session, policy, clock, case.case_id, "100", actor=BOB)
    request = session.scalars(select(ApprovalRequest)).one()
    with pytest.raises(NotAllowed, match="your own request"):
        decide_approval(
            DecideApproval(BOB, request.id, approve=True), session=session, policy=policy, clock=clock
        )
    assert counts(session)["approval_decisions"] == 0


def test_an_approver_without_enough_authority_is_refused(session: Session, policy, clock) -> None:
    case = open_late_delivery(session, policy, clock)
    give(session, policy, clock, case.case_id, "400")
    request = session.scalars(select(ApprovalRequest)).one()
    with pytest.raises(NotAllowed, match=r"You may approve up to \$150.00; this \$400.00"):
        decide_approval(
            DecideApproval(BOB, request.id, approve=True), session=session, policy=policy, clock=clock
        )
    assert session.scalars(select(ApprovalRequest.status)).one() == "pending"


def test_a_second_decision_is_told_who_decided_and_when(session: Session, policy, clock) -> None:
    case = open_late_delivery(session, policy, clock)
    give(session, policy, clock, case.case_id, "40")
    request = session.scalars(select(ApprovalRequest)).one()
    decide_approval(
        DecideApproval(BOB, request.id, approve=False, reason="Offer the voucher"),
        session=session,
        policy=policy,
        clock=clock,
    )
    with pytest.raises(Conflict, match="Already denied by Bob Reyes at Nov 10, 2026, 9:00\u202fAM EST"):
        decide_approval(
            DecideApproval(CAROL, request.id, approve=True), session=session, policy=policy, clock=clock
        )
    assert counts(session)["approval_decisions"] == 1


def test_a_denial_needs_a_reason(session: Session, policy, clock) -> None:
    case = open_late_delivery(session, policy, clock)
    give(session, policy, clock, case.case_id, "40")
    request = session.scalars(select(ApprovalRequest)).one()
    form = handle(ActionId.DENY, str(request.id), BOB, session=session, policy=policy, clock=clock)
    assert isinstance(form, Form) and form.inputs[0].name == "reason"
    with pytest.raises(InvalidInput) as error:
        handle(
            ActionId.DENY_WITH_REASON,
            str(request.id),
            BOB,
            {"reason": " "},
            session=session,
            policy=policy,
            clock=clock,
        )
    assert error.value.field == "reason"


def test_a_double_click_gives_one_offer(session: Session, policy, clock) -> None:
    case = open_late_delivery(session, policy, clock)
    first = give_option(
        GiveOption(ALICE, case.case_id, 1, request_key="click-1"), session=session, policy=policy, clock=clock
    )
    second = give_option(
        GiveOption(ALICE, case.case_id, 1, request_key="click-1"), session=session, policy=policy, clock=clock
    )
    # the repeat shows what the first click showed, Resolve button and all
    assert second == first and "given" in first.title and first.buttons
    assert counts(session)["offers"] == 1


def test_a_press_on_a_later_rendering_of_the_card_is_a_new_offer(session: Session, policy, clock) -> None:
    """Platforms key a press by message, button value and person; the value tells renderings apart."""
    from bot.cases import show_case

    case = open_late_delivery(session, policy, clock)

    def give_button(card) -> str:
        return next(
            i.button.value for i in card.items if i.button and i.button.action is ActionId.GIVE_OPTION
        )

    before = give_button(case.reply)
    handle(
        ActionId.GIVE_OPTION, before, ALICE, session=session, policy=policy, clock=clock, request_key=before
    )
    again = handle(
        ActionId.GIVE_OPTION, before, ALICE, session=session, policy=policy, clock=clock, request_key=before
    )
    assert "given" in again.title and "already" not in again.title and counts(session)["offers"] == 1
    after = give_button(show_case(ALICE, case.case_id, session=session, policy=policy, clock=clock).reply)
    assert after != before
    given = handle(
        ActionId.GIVE_OPTION, after, ALICE, session=session, policy=policy, clock=clock, request_key=after
    )
    assert "already" not in given.title and counts(session)["offers"] == 2


@pytest.mark.postgres
def test_two_approvers_deciding_at_once_leave_exactly_one_decision(dialect, request, policy) -> None:
    if dialect == "sqlite":
        pytest.skip("row locks are a PostgreSQL matter; SQLite serialises writers")
    fresh_sessions = request.getfixturevalue("fresh_sessions")
    clock = FakeClock()
    with fresh_sessions() as session:
        import_staff(STAFF_CSV, session=session, policy=policy, clock=clock)
        case = open_late_delivery(session, policy, clock)
        give(session, policy, clock, case.case_id, "100")
        request_id = session.scalars(select(ApprovalRequest.id)).one()
    barrier = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def decide(actor, approve):
        with fresh_sessions() as session:
            barrier.wait()
            try:
                decide_approval(
                    DecideApproval(actor, request_id, approve=approve, reason="no"),
                    session=session,
                    policy=policy,
                    clock=clock,
                )
                outcomes[actor.user_id] = "decided"
            except Conflict as exc:
                outcomes[actor.user_id] = exc.message

    threads = [
        threading.Thread(target=decide, args=(CAROL, True)),
        threading.Thread(target=decide, args=(DANA, False)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with fresh_sessions() as session:
        decisions = session.scalars(select(ApprovalDecision)).all()
        assert len(decisions) == 1
        loser = next(v for v in outcomes.values() if v != "decided")
        assert loser.startswith("Already ")
        assert sorted(outcomes.values()).count("decided") == 1
