"""What Mend says when a case is resolved: the lesson to check, the lesson posted, what comes next."""

from __future__ import annotations

from datetime import datetime

from bot.messages.common import category_label, when
from bot.replies import ActionId, Button, Field, Reply, Tone
from bot.values import Target
from db.models import Case, Staff
from policies.schema import Policy


def resolve_while_pending(case: Case, approver: Staff | None) -> str:
    """Say a case cannot be resolved while an approval waits."""
    who = approver.name if approver else "the approvers"
    return (
        f"{case.ref} still has a request waiting on {who}. Wait for the decision, or give "
        "an option within your authority and resolve after it is decided."
    )


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


def case_resolved(case: Case, asks_at: datetime | None, zone: str) -> Reply:
    """Confirm a case was resolved and say when Mend will ask whether the customer confirmed the fix."""
    asks = f", on {when(asks_at, zone)}," if asks_at else ""
    return Reply(
        title=f"{case.ref} resolved",
        case_id=case.id,
        text=(
            "Thank you. The lesson goes to the team without the customer's details, and"
            f"{asks} Mend will ask you whether the customer confirmed it is fixed."
        ),
        buttons=(Button("Reopen", ActionId.REOPEN, Target(case_id=case.id).encode()),),
        tone=Tone.SUCCESS,
    )
