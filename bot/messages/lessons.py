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


def asked_and_given(asked_for: str, compensation: str) -> list[Field]:
    """Return what the customer asked for beside the compensation given, as a lesson shows them."""
    fields = [Field("Asked for", asked_for)] if asked_for else []
    if compensation or asked_for:
        fields.append(Field("Compensation", compensation or "None given"))
    return fields


def lesson(
    lesson: dict[str, str], policy: Policy, *, case_id: int | None = None, applauded: int = 0
) -> Reply:
    """Return the anonymised lesson the team channel reads, with its Applaud button when it names its case."""
    category = category_label(lesson["category"], policy)
    fields = [
        Field("What happened", lesson["what_happened"]),
        Field("What we did", lesson["outcome"]),
        Field("Root cause", lesson["root_cause"]),
        *asked_and_given(lesson.get("asked_for", ""), lesson.get("compensation", "")),
    ]
    note = "Personal details removed; checked by the person who resolved the case."
    return Reply(
        title=f"Lesson from {lesson['ref']} · {category} · {lesson['severity']}",
        text=lesson["lesson"],
        fields=tuple(fields),
        note=f"{applause_count(applauded)} · {note}" if applauded else note,
        buttons=(Button("👏 Applaud", ActionId.APPLAUD, Target(case_id=case_id).encode()),)
        if case_id is not None
        else (),
    )


def applause_count(applauded: int) -> str:
    """Say how many people applauded a lesson."""
    return f"👏 {applauded} applauded"


def no_lesson_to_applaud(ref: str) -> str:
    """Say a case has no lesson posted that could be applauded."""
    return f"{ref} has no lesson posted to applaud."


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
