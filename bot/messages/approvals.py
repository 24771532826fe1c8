"""What Mend says about approval requests: the approver's card, the decision, and refusals."""

from __future__ import annotations

from bot.fields import DENY_REASON
from bot.messages.common import category_label, count, money, when
from bot.messages.offers import offer_summary
from bot.replies import ActionId, Button, Field, Reply, Style, Tone
from bot.values import Target
from db.models import ApprovalDecision, ApprovalRequest, Case, Offer, Staff
from policies.schema import Policy


def request_not_found(request_id: int) -> str:
    """Say there is no such approval request."""
    return f"There is no approval request {request_id}; it may have been withdrawn."


def no_pending_request(case: Case) -> str:
    """Say a case has no request waiting."""
    return f"{case.ref} has no request waiting for approval."


def deny_needs_reason() -> str:
    """Say a denial needs a reason."""
    return (
        f"{DENY_REASON.label}: say why you deny it, so the employee can tell the customer and learn from it."
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
    for_requester: bool = False,
) -> Reply:
    """Return the approver's card: the case, the amount, the employee's limit, and the decision.

    `for_requester` gives the employee's own copy: while the request waits it says on whom,
    with no buttons to decide (nobody decides their own request).
    """
    requester = people.get(request.requested_by_id, "someone")
    fields = [
        Field("Offer", offer_summary(offer, policy)),
        Field(
            "Customer", f"{case.customer_name} ({case.tier}), {count(earlier_incidents, 'earlier incident')}"
        ),
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
            title=f"{case.ref} · {category}: request withdrawn",
            case_id=case.id,
            text=f"The request was withdrawn because {case.ref} was cancelled; there is nothing to decide.",
            fields=tuple(fields),
        )
    if for_requester:
        who = people.get(request.approver_id or 0, "the approvers")
        return Reply(
            title=f"{case.ref}: {offer.label} ({money(offer.amount, policy)}) waits for approval by {who}",
            case_id=case.id,
            text="You will hear as soon as someone with the authority decides. If the customer is waiting, "
            "say so.",
            fields=tuple(fields),
            buttons=(
                Button("Customer is waiting", ActionId.CUSTOMER_WAITING, Target(case_id=case.id).encode()),
            ),
            tone=Tone.WARNING,
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
