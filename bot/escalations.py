"""Approvals nobody answered, and cases nobody closed: scheduler jobs that queue deliveries.

Both are idempotent: each delivery they add carries a dedupe key, and the
overdue requests are locked (FOR UPDATE SKIP LOCKED on PostgreSQL; SQLite
serialises writers), so a second pass or a second replica never sends twice.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import deliveries
from bot.audit import record
from bot.cases import suggestion_for
from bot.deliveries import Kind
from bot.staff import effective_role, management_chain
from db import queries
from db.models import (
    ApprovalRequest,
    Case,
    CaseStatus,
    Delivery,
    Offer,
    Platform,
    RequestStatus,
    Staff,
)
from policies.rules import SuggestedOption, can_approve
from policies.schema import Policy


def escalate_overdue(session: Session, policy: Policy, now: datetime) -> int:
    """Send each approval request past its timeout to the next approver up; return how many moved."""
    overdue = session.scalars(
        select(ApprovalRequest)
        .where(ApprovalRequest.status == RequestStatus.PENDING, ApprovalRequest.due_at <= now)
        .order_by(ApprovalRequest.due_at, ApprovalRequest.id)
        .with_for_update(skip_locked=True)
    ).all()
    moved = 0
    for request in overdue:
        offer = session.get(Offer, request.offer_id)
        requester = queries.get_staff(session, request.requested_by_id)
        assert offer is not None and requester is not None
        nxt = next_approver(session, request, offer, policy=policy)
        if nxt is None:
            request.due_at = now + timeout_for(request, policy)
            if request.customer_waiting:
                deliveries.enqueue_once(
                    session,
                    Kind.FALLBACK_OFFER,
                    dedupe_key=f"fallback:{request.id}",
                    now=now,
                    recipient_id=request.requested_by_id,
                    case_id=request.case_id,
                    request_id=request.id,
                )
            continue
        silent_id = request.approver_id
        request.approver_id = nxt.id
        request.level += 1
        request.due_at = now + timeout_for(request, policy)
        key = f"escalate:{request.id}:{request.level}"
        deliveries.enqueue_once(
            session,
            Kind.APPROVAL_REQUEST,
            dedupe_key=key,
            now=now,
            recipient_id=nxt.id,
            case_id=request.case_id,
            request_id=request.id,
        )
        deliveries.enqueue_once(
            session,
            Kind.ESCALATED,
            dedupe_key=f"{key}:employee",
            now=now,
            recipient_id=request.requested_by_id,
            case_id=request.case_id,
            request_id=request.id,
            silent_id=silent_id,
        )
        session.flush()
        deliveries.update_sent_cards(session, case_id=request.case_id, request_id=request.id, now=now)
        record(
            session,
            action="approval_escalated",
            at=now,
            platform=Platform.SYSTEM.value,
            actor_id=None,
            case_id=request.case_id,
            request_id=request.id,
            approver_id=nxt.id,
            level=request.level,
        )
        moved += 1
    session.flush()
    return moved


def timeout_for(request: ApprovalRequest, policy: Policy) -> timedelta:
    """Return how long an approver has: minutes when the customer is waiting, else the policy's timeout."""
    if request.customer_waiting:
        return timedelta(minutes=policy.approvals.customer_waiting_timeout_minutes)
    return timedelta(minutes=policy.approvals.timeout_minutes)


def next_approver(
    session: Session, request: ApprovalRequest, offer: Offer, *, policy: Policy
) -> Staff | None:
    """Return the next manager above the current approver who may approve the offer, or None."""
    requester = queries.get_staff(session, request.requested_by_id)
    if requester is None or request.approver_id is None:
        return None
    chain = management_chain(session, requester)
    ids = [person.id for person in chain]
    if request.approver_id not in ids:
        return None
    for person in chain[ids.index(request.approver_id) + 1 :]:
        if can_approve(policy, role=effective_role(person, policy), amount=offer.amount):
            return person
    return None


def fallback_options(
    session: Session, request: ApprovalRequest, *, policy: Policy, now: datetime
) -> list[SuggestedOption]:
    """Return the options the employee may give on their own authority, the most generous first."""
    case = queries.get_case(session, request.case_id)
    requester = queries.get_staff(session, request.requested_by_id)
    if case is None or requester is None:
        return []
    suggestion = suggestion_for(session, case, requester, policy=policy, now=now)
    within = [option for option in suggestion.options if option.within_authority]
    return sorted(within, key=lambda option: option.amount, reverse=True)


def remind_open_cases(session: Session, policy: Policy, now: datetime) -> int:
    """Remind owners of cases open longer than the policy's age, once per age period; return how many."""
    age = timedelta(hours=policy.deliveries.open_case_reminder_hours)
    stale = session.scalars(
        select(Case).where(Case.status == CaseStatus.OPEN, Case.created_at <= now - age).order_by(Case.id)
    ).all()
    added = 0
    for case in stale:
        recent = select(Delivery.id).where(
            Delivery.case_id == case.id, Delivery.kind == Kind.REMINDER, Delivery.due_at > now - age
        )
        if session.scalar(recent.limit(1)) is not None:
            continue  # one is already on its way, such as the one queued when the case was opened
        period = int((now - case.created_at) / age)
        due = deliveries.within_working_hours(session, case.opened_by_id, now, policy=policy)
        added += deliveries.enqueue_once(
            session,
            Kind.REMINDER,
            dedupe_key=f"reminder:{case.id}:{period}",
            now=now,
            due_at=due,
            recipient_id=case.opened_by_id,
            case_id=case.id,
        )
    session.flush()
    return added
