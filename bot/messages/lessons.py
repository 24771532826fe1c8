"""What Mend says when a case is resolved: the lesson to check, the lesson posted, what comes next."""

from __future__ import annotations

from datetime import datetime

from bot.i18n import _, ngettext
from bot.messages.common import category_label, when
from bot.messages.suggestions import severity_word
from bot.replies import ActionId, Button, Field, Reply, Tone
from bot.values import Target
from db.models import Case, Staff
from policies.schema import Policy


def resolve_while_pending(case: Case, approver: Staff | None) -> str:
    """Say a case cannot be resolved while an approval waits."""
    if approver is None:
        return _(
            "{ref} still has a request waiting on the approvers. Wait for the decision, or give "
            "an option within your authority and resolve after it is decided.",
            ref=case.ref,
        )
    return _(
        "{ref} still has a request waiting on {approver}. Wait for the decision, or give "
        "an option within your authority and resolve after it is decided.",
        ref=case.ref,
        approver=approver.name,
    )


def lesson_check_intro(removed_more: bool) -> str:
    """Say what the lesson form shows and what to do with it."""
    if removed_more:
        return _(
            "Mend removed more personal data from your edit; this is now what the team will read. "
            "Check it once more, then post."
        )
    return _(
        "This is exactly what the team will read. Mend removed the customer's details and other "
        "personal data it found (shown in [brackets]); change anything else that should not be shared, "
        "then post."
    )


def asked_and_given(asked_for: str, compensation: str) -> list[Field]:
    """Return what the customer asked for beside the compensation given, as a lesson shows them."""
    fields = [Field(_("Asked for"), asked_for)] if asked_for else []
    if compensation or asked_for:
        fields.append(Field(_("Compensation"), compensation or _("None given")))
    return fields


def lesson(
    lesson: dict[str, str], policy: Policy, *, case_id: int | None = None, applauded: int = 0
) -> Reply:
    """Return the anonymised lesson the team channel reads, with its Applaud button when it names its case."""
    category = category_label(lesson["category"], policy)
    fields = [
        Field(_("What happened"), lesson["what_happened"]),
        Field(_("What we did"), lesson["outcome"]),
        Field(_("Root cause"), lesson["root_cause"]),
        *asked_and_given(lesson.get("asked_for", ""), lesson.get("compensation", "")),
    ]
    note = _("Personal details removed; checked by the person who resolved the case.")
    return Reply(
        title=_(
            "Lesson from {ref} · {category} · {severity}",
            ref=lesson["ref"],
            category=category,
            severity=severity_word(lesson["severity"]),
        ),
        text=lesson["lesson"],
        fields=tuple(fields),
        note=f"{applause_count(applauded)} · {note}" if applauded else note,
        # Translators: a button on a lesson posted to the team: applaud how the case was handled.
        buttons=(Button(_("👏 Applaud"), ActionId.APPLAUD, Target(case_id=case_id).encode()),)
        if case_id is not None
        else (),
    )


def applause_count(applauded: int) -> str:
    """Say how many people applauded a lesson."""
    return ngettext("👏 {n} applauded", "👏 {n} applauded", applauded)


def no_lesson_to_applaud(ref: str) -> str:
    """Say a case has no lesson posted that could be applauded."""
    return _("{ref} has no lesson posted to applaud.", ref=ref)


def case_resolved(case: Case, asks_at: datetime | None, zone: str) -> Reply:
    """Confirm a case was resolved and say when Mend will ask whether the customer confirmed the fix."""
    if asks_at:
        text = _(
            "Thank you. The lesson goes to the team without the customer's details, and, on {when}, "
            "Mend will ask you whether the customer confirmed it is fixed.",
            when=when(asks_at, zone),
        )
    else:
        text = _(
            "Thank you. The lesson goes to the team without the customer's details, and "
            "Mend will ask you whether the customer confirmed it is fixed."
        )
    return Reply(
        title=_("{ref} resolved", ref=case.ref),
        case_id=case.id,
        text=text,
        # Translators: a button that opens a resolved case again.
        buttons=(Button(_("Reopen"), ActionId.REOPEN, Target(case_id=case.id).encode()),),
        tone=Tone.SUCCESS,
    )
