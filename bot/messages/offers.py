"""What Mend says about giving compensation: given, sent for approval, or why it cannot be."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot import fields
from bot.messages.common import authority_line, money, offer_status
from bot.messages.errors import duplicate_click
from bot.replies import ActionId, Button, Field, Item, Reply, Style, Tone
from bot.values import Target
from db.models import Case, Offer, Staff
from policies.rules import Headroom
from policies.schema import OptionType, Policy


def unknown_option(rank: int, count: int) -> str:
    """Say the chosen option number does not exist."""
    return f"There is no option {rank}; choose a number from 1 to {count}."


def unknown_offer_type(kind: str | None) -> str:
    """Say a kind of compensation is not known."""
    kinds = ", ".join(t.value for t in OptionType if t is not OptionType.APOLOGY_ONLY)
    return f"{fields.TYPE.label}: {kind or 'nothing'} is not one Mend knows. Choose one of: {kinds}."


def apology_has_no_amount() -> str:
    """Say an apology alone has no amount."""
    return "An apology alone has no amount: choose the apology option on the case instead."


def request_already_waiting(case: Case) -> str:
    """Say a case already has an approval request waiting."""
    return f"{case.ref} already has a request waiting for approval; wait for that decision first."


def nobody_can_approve(amount: int, policy: Policy) -> str:
    """Say nobody can approve an amount."""
    return (
        f"Nobody in your management chain may approve {money(amount, policy)}, and the "
        "policy names no approver group. Ask your admin to set approvals.group, or choose a smaller amount."
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
            f"is already {offer_status(offer.status)}"
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


def offers_summary(offers: Sequence[Offer], policy: Policy) -> str:
    """Return the compensation given on a case, in one line."""
    return "; ".join(f"{o.label} ({money(o.amount, policy)})" if o.amount else o.label for o in offers)


def fallback_amount(case: Case, available: int, policy: Policy) -> Reply:
    """While no approver answers and no suggested option fits, offer an amount of the employee's own."""
    if available <= 0:
        return Reply(
            title=f"{case.ref}: no approver has answered yet",
            case_id=case.id,
            text=(
                "Your customer is waiting and nobody with the authority has decided. You have no"
                " authority left to give anything on this case this period, so give the apology"
                " sincerely and tell the customer when they will hear back. The request stays open."
            ),
            tone=Tone.WARNING,
        )
    return Reply(
        title=f"{case.ref}: no approver has answered yet",
        case_id=case.id,
        text=(
            "Your customer is waiting and nobody with the authority has decided. None of the suggested"
            f" options fits your own authority, but you may give up to {money(available, policy)} now,"
            " so they do not leave with nothing. The request stays open: a late approval still counts."
        ),
        buttons=(
            Button(
                f"Give up to {money(available, policy)}",
                ActionId.CHOOSE_AMOUNT,
                Target(case_id=case.id).encode(),
                Style.PRIMARY,
            ),
        ),
        tone=Tone.WARNING,
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
