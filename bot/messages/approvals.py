"""What Mend says about approval requests: the approver's card, the decision, and refusals."""

from __future__ import annotations

from bot.fields import DENY_REASON
from bot.i18n import N_, _, ngettext
from bot.messages.common import category_label, money, when
from bot.messages.offers import offer_summary
from bot.messages.suggestions import offer_name, severity_word, tier_word
from bot.replies import ActionId, Button, Field, Reply, Style, Tone
from bot.values import Target
from db.models import ApprovalDecision, ApprovalRequest, Case, Offer, Staff
from policies.schema import Policy

# How a request no longer waiting stands, said whole (a request that is decided says by whom).
_REQUEST_CLOSED = {
    "pending": N_("This request was pending; there is nothing left to decide."),
    "approved": N_("This request was approved; there is nothing left to decide."),
    "denied": N_("This request was denied; there is nothing left to decide."),
    "withdrawn": N_("This request was withdrawn; there is nothing left to decide."),
}


def request_not_found(request_id: int) -> str:
    """Say there is no such approval request."""
    return _("There is no approval request {number}; it may have been withdrawn.", number=request_id)


def no_pending_request(case: Case) -> str:
    """Say a case has no request waiting."""
    return _("{ref} has no request waiting for approval.", ref=case.ref)


def deny_needs_reason() -> str:
    """Say a denial needs a reason."""
    return _(
        "{field}: say why you deny it, so the employee can tell the customer and learn from it.",
        field=_(DENY_REASON.label),
    )


def cannot_decide_own_request() -> str:
    """Say people cannot decide their own requests."""
    return _("You cannot decide your own request; it waits for someone else with the authority.")


def not_enough_authority(decider: Staff, offer: Offer, policy: Policy) -> str:
    """Say a person's approval limit does not cover an amount."""
    limit = policy.to_minor(policy.roles[decider.role].approve_up_to) if decider.role in policy.roles else 0
    return _(
        "You may approve up to {limit}; this {amount} offer needs someone with more authority. "
        "It is still waiting for them.",
        limit=money(limit, policy),
        amount=money(offer.amount, policy),
    )


def _someone() -> str:
    # Translators: stands for a person's name when Mend no longer knows who it was.
    return _("someone")


def already_decided(
    request: ApprovalRequest,
    decision: ApprovalDecision | None,
    decider: Staff | None,
    zone: str | None = None,
) -> str:
    """Say who already decided a request, and when."""
    if decision is None:
        return _(_REQUEST_CLOSED[request.status])
    who = decider.name if decider else _someone()
    at = when(decision.decided_at, zone)
    if decision.outcome == "approved":
        return _("Already approved by {person} at {when}; your click changed nothing.", person=who, when=at)
    return _("Already denied by {person} at {when}; your click changed nothing.", person=who, when=at)


def _verdict(decision: ApprovalDecision, decider: str, zone: str | None) -> str:
    """Return how a request was decided, by whom and when, with the reason if one was given."""
    at = when(decision.decided_at, zone)
    if decision.outcome == "approved":
        if decision.reason:
            return _(
                "Approved by {person} at {when}: {reason}", person=decider, when=at, reason=decision.reason
            )
        return _("Approved by {person} at {when}", person=decider, when=at)
    if decision.reason:
        return _("Denied by {person} at {when}: {reason}", person=decider, when=at, reason=decision.reason)
    return _("Denied by {person} at {when}", person=decider, when=at)


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
    requester = people.get(request.requested_by_id) or _someone()
    fields = [
        # Translators: the label of the compensation offered (a noun), e.g. "Voucher: $25.00".
        Field(_("Offer"), offer_summary(offer, policy)),
        Field(
            _("Customer"),
            ngettext(
                "{customer} ({tier}), {n} earlier incident",
                "{customer} ({tier}), {n} earlier incidents",
                earlier_incidents,
                customer=case.customer_name,
                tier=tier_word(case.tier),
            ),
        ),
        Field(_("What happened"), case.description[:500]),
    ]
    if requester_role in policy.roles:
        role = policy.roles[requester_role]
        fields.append(
            Field(
                # Translators: the label of the requester's own limit, e.g. "Alice Park's limit".
                _("{person}'s limit", person=requester),
                # Translators: {role} is the requester's role as the policy names it (Frontline ...).
                _(
                    "{amount} per incident ({role})",
                    amount=money(policy.to_minor(role.limit), policy),
                    role=role.label,
                ),
            )
        )
    if request.customer_waiting:
        fields.append(
            Field(
                _("Customer"),
                # Translators: shown beside the label "Customer": the customer is waiting for an answer now.
                _("is waiting now"),
            )
        )
    if request.level > 0 and decision is None and request.status == "pending":
        approver = people.get(request.approver_id or 0)
        fields.append(
            Field(
                # Translators: the label of where a request went after nobody answered in time.
                _("Escalated"),
                _("to {approver}; anyone with the authority may still decide", approver=approver)
                if approver
                else _("to the next approver; anyone with the authority may still decide"),
            )
        )
    category = category_label(case.category, policy)
    severity = severity_word(case.severity)
    if decision is not None:
        decider = people.get(decision.decided_by_id) or _someone()
        approved = decision.outcome == "approved"
        return Reply(
            title=_("{ref} · {category}: approved", ref=case.ref, category=category)
            if approved
            else _("{ref} · {category}: denied", ref=case.ref, category=category),
            case_id=case.id,
            text=_verdict(decision, decider, zone),
            fields=tuple(fields),
            tone=Tone.SUCCESS if approved else Tone.WARNING,
        )
    if request.status == "withdrawn":
        return Reply(
            title=_("{ref} · {category}: request withdrawn", ref=case.ref, category=category),
            case_id=case.id,
            text=_(
                "The request was withdrawn because {ref} was cancelled; there is nothing to decide.",
                ref=case.ref,
            ),
            fields=tuple(fields),
        )
    if for_requester:
        approver = people.get(request.approver_id or 0)
        amount = money(offer.amount, policy)
        return Reply(
            title=_(
                "{ref}: {offer} ({amount}) waits for approval by {approver}",
                ref=case.ref,
                offer=offer_name(offer, policy),
                amount=amount,
                approver=approver,
            )
            if approver
            else _(
                "{ref}: {offer} ({amount}) waits for approval by the approvers",
                ref=case.ref,
                offer=offer_name(offer, policy),
                amount=amount,
            ),
            case_id=case.id,
            text=_(
                "You will hear as soon as someone with the authority decides. If the customer is waiting, "
                "say so."
            ),
            fields=tuple(fields),
            buttons=(
                # Translators: a button saying the customer is waiting now, so the approval is hurried.
                Button(_("Customer is waiting"), ActionId.CUSTOMER_WAITING, Target(case_id=case.id).encode()),
            ),
            tone=Tone.WARNING,
        )
    return Reply(
        title=_(
            "Approval needed: {ref} · {category} · {severity}",
            ref=case.ref,
            category=category,
            severity=severity,
        ),
        text=_("{person} asks you to approve this over-limit compensation.", person=requester),
        fields=tuple(fields),
        buttons=(
            # Translators: a button that approves the compensation request.
            Button(_("Approve"), ActionId.APPROVE, Target(request_id=request.id).encode(), Style.PRIMARY),
            # Translators: a button that denies the compensation request (a reason is asked next).
            Button(_("Deny"), ActionId.DENY, Target(request_id=request.id).encode(), Style.DANGER),
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
            title=_(
                "{ref}: {person} approved {offer} ({amount})",
                ref=case.ref,
                person=decider.name,
                offer=offer_name(offer, policy),
                amount=amount,
            ),
            case_id=case.id,
            text=_("Tell the customer now. When it is sorted, resolve the case."),
            # Translators: a button that marks the case resolved (the customer's problem is sorted).
            buttons=(
                Button(_("Resolve"), ActionId.RESOLVE, Target(case_id=case.id).encode(), Style.PRIMARY),
            ),
            tone=Tone.SUCCESS,
        )
    return Reply(
        title=_(
            "{ref}: {person} denied {offer} ({amount})",
            ref=case.ref,
            person=decider.name,
            offer=offer_name(offer, policy),
            amount=amount,
        ),
        case_id=case.id,
        text=_("Reason: {reason}\nOffer something within your authority instead.", reason=decision.reason),
        # Translators: a button that shows the case's compensation options again.
        buttons=(Button(_("Show options"), ActionId.SHOW_CASE, Target(case_id=case.id).encode()),),
        tone=Tone.WARNING,
    )


def customer_waiting_noted(case: Case, minutes: int) -> Reply:
    """Confirm the approver was told the customer is waiting."""
    return Reply(
        title=_("{ref}: marked as customer waiting", ref=case.ref),
        case_id=case.id,
        text=ngettext(
            "If nobody decides within {n} minute it goes further up, and you will be offered the best "
            "option within your own authority so the customer never leaves with nothing.",
            "If nobody decides within {n} minutes it goes further up, and you will be offered the best "
            "option within your own authority so the customer never leaves with nothing.",
            minutes,
        ),
        tone=Tone.WARNING,
    )


def request_escalated(
    case: Case, offer: Offer, approver: str | None, silent: str | None, policy: Policy
) -> Reply:
    """Tell the employee their approval request went further up because nobody answered in time.

    `approver` is who it waits on now (None: the approvers), `silent` who did not answer (None: nobody known).
    """
    offered, amount = offer_name(offer, policy), money(offer.amount, policy)
    if approver:
        title = _("{ref}: request escalated to {approver}", ref=case.ref, approver=approver)
        if silent:
            text = _(
                "{silent} did not answer in time, so {offer} ({amount}) now waits on {approver}. "
                "Whoever decides first, you will hear at once.",
                silent=silent,
                offer=offered,
                amount=amount,
                approver=approver,
            )
        else:
            text = _(
                "Nobody answered in time, so {offer} ({amount}) now waits on {approver}. "
                "Whoever decides first, you will hear at once.",
                offer=offered,
                amount=amount,
                approver=approver,
            )
    else:
        title = _("{ref}: request escalated to the approvers", ref=case.ref)
        if silent:
            text = _(
                "{silent} did not answer in time, so {offer} ({amount}) now waits on the approvers. "
                "Whoever decides first, you will hear at once.",
                silent=silent,
                offer=offered,
                amount=amount,
            )
        else:
            text = _(
                "Nobody answered in time, so {offer} ({amount}) now waits on the approvers. "
                "Whoever decides first, you will hear at once.",
                offer=offered,
                amount=amount,
            )
    return Reply(
        title=title,
        case_id=case.id,
        text=text,
        tone=Tone.WARNING,
        # Translators: a button saying the customer is waiting now, so the approval is hurried.
        buttons=(
            Button(_("Customer is waiting"), ActionId.CUSTOMER_WAITING, Target(case_id=case.id).encode()),
        ),
    )
