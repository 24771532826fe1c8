"""Approvals nobody answered, and cases nobody closed: scheduler jobs that queue deliveries.

Both are idempotent: each delivery they add carries a dedupe key, and the
overdue requests are locked (FOR UPDATE SKIP LOCKED on PostgreSQL; SQLite
serialises writers), so a second pass or a second replica never sends twice.
Both stay short on a large database: each run takes on a bounded batch, and
reminders are one query over indexes, run by one replica at a time.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

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
    DeliveryStatus,
    Offer,
    Platform,
    RequestStatus,
    Staff,
)
from policies.rules import SuggestedOption, can_approve
from policies.schema import Policy

# What one run takes on at most, the longest waiting first; the rest wait for the next run,
# a minute later, so that a run stays short however much piled up (after downtime, or on
# a first run over years of cases).
ESCALATION_BATCH = 20
REMINDER_BATCH = 500


def escalate_overdue(session: Session, policy: Policy, now: datetime) -> int:
    """Send approval requests past their timeout to the next approver up, the longest overdue
    first and at most `ESCALATION_BATCH`; return how many moved."""
    overdue = session.scalars(
        select(ApprovalRequest)
        .where(ApprovalRequest.status == RequestStatus.PENDING, ApprovalRequest.due_at <= now)
        .order_by(ApprovalRequest.due_at, ApprovalRequest.id)
        .limit(ESCALATION_BATCH)
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
    """Remind owners of cases open longer than the policy's age, once per age period, the oldest
    cases first and at most `REMINDER_BATCH`; return how many.

    One replica at a time: the others skip while it runs (a reminder's dedupe key would
    refuse their copies anyway). The cases come from one query, their reminders go in
    with one INSERT, and cases beyond the batch are reminded at the next run.
    """
    if not queries.try_job_lock(session, "remind_open_cases"):
        return 0
    age = timedelta(hours=policy.deliveries.open_case_reminder_hours)
    # A case with a reminder due within the age is left alone: one is already on its way,
    # such as the one queued when the case was opened.
    stale = queries.list_open_cases_without(
        session, kind=Kind.REMINDER, opened_before=now - age, due_after=now - age, limit=REMINDER_BATCH
    )
    # One read for every owner, held here so that `within_working_hours` finds them in the session.
    owners = queries.list_staff_by_ids(session, {owner for _, owner, _ in stale})
    due_for: dict[int, datetime] = {}  # each owner's reminders are due at the same moment
    rows = []
    for case_id, owner, opened_at in stale:
        if owner not in due_for:
            due_for[owner] = deliveries.within_working_hours(session, owner, now, policy=policy)
        period = int((now - opened_at) / age)
        rows.append(
            reminder_row(case_id, owner, due_at=due_for[owner], now=now, key=f"reminder:{case_id}:{period}")
        )
    del owners
    return queries.insert_deliveries_once(session, rows)


def reminder_row(case_id: int, owner: int, *, due_at: datetime, now: datetime, key: str) -> dict[str, Any]:
    """Return the outbox row of an open-case reminder, as `deliveries.enqueue` would write it."""
    return {
        "kind": Kind.REMINDER.value,
        "recipient_id": owner,
        "channel": None,
        "case_id": case_id,
        "payload": {},
        "status": DeliveryStatus.PENDING.value,
        "due_at": due_at,
        "attempts": 0,
        "dedupe_key": key,
        "created_at": now,
    }
