"""The outbox: everything Mend must send later or elsewhere, and the dispatcher that sends it.

A use case adds delivery rows in its own transaction. The dispatcher claims due
rows with a lease (FOR UPDATE SKIP LOCKED on PostgreSQL; on SQLite the claiming
UPDATE re-checks the row itself), renders each from the current state, sends it
through the Notifier, and records the outcome only if its claim still holds. A
claim not completed within its lease is claimed again.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from bot.ports import Clock, Notifier, Recipient, SendError
from db import queries
from db.models import ApprovalRequest, Case, Delivery, DeliveryStatus, Staff
from policies.schema import Policy, Severity

log = logging.getLogger(__name__)

LEASE = timedelta(seconds=60)
BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_MAX = timedelta(hours=1)


class Kind(StrEnum):
    """What a delivery is."""

    APPROVAL_REQUEST = "approval_request"
    APPROVAL_DECIDED = "approval_decided"
    CARD_UPDATE = "card_update"
    LESSON = "lesson"
    FOLLOW_UP = "follow_up"
    REMINDER = "reminder"
    CUSTOMER_UNHAPPY = "customer_unhappy"


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
) -> Delivery:
    """Add a delivery to the session's transaction."""
    delivery = Delivery(
        kind=kind.value,
        recipient_id=recipient_id,
        channel=channel,
        case_id=case_id,
        payload=payload,
        status=DeliveryStatus.PENDING,
        due_at=due_at or now,
        attempts=0,
        dedupe_key=dedupe_key,
        created_at=now,
    )
    session.add(delivery)
    return delivery


def request_approval(
    session: Session,
    request: ApprovalRequest,
    approver: Staff | None,
    group: Iterable[Staff],
    *,
    policy: Policy,
    now: datetime,
) -> None:
    """Send an approval request to the approver, or to the approvals channel or group."""
    if approver is not None:
        targets: list[dict[str, Any]] = [{"recipient_id": approver.id}]
    elif policy.approvals.channel:
        targets = [{"channel": Channel.APPROVALS.value}]
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


def update_sent_cards(session: Session, *, case_id: int, request_id: int, now: datetime) -> None:
    """Update every approval card already sent for a request to show where it stands."""
    for sent in queries.list_sent_deliveries(
        session, case_id=case_id, kind=Kind.APPROVAL_REQUEST, key="request_id", value=request_id
    ):
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


def schedule_follow_up(session: Session, case: Case, *, policy: Policy, now: datetime, attempt: int) -> None:
    """Ask the employee later whether the customer confirmed the fix."""
    hours = (
        policy.follow_up.after_hours[Severity(case.severity)]
        if attempt == 1
        else policy.follow_up.unreachable_retry_hours
    )
    enqueue(
        session,
        Kind.FOLLOW_UP,
        now=now,
        due_at=now + timedelta(hours=hours),
        recipient_id=case.opened_by_id,
        case_id=case.id,
        attempt=attempt,
    )


def schedule_reminder(session: Session, case: Case, *, policy: Policy, now: datetime) -> None:
    """Remind the owner of a case left open past the policy's age."""
    enqueue(
        session,
        Kind.REMINDER,
        now=now,
        due_at=now + timedelta(hours=policy.deliveries.open_case_reminder_hours),
        recipient_id=case.opened_by_id,
        case_id=case.id,
    )


def alert_manager(session: Session, case: Case, employee: Staff, *, now: datetime) -> None:
    """Tell the employee's manager that a customer is still unhappy after the recovery."""
    target: dict[str, Any] = (
        {"recipient_id": employee.manager_id} if employee.manager_id else {"channel": Channel.APPROVALS.value}
    )
    enqueue(session, Kind.CUSTOMER_UNHAPPY, now=now, case_id=case.id, employee_id=employee.id, **target)


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
    case_id: int,
    recipient_id: int,
    sent_ref: dict[str, Any],
    now: datetime,
    **payload: Any,
) -> None:
    """Record a message an adapter sent directly, so later changes can update it in place."""
    delivery = enqueue(session, kind, now=now, recipient_id=recipient_id, case_id=case_id, **payload)
    delivery.status = DeliveryStatus.SENT
    delivery.sent_ref = sent_ref
    delivery.sent_at = now


# --- the dispatcher --------------------------------------------------------------------


@dataclass
class DispatchReport:
    """What one dispatcher pass did."""

    claimed: int = 0
    sent: int = 0
    skipped: int = 0
    retried: int = 0
    failed: int = 0


def claim_due(session: Session, *, now: datetime, limit: int, lease: timedelta = LEASE) -> list[int]:
    """Claim up to `limit` due deliveries for this worker and commit the claim."""
    due = or_(
        and_(Delivery.status == DeliveryStatus.PENDING, Delivery.due_at <= now),
        and_(Delivery.status == DeliveryStatus.SENDING, Delivery.lease_until < now),
    )
    candidates = (
        select(Delivery.id)
        .where(due)
        .order_by(Delivery.due_at, Delivery.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    stmt = (
        update(Delivery)
        .where(Delivery.id.in_(candidates.scalar_subquery()), due)
        .values(status=DeliveryStatus.SENDING, lease_until=now + lease, attempts=Delivery.attempts + 1)
        .returning(Delivery.id)
        .execution_options(synchronize_session=False)
    )
    ids = sorted(session.scalars(stmt).all())
    session.commit()
    return ids


def dispatch_due(
    *,
    sessions: sessionmaker[Session],
    notifier: Notifier,
    policy: Policy,
    clock: Clock,
    limit: int = 100,
) -> DispatchReport:
    """Send every due delivery (up to `limit`) through the notifier and record each outcome."""
    from bot.notices import render  # the notices import the use cases; keep this module light

    report = DispatchReport()
    with sessions() as session:
        ids = claim_due(session, now=clock.now(), limit=limit)
    report.claimed = len(ids)
    for delivery_id in ids:
        with sessions() as session:
            delivery = session.get(Delivery, delivery_id)
            if delivery is None or delivery.status != DeliveryStatus.SENDING:
                continue
            claim = delivery.attempts
            try:
                outgoing = render(session, delivery, policy=policy)
                recipient = _recipient(session, delivery, policy)
                target_ref = _target_ref(session, delivery)
            except Exception as exc:  # a bug in rendering must not stop other deliveries
                log.exception("cannot render delivery %s", delivery_id)
                outgoing, recipient, target_ref = None, None, None
                _finish(
                    session,
                    delivery_id,
                    claim,
                    clock,
                    policy,
                    error=SendError(f"cannot render: {exc}", permanent=True),
                    report=report,
                )
                continue
            session.commit()
        if outgoing is None or (delivery.kind == Kind.CARD_UPDATE and target_ref is None):
            with sessions() as session:
                _finish(session, delivery_id, claim, clock, policy, skipped=True, report=report)
            continue
        try:
            if delivery.kind == Kind.CARD_UPDATE:
                assert target_ref is not None
                notifier.update(target_ref, outgoing)
                sent_ref: dict[str, Any] | None = target_ref
            else:
                assert recipient is not None
                sent_ref = notifier.send(recipient, outgoing)
        except SendError as exc:
            with sessions() as session:
                _finish(session, delivery_id, claim, clock, policy, error=exc, report=report)
            continue
        except Exception as exc:
            log.exception("delivery %s failed", delivery_id)
            with sessions() as session:
                _finish(
                    session,
                    delivery_id,
                    claim,
                    clock,
                    policy,
                    error=SendError(repr(exc)),
                    report=report,
                )
            continue
        with sessions() as session:
            _finish(session, delivery_id, claim, clock, policy, sent_ref=sent_ref, report=report)
    return report


def _finish(
    session: Session,
    delivery_id: int,
    claim: int,
    clock: Clock,
    policy: Policy,
    *,
    sent_ref: dict[str, Any] | None = None,
    skipped: bool = False,
    error: SendError | None = None,
    report: DispatchReport,
) -> None:
    now = clock.now()
    values: dict[str, Any]
    if error is None:
        status = DeliveryStatus.SKIPPED if skipped else DeliveryStatus.SENT
        values = {"status": status, "sent_ref": sent_ref, "sent_at": now, "lease_until": None}
    elif error.retry_after is not None:
        # Rate limited: wait as asked; it does not count as a failed attempt.
        values = {
            "status": DeliveryStatus.PENDING,
            "lease_until": None,
            "last_error": str(error),
            "due_at": now + timedelta(seconds=error.retry_after),
            "attempts": Delivery.attempts - 1,
        }
    elif error.permanent or claim >= policy.deliveries.max_attempts:
        values = {"status": DeliveryStatus.FAILED, "lease_until": None, "last_error": str(error)}
    else:
        backoff = min(BACKOFF_BASE * 2 ** (claim - 1), BACKOFF_MAX)
        values = {
            "status": DeliveryStatus.PENDING,
            "lease_until": None,
            "last_error": str(error),
            "due_at": now + backoff,
        }
    # Only the holder of the current claim may record its outcome.
    result = session.execute(
        update(Delivery)
        .where(
            Delivery.id == delivery_id,
            Delivery.status == DeliveryStatus.SENDING,
            Delivery.attempts == claim,
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    if result.rowcount != 1:  # type: ignore[attr-defined]
        log.warning("delivery %s: claim %s expired before its outcome was recorded", delivery_id, claim)
        return
    if error is None:
        if skipped:
            report.skipped += 1
        else:
            report.sent += 1
    elif values["status"] == DeliveryStatus.FAILED:
        report.failed += 1
    else:
        report.retried += 1


def _recipient(session: Session, delivery: Delivery, policy: Policy) -> Recipient:
    if delivery.recipient_id is None:
        return Recipient(staff_id=None, name=delivery.channel or "", channel=delivery.channel)
    staff = queries.get_staff(session, delivery.recipient_id)
    assert staff is not None
    accounts = {
        identity.platform: {"user_id": identity.user_id, "address": identity.address}
        for identity in queries.list_identities(session, staff.id)
    }
    location = policy.locations.get(staff.location or "", policy.locations[policy.default_location])
    return Recipient(staff_id=staff.id, name=staff.name, accounts=accounts, timezone=location.timezone)


def _target_ref(session: Session, delivery: Delivery) -> dict[str, Any] | None:
    if delivery.kind != Kind.CARD_UPDATE:
        return None
    target = session.get(Delivery, delivery.payload["target_id"])
    return target.sent_ref if target is not None else None
