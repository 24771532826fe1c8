"""Every sentence Mend says to people, as neutral replies. Adapters only render these."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.quiet_hours import zone_of
from bot.replies import ActionId, Button, Field, Item, Reply, Style, Tone
from bot.values import Target
from db.models import CASE_REF_OFFSET, ApprovalDecision, ApprovalRequest, Case, Offer, Staff
from policies.money import format_money
from policies.rules import Headroom, Suggestion
from policies.schema import OptionType, Policy, Severity

FIELD_LABELS = {
    "customer_name": "Customer name",
    "customer_ref": "Customer or order reference",
    "customer_email": "Customer email",
    "customer_phone": "Customer phone",
    "category": "What went wrong",
    "severity": "How bad",
    "description": "What happened",
    "order_value": "Order value",
    "tier": "Customer tier",
    "amount": "Amount",
    "type": "Kind of compensation",
    "label": "Description for the customer",
    "reason": "Reason",
    "outcome": "What was done",
    "root_cause": "Root cause",
    "lesson": "Lesson for the team",
    "option": "Option",
    "case": "Case",
    "customer": "Customer",
    "file": "Staff file",
}

_OFFER_STATUS = {
    "granted": "given",
    "pending_approval": "waiting for approval",
    "approved": "approved",
    "denied": "denied",
    "withdrawn": "withdrawn",
}


def label(field: str) -> str:
    """Return how a form field is named to people."""
    return FIELD_LABELS.get(field, field.replace("_", " ").capitalize())


def money(amount: int, policy: Policy) -> str:
    """Return an amount in the policy's currency as people read it."""
    return format_money(amount, policy.currency)


def when(moment: datetime | None, zone: str | None = None) -> str:
    """Return a time as people read it: in their time zone when it is known, else in UTC."""
    if moment is None:
        return ""
    if zone is None:
        return moment.strftime("%Y-%m-%d %H:%M UTC")
    return moment.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M %Z")


def category_label(category: str, policy: Policy) -> str:
    """Return how a category is named, even one the policy no longer has."""
    known = policy.categories.get(category)
    return known.label if known else category.replace("_", " ")


def ref(case_id: int) -> str:
    """Return the reference of a case id."""
    return f"R-{case_id + CASE_REF_OFFSET}"


# --- input problems ---------------------------------------------------------------------


def required(field: str) -> str:
    """Say a required field was left empty."""
    return f"{label(field)} is required: please fill it in."


def too_long(field: str, limit: int, actual: int | None = None) -> str:
    """Say a text is too long."""
    got = f" (it has {actual:,})" if actual else ""
    return f"{label(field)} is too long{got}: keep it under {limit:,} characters."


def unknown_category(category: str, policy: Policy) -> str:
    """Say the category is not one the policy knows."""
    known = ", ".join(policy.categories)
    return f"What went wrong: {category or 'nothing'} is not a category. Choose one of: {known}."


def unknown_severity(severity: str | None) -> str:
    """Say the severity is not minor, major or critical."""
    return f"How bad: {severity or 'nothing'!s} is not a severity. Choose minor, major or critical."


def unknown_tier(tier: str, policy: Policy) -> str:
    """Say the tier is not in the policy."""
    return f"Customer tier: {tier} is not a tier. Choose one of: {', '.join(policy.adjustments.tiers)}."


def bad_email(email: str) -> str:
    """Say an email address is not one."""
    return f"Customer email: {email[:80]} is not an email address (like jane@example.com)."


def bad_phone(phone: str) -> str:
    """Say a phone number is not one."""
    return f"Customer phone: {phone[:40]} is not a phone number; use digits, at least 7."


def bad_amount(field: str, detail: str) -> str:
    """Say an amount cannot be used, and why."""
    return f"{label(field)}: {detail}."


def bad_case_ref(text: str) -> str:
    """Say a case reference is not one."""
    return f"{text.strip()[:40] or 'Nothing'} is not a case reference; they look like R-1042."


def case_not_found(number: int) -> str:
    """Say there is no such case."""
    return f"There is no case R-{number}. Check the reference in your open cases."


def request_not_found(request_id: int) -> str:
    """Say there is no such approval request."""
    return f"There is no approval request {request_id}; it may have been withdrawn."


def unknown_person() -> str:
    """Say a person is not in the staff directory."""
    return "That person is not in Mend's staff directory. Ask your admin to import them."


def unknown_option(rank: int, count: int) -> str:
    """Say the chosen option number does not exist."""
    return f"There is no option {rank}; choose a number from 1 to {count}."


def unknown_offer_type(kind: str | None) -> str:
    """Say a kind of compensation is not known."""
    kinds = ", ".join(t.value for t in OptionType if t is not OptionType.APOLOGY_ONLY)
    return f"Kind of compensation: {kind or 'nothing'} is not one Mend knows. Choose one of: {kinds}."


def apology_has_no_amount() -> str:
    """Say an apology alone has no amount."""
    return "An apology alone has no amount: choose the apology option on the case instead."


def history_needs_customer() -> str:
    """Say which customer to look up is missing."""
    return "Say which customer: their reference, email, phone or full name."


def deny_needs_reason() -> str:
    """Say a denial needs a reason."""
    return "Reason: say why you deny it, so the employee can tell the customer and learn from it."


def duplicate_click() -> str:
    """Say a second click was ignored."""
    return "That was already done a moment ago; nothing more was changed."


# --- conflicts and permissions ----------------------------------------------------------


def case_not_open(case: Case) -> str:
    """Say a case is no longer open."""
    return (
        f"{case.ref} is {case.status}, so it cannot be changed. "
        "Reopen it first if the customer still needs help."
    )


def cannot_reopen(case: Case) -> str:
    """Say only resolved cases can be reopened."""
    return f"{case.ref} is {case.status}; only a resolved case can be reopened."


def resolve_while_pending(case: Case, approver: Staff | None) -> str:
    """Say a case cannot be resolved while an approval waits."""
    who = approver.name if approver else "the approvers"
    return (
        f"{case.ref} still has a request waiting on {who}. Wait for the decision, or give "
        "an option within your authority and resolve after it is decided."
    )


def request_already_waiting(case: Case) -> str:
    """Say a case already has an approval request waiting."""
    return f"{case.ref} already has a request waiting for approval; wait for that decision first."


def nobody_can_approve(amount: int, policy: Policy) -> str:
    """Say nobody can approve an amount."""
    return (
        f"Nobody in your management chain may approve {money(amount, policy)}, and the "
        "policy names no approver group. Ask your admin to set approvals.group, or choose a smaller amount."
    )


def cannot_decide_own_request() -> str:
    """Say people cannot decide their own requests."""
    return "You cannot decide your own request; it waits for someone else with the authority."


def not_enough_authority(decider: Staff, offer: Offer, policy: Policy) -> str:
    """Say a person's approval limit does not cover an amount."""
    limit = policy.to_minor(policy.roles[decider.role].approve_up_to) if decider.role in policy.roles else 0
    return (
        f"You may approve up to {money(limit, policy)}; this {money(offer.amount, policy)} "
        "offer needs someone with more authority. It is still waiting for them."
    )


def already_decided(
    request: ApprovalRequest,
    decision: ApprovalDecision | None,
    decider: Staff | None,
    zone: str | None = None,
) -> str:
    """Say who already decided a request, and when."""
    if decision is None:
        return f"This request was {request.status}; there is nothing left to decide."
    who = decider.name if decider else "someone"
    at = when(decision.decided_at, zone)
    return f"Already {decision.outcome} by {who} at {at}; your click changed nothing."


# --- cards ------------------------------------------------------------------------------


def authority_line(room: Headroom, policy: Policy) -> str:
    """Return what a person may still give, in one line."""
    return (
        f"{money(room.available, policy)} now (limit {money(room.limit, policy)} per incident, "
        f"{money(room.budget_left, policy)} of {money(room.budget, policy)} left this month)"
    )


def case_card(
    case: Case,
    suggestion: Suggestion,
    offers: Sequence[Offer],
    pending: ApprovalRequest | None,
    people: dict[int, str],
    policy: Policy,
    zone: str | None = None,
) -> Reply:
    """Return the case card: the apology to use, the options, and what is already done."""
    category = category_label(case.category, policy)
    fields = [
        Field("Customer", f"{case.customer_name} ({case.tier})"),
        Field("Earlier incidents", str(case.earlier_incidents)),
        Field("Your authority", authority_line(suggestion.headroom, policy)),
    ]
    for offer in offers:
        by = people.get(offer.authorised_by_id or offer.given_by_id, "")
        fields.append(
            Field(
                f"Offer: {offer.label}",
                f"{money(offer.amount, policy)}, {_OFFER_STATUS[offer.status]}"
                + (f" by {by}" if by and offer.status in ("granted", "approved") else ""),
            )
        )
    if pending is not None:
        waiting_on = people.get(pending.approver_id or 0, "the approver group")
        fields.append(Field("Waiting on", f"{waiting_on} since {when(pending.created_at, zone)}"))
    is_open = case.status == "open"
    items = tuple(
        Item(
            title=f"{o.rank}. {o.label}: {money(o.amount, policy)}" if o.amount else f"{o.rank}. {o.label}",
            detail=o.why,
            button=Button(
                "Give" if o.within_authority else "Ask approval",
                ActionId.GIVE_OPTION if o.within_authority else ActionId.REQUEST_APPROVAL,
                # The number of offers so far makes a click on a later rendering of this card
                # (after a reopen, say) a new request, while a double click stays one.
                Target(case_id=case.id, rank=o.rank, rendering=str(len(offers))).encode(),
                Style.PRIMARY if o.rank == 1 else Style.DEFAULT,
            )
            if (is_open and pending is None) or (is_open and o.within_authority)
            else None,
        )
        for o in suggestion.options
    )
    buttons: tuple[Button, ...] = ()
    if is_open:
        buttons = (
            Button("Other amount", ActionId.CHOOSE_AMOUNT, Target(case_id=case.id).encode()),
            Button("Resolve", ActionId.RESOLVE, Target(case_id=case.id).encode(), Style.PRIMARY),
            Button("Cancel case", ActionId.CANCEL, Target(case_id=case.id).encode(), Style.DANGER),
        )
    elif case.status in ("resolved", "recovered"):
        buttons = (Button("Reopen", ActionId.REOPEN, Target(case_id=case.id).encode()),)
    return Reply(
        title=f"{case.ref} · {category} · {case.severity}",
        case_id=case.id,
        text=f"Say this:\n{suggestion.apology}\n{suggestion.fix}",
        fields=tuple(fields),
        items=items if is_open else (),
        buttons=buttons,
        note=f"Options {suggestion.basis}. Case is {case.status}.",
    )


def offer_granted(case: Case, offer: Offer, room: Headroom, policy: Policy) -> Reply:
    """Confirm an offer was given on the employee's own authority."""
    amount = f" ({money(offer.amount, policy)})" if offer.amount else ""
    return Reply(
        title=f"{case.ref}: {offer.label}{amount} given",
        case_id=case.id,
        text="Tell the customer now. When it is sorted, resolve the case so the team learns from it.",
        fields=(Field("Your authority left", authority_line(room, policy)),),
        buttons=(Button("Resolve", ActionId.RESOLVE, Target(case_id=case.id).encode(), Style.PRIMARY),),
        tone=Tone.SUCCESS,
    )


def offer_already_made(case: Case, offer: Offer, policy: Policy) -> Reply:
    """Say a repeated click found the offer already made."""
    return Reply(
        title=(
            f"{case.ref}: {offer.label} ({money(offer.amount, policy)}) "
            f"is already {_OFFER_STATUS[offer.status]}"
        ),
        text=duplicate_click(),
    )


def approval_requested(case: Case, offer: Offer, approver: Staff | None, why: str, policy: Policy) -> Reply:
    """Confirm an over-limit offer went for approval."""
    who = approver.name if approver else "the approvers"
    return Reply(
        title=f"{case.ref}: {offer.label} ({money(offer.amount, policy)}) sent to {who} for approval",
        case_id=case.id,
        text=(
            f"It is {why}. You will hear as soon as {who} decides. Meanwhile apologise and "
            "tell the customer what you are doing; if they are waiting, say so."
        ),
        buttons=(Button("Customer is waiting", ActionId.CUSTOMER_WAITING, Target(case_id=case.id).encode()),),
        tone=Tone.WARNING,
    )


def offer_summary(offer: Offer, policy: Policy) -> str:
    """Name an offer and its amount in a few words."""
    return f"{offer.label}: {money(offer.amount, policy)}"


def request_card(
    case: Case,
    offer: Offer,
    request: ApprovalRequest,
    decision: ApprovalDecision | None,
    people: dict[int, str],
    policy: Policy,
    *,
    requester_role: str | None = None,
    earlier_incidents: int = 0,
    zone: str | None = None,
) -> Reply:
    """Return the approver's card: the case, the amount, the employee's limit, and the decision."""
    requester = people.get(request.requested_by_id, "someone")
    fields = [
        Field("Offer", offer_summary(offer, policy)),
        Field("Customer", f"{case.customer_name} ({case.tier}), {earlier_incidents} earlier incidents"),
        Field("What happened", case.description[:500]),
    ]
    if requester_role in policy.roles:
        role = policy.roles[requester_role]
        fields.append(
            Field(
                f"{requester}'s limit",
                f"{money(policy.to_minor(role.limit), policy)} per incident ({role.label})",
            )
        )
    if request.customer_waiting:
        fields.append(Field("Customer", "is waiting now"))
    if request.level > 0 and decision is None and request.status == "pending":
        fields.append(
            Field(
                "Escalated",
                f"to {people.get(request.approver_id or 0, 'the next approver')}; anyone "
                "with the authority may still decide",
            )
        )
    category = category_label(case.category, policy)
    title = f"Approval needed: {case.ref} · {category} · {case.severity}"
    if decision is not None:
        decider = people.get(decision.decided_by_id, "someone")
        verdict = f"{decision.outcome.capitalize()} by {decider} at {when(decision.decided_at, zone)}"
        if decision.reason:
            verdict += f": {decision.reason}"
        return Reply(
            title=f"{case.ref} · {category}: {decision.outcome}",
            case_id=case.id,
            text=verdict,
            fields=tuple(fields),
            tone=Tone.SUCCESS if decision.outcome == "approved" else Tone.WARNING,
        )
    if request.status == "withdrawn":
        return Reply(
            title=f"{case.ref} · {category}: withdrawn",
            case_id=case.id,
            text="The case was cancelled; nothing to decide.",
            fields=tuple(fields),
        )
    return Reply(
        title=title,
        text=f"{requester} asks you to approve this over-limit compensation.",
        fields=tuple(fields),
        buttons=(
            Button("Approve", ActionId.APPROVE, Target(request_id=request.id).encode(), Style.PRIMARY),
            Button("Deny", ActionId.DENY, Target(request_id=request.id).encode(), Style.DANGER),
        ),
        tone=Tone.WARNING,
    )


def approval_decided(
    case: Case, offer: Offer, decision: ApprovalDecision, decider: Staff, policy: Policy
) -> Reply:
    """Tell the employee how their request was decided."""
    amount = money(offer.amount, policy)
    if decision.outcome == "approved":
        return Reply(
            title=f"{case.ref}: {decider.name} approved {offer.label} ({amount})",
            case_id=case.id,
            text="Tell the customer now. When it is sorted, resolve the case.",
            buttons=(Button("Resolve", ActionId.RESOLVE, Target(case_id=case.id).encode(), Style.PRIMARY),),
            tone=Tone.SUCCESS,
        )
    return Reply(
        title=f"{case.ref}: {decider.name} denied {offer.label} ({amount})",
        case_id=case.id,
        text=f"Reason: {decision.reason}\nOffer something within your authority instead.",
        buttons=(Button("Show options", ActionId.SHOW_CASE, Target(case_id=case.id).encode()),),
        tone=Tone.WARNING,
    )


def case_resolved(case: Case, policy: Policy) -> Reply:
    """Confirm a case was resolved and say what happens next."""
    hours = policy.follow_up.after_hours[Severity(case.severity)]
    return Reply(
        title=f"{case.ref} resolved",
        case_id=case.id,
        text=(
            f"Thank you. The lesson goes to the team without the customer's details, and in "
            f"{hours} hours Mend will ask you whether the customer confirmed it is fixed."
        ),
        buttons=(Button("Reopen", ActionId.REOPEN, Target(case_id=case.id).encode()),),
        tone=Tone.SUCCESS,
    )


def customer_waiting_noted(case: Case, minutes: int) -> Reply:
    """Confirm the approver was told the customer is waiting."""
    return Reply(
        title=f"{case.ref}: marked as customer waiting",
        case_id=case.id,
        text=(
            f"If nobody decides within {minutes} minutes it goes further up, and you will be "
            "offered the best option within your own authority so the customer never leaves with nothing."
        ),
        tone=Tone.WARNING,
    )


def no_pending_request(case: Case) -> str:
    """Say a case has no request waiting."""
    return f"{case.ref} has no request waiting for approval."


def bad_button() -> str:
    """Say a button's value could not be read."""
    return "That button is out of date. Open the case again with /recover and try once more."


def case_cancelled(case: Case) -> Reply:
    """Confirm a case was cancelled."""
    return Reply(title=f"{case.ref} cancelled", text="Nothing more will be sent about it.", case_id=case.id)


def offers_summary(offers: Sequence[Offer], policy: Policy) -> str:
    """Return the compensation given on a case, in one line."""
    return "; ".join(f"{o.label} ({money(o.amount, policy)})" if o.amount else o.label for o in offers)


def lesson_check_intro(removed_more: bool) -> str:
    """Say what the lesson form shows and what to do with it."""
    if removed_more:
        return (
            "Mend removed more personal data from your edit; this is now what the team will read. "
            "Check it once more, then post."
        )
    return (
        "This is exactly what the team will read. Mend removed the customer's details and other "
        "personal data it found (shown in [brackets]); change anything else that should not be shared, "
        "then post."
    )


def lesson(lesson: dict[str, str], policy: Policy) -> Reply:
    """Return the anonymised lesson the team channel reads."""
    category = category_label(lesson["category"], policy)
    fields = [
        Field("What happened", lesson["what_happened"]),
        Field("What we did", lesson["outcome"]),
        Field("Root cause", lesson["root_cause"]),
    ]
    if lesson.get("compensation"):
        fields.append(Field("Compensation", lesson["compensation"]))
    return Reply(
        title=f"Lesson from {lesson['ref']} · {category} · {lesson['severity']}",
        text=lesson["lesson"],
        fields=tuple(fields),
        note="Personal details removed; checked by the person who resolved the case.",
    )


def follow_up(case: Case, attempt: int, policy: Policy, zone: str | None = None) -> Reply:
    """Ask the employee whether the customer confirmed the fix."""
    value = Target(case_id=case.id, attempt=attempt).encode()
    return Reply(
        title=f"{case.ref}: did {case.customer_name} confirm it is fixed?",
        case_id=case.id,
        text=f"You resolved this on {when(case.resolved_at, zone)}: {case.outcome or ''}",
        buttons=(
            Button("Yes, fixed", ActionId.FOLLOW_UP_FIXED, value, Style.PRIMARY),
            Button("Still unhappy", ActionId.FOLLOW_UP_UNHAPPY, value, Style.DANGER),
            Button("Could not reach", ActionId.FOLLOW_UP_UNREACHABLE, value),
        ),
    )


def follow_up_recorded(case: Case, answer: str, attempt: int, policy: Policy) -> Reply:
    """Confirm what the follow-up answer did."""
    if answer == "fixed":
        return Reply(
            title=f"{case.ref} recovered",
            case_id=case.id,
            text="The customer confirmed it is fixed. Well done.",
            tone=Tone.SUCCESS,
        )
    if answer == "unhappy":
        return Reply(
            title=f"{case.ref} reopened",
            case_id=case.id,
            text="Your manager has been told. Choose what to offer next.",
            buttons=(Button("Show options", ActionId.SHOW_CASE, Target(case_id=case.id).encode()),),
            tone=Tone.WARNING,
        )
    if attempt < policy.follow_up.max_attempts:
        return Reply(
            title=f"{case.ref}: Mend will ask again",
            case_id=case.id,
            text=f"In {policy.follow_up.unreachable_retry_hours} hours.",
        )
    return Reply(
        title=f"{case.ref}: no more follow-ups",
        case_id=case.id,
        text=f"The customer could not be reached after {attempt} tries; the case stays resolved.",
    )


def follow_up_already_answered(case: Case) -> str:
    """Say a follow-up was already answered."""
    return f"{case.ref} is {case.status}; this follow-up was already answered."


def reminder(case: Case, policy: Policy, zone: str | None = None) -> Reply:
    """Remind an owner of a case left open."""
    return Reply(
        title=f"{case.ref} is still open",
        case_id=case.id,
        text=(
            f"Opened {when(case.created_at, zone)} for {case.customer_name}. "
            "Resolve it, or cancel it if it was opened by mistake."
        ),
        buttons=(
            Button("Resolve", ActionId.RESOLVE, Target(case_id=case.id).encode(), Style.PRIMARY),
            Button("Cancel case", ActionId.CANCEL, Target(case_id=case.id).encode(), Style.DANGER),
        ),
    )


def customer_unhappy(case: Case, employee: str, policy: Policy) -> Reply:
    """Tell a manager that a customer is still unhappy after a recovery."""
    return Reply(
        title=f"{case.ref}: customer still unhappy",
        case_id=case.id,
        text=f"{employee} followed up and {case.customer_name} is not satisfied; the case is open again.",
        fields=(
            Field("What happened", case.description[:500]),
            Field("What was done", case.outcome or ""),
        ),
        tone=Tone.WARNING,
    )


def customer_history(query: str, cases: Sequence[Case], policy: Policy, zone: str | None = None) -> Reply:
    """List a customer's earlier cases."""
    if not cases:
        return Reply(
            title=f"No cases found for {query}",
            text="Search by the customer's reference, email, phone or full name.",
        )
    return Reply(
        title=f"{len(cases)} case(s) for {query}",
        items=tuple(
            Item(
                title=f"{c.ref} · {category_label(c.category, policy)} · {c.severity} · {c.status}",
                detail=f"{when(c.created_at, zone)}: {c.description[:200]}",
            )
            for c in cases
        ),
    )


def my_cases(
    staff: Staff,
    cases: Sequence[Case],
    waiting: Sequence[ApprovalRequest],
    room: Headroom,
    policy: Policy,
) -> Reply:
    """Show a person their open cases, the approvals waiting on them, and their authority."""
    zone = zone_of(policy, staff.location)
    items = [
        Item(
            title=f"{c.ref} · {c.customer_name} · {c.category}",
            detail=when(c.created_at, zone),
            button=Button("Open", ActionId.SHOW_CASE, Target(case_id=c.id).encode()),
        )
        for c in cases
    ]
    items += [
        Item(
            title=f"Approval {r.id} for {ref(r.case_id)}",
            detail=f"waiting since {when(r.created_at, zone)}",
            button=Button("Review", ActionId.REVIEW_REQUEST, Target(request_id=r.id).encode(), Style.PRIMARY),
        )
        for r in waiting
    ]
    return Reply(
        title=f"{staff.name}: {len(cases)} open case(s), {len(waiting)} approval(s) waiting on you",
        fields=(Field("Your authority", authority_line(room, policy)),),
        items=tuple(items),
    )


def who_am_i(staff: Staff, manager: Staff | None, room: Headroom, policy: Policy) -> Reply:
    """Describe a person to themselves."""
    role = policy.roles.get(staff.role)
    fields = [
        Field("Role", role.label if role else staff.role),
        Field("Your authority", authority_line(room, policy)),
        Field(
            "You may approve up to",
            money(policy.to_minor(role.approve_up_to), policy) if role else "nothing",
        ),
        Field(
            "Manager",
            manager.name if manager else "none (the approver group decides your requests)",
        ),
    ]
    return Reply(title=staff.name, fields=tuple(fields))


def error(message: str, *, field: str | None = None) -> Reply:
    """Return an error reply for a person to act on."""
    return Reply(title="That did not work", text=message, tone=Tone.ERROR, error_field=field)


def unexpected(correlation_id: str) -> Reply:
    """Apologise for a failure that is not the user's doing."""
    return Reply(
        title="Sorry, something went wrong on our side",
        text=f"Nothing was changed by this step. Try again in a moment; if it keeps happening, give "
        f"your admin this code: {correlation_id}.",
        tone=Tone.ERROR,
    )


def details(values: dict[str, Any]) -> str:
    """Return a mapping as `key: value` lines (for terminal summaries)."""
    return "\n".join(f"{label(k)}: {v}" for k, v in values.items() if v)


def request_escalated(case: Case, offer: Offer, approver: str, silent: str, policy: Policy) -> Reply:
    """Tell the employee their approval request went further up because nobody answered in time."""
    return Reply(
        title=f"{case.ref}: request escalated to {approver}",
        case_id=case.id,
        text=(
            f"{silent} did not answer in time, so {offer.label} ({money(offer.amount, policy)}) "
            f"now waits on {approver}. Whoever decides first, you will hear at once."
        ),
        tone=Tone.WARNING,
        buttons=(Button("Customer is waiting", ActionId.CUSTOMER_WAITING, Target(case_id=case.id).encode()),),
    )


def fallback_offer(case: Case, options: Sequence[Any], policy: Policy) -> Reply:
    """Offer the employee the best options within their own authority while no approver answers."""
    items = tuple(
        Item(
            title=f"{option.label}: {money(option.amount, policy)}",
            detail="within your own limit",
            button=Button(
                "Give this now",
                ActionId.GIVE_OPTION,
                Target(case_id=case.id, rank=option.rank).encode(),
                Style.PRIMARY,
            ),
        )
        for option in options
    )
    return Reply(
        title=f"{case.ref}: no approver has answered yet",
        case_id=case.id,
        text=(
            "Your customer is waiting and nobody with the authority has decided. So they do not leave "
            "with nothing, you may give this now on your own authority. The request stays open: "
            "a late approval still counts."
        ),
        items=items,
        tone=Tone.WARNING,
    )


def weekly_digest(summary: dict[str, Any], policy: Policy) -> Reply:
    """Return last week's count of cases by category and severity for the lessons channel."""
    rows = summary.get("counts", [])
    total = sum(int(n) for _, _, n in rows)
    fields = tuple(
        Field(f"{category_label(category, policy)} · {severity}", str(n)) for category, severity, n in rows
    )
    return Reply(
        # Day and month only: a full date reads as a date of birth to the channel's redactor.
        title=f"Service recovery, week of {_day_month(summary['since'][:10])}",
        text=f"{total} case(s) opened in the past week." if total else "No cases opened in the past week.",
        fields=fields,
        note="Counts only; no customer details.",
    )


def _day_month(iso_day: str) -> str:
    day = date.fromisoformat(iso_day)
    return f"{day.day} {day:%B}"


def recover_help(command: str = "/recover") -> Reply:
    """Explain what the recover command does."""
    return Reply(
        title=f"How to use {command}",
        fields=(
            Field(f"{command} [what happened]", "Open a case; words like 'late' or '$80' fill in the form."),
            Field(
                f"{command} history CUSTOMER",
                "A customer's earlier cases (by reference, email, phone or name).",
            ),
            Field(f"{command} help", "This help."),
        ),
        note="Your open cases, approvals waiting on you and your authority are on Mend's Home tab.",
    )


def form_not_opened(detail: str) -> Reply:
    """Say that the form a button asks for could not be opened, and what to do."""
    return Reply(
        title="Mend could not open the form",
        text=f"{detail}. Nothing was changed; press the button again.",
        tone=Tone.WARNING,
    )


def slack_not_reachable(detail: str) -> Reply:
    """Say that Mend could not show something in Slack, and what to do."""
    return Reply(
        title="Mend could not post there",
        text=f"{detail}. Invite Mend to the channel (/invite @Mend) or use /recover in your DM with Mend.",
        tone=Tone.WARNING,
    )


def form_too_slow() -> str:
    """Say that a next form could not be shown in time, and what to do."""
    return "Mend took too long to show the next form; click the button again."
