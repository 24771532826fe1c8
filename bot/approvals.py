"""Deciding over-limit offers: only with the authority to, never one's own, first decision wins."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot import deliveries, forms, messages
from bot.audit import record
from bot.cases import check_length, get_case_or_fail
from bot.commands import Actor, DecideApproval
from bot.errors import Conflict, InvalidInput, NotAllowed, NotFound
from bot.fields import DENY_REASON
from bot.ports import Clock
from bot.quiet_hours import zone_of
from bot.replies import Form, Reply
from bot.staff import effective_role, resolve_actor
from db import queries
from db.models import (
    ApprovalDecision,
    ApprovalRequest,
    Offer,
    OfferStatus,
    RequestStatus,
    Staff,
)
from policies.rules import can_approve
from policies.schema import Policy


def decide_approval(cmd: DecideApproval, *, session: Session, policy: Policy, clock: Clock) -> Reply:
    """Record the one decision on an approval request and tell the employee."""
    now = clock.now()
    reason = (cmd.reason or "").strip() or None
    if not cmd.approve and not reason:
        raise InvalidInput(DENY_REASON.name, messages.deny_needs_reason())
    if reason:
        check_length(DENY_REASON, reason)
    decider = resolve_actor(session, cmd.actor, policy=policy, now=now)
    request = queries.get_request(session, cmd.request_id, lock=True)
    if request is None:
        raise NotFound(messages.request_not_found(cmd.request_id))
    offer = session.get(Offer, request.offer_id)
    case = queries.get_case(session, request.case_id)
    assert offer is not None and case is not None
    if request.status != RequestStatus.PENDING:
        return _decided_before(session, request, cmd, policy=policy, decider=decider)
    if decider.id == request.requested_by_id:
        raise NotAllowed(messages.cannot_decide_own_request())
    if not can_approve(policy, role=effective_role(decider, policy), amount=offer.amount):
        raise NotAllowed(messages.not_enough_authority(decider, offer, policy))
    decision = ApprovalDecision(
        request_id=request.id,
        decided_by_id=decider.id,
        outcome="approved" if cmd.approve else "denied",
        reason=reason,
        platform=cmd.actor.platform,
        decided_at=now,
    )
    session.add(decision)
    try:
        session.flush()
    except IntegrityError:
        # Someone decided in the same instant (or this person, clicking twice); theirs stands.
        session.rollback()
        request = queries.get_request(session, cmd.request_id)
        assert request is not None
        return _decided_before(session, request, cmd, policy=policy, decider=decider)
    if cmd.approve:
        request.status = RequestStatus.APPROVED
        offer.status = OfferStatus.APPROVED
        offer.authorised_by_id = decider.id
        offer.granted_at = now
    else:
        request.status = RequestStatus.DENIED
        offer.status = OfferStatus.DENIED
    case.updated_at = now
    record(
        session,
        action=f"approval_{decision.outcome}",
        at=now,
        platform=cmd.actor.platform,
        actor_id=decider.id,
        case_id=case.id,
        request_id=request.id,
        offer_id=offer.id,
        amount=offer.amount,
        reason=reason,
    )
    deliveries.tell_requester(session, request, now=now)
    deliveries.update_sent_cards(session, case_id=case.id, request_id=request.id, now=now)
    session.flush()
    reply = request_card(session, request.id, policy=policy, viewer=decider)
    session.commit()
    return reply


def _decided_before(
    session: Session, request: ApprovalRequest, cmd: DecideApproval, *, policy: Policy, decider: Staff
) -> Reply:
    """Answer a decision on a request no longer waiting.

    The same person giving the same verdict again (a double click, ten clicks at once)
    sees the decided card, as the click that decided did; anyone else, or the other
    verdict, is told who decided and when.
    """
    decision = queries.get_decision(session, request.id)
    outcome = "approved" if cmd.approve else "denied"
    if decision is None or decision.decided_by_id != decider.id or decision.outcome != outcome:
        raise Conflict(_already_decided(session, request, policy, decider))
    reply = request_card(session, request.id, policy=policy, viewer=decider)
    session.commit()
    return reply


def _already_decided(session: Session, request: ApprovalRequest, policy: Policy, viewer: Staff) -> str:
    decision = queries.get_decision(session, request.id)
    decider = queries.get_staff(session, decision.decided_by_id) if decision else None
    return messages.already_decided(request, decision, decider, zone_of(policy, viewer.location))


def _people(session: Session, request: ApprovalRequest, decision: ApprovalDecision | None) -> dict[int, str]:
    ids = {
        request.requested_by_id,
        request.approver_id,
        decision.decided_by_id if decision else None,
    }
    people = {}
    for staff_id in ids - {None}:
        staff = queries.get_staff(session, staff_id)  # type: ignore[arg-type]
        if staff is not None:
            people[staff.id] = staff.name
    return people


def show_request(actor: Actor, request_id: int, *, session: Session, policy: Policy, clock: Clock) -> Reply:
    """Return the approval card for a request as it stands (Review on App Home).

    While the request waits, the edge records where it shows this copy, so the
    decision, an escalation or a cancellation updates it like the card first sent.
    """
    viewer = resolve_actor(session, actor, policy=policy, now=clock.now())
    reply = request_card(session, request_id, policy=policy, viewer=viewer)
    request = queries.get_request(session, request_id)
    if request is not None and request.status == RequestStatus.PENDING:
        reply = replace(reply, keep=deliveries.card_copy(request, viewer.id))
    session.commit()
    return reply


def request_card(session: Session, request_id: int, *, policy: Policy, viewer: Staff | None = None) -> Reply:
    """Return the approval card for a request: the facts, and the decision or the buttons.

    Times are shown in the viewer's zone (the default location's without a viewer). The
    employee who asked sees their own copy: what it waits on, without buttons to decide.
    """
    request = queries.get_request(session, request_id)
    if request is None:
        raise NotFound(messages.request_not_found(request_id))
    offer = session.get(Offer, request.offer_id)
    case = queries.get_case(session, request.case_id)
    assert offer is not None and case is not None
    decision = queries.get_decision(session, request.id)
    requester = queries.get_staff(session, request.requested_by_id)
    assert requester is not None
    history = (
        queries.count_earlier_cases(
            session, ref_key=case.ref_key, email_key=case.email_key, phone_key=case.phone_key
        )
        - 1
    )
    return messages.request_card(
        case,
        offer,
        request,
        decision,
        _people(session, request, decision),
        policy,
        requester_role=effective_role(requester, policy),
        earlier_incidents=max(history, case.earlier_incidents),
        zone=zone_of(policy, viewer.location if viewer else None),
        for_requester=viewer is not None and viewer.id == request.requested_by_id,
    )


def deny_form_for(request_id: int, *, session: Session, policy: Policy) -> Form:
    """Return the form that asks the approver why they deny a request, naming the offer."""
    request = queries.get_request(session, request_id)
    if request is None:
        raise NotFound(messages.request_not_found(request_id))
    offer = session.get(Offer, request.offer_id)
    assert offer is not None
    return forms.deny_form(request.id, messages.offer_summary(offer, policy))


def mark_customer_waiting(
    actor: Actor, case_id: int, *, session: Session, policy: Policy, clock: Clock
) -> Reply:
    """Mark that the customer is waiting: the approval request is escalated in minutes, not hours."""
    now = clock.now()
    staff = resolve_actor(session, actor, policy=policy, now=now)
    case = get_case_or_fail(session, case_id)
    request = queries.get_pending_request(session, case.id)
    if request is None:
        raise Conflict(messages.no_pending_request(case))
    minutes = policy.approvals.customer_waiting_timeout_minutes
    request.customer_waiting = True
    request.due_at = min(request.due_at, now + timedelta(minutes=minutes))
    offer = session.get(Offer, request.offer_id)
    record(
        session,
        action="customer_waiting",
        at=now,
        platform=actor.platform,
        actor_id=staff.id,
        case_id=case.id,
        request_id=request.id,
        offer_id=offer.id if offer else None,
    )
    session.commit()
    return messages.customer_waiting_noted(case, minutes)
