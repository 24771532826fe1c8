"""The outbox: everything Mend must send later or elsewhere.

A use case adds delivery rows in its own transaction; `bot.dispatcher` claims
and sends them. Follow-ups and reminders are due inside the recipient's working
hours (`bot.quiet_hours`); approval requests and escalations are due at once.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.quiet_hours import location_of, next_working_time
from bot.replies import Keep
from db import queries
from db.fast_insert import PreparedInsert
from db.models import ApprovalRequest, Case, Delivery, DeliveryStatus, Staff
from policies.schema import Policy, Severity


class Kind(StrEnum):
    """What a delivery is."""

    APPROVAL_REQUEST = "approval_request"
    APPROVAL_DECIDED = "approval_decided"
    CARD_UPDATE = "card_update"
    LESSON = "lesson"
    FOLLOW_UP = "follow_up"
    REMINDER = "reminder"
    CUSTOMER_UNHAPPY = "customer_unhappy"
    ESCALATED = "escalated"
    FALLBACK_OFFER = "fallback_offer"
    DIGEST = "digest"
    REPORT = "report"
    TASK_ASSIGNED = "task_assigned"  # to the task's owner
    TASK_REMINDER = "task_reminder"  # to the owner, when the task is due
    TASK_DONE = "task_done"  # to the lessons channel: what was changed
    REVIEW = "review"  # to a manager, weekly: their team's decisions that stood out
    PRACTICE = "practice"  # a practice case: weekly to the lessons channel, or to one person
    HOME = "home"  # a person's Home, refreshed (bot.home_refresh); also a Home card a Teams edge showed


class Channel(StrEnum):
    """Channels named by purpose; each platform maps them to a real channel."""

    LESSONS = "lessons"
    APPROVALS = "approvals"


FOLLOW_UP_KINDS = (Kind.FOLLOW_UP, Kind.REMINDER)


def enqueue(
    session: Session,
    kind: Kind,
    *,
    now: datetime,
    due_at: datetime | None = None,
    recipient_id: int | None = None,
    channel: str | None = None,
    case_id: int | None = None,
    dedupe_key: str | None = None,
    **payload: Any,
) -> None:
    """Add a delivery to the session's transaction.

    One prepared INSERT, not the ORM's unit of work: the row is not needed as an
    object here, and a use case adds one or two on every change. The case and the
    recipient it refers to have ids, so they are already written.
    """
    _insert_delivery(session, **_row(kind, now, due_at, recipient_id, channel, case_id, dedupe_key, payload))
    if due_at is None or due_at <= now:
        session.info[_DUE_NOW] = True


def _row(
    kind: Kind,
    now: datetime,
    due_at: datetime | None,
    recipient_id: int | None,
    channel: str | None,
    case_id: int | None,
    dedupe_key: str | None,
    payload: dict[str, Any],
) -> dict[str, Any]:
    # Status (pending) and attempts (0) are the table's defaults; the rest starts empty.
    return {
        "kind": kind.value,
        "recipient_id": recipient_id,
        "channel": channel,
        "case_id": case_id,
        "payload": payload,
        "due_at": due_at or now,
        "dedupe_key": dedupe_key,
        "created_at": now,
    }


def due_now(session: Session) -> bool:
    """Say whether this session queued a delivery that is due at once (so a send pass should run)."""
    return bool(session.info.get(_DUE_NOW))


_DUE_NOW = "mend_due_now"
_insert_delivery = PreparedInsert(Delivery)


def enqueue_once(session: Session, kind: Kind, *, now: datetime, dedupe_key: str, **values: Any) -> bool:
    """Add a delivery unless one with this dedupe key exists (here or from another replica)."""
    if session.scalar(select(Delivery.id).where(Delivery.dedupe_key == dedupe_key)) is not None:
        return False
    try:
        with session.begin_nested():
            enqueue(session, kind, now=now, dedupe_key=dedupe_key, **values)
    except IntegrityError:
        return False  # another replica added it first; its row stands
    return True


def request_approval(
    session: Session,
    request: ApprovalRequest,
    approver: Staff | None,
    group: Iterable[Staff],
    *,
    policy: Policy,
    now: datetime,
) -> None:
    """Send an approval request to the policy's approvals channel, else the approver, else the group.

    In the channel anyone whose approve-up-to covers the amount may decide; the
    first decision wins, as everywhere.
    """
    if policy.approvals.in_channel:
        targets: list[dict[str, Any]] = [{"channel": Channel.APPROVALS.value}]
    elif approver is not None:
        targets = [{"recipient_id": approver.id}]
    else:
        targets = [{"recipient_id": member.id} for member in group]
    for target in targets:
        enqueue(
            session,
            Kind.APPROVAL_REQUEST,
            now=now,
            case_id=request.case_id,
            request_id=request.id,
            **target,
        )


def tell_requester(session: Session, request: ApprovalRequest, *, now: datetime) -> None:
    """Tell the employee how their approval request was decided."""
    enqueue(
        session,
        Kind.APPROVAL_DECIDED,
        now=now,
        recipient_id=request.requested_by_id,
        case_id=request.case_id,
        request_id=request.id,
    )


def card_copy(request: ApprovalRequest, recipient_id: int) -> Keep:
    """Return what an edge records of a request's card it shows someone, so `update_sent_cards` finds it.

    The employee's "sent for approval" card is one such copy; so is the card an approver
    opens from App Home. Each is recorded as an approval request sent to its viewer.
    """
    return Keep(
        kind=Kind.APPROVAL_REQUEST.value,
        case_id=request.case_id,
        recipient_id=recipient_id,
        request_id=request.id,
    )


def update_sent_cards(session: Session, *, case_id: int, request_id: int, now: datetime) -> None:
    """Update every copy of a request's card, sent or on its way, to show where the request stands.

    That is each card the dispatcher sent and each one an edge showed and recorded
    (`card_copy`), whatever the platform. A message recorded twice (a repeated click shows
    its card again in place) is updated once.
    """
    shown: list[dict[str, Any]] = []
    for sent in queries.list_sent_deliveries(
        session, case_id=case_id, kind=Kind.APPROVAL_REQUEST, key="request_id", value=request_id
    ):
        if sent.sent_ref is not None:
            if sent.sent_ref in shown:
                continue
            shown.append(sent.sent_ref)
        enqueue(
            session,
            Kind.CARD_UPDATE,
            now=now,
            recipient_id=sent.recipient_id,
            channel=sent.channel,
            case_id=case_id,
            target_id=sent.id,
        )


def broadcast_lesson(
    session: Session, case: Case, lesson: dict[str, str], *, policy: Policy, now: datetime
) -> None:
    """Post an anonymised lesson to the lessons channel."""
    enqueue(
        session,
        Kind.LESSON,
        now=now,
        channel=Channel.LESSONS.value,
        case_id=case.id,
        dedupe_key=f"lesson:{case.id}:{now.isoformat()}",
        lesson=lesson,
    )


def schedule_follow_up(
    session: Session, case: Case, *, policy: Policy, now: datetime, attempt: int
) -> datetime:
    """Ask the employee later whether the customer confirmed the fix; return when."""
    hours = (
        policy.follow_up.after_hours[Severity(case.severity)]
        if attempt == 1
        else policy.follow_up.unreachable_retry_hours
    )
    due_at = within_working_hours(session, case.opened_by_id, now + timedelta(hours=hours), policy=policy)
    enqueue(
        session,
        Kind.FOLLOW_UP,
        now=now,
        due_at=due_at,
        recipient_id=case.opened_by_id,
        case_id=case.id,
        attempt=attempt,
    )
    return due_at


def schedule_reminder(session: Session, case: Case, *, policy: Policy, now: datetime) -> None:
    """Remind the owner of a case left open past the policy's age."""
    enqueue(
        session,
        Kind.REMINDER,
        now=now,
        due_at=within_working_hours(
            session,
            case.opened_by_id,
            now + timedelta(hours=policy.deliveries.open_case_reminder_hours),
            policy=policy,
        ),
        recipient_id=case.opened_by_id,
        case_id=case.id,
    )


def alert_manager(session: Session, case: Case, employee: Staff, *, policy: Policy, now: datetime) -> None:
    """Tell the employee's manager that a customer is still unhappy; without one, the approvers.

    Without a manager the alert goes where approval requests would: the policy's
    approvals channel if it sets one, else each member of its approver group. With
    neither it goes to the approvals channel anyway, to dead-letter where
    `mend deliveries list --failed` shows it rather than vanish.
    """
    targets: list[dict[str, Any]] = [{"channel": Channel.APPROVALS.value}]
    if employee.manager_id:
        targets = [{"recipient_id": employee.manager_id}]
    elif not policy.approvals.in_channel:
        group = queries.list_staff_by_emails(session, policy.approvals.group)
        targets = [{"recipient_id": member.id} for member in group] or targets
    for target in targets:
        enqueue(session, Kind.CUSTOMER_UNHAPPY, now=now, case_id=case.id, employee_id=employee.id, **target)


def within_working_hours(session: Session, staff_id: int, when: datetime, *, policy: Policy) -> datetime:
    """Return `when`, or the next opening of the person's working hours if it falls outside them."""
    staff = queries.get_staff(session, staff_id)
    return next_working_time(when, location_of(policy, staff.location if staff else None))


def cancel_pending(session: Session, *, case_id: int, kinds: Iterable[Kind] | None, now: datetime) -> None:
    """Skip a case's deliveries not yet sent (of these kinds, or all)."""
    stmt = (
        update(Delivery)
        .where(Delivery.case_id == case_id, Delivery.status == DeliveryStatus.PENDING)
        .values(status=DeliveryStatus.SKIPPED, last_error="cancelled: the case changed")
    )
    if kinds is not None:
        stmt = stmt.where(Delivery.kind.in_([k.value for k in kinds]))
    session.execute(stmt)


def remember_message(
    session: Session,
    *,
    kind: Kind,
    case_id: int | None,
    recipient_id: int,
    sent_ref: dict[str, Any],
    now: datetime,
    **payload: Any,
) -> None:
    """Record a message an adapter sent directly, so later changes can update it in place."""
    row = _row(kind, now, None, recipient_id, None, case_id, None, payload)
    row.update(status=DeliveryStatus.SENT, sent_ref=sent_ref, sent_at=now)
    _insert_delivery(session, **row)


def retry_failed(session: Session, delivery_id: int, *, now: datetime) -> str | None:
    """Queue a dead-lettered delivery again with fresh attempts; return the status it had (None: no such)."""
    delivery = session.get(Delivery, delivery_id, with_for_update=True)
    if delivery is None:
        return None
    status = delivery.status
    if status == DeliveryStatus.FAILED:
        delivery.status = DeliveryStatus.PENDING
        delivery.attempts = 0
        delivery.due_at = now
        delivery.lease_until = None
    return status
