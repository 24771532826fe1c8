"""Fix-the-system tasks: what keeps happening, who owns fixing it, and what was changed."""

from __future__ import annotations

from collections.abc import Sequence

from bot import i18n
from bot.i18n import N_, _, ngettext
from bot.messages.cases import severity_word
from bot.messages.common import category_label, root_causes, when
from bot.quiet_hours import zone_of
from bot.replies import ActionId, Button, Field, Item, Reply, Style, Tone
from bot.values import Target
from db.models import Case, Staff, Task, TaskKind, TaskStatus
from policies.schema import Policy

_STATUS = {
    # Translators: where a task stands.
    TaskStatus.OPEN: N_("open: waiting for its owner to accept it"),
    # Translators: where a task stands.
    TaskStatus.IN_PROGRESS: N_("in progress"),
    # Translators: where a task stands.
    TaskStatus.DONE: N_("done"),
    # Translators: where a task stands: its owner closed it and gave the reason.
    TaskStatus.WONT_FIX: N_("closed without a fix"),
}
# Translators: the title of a task to fix the cause of a recurring lapse; {pattern} names the lapse
# and how often it happened: "Late delivery, courier delay (3 cases in 30 days)".
_RECURRING = N_("Fix the system: {pattern}")


def _status(task: Task) -> str:
    return _(_STATUS[TaskStatus(task.status)])


def recurring_title(case: Case, cases: int, days: int, policy: Policy) -> str:
    """Title a recurring lapse's task: fix the system, and the pattern."""
    return _(_RECURRING, pattern=_recurring_pattern(case, cases, days, policy))


def _recurring_pattern(case: Case, cases: int, days: int, policy: Policy) -> str:
    """Name a pattern of lapses: the kind, its cause, how often."""
    cause = root_causes(case.category, policy).get(case.root_cause_key or "", "")
    what = category_label(case.category, policy) + (f", {i18n.in_sentence(cause)}" if cause else "")
    # Translators: {what} is the kind of lapse (and its cause); {cases} is "1 case" or "3 cases".
    pattern = ngettext(
        "{what} ({cases} in {n} day)",
        "{what} ({cases} in {n} days)",
        days,
        what=what,
        cases=ngettext("{n} case", "{n} cases", cases),
    )
    return pattern


def customer_again_title(case: Case, cases: int, days: int) -> str:
    """Name the call a customer let down again and again is owed."""
    # Translators: {cases} is "1 case" or "3 cases".
    return ngettext(
        "Call the customer of {ref} personally: {cases} in {n} day",
        "Call the customer of {ref} personally: {cases} in {n} days",
        days,
        ref=case.ref,
        cases=ngettext("{n} case", "{n} cases", cases),
    )


def task_card(
    task: Task, cases: Sequence[Case], owner: Staff | None, policy: Policy, *, may_act: bool
) -> Reply:
    """Show a task with the cases behind it (no customer details) and what its owner may do."""
    status = TaskStatus(task.status)
    fields = [
        # Translators: the person who owns the task.
        Field(_("Owner"), owner.name if owner else _("nobody")),
        # Translators: when the task is due.
        Field(_("Due"), when(task.due_at, zone_of(policy, owner.location if owner else None))),
        Field(_("Status"), _status(task)),
    ]
    if task.resolution:
        label = _("What was changed") if status is TaskStatus.DONE else _("Why not")
        fields.append(Field(label, task.resolution))
    items = tuple(
        Item(
            title=_case_line(c, policy),
            detail=c.lesson or c.root_cause or "",
        )
        for c in cases[-10:]
    )
    value = Target(task_id=task.id).encode()
    buttons: tuple[Button, ...] = ()
    # Translators: a button: the owner hands the task over to someone else.
    hand_over = Button(_("Hand over"), ActionId.TASK_REASSIGN, value)
    # Translators: a button: the owner closes the task without fixing it (and says why).
    wont_fix = Button(_("Won't fix"), ActionId.TASK_WONT_FIX, value, Style.DANGER)
    if may_act and status is TaskStatus.OPEN:
        # Translators: a button: the owner accepts the task.
        buttons = (Button(_("Accept"), ActionId.TASK_ACCEPT, value, Style.PRIMARY), hand_over, wont_fix)
    elif may_act and status is TaskStatus.IN_PROGRESS:
        # Translators: a button: the owner reports the task done (and says what was changed).
        buttons = (Button(_("Done"), ActionId.TASK_DONE, value, Style.PRIMARY), hand_over, wont_fix)
    text = (
        _(
            "The same lapse keeps happening. Find and remove its cause, so the next customer is not let"
            " down the same way; the team hears what was changed."
        )
        if task.kind == TaskKind.RECURRING
        else _(
            "This customer has been let down again and again. Call them yourself: listen, apologise"
            " for all of it, and agree what happens next."
        )
    )
    return Reply(
        title=f"T-{task.id} · {task.title}",
        text=text,
        fields=tuple(fields),
        items=items,
        buttons=buttons,
        tone=Tone.WARNING if status in (TaskStatus.OPEN, TaskStatus.IN_PROGRESS) else Tone.SUCCESS,
        note=_("Cases without customer details.") if items else "",
    )


def task_reminder(task: Task, owner: Staff) -> str:
    """Say a task is due."""
    # Translators: {task} is a task's reference, such as T-12; {title} its title.
    return _(
        "{owner}, task {task} is due: {title}", owner=owner.name, task=_task_ref(task.id), title=task.title
    )


def task_done_announcement(task: Task, cases: Sequence[Case], owner: Staff | None, policy: Policy) -> Reply:
    """Tell the lessons channel a recurring lapse was fixed at its cause, with the cases behind it.

    The pattern is named anew in the channel's language (the title was written in its owner's).
    """
    days = policy.learning.recurring.within_days
    named = _recurring_pattern(cases[-1], len(task.case_ids), days, policy) if cases else task.title
    return Reply(
        # Translators: {pattern} names the lapse and how often it happened.
        title=_("Fixed at the cause: {pattern}", pattern=named),
        text=task.resolution or "",
        # Translators: who changed what caused the lapse.
        fields=(Field(_("Changed by"), owner.name if owner else _("the team")),),
        items=tuple(Item(title=_case_line(c, policy), detail=c.lesson or "") for c in cases[-10:]),
        tone=Tone.SUCCESS,
        note=_("The cases that led to the change; no customer details."),
    )


def task_list(tasks: Sequence[Task], owners: dict[int, str], viewer: Staff, policy: Policy) -> Reply:
    """List the open tasks a person owns or their team owns."""
    if not tasks:
        return Reply(
            title=_("No open tasks"), text=_("Nothing to fix at the cause for you or your team right now.")
        )
    return Reply(
        title=ngettext("{n} open task", "{n} open tasks", len(tasks)),
        items=tuple(
            Item(
                title=f"T-{t.id} · {t.title}",
                # Translators: a task in a list: its owner, when it is due, and where it stands.
                detail=_(
                    "{owner} · due {due} · {status}",
                    owner=owners.get(t.owner_id) or _("nobody"),
                    due=when(t.due_at, zone_of(policy, viewer.location)),
                    status=_status(t),
                ),
                # Translators: a button that shows the task.
                button=Button(_("Open"), ActionId.SHOW_TASK, Target(task_id=t.id).encode()),
            )
            for t in tasks
        ),
    )


def task_not_found(task_id: int) -> str:
    """Say there is no such task."""
    # Translators: {task} is a task's reference, such as T-12.
    return _("There is no task {task}.", task=_task_ref(task_id))


def task_not_yours(task: Task, owner: str) -> str:
    """Say only the owner, or their managers, act on a task."""
    # Translators: {task} is a task's reference, such as T-12; {owner} a person's name.
    return _(
        "Task {task} is {owner}'s: only they, or their managers, can change it.",
        task=_task_ref(task.id),
        owner=owner,
    )


def task_closed(task: Task) -> str:
    """Say a task is closed."""
    # Translators: {task} is a task's reference, such as T-12; {status} is where it stands:
    # done, closed without a fix.
    return _("Task {task} is already {status}.", task=_task_ref(task.id), status=_status(task))


def task_owner_unknown(typed: str) -> str:
    """Say the new owner is not in the staff directory."""
    shown = typed.strip()[:80]
    if not shown:
        return _("that is not in Mend's staff directory; give the email of someone who is.")
    # Translators: {typed} is what the person typed as the new owner's email.
    return _("{typed} is not in Mend's staff directory; give the email of someone who is.", typed=shown)


def _task_ref(task_id: int) -> str:
    return f"T-{task_id}"


def _case_line(case: Case, policy: Policy) -> str:
    return f"{case.ref} · {category_label(case.category, policy)} · {severity_word(case.severity)}"
