"""What Mend says about a case: its card, its history, and why it cannot be changed."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from bot.messages.common import authority_line, category_label, count, money, offer_status, when
from bot.replies import ActionId, Button, Field, Item, Reply, Style
from bot.values import Target
from db.models import ApprovalRequest, Case, Offer
from policies.rules import Suggestion
from policies.schema import Policy


def bad_case_ref(text: str) -> str:
    """Say a case reference is not one."""
    return f"{text.strip()[:40] or 'Nothing'} is not a case reference; they look like R-1042."


def case_not_found(number: int) -> str:
    """Say there is no such case."""
    return f"There is no case R-{number}. Check the reference in your open cases."


def history_needs_customer() -> str:
    """Say which customer to look up is missing."""
    return "Say which customer: their reference, email, phone or full name."


def case_not_open(case: Case) -> str:
    """Say a case is no longer open."""
    return (
        f"{case.ref} is {case.status}, so it cannot be changed. "
        "Reopen it first if the customer still needs help."
    )


def cannot_reopen(case: Case) -> str:
    """Say only resolved cases can be reopened."""
    return f"{case.ref} is {case.status}; only a resolved case can be reopened."


def case_card(
    case: Case,
    suggestion: Suggestion,
    offers: Sequence[Offer],
    pending: ApprovalRequest | None,
    people: dict[int, str],
    policy: Policy,
    zone: str | None = None,
    *,
    giveable: Collection[int],
    caller: str | None = None,
) -> Reply:
    """Return the case card: the apology to use, the options, and what is already done.

    `giveable` holds the ranks of the options the viewer may act on now; only those get a button.
    """
    category = category_label(case.category, policy)
    fields = [
        Field("Customer", f"{case.customer_name} ({case.tier})"),
        Field("Earlier incidents", str(case.earlier_incidents)),
        Field("Your authority", authority_line(suggestion.headroom, policy)),
    ]
    if caller:
        fields.insert(2, Field("Let down again", f"{caller} will call this customer personally"))
    for offer in offers:
        by = people.get(offer.authorised_by_id or offer.given_by_id, "")
        fields.append(
            Field(
                f"Offer: {offer.label}",
                f"{money(offer.amount, policy)}, {offer_status(offer.status)}"
                + (f" by {by}" if by and offer.status in ("granted", "approved") else ""),
            )
        )
    if pending is not None:
        waiting_on = people.get(pending.approver_id or 0, "the approver group")
        fields.append(Field("Waiting on", f"{waiting_on} since {when(pending.created_at, zone)}"))
    if case.asked_for:  # last, right above the options it is weighed against
        fields.append(Field("Customer asked for", case.asked_for))
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
            if o.rank in giveable
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


def case_cancelled(case: Case) -> Reply:
    """Confirm a case was cancelled."""
    return Reply(title=f"{case.ref} cancelled", text="Nothing more will be sent about it.", case_id=case.id)


def customer_history(query: str, cases: Sequence[Case], policy: Policy, zone: str | None = None) -> Reply:
    """List a customer's earlier cases."""
    if not cases:
        return Reply(
            title=f"No cases found for {query}",
            text="Search by the customer's reference, email, phone or full name.",
        )
    return Reply(
        title=f"{count(len(cases), 'case')} for {query}",
        items=tuple(
            Item(
                title=f"{c.ref} · {category_label(c.category, policy)} · {c.severity} · {c.status}",
                detail=f"{when(c.created_at, zone)}: {c.description[:200]}",
            )
            for c in cases
        ),
    )
