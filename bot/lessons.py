"""Resolving a case through its lesson: the resolver sees exactly what the team will read, then posts it.

Resolving is two steps. The resolver's notes are kept on the case and Mend shows
the lesson as it will be posted, every text passed through the redactor with the
case's own customer data. The resolver may edit it; an edit passes through the
redactor again, and if that removes anything more the lesson is shown once more,
so nothing reaches the channel that its author has not seen. Only then is the
case resolved, its follow-up scheduled and the lesson queued for the channel.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot import deliveries, fields, forms, i18n, messages, tasks
from bot.audit import record
from bot.cases import MAX_DESCRIPTION, MAX_NOTE, get_case_or_fail, note
from bot.commands import PostLesson, ResolveCase
from bot.errors import Conflict, InvalidInput
from bot.ports import Clock
from bot.quiet_hours import zone_of
from bot.redaction import CustomerData, Redactor
from bot.replies import Field, Form, Reply
from bot.staff import resolve_actor
from db import queries
from db.models import Case, CaseStatus, Delivery, DeliveryStatus, OfferStatus
from policies.learning import OTHER
from policies.schema import Policy

# The parts of a lesson, in the order the team reads them.
PARTS = ("what_happened", "outcome", "root_cause", "lesson")
_LIMITS = {"what_happened": MAX_DESCRIPTION, "outcome": MAX_NOTE, "root_cause": MAX_NOTE, "lesson": MAX_NOTE}
_REDACTORS: dict[int, tuple[Policy, Redactor]] = {}


def redactor_for(policy: Policy) -> Redactor:
    """Return the process's redactor for a policy (built once: it loads word lists)."""
    cached = _REDACTORS.get(id(policy))
    if cached is not None and cached[0] is policy:
        return cached[1]
    redactor = Redactor(
        region=policy.broadcast.region,
        patterns=policy.broadcast.private_patterns,
        vocabulary=policy_vocabulary(policy),
    )
    _REDACTORS.clear()
    _REDACTORS[id(policy)] = (policy, redactor)
    return redactor


def policy_vocabulary(policy: Policy) -> list[str]:
    """Return the policy's own names for things, which Mend writes into lessons and digests itself."""
    # In the channel's language: the lessons channel reads only that one (a longer list costs every text).
    words = [c.text(policy.channel_locale).label or c.label for c in policy.categories.values()]
    words += [label for causes in policy.learning.root_causes.values() for label in causes.values()]
    words += [role.label for role in policy.roles.values()]
    return words


def customer_data(case: Case, policy: Policy) -> CustomerData:
    """Return what the case knows of its customer, as far as the policy says to remove it."""
    keep = set(policy.broadcast.anonymise)
    return CustomerData(
        name=case.customer_name if "customer_name" in keep else None,
        email=case.customer_email if "customer_email" in keep else None,
        phone=case.customer_phone if "customer_phone" in keep else None,
        refs=(case.customer_ref,) if case.customer_ref and "customer_ref" in keep else (),
    )


def preview_lesson(cmd: ResolveCase, *, session: Session, policy: Policy, clock: Clock) -> Form:
    """Keep the resolver's notes on the case and return the lesson exactly as the team would read it."""
    now = clock.now()
    notes = {"outcome": cmd.outcome, "root_cause": cmd.root_cause, "lesson": cmd.lesson}
    notes = {name: note(name, text) for name, text in notes.items()}
    staff = resolve_actor(session, cmd.actor, policy=policy, now=now)
    case = get_case_or_fail(session, cmd.case_id, lock=True)
    _check_resolvable(session, case)
    case.outcome, case.root_cause, case.lesson = notes["outcome"], notes["root_cause"], notes["lesson"]
    case.root_cause_key = _cause(cmd.root_cause_key, case, policy)
    case.updated_at = now
    record(
        session,
        action="lesson_previewed",
        at=now,
        platform=cmd.actor.platform,
        actor_id=staff.id,
        case_id=case.id,
    )
    redactor, customer = redactor_for(policy), customer_data(case, policy)
    texts = {"what_happened": case.description, **notes}
    shown = {name: redactor.redact(text, customer).text for name, text in texts.items()}
    form = forms.lesson_form(
        case, shown, _compensation(session, case, policy), policy, asked_for=_asked_for(case, policy)
    )
    session.commit()
    return form


def post_lesson(cmd: PostLesson, *, session: Session, policy: Policy, clock: Clock) -> Reply | Form:
    """Resolve the case and post the lesson its resolver approved; show it again if Mend removed more."""
    now = clock.now()
    texts = {name: note(name, cmd.texts.get(name), limit=_LIMITS[name]) for name in PARTS}
    staff = resolve_actor(session, cmd.actor, policy=policy, now=now)
    case = get_case_or_fail(session, cmd.case_id, lock=True)
    if case.status == CaseStatus.RESOLVED:  # the same submission, pressed twice
        return messages.case_resolved(case, _follow_up_due(session, case), zone_of(policy, staff.location))
    _check_resolvable(session, case)
    redactor, customer = redactor_for(policy), customer_data(case, policy)
    cleaned = {name: redactor.redact(text, customer).text for name, text in texts.items()}
    compensation = _compensation(session, case, policy)
    if cleaned != texts:
        session.commit()  # nothing changed; ends the transaction that locked the case
        asked_for = _asked_for(case, policy)
        return forms.lesson_form(case, cleaned, compensation, policy, removed_more=True, asked_for=asked_for)
    case.status = CaseStatus.RESOLVED
    case.resolved_at = case.updated_at = now
    record(
        session,
        action="case_resolved",
        at=now,
        platform=cmd.actor.platform,
        actor_id=staff.id,
        case_id=case.id,
    )
    lesson = {"ref": case.ref, "category": case.category, "severity": case.severity, **cleaned}
    lesson["compensation"] = compensation
    lesson["asked_for"] = _asked_for(case, policy)
    deliveries.broadcast_lesson(session, case, lesson, policy=policy, now=now)
    tasks.on_resolved(session, case, policy=policy, now=now)
    asks_at = deliveries.schedule_follow_up(session, case, policy=policy, now=now, attempt=1)
    session.commit()
    return messages.case_resolved(case, asks_at, zone_of(policy, staff.location))


def _follow_up_due(session: Session, case: Case) -> datetime | None:
    pending = select(func.min(Delivery.due_at)).where(
        Delivery.case_id == case.id,
        Delivery.kind == deliveries.Kind.FOLLOW_UP.value,
        Delivery.status == DeliveryStatus.PENDING.value,
    )
    return session.scalar(pending)


def resolve_form_for(case_id: int, *, session: Session, policy: Policy) -> Form:
    """Return the form that asks how a case was resolved, or say first why it cannot be."""
    case = get_case_or_fail(session, case_id)
    _check_resolvable(session, case)
    return forms.resolve_form(case, policy)


def _cause(key: str | None, case: Case, policy: Policy) -> str:
    """Return the kind of root cause chosen, one of the category's (an old form's none is "other")."""
    causes = messages.root_causes(case.category, policy)
    chosen = (key or "").strip() or OTHER
    if chosen not in causes:
        raise InvalidInput(
            fields.ROOT_CAUSE_KEY.name, messages.unknown_root_cause(chosen, list(causes.values()))
        )
    return chosen


def _check_resolvable(session: Session, case: Case) -> None:
    if case.status != CaseStatus.OPEN:
        raise Conflict(messages.case_not_open(case))
    pending = queries.get_pending_request(session, case.id)
    if pending is not None:
        approver = queries.get_staff(session, pending.approver_id) if pending.approver_id else None
        raise Conflict(messages.resolve_while_pending(case, approver))


def _compensation(session: Session, case: Case, policy: Policy) -> str:
    """Return what the customer was given, as the team reads it: in the channel's language."""
    given = [
        o
        for o in queries.list_offers(session, case.id)
        if o.status in (OfferStatus.GRANTED, OfferStatus.APPROVED)
    ]
    if not given:
        return ""
    with i18n.speaking(policy.channel_locale):
        summary = messages.offers_summary(given, policy)
    return redactor_for(policy).redact(summary, customer_data(case, policy)).text


def _asked_for(case: Case, policy: Policy) -> str:
    """Return what the customer asked for, as the team reads it: redacted with the case's customer data."""
    if not case.asked_for:
        return ""
    return redactor_for(policy).redact(case.asked_for, customer_data(case, policy)).text


def redact_reply(reply: Reply, redactor: Redactor) -> Reply:
    """Return a reply with every text in it passed through the redactor (for channel posts)."""

    def clean(text: str) -> str:
        return redactor.redact(text).text if text else text

    return replace(
        reply,
        title=clean(reply.title),
        text=clean(reply.text),
        note=clean(reply.note),
        fields=tuple(Field(clean(f.label), clean(f.value)) for f in reply.fields),
        items=tuple(replace(i, title=clean(i.title), detail=clean(i.detail)) for i in reply.items),
    )
