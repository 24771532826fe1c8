"""Practice on real cases: a colleague's resolved case, anonymised, to answer before seeing what was done.

A practice case is a resolved (or recovered) case with a lesson, opened by someone
else, whose category the policy still knows. Mend prefers one the person has not
practised yet, then one from their own location (the opener's), then any at random.
It is shown as a lesson is: the description passes the redactor with the case's own
customer data. The person chooses what they would offer among the options the policy
suggests for *them* (their role and authority), or an apology only, and writes their
apology. Answering records a completed `PracticeAttempt`; it never makes an offer, so
nothing counts against anyone's budget. Then Mend shows what was actually done, the
follow-up's result and the policy's own apology and fix.

Where it starts: the Teams word `practice` answers with the case in the personal chat,
Slack's `/recover practice` (whose answer is ephemeral and cannot be updated later)
sends it as a message from Mend, and the terminal's `/practice` opens its form at once.
When the policy turns it on, the lessons channel gets a practice case each Monday; its
"Try it" button sends that same case to the presser's chat with Mend, so nobody answers
in front of the channel.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, func, select
from sqlalchemy import case as when_then
from sqlalchemy.orm import Session, aliased

from bot import deliveries, i18n, messages
from bot.cases import get_case_or_fail, suggestion_for
from bot.commands import Actor
from bot.deliveries import Channel, Kind
from bot.errors import InvalidInput, NotAllowed
from bot.fields import FieldSpec
from bot.forms import field_input
from bot.i18n import N_, _
from bot.lessons import customer_data, redact_reply, redactor_for
from bot.measures import practised  # noqa: F401 - counted with the measures; also read as practice.practised
from bot.messages.practice import APOLOGY_ONLY, FORM_SUBMIT, FORM_TITLE, HowItWasHandled, PracticeFacts
from bot.ports import Clock
from bot.presses import Deps, Press, Route
from bot.quiet_hours import monday_of
from bot.replies import ActionId, Choice, Form, InputKind, Reply
from bot.staff import resolve_actor
from bot.values import Target
from db import queries
from db.learning import PracticeAttempt
from db.models import AuditEvent, Case, CaseStatus, Delivery, OfferStatus, Staff
from policies.schema import OptionType, Policy

# Named so that an error about either reads as its label does: "Your apology is required".
OFFER = FieldSpec(
    "your_offer", N_("Your offer"), kind=InputKind.CHOICE, hint=N_("What you would give this customer")
)
APOLOGY = FieldSpec(
    "your_apology",
    N_("Your apology"),
    2000,
    InputKind.LONG_TEXT,
    hint=N_("In your own words, as you would say it to the customer"),
)
NO_COMPENSATION = "apology"  # the choice of an apology (and the fix) without compensation
SEND_AT = time(9, 0)  # the weekly practice case, on Mondays in the lessons channel's time zone
SAME_ANSWER_WITHIN = timedelta(minutes=10)  # the same answer again this soon is one submission
_DONE = (CaseStatus.RESOLVED.value, CaseStatus.RECOVERED.value)
# Shown instead of the customer's name where the policy's apology greets them.
_NEUTRAL = {
    # Translators: stands for the customer's name in the policy's apology, shown in practice.
    "first_name": N_("[customer]"),
    # Translators: stands for the employee's own name in the policy's apology, shown in practice.
    "employee": N_("[your name]"),
}


# --- which case --------------------------------------------------------------------------


def choose_case(session: Session, person: Staff, policy: Policy) -> Case | None:
    """Return a case for a person to practise on: not theirs, not practised, from their location first."""
    opener = aliased(Staff)
    default = policy.default_location
    here = func.coalesce(opener.location, default) == (person.location or default)
    done_before = (
        select(PracticeAttempt.id)
        .where(
            PracticeAttempt.case_id == Case.id,
            PracticeAttempt.staff_id == person.id,
            PracticeAttempt.completed_at.is_not(None),
        )
        .exists()
    )
    query = (
        select(Case)
        .join(opener, opener.id == Case.opened_by_id)
        .where(*_practisable(policy), Case.opened_by_id != person.id)
        .order_by(when_then((done_before, 1), else_=0), when_then((here, 0), else_=1), func.random())
        .limit(1)
    )
    return session.scalars(query).first()


def _practisable(policy: Policy) -> tuple[ColumnElement[bool], ...]:
    done = (Case.status.in_(_DONE), Case.lesson.is_not(None), Case.lesson != "")
    return (*done, Case.category.in_(sorted(policy.categories)))


def _still_practisable(case: Case, policy: Policy) -> bool:
    return case.status in _DONE and bool(case.lesson) and case.category in policy.categories


def _case_for(session: Session, case_id: int, person: Staff, policy: Policy) -> Case:
    """Return the case if this person may practise on it; else say why not."""
    case = get_case_or_fail(session, case_id)
    if case.opened_by_id == person.id:
        raise NotAllowed(messages.practice_own_case())
    if not _still_practisable(case, policy):
        raise NotAllowed(messages.practice_case_gone())
    return case


def facts_of(case: Case, policy: Policy) -> PracticeFacts:
    """Return what a practice case shows, its description passed through the lesson redactor."""
    what = redactor_for(policy).redact(case.description, customer_data(case, policy)).text
    return PracticeFacts(case.id, what, case.category, case.severity, case.tier, case.earlier_incidents)


# --- where it starts ---------------------------------------------------------------------


def practice_case(actor: Actor, _text: str = "", *, session: Session, policy: Policy, clock: Clock) -> Reply:
    """Return a case to practise on, with the button that opens its form (or say there is none)."""
    person = resolve_actor(session, actor, policy=policy, now=clock.now())
    case = choose_case(session, person, policy)
    session.commit()
    if case is None:
        return messages.no_practice_case()
    return messages.practice_case(facts_of(case, policy), policy)


def send_practice_case(
    actor: Actor, _text: str = "", *, session: Session, policy: Policy, clock: Clock
) -> Reply:
    """Send a case to practise on to the person's chat with Mend; say it is on its way (or there is none)."""
    now = clock.now()
    person = resolve_actor(session, actor, policy=policy, now=now)
    case = choose_case(session, person, policy)
    if case is not None:
        deliveries.enqueue(session, Kind.PRACTICE, now=now, recipient_id=person.id, case_id=case.id)
    session.commit()
    return messages.no_practice_case() if case is None else messages.practice_on_its_way()


def practice_form(session: Session, case: Case, person: Staff, policy: Policy, now: datetime) -> Form:
    """Return the form for one case, noting it was served (once, until it is answered)."""
    choices = _choices(session, case, person, policy, now)
    served = _open_attempt(session, person, case)
    if served is None:
        session.add(PracticeAttempt(staff_id=person.id, case_id=case.id, created_at=now))
    return Form(
        title=_(FORM_TITLE),
        action=ActionId.PRACTICE_ANSWER,
        value=Target(case_id=case.id).encode(),
        submit_label=_(FORM_SUBMIT),
        intro=messages.practice_intro(),
        fields=messages.practice_facts(facts_of(case, policy), policy),
        inputs=(
            field_input(OFFER, choices=tuple(Choice(value, label) for value, label in choices.items())),
            field_input(APOLOGY),
        ),
    )


def _choices(session: Session, case: Case, person: Staff, policy: Policy, now: datetime) -> dict[str, str]:
    """Return what this person could offer on the case, by option rank, and an apology only last."""
    suggestion = suggestion_for(session, case, person, policy=policy, now=now, fresh=True)
    choices = {
        str(o.rank): messages.practice_option(
            messages.option_name(o), messages.money(o.amount, policy), within=o.within_authority
        )
        for o in suggestion.options
        if o.type is not OptionType.APOLOGY_ONLY
    }
    choices[NO_COMPENSATION] = _(APOLOGY_ONLY)
    return choices


def _open_attempt(session: Session, person: Staff, case: Case) -> PracticeAttempt | None:
    query = (
        select(PracticeAttempt)
        .where(
            PracticeAttempt.staff_id == person.id,
            PracticeAttempt.case_id == case.id,
            PracticeAttempt.completed_at.is_(None),
        )
        .order_by(PracticeAttempt.created_at.desc(), PracticeAttempt.id.desc())
        .limit(1)
    )
    return session.scalars(query.with_for_update()).first()


# --- the routes --------------------------------------------------------------------------


def _open(p: Press, d: Deps) -> Form:
    now = d["clock"].now()
    person = resolve_actor(d["session"], p.actor, policy=d["policy"], now=now)
    case = _case_for(d["session"], p.case_id, person, d["policy"])
    form = practice_form(d["session"], case, person, d["policy"], now)
    d["session"].commit()
    return form


def _next(p: Press, d: Deps) -> Form | Reply:
    now = d["clock"].now()
    person = resolve_actor(d["session"], p.actor, policy=d["policy"], now=now)
    case = choose_case(d["session"], person, d["policy"])
    reply: Form | Reply = messages.no_practice_case()
    if case is not None:
        reply = practice_form(d["session"], case, person, d["policy"], now)
    d["session"].commit()
    return reply


def _try(p: Press, d: Deps) -> Reply:
    """Send the channel's practice case to the presser's chat with Mend; the channel's post stays as it is."""
    session, policy, now = d["session"], d["policy"], d["clock"].now()
    person = resolve_actor(session, p.actor, policy=policy, now=now)
    case = _case_for(session, p.case_id, person, policy)
    if p.request_key:  # a double click sends it once
        key = f"practice:{p.request_key}"
        deliveries.enqueue_once(
            session, Kind.PRACTICE, now=now, dedupe_key=key, recipient_id=person.id, case_id=case.id
        )
    else:
        deliveries.enqueue(session, Kind.PRACTICE, now=now, recipient_id=person.id, case_id=case.id)
    session.commit()
    return weekly_card(case, policy)


def _answer(p: Press, d: Deps) -> Reply:
    session, policy, now = d["session"], d["policy"], d["clock"].now()
    person = resolve_actor(session, p.actor, policy=policy, now=now)
    case = _case_for(session, p.case_id, person, policy)
    choices = _choices(session, case, person, policy, now)
    chosen = choices.get(p.text(OFFER.name).strip())
    if chosen is None:
        raise InvalidInput(OFFER.name, messages.practice_unknown_offer(list(choices.values())))
    apology = p.text(APOLOGY.name).strip()
    if not apology:
        raise InvalidInput(APOLOGY.name, messages.required(APOLOGY.name))
    if len(apology) > (APOLOGY.max_length or 0):
        raise InvalidInput(
            APOLOGY.name, messages.too_long(APOLOGY.name, APOLOGY.max_length or 0, len(apology))
        )
    _complete(session, person, case, chosen[:200], apology, now)
    reply = messages.practice_result(chosen, apology, how_it_was_handled(session, case, policy))
    session.commit()
    return reply


def _complete(session: Session, person: Staff, case: Case, offer: str, apology: str, now: datetime) -> None:
    """Record the answer on the attempt served, or a new one; the same answer just given is recorded once."""
    attempt = _open_attempt(session, person, case)
    if attempt is None:
        again = select(PracticeAttempt.id).where(
            PracticeAttempt.staff_id == person.id,
            PracticeAttempt.case_id == case.id,
            PracticeAttempt.completed_at >= now - SAME_ANSWER_WITHIN,
            PracticeAttempt.offer == offer,
            PracticeAttempt.apology == apology,
        )
        if session.scalar(again.limit(1)) is not None:
            return
        attempt = PracticeAttempt(staff_id=person.id, case_id=case.id, created_at=now)
        session.add(attempt)
    attempt.offer, attempt.apology, attempt.completed_at = offer, apology, now


# --- what was done -----------------------------------------------------------------------


def how_it_was_handled(session: Session, case: Case, policy: Policy) -> HowItWasHandled:
    """Return what was given and done on the case, its follow-up and the policy's guidance, redacted."""
    redactor, customer = redactor_for(policy), customer_data(case, policy)

    def clean(text: str | None) -> str:
        return redactor.redact(text, customer).text if text else ""

    given = [
        o
        for o in queries.list_offers(session, case.id)
        if o.status in (OfferStatus.GRANTED, OfferStatus.APPROVED)
    ]
    words = policy.categories[case.category].text(i18n.language())
    values = {
        **{name: _(stand_in) for name, stand_in in _NEUTRAL.items()},
        "category": (words.label or "").lower(),
        "what_happened": clean(case.description),
    }
    return HowItWasHandled(
        given=clean(messages.offers_summary(given, policy)) if given else "",
        outcome=clean(case.outcome),
        lesson=clean(case.lesson),
        follow_up=follow_up_of(session, case),
        apology=(words.apology or "").format_map(values),
        fix=(words.fix or "").format_map(values),
    )


def follow_up_of(session: Session, case: Case) -> str:
    """Return what the follow-up found: fixed, unhappy (then resolved again), unreachable or not_asked."""
    if case.status == CaseStatus.RECOVERED:
        return "fixed"
    answers = session.execute(
        select(AuditEvent.action, AuditEvent.at).where(
            AuditEvent.case_id == case.id,
            AuditEvent.action.in_(("follow_up_unhappy", "follow_up_unreachable")),
        )
    ).all()
    since_resolved = [a for a, at in answers if case.resolved_at is not None and at >= case.resolved_at]
    if "follow_up_unreachable" in since_resolved:
        return "unreachable"
    if any(a == "follow_up_unhappy" for a, _at in answers):
        return "unhappy"
    return "not_asked"


# --- the lessons channel's practice case of the week -------------------------------------


def enqueue_weekly_practice(session: Session, policy: Policy, now: datetime) -> bool:
    """Queue the week's practice case for the lessons channel once, from Monday 09:00 there; say if it was."""
    if not policy.learning.practice.weekly_in_channel:
        return False
    zone = ZoneInfo(policy.digest_timezone)
    monday = monday_of(now, zone)
    if now < datetime.combine(monday, SEND_AT, tzinfo=zone):
        return False
    year, week, _weekday = monday.isocalendar()
    key = f"practice:{year}-W{week:02d}"
    if session.scalar(select(Delivery.id).where(Delivery.dedupe_key == key)) is not None:
        return False
    posted = select(Delivery.case_id).where(
        Delivery.kind == Kind.PRACTICE.value, Delivery.channel == Channel.LESSONS.value
    )
    query = (
        select(Case)
        .where(*_practisable(policy))
        .order_by(when_then((Case.id.in_(posted), 1), else_=0), func.random())
    )
    case = session.scalars(query.limit(1)).first()
    if case is None:
        return False
    return deliveries.enqueue_once(
        session, Kind.PRACTICE, now=now, dedupe_key=key, channel=Channel.LESSONS.value, case_id=case.id
    )


def weekly_card(case: Case, policy: Policy) -> Reply:
    """Return the practice case as the lessons channel reads it (through the redactor once more)."""
    return redact_reply(messages.weekly_practice(facts_of(case, policy), policy), redactor_for(policy))


def practice_notice(session: Session, delivery: Delivery, policy: Policy) -> Reply | None:
    """Return a practice delivery: the channel's post, or the case for one person; None once it is not one."""
    case = queries.get_case(session, delivery.case_id) if delivery.case_id else None
    if case is None or not _still_practisable(case, policy):
        return None
    if delivery.channel:
        return weekly_card(case, policy)
    if delivery.recipient_id is None or case.opened_by_id == delivery.recipient_id:
        return None
    return messages.practice_case(facts_of(case, policy), policy)


PRACTICE_ROUTES: dict[ActionId, Route] = {
    ActionId.PRACTICE_OPEN: _open,
    ActionId.PRACTICE_ANSWER: _answer,
    ActionId.PRACTICE_NEXT: _next,
    ActionId.PRACTICE_TRY: _try,
}
