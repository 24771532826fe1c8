"""Recognition: anyone may applaud a lesson, once, and the digest names the recoveries to copy.

An applause is one row per person and case (`applause`, unique on both), so a
second press, a double click or a retried request changes nothing. Pressing
Applaud answers with the lesson as it now stands, with how many applauded: every
platform shows a click's answer in place of the message clicked, so the copy the
person pressed shows the new count at once. Every posted copy of the case's lesson
(other workspaces, the other platform) is then updated the way an approval card
is: a `card_update` delivery that names the lesson's delivery, rendered when it is
sent from the lesson stored clean and the count at that moment, through the
lesson redactor like any post to the lessons channel (`bot.notices.render`).

The weekly digest names the lessons the team applauded most (of cases resolved in
the last four weeks) and the recoveries confirmed fixed fastest (from opening the
case to the customer's confirmation, among those confirmed in the week).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot import deliveries, messages
from bot.audit import record
from bot.cases import get_case_or_fail
from bot.commands import Actor
from bot.deliveries import Kind
from bot.errors import NotFound
from bot.lessons import redact_reply, redactor_for
from bot.measures import Period
from bot.ports import Clock
from bot.presses import Deps, Press, Route
from bot.replies import ActionId, Reply
from bot.staff import resolve_actor
from db.aggregates import seconds_between
from db.learning import Applause
from db.models import AuditEvent, Case, CaseStatus, Delivery, DeliveryStatus
from policies.schema import Policy

_CLOSED = (CaseStatus.RESOLVED.value, CaseStatus.RECOVERED.value)


def count_applause(session: Session, case_id: int) -> int:
    """Return how many people applauded a case's lesson."""
    return session.scalar(select(func.count()).select_from(Applause).where(Applause.case_id == case_id)) or 0


def lesson_card(session: Session, lesson: dict[str, str], case_id: int | None, policy: Policy) -> Reply:
    """Return a posted lesson as the channel reads it now: its Applaud button and how many applauded."""
    applauded = count_applause(session, case_id) if case_id is not None else 0
    return messages.lesson(lesson, policy, case_id=case_id, applauded=applauded)


def applaud(actor: Actor, case_id: int, *, session: Session, policy: Policy, clock: Clock) -> Reply:
    """Record one person's applause for a case's lesson (once) and update every posted copy of it.

    Return the lesson with its count, redacted as the channel reads it: it replaces the
    message pressed. A second press by the same person returns it unchanged.
    """
    now = clock.now()
    staff = resolve_actor(session, actor, policy=policy, now=now)
    case = get_case_or_fail(session, case_id)
    posted = list(
        session.scalars(
            select(Delivery)
            .where(Delivery.case_id == case.id, Delivery.kind == Kind.LESSON.value)
            .order_by(Delivery.id)
        )
    )
    if not posted:
        raise NotFound(messages.no_lesson_to_applaud(case.ref))
    try:
        with session.begin_nested():
            session.add(Applause(case_id=case.id, staff_id=staff.id, created_at=now))
            session.flush()
    except IntegrityError:
        pass  # they applauded before (or a double click got there first): one applause each
    else:
        record(
            session,
            action="lesson_applauded",
            at=now,
            platform=actor.platform,
            actor_id=staff.id,
            case_id=case.id,
        )
        for lesson in posted:
            _update_copies(session, lesson, now=now)
    session.commit()
    reply = lesson_card(session, posted[-1].payload["lesson"], case.id, policy)
    return redact_reply(reply, redactor_for(policy))


def _update_copies(session: Session, lesson: Delivery, *, now: datetime) -> None:
    """Queue an update of a lesson sent (or being sent); one not sent yet shows the count when it goes."""
    sent = lesson.status == DeliveryStatus.SENT and lesson.sent_ref is not None
    if not sent and lesson.status != DeliveryStatus.SENDING:
        return
    deliveries.enqueue(
        session,
        Kind.CARD_UPDATE,
        now=now,
        recipient_id=lesson.recipient_id,
        channel=lesson.channel,
        case_id=lesson.case_id,
        target_id=lesson.id,
    )


@dataclass(frozen=True)
class Recognised:
    """A recovery the digest names: its case, its kind, and its figure (applause, or seconds to fixed)."""

    case_id: int
    category: str
    figure: float


def list_most_applauded(session: Session, period: Period, *, limit: int = 3) -> list[Recognised]:
    """Return the lessons of cases resolved in `period` the team applauded most, with how many did."""
    applauded = func.count(Applause.id).label("applauded")
    rows = session.execute(
        select(Case.id, Case.category, applauded)
        .join(Applause, Applause.case_id == Case.id)
        .where(Case.resolved_at >= period.since, Case.resolved_at < period.until, Case.status.in_(_CLOSED))
        .group_by(Case.id, Case.category)
        .order_by(applauded.desc(), Case.id)
        .limit(limit)
    ).all()
    return [Recognised(case_id=i, category=c, figure=float(n)) for i, c, n in rows]


def list_fixed_fastest(session: Session, period: Period, *, limit: int = 3) -> list[Recognised]:
    """Return the cases confirmed fixed in `period` soonest after they were opened, with the seconds taken."""
    took = seconds_between(func.min(AuditEvent.at), Case.created_at).label("took")
    rows = session.execute(
        select(Case.id, Case.category, took)
        .join(AuditEvent, AuditEvent.case_id == Case.id)
        .where(AuditEvent.action == "follow_up_fixed", AuditEvent.at >= period.since)
        .where(AuditEvent.at < period.until, Case.status == CaseStatus.RECOVERED.value)
        .group_by(Case.id, Case.category, Case.created_at)
        .order_by(took, Case.id)
        .limit(limit)
    ).all()
    return [Recognised(case_id=i, category=c, figure=float(s)) for i, c, s in rows]


def _applaud(p: Press, d: Deps) -> Reply:
    return applaud(p.actor, p.case_id, **d)


APPLAUSE_ROUTES: dict[ActionId, Route] = {ActionId.APPLAUD: _applaud}
