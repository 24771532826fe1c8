"""One entry point for every button and form, shared by Slack, Teams and the terminal."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from bot import approvals, cases, forms, lessons, messages, offers
from bot.audit import record
from bot.commands import (
    Actor,
    CancelCase,
    DecideApproval,
    GiveAmount,
    GiveOption,
    OpenCase,
    PostLesson,
    ReopenCase,
    ResolveCase,
)
from bot.errors import Conflict, MendError
from bot.follow_ups import FollowUpAnswer, answer_follow_up
from bot.ports import Clock
from bot.replies import ActionId, Form, Reply
from bot.staff import get_headroom, resolve_actor
from db import queries
from db.models import Offer
from policies.schema import Policy

_FOLLOW_UP = {
    ActionId.FOLLOW_UP_FIXED: FollowUpAnswer.FIXED,
    ActionId.FOLLOW_UP_UNHAPPY: FollowUpAnswer.UNHAPPY,
    ActionId.FOLLOW_UP_UNREACHABLE: FollowUpAnswer.UNREACHABLE,
}


def handle(
    action: ActionId | str,
    value: str,
    actor: Actor,
    inputs: Mapping[str, str] | None = None,
    *,
    session: Session,
    policy: Policy,
    clock: Clock,
    request_key: str | None = None,
) -> Reply | Form:
    """Carry out a click or a form submission; return the reply to show, or the next form."""
    try:
        action = ActionId(action)
    except ValueError:
        raise MendError(messages.bad_button()) from None
    data = dict(inputs or {})
    deps: dict[str, Any] = {"session": session, "policy": policy, "clock": clock}
    if action is ActionId.OPEN_CASE:
        fields = {
            k: data.get(k)
            for k in (
                "customer_name",
                "category",
                "severity",
                "description",
                "customer_ref",
                "customer_email",
                "customer_phone",
                "order_value",
                "tier",
            )
        }
        return cases.open_case(
            OpenCase(actor=actor, request_key=request_key, **fields),  # type: ignore[arg-type]
            **deps,
        ).reply
    if action is ActionId.SHOW_CASE:
        return cases.show_case(actor, _id(value), **deps).reply
    if action in (ActionId.GIVE_OPTION, ActionId.REQUEST_APPROVAL):
        case_id, rank = _pair(value)
        return offers.give_option(
            GiveOption(
                actor,
                case_id,
                rank,
                request_key=request_key,
                customer_waiting=data.get("customer_waiting") == "yes",
            ),
            **deps,
        )
    if action is ActionId.CHOOSE_AMOUNT:
        case = cases.get_case_or_fail(session, _id(value))
        staff = resolve_actor(session, actor, policy=policy, now=clock.now())
        room = get_headroom(session, staff, policy=policy, now=clock.now(), case_id=case.id)
        session.commit()
        return forms.amount_form(case, policy, room.available)
    if action is ActionId.GIVE_AMOUNT:
        return offers.give_amount(
            GiveAmount(
                actor,
                _id(value),
                data.get("amount", ""),
                data.get("type", ""),
                data.get("label"),
                request_key=request_key,
            ),
            **deps,
        )
    if action is ActionId.CUSTOMER_WAITING:
        return mark_customer_waiting(actor, _id(value), **deps)
    if action is ActionId.REVIEW_REQUEST:
        return approvals.show_request(actor, _id(value), **deps)
    if action is ActionId.APPROVE:
        return approvals.decide_approval(DecideApproval(actor, _id(value), approve=True), **deps)
    if action is ActionId.DENY:
        card = approvals.request_card(session, _id(value), policy=policy)
        return forms.deny_form(_id(value), card.fields[0].value if card.fields else "")
    if action is ActionId.DENY_WITH_REASON:
        return approvals.decide_approval(
            DecideApproval(actor, _id(value), approve=False, reason=data.get("reason")), **deps
        )
    if action is ActionId.RESOLVE:
        return forms.resolve_form(cases.get_case_or_fail(session, _id(value)))
    if action is ActionId.RESOLVE_CASE:
        return lessons.preview_lesson(
            ResolveCase(
                actor,
                _id(value),
                data.get("outcome", ""),
                data.get("root_cause", ""),
                data.get("lesson", ""),
            ),
            **deps,
        )
    if action is ActionId.POST_LESSON:
        return lessons.post_lesson(PostLesson(actor, _id(value), data), **deps)
    if action in (ActionId.REOPEN, ActionId.CANCEL):
        case = cases.get_case_or_fail(session, _id(value))
        return forms.reason_form(case, reopen=action is ActionId.REOPEN)
    if action is ActionId.REOPEN_CASE:
        return cases.reopen_case(ReopenCase(actor, _id(value), data.get("reason", "")), **deps).reply
    if action is ActionId.CANCEL_CASE:
        return cases.cancel_case(CancelCase(actor, _id(value), data.get("reason", "")), **deps)
    case_id, attempt = _pair(value)
    return answer_follow_up(actor, case_id, _FOLLOW_UP[action], attempt=attempt, **deps)


def mark_customer_waiting(
    actor: Actor, case_id: int, *, session: Session, policy: Policy, clock: Clock
) -> Reply:
    """Mark that the customer is waiting: the approval request is escalated in minutes, not hours."""
    now = clock.now()
    staff = resolve_actor(session, actor, policy=policy, now=now)
    case = cases.get_case_or_fail(session, case_id)
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


def _id(value: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise MendError(messages.bad_button()) from None


def _pair(value: str) -> tuple[int, int]:
    """Return the two numbers a button value starts with (a third, if any, only tells renderings apart)."""
    try:
        first, second, *_ = value.split(":")
        return int(first), int(second)
    except (AttributeError, ValueError):
        raise MendError(messages.bad_button()) from None
