"""What each kind of delivery says, rendered from the current state when it is sent.

`RENDERERS` holds one function per `Kind`. Each reads its kind's payload through
one small typed view below and returns None when the delivery no longer needs
sending (the request was decided, the case changed), which the dispatcher records
as skipped. A kind without a renderer raises `UnknownDelivery`, which the
dispatcher dead-letters with that message: a forgotten kind is never a silent skip.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from bot import applause, i18n, languages, messages
from bot.approvals import request_card
from bot.deliveries import Channel, Kind
from bot.digest import digest_reply
from bot.home import home_for
from bot.lessons import redact_reply, redactor_for
from bot.practice import practice_notice
from bot.quiet_hours import location_of
from bot.reports import report_reply
from bot.review import review_card
from bot.staff import get_headroom
from bot.tasks import task_card
from db import queries
from db.models import ApprovalRequest, Case, CaseStatus, Delivery, Offer, RequestStatus, Staff, Task
from policies.schema import Policy

Renderer = Callable[[Session, Delivery, Policy], messages.Reply | None]


class UnknownDelivery(Exception):
    """A delivery of a kind that no renderer knows; the dispatcher dead-letters it."""


def render(
    session: Session, delivery: Delivery, *, policy: Policy, language: str | None = None
) -> messages.Reply | None:
    """Return the reply a delivery sends now, or None when it no longer needs sending.

    It is written in `language`, else its reader's (`bot.languages.of_delivery`).
    Whatever goes to the lessons channel passes the redactor here, whatever its kind.
    """
    with i18n.speaking(language or languages.of_delivery(session, delivery, policy=policy)):
        reply = _render(session, delivery, policy=policy)
    if reply is not None and delivery.channel == Channel.LESSONS:
        return redact_reply(reply, redactor_for(policy))
    return reply


def _render(session: Session, delivery: Delivery, *, policy: Policy) -> messages.Reply | None:
    try:
        renderer = RENDERERS[Kind(delivery.kind)]
    except (ValueError, KeyError):
        raise UnknownDelivery(f"no renderer for delivery kind {delivery.kind!r}") from None
    return renderer(session, delivery, policy)


# What each kind's payload holds, as stored (JSON, written by bot/deliveries.py);
# each is read here, in one place.


@dataclass(frozen=True)
class RequestPayload:
    """approval_request, approval_decided, fallback_offer: the approval request it is about."""

    request_id: int

    @classmethod
    def of(cls, delivery: Delivery) -> RequestPayload:
        """Read it from a delivery row."""
        return cls(request_id=delivery.payload["request_id"])


@dataclass(frozen=True)
class EscalatedPayload:
    """escalated: the request that went further up, and who did not answer it (if known)."""

    request_id: int
    silent_id: int | None

    @classmethod
    def of(cls, delivery: Delivery) -> EscalatedPayload:
        """Read it from a delivery row."""
        payload = delivery.payload
        return cls(request_id=payload["request_id"], silent_id=payload.get("silent_id") or None)


@dataclass(frozen=True)
class CardUpdatePayload:
    """card_update: the approval_request (or lesson) delivery whose sent card is updated."""

    target_id: int

    @classmethod
    def of(cls, delivery: Delivery) -> CardUpdatePayload:
        """Read it from a delivery row."""
        return cls(target_id=delivery.payload["target_id"])


@dataclass(frozen=True)
class FollowUpPayload:
    """follow_up: which attempt at reaching the employee this is (1 on rows that do not say)."""

    attempt: int

    @classmethod
    def of(cls, delivery: Delivery) -> FollowUpPayload:
        """Read it from a delivery row."""
        return cls(attempt=delivery.payload.get("attempt", 1))


@dataclass(frozen=True)
class CustomerUnhappyPayload:
    """customer_unhappy: the employee whose customer is still unhappy."""

    employee_id: int

    @classmethod
    def of(cls, delivery: Delivery) -> CustomerUnhappyPayload:
        """Read it from a delivery row."""
        return cls(employee_id=delivery.payload["employee_id"])


@dataclass(frozen=True)
class LessonPayload:
    """lesson: the anonymised lesson, field by field (category, what_happened, outcome, ...)."""

    lesson: dict[str, str]

    @classmethod
    def of(cls, delivery: Delivery) -> LessonPayload:
        """Read it from a delivery row."""
        return cls(lesson=delivery.payload["lesson"])


@dataclass(frozen=True)
class DigestPayload:
    """digest: the week covered (aware ISO times); its figures are read when it is sent."""

    since: datetime
    until: datetime

    @classmethod
    def of(cls, delivery: Delivery) -> DigestPayload:
        """Read it from a delivery row (a digest queued before `until` was stored covers 7 days)."""
        since = datetime.fromisoformat(delivery.payload["since"])
        until = delivery.payload.get("until")
        return cls(since=since, until=datetime.fromisoformat(until) if until else since + timedelta(days=7))


@dataclass(frozen=True)
class ReportPayload:
    """report: the period asked for (aware ISO times) and its name (week or month)."""

    since: datetime
    until: datetime
    span: str

    @classmethod
    def of(cls, delivery: Delivery) -> ReportPayload:
        """Read it from a delivery row."""
        payload = delivery.payload
        since, until = (datetime.fromisoformat(payload[end]) for end in ("since", "until"))
        return cls(since=since, until=until, span=payload.get("span", "week"))


# One renderer per kind.


def _approval_request(session: Session, delivery: Delivery, policy: Policy) -> messages.Reply | None:
    """The approval card for the approver; None once the request is no longer pending."""
    request = _pending_request(session, RequestPayload.of(delivery).request_id)
    if request is None:
        return None
    return request_card(session, request.id, policy=policy, viewer=_staff(session, delivery.recipient_id))


def _card_update(session: Session, delivery: Delivery, policy: Policy) -> messages.Reply | None:
    """The approval card (lesson, Home) as it stands now, to replace a sent one; None if that card is gone."""
    target = session.get(Delivery, CardUpdatePayload.of(delivery).target_id)
    if target is not None and target.kind == Kind.LESSON:
        return applause.lesson_card(session, LessonPayload.of(target).lesson, target.case_id, policy)
    if target is not None and target.kind == Kind.HOME:  # a Home card a Teams edge showed
        return home_for(session, target.recipient_id, policy=policy, now=delivery.due_at)
    if target is None or target.kind != Kind.APPROVAL_REQUEST:
        return None
    viewer = _staff(session, target.recipient_id)
    return request_card(session, RequestPayload.of(target).request_id, policy=policy, viewer=viewer)


def _approval_decided(session: Session, delivery: Delivery, policy: Policy) -> messages.Reply | None:
    """How the employee's request was decided; None if the request or its decision is gone."""
    request_id = RequestPayload.of(delivery).request_id
    request = queries.get_request(session, request_id)
    decision = queries.get_decision(session, request_id)
    if request is None or decision is None:
        return None
    offer = session.get(Offer, request.offer_id)
    case = queries.get_case(session, request.case_id)
    decider = queries.get_staff(session, decision.decided_by_id)
    assert offer is not None and case is not None and decider is not None
    return messages.approval_decided(case, offer, decision, decider, policy)


def _lesson(session: Session, delivery: Delivery, policy: Policy) -> messages.Reply | None:
    """The anonymised lesson for the lessons channel; never None."""
    return applause.lesson_card(session, LessonPayload.of(delivery).lesson, delivery.case_id, policy)


def _digest(session: Session, delivery: Delivery, policy: Policy) -> messages.Reply | None:
    """The week's figures, lessons and chart for the lessons channel; never None."""
    week = DigestPayload.of(delivery)
    return digest_reply(session, policy, week.since, week.until)


def _report(session: Session, delivery: Delivery, policy: Policy) -> messages.Reply | None:
    """The report a person asked for, made now; None if that person is gone."""
    viewer = _staff(session, delivery.recipient_id)
    if viewer is None:
        return None
    asked = ReportPayload.of(delivery)
    return report_reply(session, policy, viewer, asked.since, asked.until, asked.span)


def _task(session: Session, delivery: Delivery) -> Task | None:
    task_id = delivery.payload.get("task_id")
    return session.get(Task, task_id) if isinstance(task_id, int) else None


def _task_assigned(session: Session, delivery: Delivery, policy: Policy) -> messages.Reply | None:
    """The task for its owner; None once it is someone else's or closed."""
    task = _task(session, delivery)
    if task is None or task.owner_id != delivery.recipient_id or task.closed_at is not None:
        return None
    return task_card(session, task, _staff(session, delivery.recipient_id), policy)


def _task_reminder(session: Session, delivery: Delivery, policy: Policy) -> messages.Reply | None:
    """The task again when it is due; None if it was closed, handed over, or its due date moved."""
    task = _task(session, delivery)
    owner = _staff(session, delivery.recipient_id)
    if task is None or owner is None or task.owner_id != owner.id or task.closed_at is not None:
        return None
    if delivery.payload.get("due") != task.due_at.isoformat():
        return None
    card = task_card(session, task, owner, policy)
    return replace(card, title=messages.task_reminder(task, owner))


def _task_done(session: Session, delivery: Delivery, policy: Policy) -> messages.Reply | None:
    """Tell the lessons channel what was changed at the cause; None if the task is gone."""
    task = _task(session, delivery)
    if task is None:
        return None
    cases = [c for c in (queries.get_case(session, i) for i in task.case_ids) if c is not None]
    return messages.task_done_announcement(task, cases, _staff(session, task.owner_id), policy)


def _review(session: Session, delivery: Delivery, policy: Policy) -> messages.Reply | None:
    """A manager's review of their team's week (decisions that stood out); None if they or it are gone."""
    manager, week = _staff(session, delivery.recipient_id), delivery.payload.get("week")
    return review_card(session, manager.id, str(week), manager, policy) if manager and week else None


def _follow_up(session: Session, delivery: Delivery, policy: Policy) -> messages.Reply | None:
    """Ask the employee whether the customer confirmed the fix; None unless the case is still resolved."""
    case = _case(session, delivery)
    if case is None or case.status != CaseStatus.RESOLVED:
        return None
    zone = _zone(session, delivery.recipient_id, policy)
    return messages.follow_up(case, FollowUpPayload.of(delivery).attempt, policy, zone)


def _reminder(session: Session, delivery: Delivery, policy: Policy) -> messages.Reply | None:
    """Remind the owner of a case left open; None once the case is no longer open."""
    case = _case(session, delivery)
    if case is None or case.status != CaseStatus.OPEN:
        return None
    return messages.reminder(case, policy, _zone(session, delivery.recipient_id, policy))


def _escalated(session: Session, delivery: Delivery, policy: Policy) -> messages.Reply | None:
    """Tell the employee their request went further up; None once it is decided (or the case is gone)."""
    payload = EscalatedPayload.of(delivery)
    case = _case(session, delivery)
    request = _pending_request(session, payload.request_id)
    if case is None or request is None:
        return None
    offer = session.get(Offer, request.offer_id)
    approver = _staff(session, request.approver_id)
    silent = _staff(session, payload.silent_id)
    assert offer is not None
    return messages.request_escalated(
        case,
        offer,
        approver.name if approver else None,
        silent.name if silent else None,
        policy,
    )


def _fallback_offer(session: Session, delivery: Delivery, policy: Policy) -> messages.Reply | None:
    """Offer the employee what they may give on their own authority; None once decided."""
    from bot.escalations import fallback_options

    case = _case(session, delivery)
    request = _pending_request(session, RequestPayload.of(delivery).request_id)
    if case is None or request is None:
        return None
    options = fallback_options(session, request, policy=policy, now=delivery.due_at)
    if options:
        return messages.fallback_offer(case, options[:3], policy)
    # No suggested option fits: what they may still give, in an amount of their own choosing.
    requester = _staff(session, request.requested_by_id)
    if requester is None:
        return None
    room = get_headroom(session, requester, policy=policy, now=delivery.due_at, case_id=case.id)
    return messages.fallback_amount(case, room.available, policy)


def _customer_unhappy(session: Session, delivery: Delivery, policy: Policy) -> messages.Reply | None:
    """Tell a manager (or the approvers) a customer is still unhappy; None if the case is gone."""
    case = _case(session, delivery)
    if case is None:
        return None
    employee = _staff(session, CustomerUnhappyPayload.of(delivery).employee_id)
    return messages.customer_unhappy(case, employee.name if employee else "", policy)


def _practice(session: Session, delivery: Delivery, policy: Policy) -> messages.Reply | None:
    """A practice case: the week's to the lessons channel, or one to a person; None once reopened."""
    return practice_notice(session, delivery, policy)


def _home(session: Session, delivery: Delivery, policy: Policy) -> messages.Reply | None:
    """A person's Home as it stands now (Slack republishes its tab); None if that person is gone."""
    return home_for(session, delivery.recipient_id, policy=policy, now=delivery.due_at)


RENDERERS: dict[Kind, Renderer] = {
    Kind.APPROVAL_REQUEST: _approval_request,
    Kind.APPROVAL_DECIDED: _approval_decided,
    Kind.CARD_UPDATE: _card_update,
    Kind.LESSON: _lesson,
    Kind.FOLLOW_UP: _follow_up,
    Kind.REMINDER: _reminder,
    Kind.CUSTOMER_UNHAPPY: _customer_unhappy,
    Kind.ESCALATED: _escalated,
    Kind.FALLBACK_OFFER: _fallback_offer,
    Kind.DIGEST: _digest,
    Kind.REPORT: _report,
    Kind.TASK_ASSIGNED: _task_assigned,
    Kind.TASK_REMINDER: _task_reminder,
    Kind.TASK_DONE: _task_done,
    Kind.REVIEW: _review,
    Kind.PRACTICE: _practice,
    Kind.HOME: _home,
}


def _pending_request(session: Session, request_id: int) -> ApprovalRequest | None:
    request = queries.get_request(session, request_id)
    return request if request is not None and request.status == RequestStatus.PENDING else None


def _case(session: Session, delivery: Delivery) -> Case | None:
    return queries.get_case(session, delivery.case_id) if delivery.case_id else None


def _staff(session: Session, staff_id: int | None) -> Staff | None:
    return queries.get_staff(session, staff_id) if staff_id else None


def _zone(session: Session, staff_id: int | None, policy: Policy) -> str | None:
    staff = _staff(session, staff_id)
    return location_of(policy, staff.location).timezone if staff else None
