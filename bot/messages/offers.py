"""What Mend says about giving compensation: given, sent for approval, or why it cannot be."""

from __future__ import annotations

from collections.abc import Sequence

from bot import fields
from bot.i18n import _
from bot.messages.common import authority_line, label, money, offer_status
from bot.messages.errors import duplicate_click
from bot.messages.suggestions import offer_name, option_name
from bot.replies import ActionId, Button, Field, Item, Reply, Style, Tone
from bot.values import Target
from db.models import Case, Offer, Staff
from policies.rules import Headroom, SuggestedOption, Verdict
from policies.schema import OptionType, Policy


def verdict_detail(verdict: Verdict, room: Headroom, policy: Policy) -> str:
    """Return why an amount is or is not within someone's own authority, as a case card's option says."""
    if verdict is Verdict.OVER_LIMIT and room.given_on_case:
        return _(
            "over what is left of your limit of {limit} on this incident ({left}); needs approval",
            limit=money(room.limit, policy),
            left=money(room.limit_left, policy),
        )
    if verdict is Verdict.OVER_LIMIT:
        return _("over your limit of {limit} per incident; needs approval", limit=money(room.limit, policy))
    if verdict is Verdict.OVER_BUDGET:
        return _(
            "over what is left of your budget this month ({left}); needs approval",
            left=money(room.budget_left, policy),
        )
    return _(
        "within your authority ({available} available to you now)", available=money(room.available, policy)
    )


def _verdict_sentence(verdict: Verdict, room: Headroom, policy: Policy) -> str:
    """Return why an offer went for approval (or not), as a sentence of its own."""
    if verdict is Verdict.OVER_LIMIT and room.given_on_case:
        return _(
            "It is over what is left of your limit of {limit} on this incident ({left}); needs approval.",
            limit=money(room.limit, policy),
            left=money(room.limit_left, policy),
        )
    if verdict is Verdict.OVER_LIMIT:
        return _(
            "It is over your limit of {limit} per incident; needs approval.", limit=money(room.limit, policy)
        )
    if verdict is Verdict.OVER_BUDGET:
        return _(
            "It is over what is left of your budget this month ({left}); needs approval.",
            left=money(room.budget_left, policy),
        )
    return _(
        "It is within your authority ({available} available to you now).",
        available=money(room.available, policy),
    )


def unknown_option(rank: int, count: int) -> str:
    """Say the chosen option number does not exist."""
    return _("There is no option {rank}; choose a number from 1 to {count}.", rank=rank, count=count)


def unknown_offer_type(kind: str | None) -> str:
    """Say a kind of compensation is not known."""
    kinds = ", ".join(t.value for t in OptionType if t is not OptionType.APOLOGY_ONLY)
    field = label(fields.TYPE.name)
    if not kind:
        # Translators: {kinds} lists the values Mend reads (refund, voucher ...): keep them as they are.
        return _("{field}: nothing is not one Mend knows. Choose one of: {kinds}.", field=field, kinds=kinds)
    # Translators: {kinds} lists the values Mend reads (refund, voucher ...): keep them as they are.
    return _(
        "{field}: {kind} is not one Mend knows. Choose one of: {kinds}.", field=field, kind=kind, kinds=kinds
    )


def apology_has_no_amount() -> str:
    """Say an apology alone has no amount."""
    return _("An apology alone has no amount: choose the apology option on the case instead.")


def request_already_waiting(case: Case) -> str:
    """Say a case already has an approval request waiting."""
    return _("{ref} already has a request waiting for approval; wait for that decision first.", ref=case.ref)


def nobody_can_approve(amount: int, policy: Policy) -> str:
    """Say nobody can approve an amount."""
    # Translators: approvals.group is a setting in the policy file; keep it as it is.
    return _(
        "Nobody in your management chain may approve {amount}, and the policy names no approver group. "
        "Ask your admin to set approvals.group, or choose a smaller amount.",
        amount=money(amount, policy),
    )


def offer_granted(case: Case, offer: Offer, room: Headroom, policy: Policy) -> Reply:
    """Confirm an offer was given on the employee's own authority."""
    return Reply(
        title=_(
            "{ref}: {offer} ({amount}) given",
            ref=case.ref,
            offer=offer_name(offer, policy),
            amount=money(offer.amount, policy),
        )
        if offer.amount
        else _("{ref}: {offer} given", ref=case.ref, offer=offer_name(offer, policy)),
        case_id=case.id,
        text=_("Tell the customer now. When it is sorted, resolve the case so the team learns from it."),
        fields=(Field(_("Your authority left"), authority_line(room, policy)),),
        # Translators: a button that marks the case resolved (the customer's problem is sorted).
        buttons=(Button(_("Resolve"), ActionId.RESOLVE, Target(case_id=case.id).encode(), Style.PRIMARY),),
        tone=Tone.SUCCESS,
    )


def offer_already_made(case: Case, offer: Offer, policy: Policy) -> Reply:
    """Say a repeated click found the offer already made."""
    return Reply(
        # Translators: {status} is how the offer stands: given, waiting for approval, approved ...
        title=_(
            "{ref}: {offer} ({amount}) is already {status}",
            ref=case.ref,
            offer=offer_name(offer, policy),
            amount=money(offer.amount, policy),
            status=offer_status(offer.status),
        ),
        text=duplicate_click(),
    )


def approval_requested(
    case: Case, offer: Offer, approver: Staff | None, verdict: Verdict, room: Headroom, policy: Policy
) -> Reply:
    """Confirm an over-limit offer went for approval: `verdict` and `room` say why it needs one."""
    amount = money(offer.amount, policy)
    if approver is not None:
        title = _(
            "{ref}: {offer} ({amount}) sent to {approver} for approval",
            ref=case.ref,
            offer=offer_name(offer, policy),
            amount=amount,
            approver=approver.name,
        )
        next_ = _(
            "You will hear as soon as {approver} decides. Meanwhile apologise and tell the customer "
            "what you are doing; if they are waiting, say so.",
            approver=approver.name,
        )
    else:
        title = _(
            "{ref}: {offer} ({amount}) sent to the approvers for approval",
            ref=case.ref,
            offer=offer_name(offer, policy),
            amount=amount,
        )
        next_ = _(
            "You will hear as soon as the approvers decide. Meanwhile apologise and tell the customer "
            "what you are doing; if they are waiting, say so."
        )
    return Reply(
        title=title,
        case_id=case.id,
        text=f"{_verdict_sentence(verdict, room, policy)} {next_}",
        buttons=(
            # Translators: a button saying the customer is waiting now, so the approval is hurried.
            Button(_("Customer is waiting"), ActionId.CUSTOMER_WAITING, Target(case_id=case.id).encode()),
        ),
        tone=Tone.WARNING,
    )


def offer_summary(offer: Offer, policy: Policy) -> str:
    """Name an offer and its amount in a few words."""
    return f"{offer_name(offer, policy)}: {money(offer.amount, policy)}"


def offers_summary(offers: Sequence[Offer], policy: Policy) -> str:
    """Return the compensation given on a case, in one line."""
    names = [offer_name(o, policy) for o in offers]
    return "; ".join(
        f"{name} ({money(o.amount, policy)})" if o.amount else name
        for name, o in zip(names, offers, strict=True)
    )


def fallback_amount(case: Case, available: int, policy: Policy) -> Reply:
    """While no approver answers and no suggested option fits, offer an amount of the employee's own."""
    title = _("{ref}: no approver has answered yet", ref=case.ref)
    if available <= 0:
        return Reply(
            title=title,
            case_id=case.id,
            text=_(
                "Your customer is waiting and nobody with the authority has decided. You have no"
                " authority left to give anything on this case this period, so give the apology"
                " sincerely and tell the customer when they will hear back. The request stays open."
            ),
            tone=Tone.WARNING,
        )
    amount = money(available, policy)
    return Reply(
        title=title,
        case_id=case.id,
        text=_(
            "Your customer is waiting and nobody with the authority has decided. None of the suggested"
            " options fits your own authority, but you may give up to {amount} now,"
            " so they do not leave with nothing. The request stays open: a late approval still counts.",
            amount=amount,
        ),
        buttons=(
            Button(
                # Translators: a button that opens a form to give an amount up to {amount}.
                _("Give up to {amount}", amount=amount),
                ActionId.CHOOSE_AMOUNT,
                Target(case_id=case.id).encode(),
                Style.PRIMARY,
            ),
        ),
        tone=Tone.WARNING,
    )


def fallback_offer(case: Case, options: Sequence[SuggestedOption], policy: Policy) -> Reply:
    """Offer the employee the best options within their own authority while no approver answers."""
    items = tuple(
        Item(
            title=f"{option_name(option)}: {money(option.amount, policy)}",
            detail=_("within your own limit"),
            button=Button(
                # Translators: a button that gives this compensation now, on one's own authority.
                _("Give this now"),
                ActionId.GIVE_OPTION,
                Target(case_id=case.id, rank=option.rank).encode(),
                Style.PRIMARY,
            ),
        )
        for option in options
    )
    return Reply(
        title=_("{ref}: no approver has answered yet", ref=case.ref),
        case_id=case.id,
        text=_(
            "Your customer is waiting and nobody with the authority has decided. So they do not leave "
            "with nothing, you may give this now on your own authority. The request stays open: "
            "a late approval still counts."
        ),
        items=items,
        tone=Tone.WARNING,
    )
