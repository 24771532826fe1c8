"""The follow-up: did the customer confirm it is fixed?"""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy.orm import Session

from bot import deliveries, messages
from bot.audit import record
from bot.cases import get_case_or_fail
from bot.commands import Actor
from bot.errors import Conflict
from bot.ports import Clock
from bot.replies import Reply
from bot.staff import resolve_actor
from db.models import CaseStatus
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
