"""What Mend asks and says after a case: did the customer confirm the fix, and reminders of open cases."""

from __future__ import annotations

from datetime import datetime

from bot.messages.common import when
from bot.replies import ActionId, Button, Field, Reply, Style, Tone
from bot.values import Target
from db.models import Case
from policies.schema import Policy


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


def follow_up_not_yours(case: Case, employee: str) -> str:
    """Say only the employee who opened the case, or their managers, answer its follow-up."""
    return (
        f"Only {employee}, who opened {case.ref}, or their managers answer its follow-up:"
        " they are the ones who spoke to the customer."
    )


def follow_up_not_asked_yet(case: Case, due: datetime | None, zone: str) -> str:
    """Say Mend has not asked about the case yet, and when it will."""
    when_asked = f" It will ask on {when(due, zone)}." if due else ""
    return f"Mend has not asked about {case.ref} yet: answer once the follow-up arrives.{when_asked}"


def follow_up_already_answered(case: Case) -> str:
    """Say a follow-up was already answered."""
    return f"{case.ref} is {case.status}; this follow-up was already answered."


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
