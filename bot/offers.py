"""Giving compensation: at once within the employee's authority, by approval beyond it."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot import deliveries, forms, i18n, messages
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
from policies.rules import Verdict, can_approve, judge
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
        label=messages.stored_name(option, policy),
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
        amount = parse_amount(cmd.amount or "", policy.currency, decimal_comma=i18n.decimal_comma())
    except AmountError as exc:
        raise InvalidInput(AMOUNT.name, messages.bad_amount(AMOUNT.name, exc)) from None
    try:
        kind = OptionType((cmd.type or "").strip().lower())
    except ValueError:
        raise InvalidInput(TYPE.name, messages.unknown_offer_type(cmd.type)) from None
    if kind is OptionType.APOLOGY_ONLY:
        raise InvalidInput(TYPE.name, messages.apology_has_no_amount())
    label = check_length(LABEL, (cmd.label or "").strip()) or messages.stored_name(kind, policy)
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
        return _made_before(session, done, policy=policy, now=now)
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
        if (done := _add(session, offer)) is not None:
            return _made_before(session, done, policy=policy, now=now)
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
    if (done := _add(session, offer)) is not None:
        return _made_before(session, done, policy=policy, now=now)
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
    reply = messages.approval_requested(case, offer, approver, verdict, room, policy)
    reply = replace(reply, keep=_sent_for_approval(request))
    session.commit()
    return reply


def _sent_for_approval(request: ApprovalRequest) -> Keep:
    """The employee's card saying the offer waits for approval: the decision will replace it."""
    return deliveries.card_copy(request, request.requested_by_id)


def _add(session: Session, offer: Offer) -> Offer | None:
    """Add the offer; if the same click made one meanwhile, roll back and return that one."""
    key = offer.request_key
    session.add(offer)
    try:
        session.flush()
    except IntegrityError:
        # The same click arrived twice at once: the other one made the offer.
        session.rollback()
        done = queries.get_offer_by_request_key(session, key) if key else None
        if done is None:
            raise Conflict(messages.duplicate_click()) from None
        return done
    return None


def _made_before(session: Session, offer: Offer, *, policy: Policy, now: datetime) -> Reply:
    """Answer a repeat of the click that made `offer` with what that click showed, as it stands now.

    A double click, or a platform's retry, then leaves the first answer in place (with its
    Resolve or Customer is waiting button) instead of replacing it with a notice.
    """
    case = get_case_or_fail(session, offer.case_id)
    giver = queries.get_staff(session, offer.given_by_id)
    assert giver is not None
    if offer.status == OfferStatus.GRANTED:
        room = get_headroom(session, giver, policy=policy, now=now, case_id=case.id)
        reply = messages.offer_granted(case, offer, room, policy)
        session.commit()
        return reply
    request = session.scalars(select(ApprovalRequest).where(ApprovalRequest.offer_id == offer.id)).first()
    decision = queries.get_decision(session, request.id) if request is not None else None
    decider = queries.get_staff(session, decision.decided_by_id) if decision is not None else None
    if request is not None and request.status == RequestStatus.PENDING:
        room = get_headroom(session, giver, policy=policy, now=now, case_id=case.id)
        approver = queries.get_staff(session, request.approver_id) if request.approver_id else None
        reply = messages.approval_requested(case, offer, approver, judge(offer.amount, room), room, policy)
        reply = replace(reply, keep=_sent_for_approval(request))  # a retry may show it somewhere new
    elif decision is not None and decider is not None:
        reply = messages.approval_decided(case, offer, decision, decider, policy)
    else:
        reply = messages.offer_already_made(case, offer, policy)
    session.commit()
    return reply


def choose_approver(session: Session, requester: Staff, amount: int, *, policy: Policy) -> Staff | None:
    """Return the nearest manager up the chain who may approve `amount`; None means the approver group."""
    for manager in management_chain(session, requester):
        if can_approve(policy, role=effective_role(manager, policy), amount=amount):
            return manager
    return None
