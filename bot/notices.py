"""What each kind of delivery says, rendered from the current state when it is sent."""

from __future__ import annotations

from sqlalchemy.orm import Session

from bot import messages
from bot.approvals import request_card
from bot.deliveries import Kind
from db import queries
from db.models import CaseStatus, Delivery, Offer, RequestStatus
from policies.schema import Policy


def render(session: Session, delivery: Delivery, *, policy: Policy) -> messages.Reply | None:
    """Return the reply a delivery sends now, or None when it no longer needs sending."""
    payload = delivery.payload
    kind = Kind(delivery.kind)
    if kind is Kind.APPROVAL_REQUEST:
        request = queries.get_request(session, payload["request_id"])
        if request is None or request.status != RequestStatus.PENDING:
            return None
        return request_card(session, request.id, policy=policy)
    if kind is Kind.CARD_UPDATE:
        target = session.get(Delivery, payload["target_id"])
        if target is None or target.kind != Kind.APPROVAL_REQUEST:
            return None
        return request_card(session, target.payload["request_id"], policy=policy)
    if kind is Kind.APPROVAL_DECIDED:
        request = queries.get_request(session, payload["request_id"])
        decision = queries.get_decision(session, payload["request_id"])
        if request is None or decision is None:
            return None
        offer = session.get(Offer, request.offer_id)
        case = queries.get_case(session, request.case_id)
        decider = queries.get_staff(session, decision.decided_by_id)
        assert offer is not None and case is not None and decider is not None
        return messages.approval_decided(case, offer, decision, decider, policy)
    if kind is Kind.LESSON:
        return messages.lesson(payload["lesson"], policy)
    case = queries.get_case(session, delivery.case_id) if delivery.case_id else None
    if kind is Kind.FOLLOW_UP:
        if case is None or case.status != CaseStatus.RESOLVED:
            return None
        return messages.follow_up(case, payload.get("attempt", 1), policy)
    if kind is Kind.REMINDER:
        if case is None or case.status != CaseStatus.OPEN:
            return None
        return messages.reminder(case, policy)
    if kind is Kind.CUSTOMER_UNHAPPY and case is not None:
        employee = queries.get_staff(session, payload["employee_id"])
        return messages.customer_unhappy(case, employee.name if employee else "", policy)
    return None
