"""Opening, showing, resolving, reopening and cancelling recovery cases."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot import deliveries, fields, i18n, messages, tasks
from bot.audit import record
from bot.commands import Actor, CancelCase, OpenCase, ReopenCase
from bot.customers import customer_keys, first_name, keys_from_query
from bot.errors import Conflict, InvalidInput, NotFound
from bot.home import home_of
from bot.ports import Clock
from bot.quiet_hours import zone_of
from bot.replies import Reply
from bot.staff import effective_role, get_headroom, resolve_actor
from db import queries
from db.fast_insert import PreparedInsert
from db.models import (
    CASE_REF_OFFSET,
    ApprovalRequest,
    Case,
    CaseStatus,
    Offer,
    OfferStatus,
    RequestStatus,
    Staff,
    Task,
    TaskKind,
)
from policies.money import AmountError, parse_amount
from policies.rules import CaseFacts, Suggestion, suggest
from policies.schema import Policy, Severity

# bot/lessons.py checks the lesson's parts against these; the limits are the field specs'.
MAX_DESCRIPTION = fields.WHAT_HAPPENED.max_length
MAX_NOTE = fields.OUTCOME.max_length
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True)
class CaseShown:
    """A case card, and which case it is about."""

    case_id: int
    ref: str
    reply: Reply
    created: bool = False


# A new case is written with one prepared INSERT that returns its id: the ORM's flush of
# the same row cost about four times the CPU, on every case opened.
_insert_case = PreparedInsert(Case)


def parse_case_ref(text: str) -> int:
    """Return the case id for a reference such as R-1042 (or a bare number)."""
    match = re.fullmatch(r"\s*(?:R-?)?(\d{1,12})\s*", text, flags=re.IGNORECASE)
    if not match or int(match.group(1)) <= CASE_REF_OFFSET:
        raise InvalidInput("case", messages.bad_case_ref(text))
    return int(match.group(1)) - CASE_REF_OFFSET


def get_case_or_fail(session: Session, case_id: int, *, lock: bool = False) -> Case:
    """Return the case, or raise NotFound with a message that says so."""
    case = queries.get_case(session, case_id, lock=lock)
    if case is None:
        raise NotFound(messages.case_not_found(case_id + CASE_REF_OFFSET))
    return case


def open_case(cmd: OpenCase, *, session: Session, policy: Policy, clock: Clock) -> CaseShown:
    """Open a case, store it with its audit event, and return the suggestion card."""
    now = clock.now()
    fields = _validate(cmd, policy)
    # No lookup of the request key first: a repeated submission is rare, and the unique
    # constraint on it turns the repeat into an IntegrityError below, answered with the case.
    staff = resolve_actor(session, cmd.actor, policy=policy, now=now)
    keys = customer_keys(fields["customer_ref"], fields["customer_email"], fields["customer_phone"])
    earlier = queries.count_earlier_cases(
        session, ref_key=keys.ref, email_key=keys.email, phone_key=keys.phone
    )
    values = {
        **fields,
        "ref_key": keys.ref,
        "email_key": keys.email,
        "phone_key": keys.phone,
        "currency": policy.currency,
        "earlier_incidents": earlier,
        "status": CaseStatus.OPEN.value,
        "opened_by_id": staff.id,
        "platform": cmd.actor.platform,
        "request_key": cmd.request_key,
        "created_at": now,
        "updated_at": now,
    }
    try:
        case_id = _insert_case.returning_id(session, **values)
    except IntegrityError:
        # The same submission arrived again (a retry, or twice at once); the first made the case.
        # Rolling back the whole transaction also ends PostgreSQL's aborted one.
        session.rollback()
        existing = queries.get_case_by_request_key(session, cmd.request_key) if cmd.request_key else None
        if existing is None:
            raise
        return show_case(cmd.actor, existing.id, session=session, policy=policy, clock=clock)
    # The card is built from the values just written; the object is not added to the session,
    # so nothing writes it a second time.
    case = Case(id=case_id, **values)
    record(
        session,
        action="case_opened",
        at=now,
        platform=cmd.actor.platform,
        actor_id=staff.id,
        case_id=case.id,
        category=case.category,
        severity=case.severity,
        earlier_incidents=earlier,
    )
    deliveries.schedule_reminder(session, case, policy=policy, now=now)
    if earlier + 1 >= policy.learning.customer_again.incidents:  # else no call is due: skip the query
        tasks.on_opened(session, case, policy=policy, now=now)
    reply = case_card(session, case, staff, policy=policy, now=now, fresh=True)
    session.commit()
    return CaseShown(case_id=case.id, ref=case.ref, reply=reply, created=True)


def _validate(cmd: OpenCase, policy: Policy) -> dict:
    name = note(fields.CUSTOMER_NAME.name, cmd.customer_name)
    category = (cmd.category or "").strip()
    if category not in policy.categories:
        raise InvalidInput(fields.CATEGORY.name, messages.unknown_category(category, policy))
    try:
        severity = Severity((cmd.severity or "").strip().lower())
    except ValueError:
        raise InvalidInput(fields.SEVERITY.name, messages.unknown_severity(cmd.severity)) from None
    description = note(fields.DESCRIPTION.name, cmd.description)
    tier = (cmd.tier or "").strip().lower() or policy.adjustments.default_tier
    if tier not in policy.adjustments.tiers:
        raise InvalidInput(fields.TIER.name, messages.unknown_tier(tier, policy))
    email = _optional_text(fields.CUSTOMER_EMAIL, cmd.customer_email)
    if email and not _EMAIL.match(email):
        raise InvalidInput(fields.CUSTOMER_EMAIL.name, messages.bad_email(email))
    phone = _optional_text(fields.CUSTOMER_PHONE, cmd.customer_phone)
    if phone and len(re.sub(r"\D", "", phone)) < 7:
        raise InvalidInput(fields.CUSTOMER_PHONE.name, messages.bad_phone(phone))
    ref = _optional_text(fields.CUSTOMER_REF, cmd.customer_ref)
    asked_for = _optional_text(fields.ASKED_FOR, cmd.asked_for)
    order_value = None
    if (cmd.order_value or "").strip():
        try:
            comma = i18n.decimal_comma()
            order_value = parse_amount(cmd.order_value or "", policy.currency, decimal_comma=comma)
        except AmountError as exc:
            raise InvalidInput(
                fields.ORDER_VALUE.name, messages.bad_amount(fields.ORDER_VALUE.name, exc)
            ) from None
    return {
        "customer_name": name,
        "category": category,
        "severity": severity.value,
        "description": description,
        "asked_for": asked_for,
        "tier": tier,
        "customer_email": email,
        "customer_phone": phone,
        "customer_ref": ref,
        "order_value": order_value,
    }


def suggestion_for(
    session: Session, case: Case, staff: Staff, *, policy: Policy, now: datetime, fresh: bool = False
) -> Suggestion:
    """Return the policy's suggestion for a case, judged against this person's authority.

    `fresh` says the case was opened in this transaction, so nothing was given on it yet.
    """
    room = get_headroom(session, staff, policy=policy, now=now, case_id=None if fresh else case.id)
    facts = CaseFacts(
        category=case.category,
        severity=Severity(case.severity),
        tier=case.tier,
        customer_first_name=first_name(case.customer_name),
        employee_name=first_name(staff.name),
        what_happened=case.description,
        order_value=case.order_value,
        earlier_incidents=case.earlier_incidents,
    )
    return suggest(
        policy,
        facts,
        role=effective_role(staff, policy),
        spent=room.spent,
        given_on_case=room.given_on_case,
        language=i18n.language(),
    )


def case_card(
    session: Session, case: Case, viewer: Staff, *, policy: Policy, now: datetime, fresh: bool = False
) -> Reply:
    """Return the card a person sees for a case: the suggestion, the offers, what they can do.

    `fresh` says the case was opened in this transaction: no offers or requests to look up.
    """
    suggestion = suggestion_for(session, case, viewer, policy=policy, now=now, fresh=fresh)
    offers = [] if fresh else queries.list_offers(session, case.id)
    pending = None if fresh else queries.get_pending_request(session, case.id)
    people = _names(
        session,
        {o.given_by_id for o in offers}
        | {o.authorised_by_id or 0 for o in offers}
        | ({pending.approver_id or 0} if pending else set()),
    )
    return messages.case_card(
        case,
        suggestion,
        offers,
        pending,
        people,
        policy,
        zone=zone_of(policy, viewer.location),
        giveable=giveable_ranks(case, suggestion, pending),
        caller=_caller(session, case, policy),
    )


def _caller(session: Session, case: Case, policy: Policy) -> str | None:
    """Return who will call a customer let down again and again about this case, if anyone."""
    if case.earlier_incidents + 1 < policy.learning.customer_again.incidents:
        return None
    owner = session.scalar(
        select(Staff.name)
        .join(Task, Task.owner_id == Staff.id)
        .where(Task.case_id == case.id, Task.kind == TaskKind.CUSTOMER_AGAIN.value)
    )
    return owner


def giveable_ranks(case: Case, suggestion: Suggestion, pending: ApprovalRequest | None) -> frozenset[int]:
    """Return the ranks of the suggested options the viewer may give or ask approval for now.

    Nothing on a case that is not open. An option within the viewer's authority is given at
    once, so it stays available while a request waits; one over it would be a second request.
    """
    if case.status != CaseStatus.OPEN:
        return frozenset()
    return frozenset(o.rank for o in suggestion.options if o.within_authority or pending is None)


def show_case(actor: Actor, case_id: int, *, session: Session, policy: Policy, clock: Clock) -> CaseShown:
    """Return the current card of a case for the acting person."""
    now = clock.now()
    staff = resolve_actor(session, actor, policy=policy, now=now)
    case = get_case_or_fail(session, case_id)
    reply = case_card(session, case, staff, policy=policy, now=now)
    session.commit()
    return CaseShown(case_id=case.id, ref=case.ref, reply=reply)


def _names(session: Session, ids: set[int]) -> dict[int, str]:
    names = {}
    for staff_id in ids - {0}:
        staff = queries.get_staff(session, staff_id)
        if staff is not None:
            names[staff_id] = staff.name
    return names


def note(field: str, text: str | None, *, limit: int | None = None) -> str:
    """Return a required free-text answer, stripped, or raise InvalidInput saying what is wrong.

    The limit is the field spec's unless one is given.
    """
    spec = fields.BY_NAME[field]
    text = (text or "").strip()
    if not text:
        raise InvalidInput(field, messages.required(field))
    return check_length(spec if limit is None else replace(spec, max_length=limit), text)


def check_length(spec: fields.FieldSpec, text: str) -> str:
    """Return the text, or raise InvalidInput naming the field when it is longer than its spec allows."""
    if spec.max_length is not None and len(text) > spec.max_length:
        raise InvalidInput(spec.name, messages.too_long(spec.name, spec.max_length, len(text)))
    return text


def _optional_text(spec: fields.FieldSpec, text: str | None) -> str | None:
    text = (text or "").strip()
    return check_length(spec, text) if text else None


def reopen_case(cmd: ReopenCase, *, session: Session, policy: Policy, clock: Clock) -> CaseShown:
    """Open a resolved case again, with the reason on record, and cancel its follow-ups."""
    now = clock.now()
    reason = note("reason", cmd.reason)
    staff = resolve_actor(session, cmd.actor, policy=policy, now=now)
    case = get_case_or_fail(session, cmd.case_id, lock=True)
    if case.status not in (CaseStatus.RESOLVED, CaseStatus.RECOVERED):
        raise Conflict(messages.cannot_reopen(case))
    case.status = CaseStatus.OPEN
    case.updated_at = now
    case.resolved_at = None
    deliveries.cancel_pending(session, case_id=case.id, kinds=deliveries.FOLLOW_UP_KINDS, now=now)
    deliveries.schedule_reminder(session, case, policy=policy, now=now)
    record(
        session,
        action="case_reopened",
        at=now,
        platform=cmd.actor.platform,
        actor_id=staff.id,
        case_id=case.id,
        reason=reason,
    )
    reply = case_card(session, case, staff, policy=policy, now=now)
    session.commit()
    return CaseShown(case_id=case.id, ref=case.ref, reply=reply)


def cancel_case(cmd: CancelCase, *, session: Session, policy: Policy, clock: Clock) -> Reply:
    """Cancel an open case opened by mistake; a waiting approval request is withdrawn."""
    now = clock.now()
    reason = note("reason", cmd.reason)
    staff = resolve_actor(session, cmd.actor, policy=policy, now=now)
    case = get_case_or_fail(session, cmd.case_id, lock=True)
    if case.status != CaseStatus.OPEN:
        raise Conflict(messages.case_not_open(case))
    # Nothing queued for the case goes out any more; the updates queued below still do.
    deliveries.cancel_pending(session, case_id=case.id, kinds=None, now=now)
    pending = queries.get_pending_request(session, case.id)
    if pending is not None:
        pending.status = RequestStatus.WITHDRAWN
        offer = session.get(Offer, pending.offer_id)
        if offer is not None:
            offer.status = OfferStatus.WITHDRAWN
        # Every copy of the request's card (the approver's, one opened from App Home, the
        # employee's "sent for approval") is told it was withdrawn.
        deliveries.update_sent_cards(session, case_id=case.id, request_id=pending.id, now=now)
    case.status = CaseStatus.CANCELLED
    case.updated_at = now
    record(
        session,
        action="case_cancelled",
        at=now,
        platform=cmd.actor.platform,
        actor_id=staff.id,
        case_id=case.id,
        reason=reason,
    )
    session.commit()
    return messages.case_cancelled(case)


def customer_history(actor: Actor, query: str, *, session: Session, policy: Policy, clock: Clock) -> Reply:
    """Return a customer's earlier cases, found by reference, email, phone or exact name."""
    query = (query or "").strip()
    if not query:
        raise InvalidInput("customer", messages.history_needs_customer())
    if not fields.storable(query):
        raise InvalidInput("customer", messages.unreadable("customer"))
    viewer = resolve_actor(session, actor, policy=policy, now=clock.now())
    keys = keys_from_query(query)
    cases = queries.list_customer_cases(
        session, ref_key=keys.ref, email_key=keys.email, phone_key=keys.phone, name=query
    )
    session.commit()
    return messages.customer_history(query, cases, policy, zone=zone_of(policy, viewer.location))


def my_cases(actor: Actor, *, session: Session, policy: Policy, clock: Clock) -> Reply:
    """Return the acting person's open cases and what waits on them."""
    now = clock.now()
    staff = resolve_actor(session, actor, policy=policy, now=now)
    reply = home_of(session, staff, policy=policy, now=now)
    session.commit()
    return reply
