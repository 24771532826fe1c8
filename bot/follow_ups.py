"""The follow-up: did the customer confirm it is fixed?"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot import deliveries, messages
from bot.audit import record
from bot.cases import get_case_or_fail
from bot.commands import Actor
from bot.errors import Conflict, NotAllowed
from bot.ports import Clock
from bot.quiet_hours import zone_of
from bot.replies import Reply
from bot.staff import management_chain, resolve_actor
from db import queries
from db.models import Case, CaseStatus, Delivery, DeliveryStatus, Staff
from policies.schema import Policy


class FollowUpAnswer(StrEnum):
    """What the employee heard back from the customer."""

    FIXED = "fixed"
    UNHAPPY = "unhappy"
    UNREACHABLE = "unreachable"


def answer_follow_up(
    actor: Actor,
    case_id: int,
    answer: FollowUpAnswer,
    *,
    attempt: int = 1,
    session: Session,
    policy: Policy,
    clock: Clock,
) -> Reply:
    """Close the case as recovered, reopen it and alert the manager, or ask again later."""
    now = clock.now()
    staff = resolve_actor(session, actor, policy=policy, now=now)
    case = get_case_or_fail(session, case_id, lock=True)
    if case.status != CaseStatus.RESOLVED:
        raise Conflict(messages.follow_up_already_answered(case))
    opener = queries.get_staff(session, case.opened_by_id)
    if opener is not None and staff.id != opener.id and staff not in management_chain(session, opener):
        raise NotAllowed(messages.follow_up_not_yours(case, opener.name))
    if not _asked(session, case):
        raise Conflict(messages.follow_up_not_asked_yet(case, _next_ask(session, case), _zone(staff, policy)))
    deliveries.cancel_pending(session, case_id=case.id, kinds=[deliveries.Kind.FOLLOW_UP], now=now)
    case.updated_at = now
    if answer is FollowUpAnswer.FIXED:
        case.status = CaseStatus.RECOVERED
    elif answer is FollowUpAnswer.UNHAPPY:
        case.status = CaseStatus.OPEN
        case.resolved_at = None
        deliveries.alert_manager(session, case, staff, policy=policy, now=now)
        deliveries.schedule_reminder(session, case, policy=policy, now=now)
    elif attempt < policy.follow_up.max_attempts:
        deliveries.schedule_follow_up(session, case, policy=policy, now=now, attempt=attempt + 1)
    record(
        session,
        action=f"follow_up_{answer.value}",
        at=now,
        platform=actor.platform,
        actor_id=staff.id,
        case_id=case.id,
        attempt=attempt,
    )
    session.commit()
    return messages.follow_up_recorded(case, answer.value, attempt, policy)


def _asked(session: Session, case: Case) -> bool:
    """Say whether Mend has asked about the case since it was last resolved."""
    sent = select(Delivery.id).where(
        Delivery.case_id == case.id,
        Delivery.kind == deliveries.Kind.FOLLOW_UP.value,
        Delivery.status == DeliveryStatus.SENT.value,
        Delivery.sent_at >= case.resolved_at,
    )
    return session.scalar(sent.limit(1)) is not None


def _next_ask(session: Session, case: Case) -> datetime | None:
    return session.scalar(
        select(func.min(Delivery.due_at)).where(
            Delivery.case_id == case.id,
            Delivery.kind == deliveries.Kind.FOLLOW_UP.value,
            Delivery.status == DeliveryStatus.PENDING.value,
        )
    )


def _zone(staff: Staff, policy: Policy) -> str:
    return zone_of(policy, staff.location)
