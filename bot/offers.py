"""Giving compensation: at once within the employee's authority, by approval beyond it."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot import deliveries, forms, messages
from bot.audit import record
from bot.cases import check_length, get_case_or_fail, suggestion_for
from bot.commands import Actor, GiveAmount, GiveOption
from bot.errors import Conflict, InvalidInput, NotAllowed
from bot.fields import AMOUNT, LABEL, OPTION, TYPE
from bot.ports import Clock
from bot.replies import Form, Keep, Reply
from bot.staff import effective_role, get_headroom, management_chain, resolve_actor
from db import queries
from db.models import ApprovalRequest, Case, CaseStatus, Offer, OfferStatus, RequestStatus, Staff
from policies.money import AmountError, parse_amount
from policies.rules import Verdict, can_approve, explain, judge, type_label
from policies.schema import OptionType, Policy


def give_option(cmd: GiveOption, *, session: Session, policy: Policy, clock: Clock) -> Reply:
    """Give the suggested option of the chosen rank, or ask approval when it is over the limit."""
    now = clock.now()
    staff = resolve_actor(session, cmd.actor, policy=policy, now=now)
    case = _open_case(session, cmd.case_id)
    options = suggestion_for(session, case, staff, policy=policy, now=now).options
    option = next((o for o in options if o.rank == cmd.rank), None)
    if option is None:
        raise InvalidInput(OPTION.name, messages.unknown_option(cmd.rank, len(options)))
    return _give(
        session,
        case,
        staff,
        cmd.actor,
        amount=option.amount,
        type=option.type,
        label=option.label,
        customer_waiting=cmd.customer_waiting,
        request_key=cmd.request_key,
        policy=policy,
        now=now,
    )


def amount_form_for(actor: Actor, case_id: int, *, session: Session, policy: Policy, clock: Clock) -> Form:
    """Return the form for another amount, saying how much is within the employee's authority."""
    now = clock.now()
    case = get_case_or_fail(session, case_id)
    staff = resolve_actor(session, actor, policy=policy, now=now)
    room = get_headroom(session, staff, policy=policy, now=now, case_id=case.id)
    session.commit()
    return forms.amount_form(case, policy, room.available)


def give_amount(cmd: GiveAmount, *, session: Session, policy: Policy, clock: Clock) -> Reply:
    """Give an amount the employee chose, or ask approval when it is over the limit."""
    now = clock.now()
    try:
        amount = parse_amount(cmd.amount or "", policy.currency)
    except AmountError as exc:
        raise InvalidInput(AMOUNT.name, messages.bad_amount(AMOUNT.name, str(exc))) from None
    try:
        kind = OptionType((cmd.type or "").strip().lower())
    except ValueError:
        raise InvalidInput(TYPE.name, messages.unknown_offer_type(cmd.type)) from None
    if kind is OptionType.APOLOGY_ONLY:
        raise InvalidInput(TYPE.name, messages.apology_has_no_amount())
    label = check_length(LABEL, (cmd.label or "").strip()) or type_label(kind)
    staff = resolve_actor(session, cmd.actor, policy=policy, now=now)
    case = _open_case(session, cmd.case_id)
    return _give(
        session,
        case,
        staff,
        cmd.actor,
        amount=amount,
        type=kind,
        label=label,
        customer_waiting=cmd.customer_waiting,
        request_key=cmd.request_key,
        policy=policy,
        now=now,
    )


def _open_case(session: Session, case_id: int) -> Case:
    case = get_case_or_fail(session, case_id, lock=True)
    if case.status != CaseStatus.OPEN:
        raise Conflict(messages.case_not_open(case))
    return case


def _give(
    session: Session,
    case: Case,
    staff: Staff,
    actor: Actor,
    *,
    amount: int,
    type: OptionType,
    label: str,
    customer_waiting: bool,
    request_key: str | None,
    policy: Policy,
    now: datetime,
) -> Reply:
    if request_key and (done := queries.get_offer_by_request_key(session, request_key)):
        again = messages.offer_already_made(case, done, policy)
        waiting = queries.get_pending_request(session, case.id)
        if waiting is not None and waiting.offer_id == done.id:
            again = replace(again, keep=_sent_for_approval(waiting))  # a retry shows it anew
        return again
    # Lock the giver so two offers at once cannot both fit the same budget.
    session.refresh(staff, with_for_update=True)
    room = get_headroom(session, staff, policy=policy, now=now, case_id=case.id)
    verdict = judge(amount, room)
    offer = Offer(
        case_id=case.id,
        type=type.value,
        label=label,
        amount=amount,
        currency=policy.currency,
        given_by_id=staff.id,
        request_key=request_key,
        created_at=now,
    )
    if verdict is Verdict.WITHIN:
        offer.status = OfferStatus.GRANTED
        offer.authorised_by_id = staff.id
        offer.granted_at = now
        _add(session, offer)
        record(
            session,
            action="offer_granted",
            at=now,
            platform=actor.platform,
            actor_id=staff.id,
            case_id=case.id,
            offer_id=offer.id,
            amount=amount,
            currency=policy.currency,
            type=type.value,
        )
        case.updated_at = now
        after = get_headroom(session, staff, policy=policy, now=now, case_id=case.id)
        reply = messages.offer_granted(case, offer, after, policy)
        session.commit()
        return reply
    if queries.get_pending_request(session, case.id) is not None:
        raise Conflict(messages.request_already_waiting(case))
    approver = choose_approver(session, staff, amount, policy=policy)
    group = queries.list_staff_by_emails(session, policy.approvals.group) if approver is None else []
    if approver is None and not group and not policy.approvals.in_channel:
        raise NotAllowed(messages.nobody_can_approve(amount, policy))
    offer.status = OfferStatus.PENDING_APPROVAL
    _add(session, offer)
    timeout = (
        policy.approvals.customer_waiting_timeout_minutes
        if customer_waiting
        else policy.approvals.timeout_minutes
    )
    request = ApprovalRequest(
        offer_id=offer.id,
        case_id=case.id,
        requested_by_id=staff.id,
        approver_id=approver.id if approver else None,
        level=0,
        customer_waiting=customer_waiting,
        status=RequestStatus.PENDING,
        due_at=now + timedelta(minutes=timeout),
        created_at=now,
    )
    session.add(request)
    session.flush()
    deliveries.request_approval(session, request, approver, group, policy=policy, now=now)
    record(
        session,
        action="approval_requested",
        at=now,
        platform=actor.platform,
        actor_id=staff.id,
        case_id=case.id,
        offer_id=offer.id,
        request_id=request.id,
        amount=amount,
        approver_id=request.approver_id,
        reason=verdict.value,
    )
    case.updated_at = now
    reply = messages.approval_requested(
        case, offer, approver, explain(verdict, room, policy.currency), policy
    )
    reply = replace(reply, keep=_sent_for_approval(request))
    session.commit()
    return reply


def _sent_for_approval(request: ApprovalRequest) -> Keep:
    """The employee's card saying the offer waits for approval: the decision will replace it."""
    return Keep(
        kind=deliveries.Kind.APPROVAL_REQUEST.value,
        case_id=request.case_id,
        recipient_id=request.requested_by_id,
        request_id=request.id,
    )


def _add(session: Session, offer: Offer) -> None:
    session.add(offer)
    try:
        session.flush()
    except IntegrityError:
        # The same click arrived twice at once: the other one made the offer.
        session.rollback()
        raise Conflict(messages.duplicate_click()) from None


def choose_approver(session: Session, requester: Staff, amount: int, *, policy: Policy) -> Staff | None:
    """Return the nearest manager up the chain who may approve `amount`; None means the approver group."""
    for manager in management_chain(session, requester):
        if can_approve(policy, role=effective_role(manager, policy), amount=amount):
            return manager
    return None
