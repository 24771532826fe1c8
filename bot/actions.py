"""One entry point for every button and form, shared by Slack, Teams and the terminal.

`ROUTES` maps each action to the use case it reaches; `tests/test_routes.py`
checks every action has one. What follows a lesson (tasks, review, practice) keeps
its routes in its own module, merged here.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy.orm import Session

from bot import approvals, cases, fields, forms, lessons, messages, offers
from bot.applause import APPLAUSE_ROUTES
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
from bot.errors import InvalidInput, MendError
from bot.follow_ups import FollowUpAnswer, answer_follow_up
from bot.ports import Clock
from bot.practice import PRACTICE_ROUTES
from bot.presses import Deps, Press, Route, given
from bot.replies import ActionId, Form, Reply
from bot.review import REVIEW_ROUTES
from bot.tasks import TASK_ROUTES
from bot.values import Target
from policies.schema import Policy

_CASE_INPUTS = (
    "customer_name",
    "category",
    "severity",
    "description",
    "asked_for",
    "customer_ref",
    "customer_email",
    "customer_phone",
    "order_value",
    "tier",
)


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
    route = ROUTES.get(action)
    if route is None:
        raise LookupError(f"no route for action {action!r}: add one to bot.actions.ROUTES")
    for name, text in (inputs or {}).items():
        if not fields.storable(text):
            raise InvalidInput(name, messages.unreadable(name))
    press = Press(actor, Target.decode(action, value), dict(inputs or {}), request_key)
    return route(press, Deps(session=session, policy=policy, clock=clock))


def _open_case(p: Press, d: Deps) -> Reply:
    fields = {name: p.inputs.get(name) for name in _CASE_INPUTS}
    cmd = OpenCase(actor=p.actor, request_key=p.request_key, **fields)  # type: ignore[arg-type]
    return cases.open_case(cmd, **d).reply


def _show_case(p: Press, d: Deps) -> Reply:
    return cases.show_case(p.actor, p.case_id, **d).reply


def _give_option(p: Press, d: Deps) -> Reply:
    waiting = p.inputs.get("customer_waiting") == "yes"
    rank = given(p.target.rank)
    cmd = GiveOption(p.actor, p.case_id, rank, request_key=p.request_key, customer_waiting=waiting)
    return offers.give_option(cmd, **d)


def _choose_amount(p: Press, d: Deps) -> Form:
    return offers.amount_form_for(p.actor, p.case_id, **d)


def _give_amount(p: Press, d: Deps) -> Reply:
    label = p.inputs.get("label")
    cmd = GiveAmount(p.actor, p.case_id, p.text("amount"), p.text("type"), label, request_key=p.request_key)
    return offers.give_amount(cmd, **d)


def _mark_customer_waiting(p: Press, d: Deps) -> Reply:
    return approvals.mark_customer_waiting(p.actor, p.case_id, **d)


def _review_request(p: Press, d: Deps) -> Reply:
    return approvals.show_request(p.actor, p.request_id, **d)


def _approve(p: Press, d: Deps) -> Reply:
    return approvals.decide_approval(DecideApproval(p.actor, p.request_id, approve=True), **d)


def _ask_why_denied(p: Press, d: Deps) -> Form:
    return approvals.deny_form_for(p.request_id, session=d["session"], policy=d["policy"])


def _deny(p: Press, d: Deps) -> Reply:
    cmd = DecideApproval(p.actor, p.request_id, approve=False, reason=p.inputs.get("reason"))
    return approvals.decide_approval(cmd, **d)


def _ask_how_resolved(p: Press, d: Deps) -> Form:
    return lessons.resolve_form_for(p.case_id, session=d["session"], policy=d["policy"])


def _preview_lesson(p: Press, d: Deps) -> Reply | Form:
    notes = (p.text("outcome"), p.text("root_cause"), p.text("lesson"))
    cmd = ResolveCase(p.actor, p.case_id, *notes, root_cause_key=p.text("root_cause_key") or None)
    return lessons.preview_lesson(cmd, **d)


def _post_lesson(p: Press, d: Deps) -> Reply | Form:
    return lessons.post_lesson(PostLesson(p.actor, p.case_id, dict(p.inputs)), **d)


def _ask_why_reopened(p: Press, d: Deps) -> Form:
    return forms.reason_form(cases.get_case_or_fail(d["session"], p.case_id), reopen=True)


def _reopen_case(p: Press, d: Deps) -> Reply:
    return cases.reopen_case(ReopenCase(p.actor, p.case_id, p.text("reason")), **d).reply


def _ask_why_cancelled(p: Press, d: Deps) -> Form:
    return forms.reason_form(cases.get_case_or_fail(d["session"], p.case_id), reopen=False)


def _cancel_case(p: Press, d: Deps) -> Reply:
    return cases.cancel_case(CancelCase(p.actor, p.case_id, p.text("reason")), **d)


def _answer_follow_up(answer: FollowUpAnswer) -> Route:
    def route(p: Press, d: Deps) -> Reply:
        return answer_follow_up(p.actor, p.case_id, answer, attempt=given(p.target.attempt), **d)

    return route


ROUTES: dict[ActionId, Route] = {
    ActionId.OPEN_CASE: _open_case,
    ActionId.SHOW_CASE: _show_case,
    ActionId.GIVE_OPTION: _give_option,
    ActionId.REQUEST_APPROVAL: _give_option,
    ActionId.CHOOSE_AMOUNT: _choose_amount,
    ActionId.GIVE_AMOUNT: _give_amount,
    ActionId.CUSTOMER_WAITING: _mark_customer_waiting,
    ActionId.REVIEW_REQUEST: _review_request,
    ActionId.APPROVE: _approve,
    ActionId.DENY: _ask_why_denied,
    ActionId.DENY_WITH_REASON: _deny,
    ActionId.RESOLVE: _ask_how_resolved,
    ActionId.RESOLVE_CASE: _preview_lesson,
    ActionId.POST_LESSON: _post_lesson,
    ActionId.REOPEN: _ask_why_reopened,
    ActionId.REOPEN_CASE: _reopen_case,
    ActionId.CANCEL: _ask_why_cancelled,
    ActionId.CANCEL_CASE: _cancel_case,
    ActionId.FOLLOW_UP_FIXED: _answer_follow_up(FollowUpAnswer.FIXED),
    ActionId.FOLLOW_UP_UNHAPPY: _answer_follow_up(FollowUpAnswer.UNHAPPY),
    ActionId.FOLLOW_UP_UNREACHABLE: _answer_follow_up(FollowUpAnswer.UNREACHABLE),
    **TASK_ROUTES,
    **REVIEW_ROUTES,
    **PRACTICE_ROUTES,
    **APPLAUSE_ROUTES,
}
