"""What Mend asks and says after a case: did the customer confirm the fix, and reminders of open cases."""

from __future__ import annotations

from datetime import datetime

from bot.i18n import _, ngettext
from bot.messages.cases import status_word
from bot.messages.common import when
from bot.replies import ActionId, Button, Field, Reply, Style, Tone
from bot.values import Target
from db.models import Case
from policies.schema import Policy


def follow_up(case: Case, attempt: int, policy: Policy, zone: str | None = None) -> Reply:
    """Ask the employee whether the customer confirmed the fix."""
    value = Target(case_id=case.id, attempt=attempt).encode()
    return Reply(
        title=_("{ref}: did {customer} confirm it is fixed?", ref=case.ref, customer=case.customer_name),
        case_id=case.id,
        # Translators: {outcome} is what the employee wrote they did to resolve the case.
        text=_(
            "You resolved this on {when}: {outcome}",
            when=when(case.resolved_at, zone),
            outcome=case.outcome or "",
        ),
        buttons=(
            # Translators: a button: the customer confirmed the problem is fixed.
            Button(_("Yes, fixed"), ActionId.FOLLOW_UP_FIXED, value, Style.PRIMARY),
            # Translators: a button: the customer is still unhappy after the fix.
            Button(_("Still unhappy"), ActionId.FOLLOW_UP_UNHAPPY, value, Style.DANGER),
            # Translators: a button: the employee could not reach the customer to ask.
            Button(_("Could not reach"), ActionId.FOLLOW_UP_UNREACHABLE, value),
        ),
    )


def follow_up_recorded(case: Case, answer: str, attempt: int, policy: Policy) -> Reply:
    """Confirm what the follow-up answer did."""
    if answer == "fixed":
        return Reply(
            # Translators: the case is closed as recovered: the customer confirmed the fix.
            title=_("{ref} recovered", ref=case.ref),
            case_id=case.id,
            text=_("The customer confirmed it is fixed. Well done."),
            tone=Tone.SUCCESS,
        )
    if answer == "unhappy":
        return Reply(
            title=_("{ref} reopened", ref=case.ref),
            case_id=case.id,
            text=_("Your manager has been told. Choose what to offer next."),
            # Translators: a button that shows the compensation options of the case.
            buttons=(Button(_("Show options"), ActionId.SHOW_CASE, Target(case_id=case.id).encode()),),
            tone=Tone.WARNING,
        )
    if attempt < policy.follow_up.max_attempts:
        return Reply(
            title=_("{ref}: Mend will ask again", ref=case.ref),
            case_id=case.id,
            text=ngettext("In {n} hour.", "In {n} hours.", policy.follow_up.unreachable_retry_hours),
        )
    return Reply(
        title=_("{ref}: no more follow-ups", ref=case.ref),
        case_id=case.id,
        text=ngettext(
            "The customer could not be reached after {n} try; the case stays resolved.",
            "The customer could not be reached after {n} tries; the case stays resolved.",
            attempt,
        ),
    )


def follow_up_not_yours(case: Case, employee: str) -> str:
    """Say only the employee who opened the case, or their managers, answer its follow-up."""
    return _(
        "Only {employee}, who opened {ref}, or their managers answer its follow-up:"
        " they are the ones who spoke to the customer.",
        employee=employee,
        ref=case.ref,
    )


def follow_up_not_asked_yet(case: Case, due: datetime | None, zone: str) -> str:
    """Say Mend has not asked about the case yet, and when it will."""
    if due is None:
        return _("Mend has not asked about {ref} yet: answer once the follow-up arrives.", ref=case.ref)
    return _(
        "Mend has not asked about {ref} yet: answer once the follow-up arrives. It will ask on {when}.",
        ref=case.ref,
        when=when(due, zone),
    )


def follow_up_already_answered(case: Case) -> str:
    """Say a follow-up was already answered."""
    # Translators: {status} is where the case stands: open, recovered, cancelled.
    return _(
        "{ref} is {status}; this follow-up was already answered.",
        ref=case.ref,
        status=status_word(case.status),
    )


def customer_unhappy(case: Case, employee: str, policy: Policy) -> Reply:
    """Tell a manager that a customer is still unhappy after a recovery."""
    return Reply(
        title=_("{ref}: customer still unhappy", ref=case.ref),
        case_id=case.id,
        text=_(
            "{employee} followed up and {customer} is not satisfied; the case is open again.",
            employee=employee,
            customer=case.customer_name,
        ),
        fields=(
            Field(_("What happened"), case.description[:500]),
            Field(_("What was done"), case.outcome or ""),
        ),
        tone=Tone.WARNING,
    )


def reminder(case: Case, policy: Policy, zone: str | None = None) -> Reply:
    """Remind an owner of a case left open."""
    return Reply(
        title=_("{ref} is still open", ref=case.ref),
        case_id=case.id,
        text=_(
            "Opened {when} for {customer}. Resolve it, or cancel it if it was opened by mistake.",
            when=when(case.created_at, zone),
            customer=case.customer_name,
        ),
        buttons=(
            # Translators: a button that resolves the case (opens the form that asks how).
            Button(_("Resolve"), ActionId.RESOLVE, Target(case_id=case.id).encode(), Style.PRIMARY),
            # Translators: a button that cancels the case, opened by mistake.
            Button(_("Cancel case"), ActionId.CANCEL, Target(case_id=case.id).encode(), Style.DANGER),
        ),
    )
