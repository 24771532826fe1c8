"""What each kind of delivery says, rendered from the current state when it is sent."""

from __future__ import annotations

from sqlalchemy.orm import Session

from bot import messages
from bot.approvals import request_card
from bot.deliveries import Channel, Kind
from bot.lessons import redact_reply, redactor_for
from bot.quiet_hours import location_of
from db import queries
from db.models import CaseStatus, Delivery, Offer, RequestStatus, Staff
from policies.schema import Policy


def render(session: Session, delivery: Delivery, *, policy: Policy) -> messages.Reply | None:
    """Return the reply a delivery sends now, or None when it no longer needs sending.

    Whatever goes to the lessons channel passes the redactor here, whatever its kind.
    """
    reply = _render(session, delivery, policy=policy)
    if reply is not None and delivery.channel == Channel.LESSONS:
        return redact_reply(reply, redactor_for(policy))
    return reply


def _render(session: Session, delivery: Delivery, *, policy: Policy) -> messages.Reply | None:
    payload = delivery.payload
    kind = Kind(delivery.kind)
    if kind is Kind.APPROVAL_REQUEST:
        request = queries.get_request(session, payload["request_id"])
        if request is None or request.status != RequestStatus.PENDING:
            return None
        return request_card(session, request.id, policy=policy, viewer=_staff(session, delivery.recipient_id))
    if kind is Kind.CARD_UPDATE:
        target = session.get(Delivery, payload["target_id"])
        if target is None or target.kind != Kind.APPROVAL_REQUEST:
            return None
        viewer = _staff(session, target.recipient_id)
        return request_card(session, target.payload["request_id"], policy=policy, viewer=viewer)
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
    if kind is Kind.DIGEST:
        return messages.weekly_digest(payload, policy)
    case = queries.get_case(session, delivery.case_id) if delivery.case_id else None
    zone = _zone(session, delivery.recipient_id, policy)
    if kind is Kind.FOLLOW_UP:
        if case is None or case.status != CaseStatus.RESOLVED:
            return None
        return messages.follow_up(case, payload.get("attempt", 1), policy, zone)
    if kind is Kind.REMINDER:
        if case is None or case.status != CaseStatus.OPEN:
            return None
        return messages.reminder(case, policy, zone)
    if kind in (Kind.ESCALATED, Kind.FALLBACK_OFFER):
        request = queries.get_request(session, payload["request_id"])
        if case is None or request is None or request.status != RequestStatus.PENDING:
            return None
        if kind is Kind.FALLBACK_OFFER:
            from bot.escalations import fallback_options

            options = fallback_options(session, request, policy=policy, now=delivery.due_at)
            return messages.fallback_offer(case, options[:3], policy) if options else None
        offer = session.get(Offer, request.offer_id)
        approver = queries.get_staff(session, request.approver_id) if request.approver_id else None
        silent = queries.get_staff(session, payload["silent_id"]) if payload.get("silent_id") else None
        assert offer is not None
        return messages.request_escalated(
            case,
            offer,
            approver.name if approver else "the approvers",
            silent.name if silent else "Nobody",
            policy,
        )
    if kind is Kind.CUSTOMER_UNHAPPY and case is not None:
        employee = queries.get_staff(session, payload["employee_id"])
        return messages.customer_unhappy(case, employee.name if employee else "", policy)
    return None


def _staff(session: Session, staff_id: int | None) -> Staff | None:
    return queries.get_staff(session, staff_id) if staff_id else None


def _zone(session: Session, staff_id: int | None, policy: Policy) -> str | None:
    staff = queries.get_staff(session, staff_id) if staff_id else None
    return location_of(policy, staff.location).timezone if staff else None
