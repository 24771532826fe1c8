"""What Mend says about a case: its card, its history, and why it cannot be changed."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from bot import i18n
from bot.i18n import N_, _, ngettext
from bot.messages.common import authority_line, category_label, money, offer_status, when
from bot.messages.offers import verdict_detail
from bot.messages.suggestions import basis, offer_name, option_name, severity_word, tier_word
from bot.replies import ActionId, Button, Field, Item, Reply, Style
from bot.values import Target
from db.models import ApprovalRequest, Case, Offer
from policies.rules import Suggestion
from policies.schema import Policy

_CASE_STATUS = {
    # Translators: a case's status, as in "R-1042 is open" or "Case is open."
    "open": N_("open"),
    # Translators: a case's status: the customer's problem is sorted ("R-1042 is resolved").
    "resolved": N_("resolved"),
    # Translators: a case's status: the customer confirmed it is fixed ("R-1042 is recovered").
    "recovered": N_("recovered"),
    # Translators: a case's status: opened by mistake and cancelled ("R-1042 is cancelled").
    "cancelled": N_("cancelled"),
}
# The customer tiers of the default policy; a policy's own tiers are shown as it names them.
# Translators: a customer's loyalty tier, as in "Jane Doe (gold)".


def status_word(status: str) -> str:
    """Return how a case's status reads: open, resolved, recovered, cancelled."""
    return _(_CASE_STATUS[status]) if status in _CASE_STATUS else status


def bad_case_ref(text: str) -> str:
    """Say a case reference is not one."""
    typed = text.strip()[:40]
    if not typed:
        return _("Nothing is not a case reference; they look like R-1042.")
    return _("{typed} is not a case reference; they look like R-1042.", typed=typed)


def case_not_found(number: int) -> str:
    """Say there is no such case."""
    reference = f"R-{number}"
    return _("There is no case {ref}. Check the reference in your open cases.", ref=reference)


def history_needs_customer() -> str:
    """Say which customer to look up is missing."""
    return _("Say which customer: their reference, email, phone or full name.")


def case_not_open(case: Case) -> str:
    """Say a case is no longer open."""
    return _(
        "{ref} is {status}, so it cannot be changed. Reopen it first if the customer still needs help.",
        ref=case.ref,
        status=status_word(case.status),
    )


def cannot_reopen(case: Case) -> str:
    """Say only resolved cases can be reopened."""
    return _(
        "{ref} is {status}; only a resolved case can be reopened.",
        ref=case.ref,
        status=status_word(case.status),
    )


def _offer_line(offer: Offer, by: str, policy: Policy) -> str:
    """Return an offer's amount and where it stands, with who gave or approved it."""
    amount = money(offer.amount, policy)
    if by and offer.status == "granted":
        return _("{amount}, given by {person}", amount=amount, person=by)
    if by and offer.status == "approved":
        return _("{amount}, approved by {person}", amount=amount, person=by)
    return _("{amount}, {status}", amount=amount, status=offer_status(offer.status))


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
        Field(_("Customer"), f"{case.customer_name} ({tier_word(case.tier)})"),
        Field(_("Earlier incidents"), i18n.number(case.earlier_incidents)),
        Field(_("Your authority"), authority_line(suggestion.headroom, policy)),
    ]
    if caller:
        fields.insert(
            2,
            Field(
                # Translators: a customer let down again and again: a manager calls them in person.
                _("Let down again"),
                _("{caller} will call this customer personally", caller=caller),
            ),
        )
    for offer in offers:
        by = people.get(offer.authorised_by_id or offer.given_by_id, "")
        fields.append(
            Field(_("Offer: {offer}", offer=offer_name(offer, policy)), _offer_line(offer, by, policy))
        )
    if pending is not None:
        since = when(pending.created_at, zone)
        approver = people.get(pending.approver_id or 0)
        fields.append(
            Field(
                # Translators: the approval request waits on a person, or on the approver group.
                _("Waiting on"),
                _("{approver} since {when}", approver=approver, when=since)
                if approver
                else _("the approver group since {when}", when=since),
            )
        )
    if case.asked_for:  # last, right above the options it is weighed against
        fields.append(Field(_("Customer asked for"), case.asked_for))
    is_open = case.status == "open"
    items = tuple(
        Item(
            title=f"{o.rank}. {option_name(o)}: {money(o.amount, policy)}"
            if o.amount
            else f"{o.rank}. {option_name(o)}",
            detail=verdict_detail(o.verdict, suggestion.headroom, policy),
            button=Button(
                # Translators: a button that gives this compensation option to the customer now.
                _("Give")
                if o.within_authority
                # Translators: a button that asks a manager to approve this compensation option.
                else _("Ask approval"),
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
            # Translators: a button that opens a form to give an amount of one's own choosing.
            Button(_("Other amount"), ActionId.CHOOSE_AMOUNT, Target(case_id=case.id).encode()),
            # Translators: a button that marks the case resolved (the customer's problem is sorted).
            Button(_("Resolve"), ActionId.RESOLVE, Target(case_id=case.id).encode(), Style.PRIMARY),
            # Translators: a button that cancels a case opened by mistake.
            Button(_("Cancel case"), ActionId.CANCEL, Target(case_id=case.id).encode(), Style.DANGER),
        )
    elif case.status in ("resolved", "recovered"):
        # Translators: a button that opens a resolved case again.
        buttons = (Button(_("Reopen"), ActionId.REOPEN, Target(case_id=case.id).encode()),)
    return Reply(
        title=f"{case.ref} · {category} · {severity_word(case.severity)}",
        case_id=case.id,
        text=_("Say this:\n{apology}\n{fix}", apology=suggestion.apology, fix=suggestion.fix),
        fields=tuple(fields),
        items=items if is_open else (),
        buttons=buttons,
        # Translators: {basis} says what the options are based on, e.g. "suggested for a major
        # case of late delivery"; {status} is the case's status (open, resolved ...).
        note=_(
            "Options {basis}. Case is {status}.",
            basis=basis(suggestion.basis),
            status=status_word(case.status),
        ),
    )


def case_cancelled(case: Case) -> Reply:
    """Confirm a case was cancelled."""
    return Reply(
        title=_("{ref} cancelled", ref=case.ref),
        text=_("Nothing more will be sent about it."),
        case_id=case.id,
    )


def customer_history(query: str, cases: Sequence[Case], policy: Policy, zone: str | None = None) -> Reply:
    """List a customer's earlier cases."""
    if not cases:
        return Reply(
            title=_("No cases found for {customer}", customer=query),
            text=_("Search by the customer's reference, email, phone or full name."),
        )
    return Reply(
        title=ngettext("{n} case for {customer}", "{n} cases for {customer}", len(cases), customer=query),
        items=tuple(
            Item(
                title=(
                    f"{c.ref} · {category_label(c.category, policy)} · {severity_word(c.severity)}"
                    f" · {status_word(c.status)}"
                ),
                detail=f"{when(c.created_at, zone)}: {c.description[:200]}",
            )
            for c in cases
        ),
    )
