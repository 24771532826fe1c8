"""Fix-the-system tasks: what keeps happening, who owns fixing it, and what was changed."""

from __future__ import annotations

from collections.abc import Sequence

from bot.messages.common import category_label, count, when
from bot.replies import ActionId, Button, Field, Item, Reply, Style, Tone
from bot.values import Target
from db.models import Case, Staff, Task, TaskKind, TaskStatus
from policies.schema import Policy

_STATUS = {
    TaskStatus.OPEN: "open: waiting for its owner to accept it",
    TaskStatus.IN_PROGRESS: "in progress",
    TaskStatus.DONE: "done",
    TaskStatus.WONT_FIX: "closed without a fix",
}


def recurring_title(case: Case, cases: int, days: int, policy: Policy) -> str:
    """Name a pattern of lapses: the kind, its cause, how often."""
    cause = policy.learning.causes_of(case.category).get(case.root_cause_key or "", "")
    what = category_label(case.category, policy) + (f", {cause.lower()}" if cause else "")
    return f"Fix the system: {what} ({count(cases, 'case')} in {days} days)"


def customer_again_title(case: Case, cases: int, days: int) -> str:
    """Name the call a customer let down again and again is owed."""
    return f"Call the customer of {case.ref} personally: {count(cases, 'case')} in {days} days"


def task_card(
    task: Task, cases: Sequence[Case], owner: Staff | None, policy: Policy, *, may_act: bool
) -> Reply:
    """Show a task with the cases behind it (no customer details) and what its owner may do."""
    status = TaskStatus(task.status)
    fields = [
        Field("Owner", owner.name if owner else "nobody"),
        Field("Due", when(task.due_at)),
        Field("Status", _STATUS[status]),
    ]
    if task.resolution:
        label = "What was changed" if status is TaskStatus.DONE else "Why not"
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
    if may_act and status is TaskStatus.OPEN:
        buttons = (
            Button("Accept", ActionId.TASK_ACCEPT, value, Style.PRIMARY),
            Button("Hand over", ActionId.TASK_REASSIGN, value),
            Button("Won't fix", ActionId.TASK_WONT_FIX, value, Style.DANGER),
        )
    elif may_act and status is TaskStatus.IN_PROGRESS:
        buttons = (
            Button("Done", ActionId.TASK_DONE, value, Style.PRIMARY),
            Button("Hand over", ActionId.TASK_REASSIGN, value),
            Button("Won't fix", ActionId.TASK_WONT_FIX, value, Style.DANGER),
        )
    text = (
        "The same lapse keeps happening. Find and remove its cause, so the next customer is not let"
        " down the same way; the team hears what was changed."
        if task.kind == TaskKind.RECURRING
        else "This customer has been let down again and again. Call them yourself: listen, apologise"
        " for all of it, and agree what happens next."
    )
    return Reply(
        title=f"T-{task.id} · {task.title}",
        text=text,
        fields=tuple(fields),
        items=items,
        buttons=buttons,
        tone=Tone.WARNING if status in (TaskStatus.OPEN, TaskStatus.IN_PROGRESS) else Tone.SUCCESS,
        note="Cases without customer details." if items else "",
    )


def task_reminder(task: Task, owner: Staff) -> str:
    """Say a task is due."""
    return f"{owner.name}, task T-{task.id} is due: {task.title}"


def task_done_announcement(task: Task, cases: Sequence[Case], owner: Staff | None, policy: Policy) -> Reply:
    """Tell the lessons channel a recurring lapse was fixed at its cause, with the cases behind it."""
    return Reply(
        title=f"Fixed at the cause: {task.title.removeprefix('Fix the system: ')}",
        text=task.resolution or "",
        fields=(Field("Changed by", owner.name if owner else "the team"),),
        items=tuple(
            Item(
                title=f"{c.ref} · {category_label(c.category, policy)} · {c.severity}", detail=c.lesson or ""
            )
            for c in cases[-10:]
        ),
        tone=Tone.SUCCESS,
        note="The cases that led to the change; no customer details.",
    )


def task_list(tasks: Sequence[Task], owners: dict[int, str], viewer: Staff, policy: Policy) -> Reply:
    """List the open tasks a person owns or their team owns."""
    if not tasks:
        return Reply(
            title="No open tasks", text="Nothing to fix at the cause for you or your team right now."
        )
    return Reply(
        title=f"{count(len(tasks), 'open task')}",
        items=tuple(
            Item(
                title=f"T-{t.id} · {t.title}",
                detail=f"{owners.get(t.owner_id, 'nobody')} · due {when(t.due_at)} · "
                + _STATUS[TaskStatus(t.status)],
                button=Button("Open", ActionId.SHOW_TASK, Target(task_id=t.id).encode()),
            )
            for t in tasks
        ),
    )


def task_not_found(task_id: int) -> str:
    """Say there is no such task."""
    return f"There is no task T-{task_id}."


def task_not_yours(task: Task, owner: str) -> str:
    """Say only the owner, or their managers, act on a task."""
    return f"Task T-{task.id} is {owner}'s: only they, or their managers, can change it."


def task_closed(task: Task) -> str:
    """Say a task is closed."""
    return f"Task T-{task.id} is already {_STATUS[TaskStatus(task.status)]}."


def task_owner_unknown(typed: str) -> str:
    """Say the new owner is not in the staff directory."""
    shown = typed.strip()[:80] or "that"
    return f"{shown} is not in Mend's staff directory; give the email of someone who is."


def _case_line(case: Case, policy: Policy) -> str:
    return f"{case.ref} · {category_label(case.category, policy)} · {case.severity}"
