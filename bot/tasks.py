"""Fix the system, not only the case: recurring lapses open tasks someone owns.

When a case is resolved, Mend asks whether its lapse is now a pattern: at least
`learning.recurring.min_cases` cases of the same category and root cause (or
category and location) opened within `within_days`, counting only cases opened
since the last task for that pattern closed. A pattern has at most one open task:
its `open_key` is unique while it is open. The owner accepts it, hands it over,
declines it with a reason, or reports what was changed; the team hears of the change
in the lessons channel, with the cases that led to it.

A customer let down `learning.customer_again.incidents` times within its days gets
a task too: the employee's manager calls them personally.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from bot import deliveries, fields, i18n, languages, messages
from bot.audit import record
from bot.commands import Actor
from bot.deliveries import Channel, Kind
from bot.errors import InvalidInput, NotAllowed, NotFound
from bot.forms import task_form
from bot.i18n import _
from bot.ports import Clock
from bot.presses import Deps, Press, Route
from bot.replies import ActionId, Form, Reply
from bot.reports import team_of
from bot.staff import management_chain, normalise_email, resolve_actor
from db import queries
from db.models import Case, CaseStatus, Staff, Task, TaskKind, TaskStatus
from policies.learning import OTHER, PatternBy
from policies.schema import Policy

CUSTOMER_CALL_DAYS = 2  # a customer let down again is called within two days
CASES_KEPT = 50  # the cases listed on a task, the latest kept


def on_resolved(session: Session, case: Case, *, policy: Policy, now: datetime) -> Task | None:
    """Open a fix-the-system task if the resolved case makes its lapse a pattern; return it."""
    rule = policy.learning.recurring
    opener = queries.get_staff(session, case.opened_by_id)
    cases = aliased(Case)
    if rule.pattern_by is PatternBy.ROOT_CAUSE:
        if case.root_cause_key in (None, OTHER):
            return None  # causes told only in words are each their own
        pattern = f"category={case.category}|root_cause={case.root_cause_key}"
        same = [cases.category == case.category, cases.root_cause_key == case.root_cause_key]
        query = select(cases.id)
    else:
        location = (opener.location if opener else None) or policy.default_location
        pattern = f"category={case.category}|location={location}"
        opened_by = aliased(Staff)
        located = func.coalesce(opened_by.location, policy.default_location) == location
        same = [cases.category == case.category, located]
        query = select(cases.id).join(opened_by, opened_by.id == cases.opened_by_id)
    open_task = session.scalar(select(Task).where(Task.open_key == pattern))
    if open_task is not None:
        if case.id not in open_task.case_ids:
            open_task.case_ids = [*open_task.case_ids, case.id][-CASES_KEPT:]
            open_task.case_id, open_task.updated_at = case.id, now
        return None
    # Only cases opened since the pattern's last task closed: those before it led to that fix.
    last_closed = session.scalar(select(func.max(Task.closed_at)).where(Task.pattern == pattern))
    recent = [cases.created_at >= now - timedelta(days=rule.within_days)]
    if last_closed is not None:
        recent.append(cases.created_at > last_closed)
    ids = list(
        session.scalars(
            query.where(*same, *recent, cases.status != CaseStatus.CANCELLED.value)
            .order_by(cases.created_at, cases.id)
            .limit(CASES_KEPT)
        )
    )
    if len(ids) < rule.min_cases:
        return None
    owner = _owner(session, case, opener, policy)
    with _owners_language(session, owner, policy):  # the title is kept: written for who reads it most
        title = messages.recurring_title(case, len(ids), rule.within_days, policy)
    return _open(
        session,
        TaskKind.RECURRING,
        pattern,
        title,
        owner,
        ids,
        due=now + timedelta(days=rule.due_days),
        now=now,
    )


def on_opened(session: Session, case: Case, *, policy: Policy, now: datetime) -> Task | None:
    """Open a task to call the customer when this case is their third (by the policy) in a while."""
    rule = policy.learning.customer_again
    key = case.ref_key or case.email_key or case.phone_key
    if key is None:
        return None
    since = now - timedelta(days=rule.within_days)
    customer = func.coalesce(Case.ref_key, Case.email_key, Case.phone_key)
    ids = list(
        session.scalars(
            select(Case.id)
            .where(customer == key, Case.created_at >= since, Case.status != CaseStatus.CANCELLED.value)
            .order_by(Case.created_at, Case.id)
        )
    )
    if len(ids) < rule.incidents:
        return None
    opener = queries.get_staff(session, case.opened_by_id)
    owner = (management_chain(session, opener) or [opener])[0] if opener else None
    if owner is None:
        return None
    with _owners_language(session, owner, policy):
        title = messages.customer_again_title(case, len(ids), rule.within_days)
    due = now + timedelta(days=CUSTOMER_CALL_DAYS)
    return _open(session, TaskKind.CUSTOMER_AGAIN, f"customer={key}", title, owner, ids, due=due, now=now)


def _owners_language(session: Session, owner: Staff, policy: Policy) -> AbstractContextManager[str]:
    """Speak the language of a task's owner: its title is stored, and they read it most."""
    return i18n.speaking(languages.of_staff(session, owner.id, policy=policy))


def _open(
    session: Session,
    kind: TaskKind,
    pattern: str,
    title: str,
    owner: Staff,
    case_ids: list[int],
    *,
    due: datetime,
    now: datetime,
) -> Task | None:
    task = Task(
        kind=kind.value,
        pattern=pattern,
        open_key=pattern,
        title=title,
        status=TaskStatus.OPEN.value,
        owner_id=owner.id,
        case_ids=case_ids[-CASES_KEPT:],
        case_id=case_ids[-1],
        due_at=due,
        created_at=now,
        updated_at=now,
    )
    try:
        with session.begin_nested():
            session.add(task)
            session.flush()
    except IntegrityError:
        return None  # another resolve opened it first; one open task per pattern
    deliveries.enqueue(session, Kind.TASK_ASSIGNED, now=now, recipient_id=owner.id, task_id=task.id)
    deliveries.enqueue(
        session,
        Kind.TASK_REMINDER,
        now=now,
        due_at=due,
        recipient_id=owner.id,
        task_id=task.id,
        due=due.isoformat(),
    )
    record(
        session,
        action="task_opened",
        at=now,
        platform="system",
        actor_id=None,
        case_id=task.case_id,
        task_id=task.id,
        kind=kind.value,
        pattern=pattern,
        owner_id=owner.id,
    )
    return task


def _owner(session: Session, case: Case, opener: Staff | None, policy: Policy) -> Staff:
    """Return who owns fixing a pattern: the category's owner in the policy, else the opener's
    manager, else the first approver of the policy's group, else the opener."""
    # Looked up one after the other, each only if the one before found nobody.
    email = policy.learning.owners.get(case.category)
    lookups = (
        lambda: queries.get_staff_by_email(session, email) if email else None,
        lambda: queries.get_staff(session, opener.manager_id) if opener and opener.manager_id else None,
        lambda: next(iter(queries.list_staff_by_emails(session, policy.approvals.group[:1])), None),
    )
    for lookup in lookups:
        found = lookup()
        if found is not None:
            return found
    assert opener is not None  # a resolved case has an opener
    return opener


# --- the owner's actions ---------------------------------------------------------------


def get_task_or_fail(session: Session, task_id: int, *, lock: bool = False) -> Task:
    """Return the task, or say it does not exist."""
    query = select(Task).where(Task.id == task_id)
    task = session.scalar(query.with_for_update() if lock else query)
    if task is None:
        raise NotFound(messages.task_not_found(task_id))
    return task


def show_task(actor: Actor, task_id: int, *, session: Session, policy: Policy, now: datetime) -> Reply:
    """Return a task's card as its viewer may act on it."""
    viewer = resolve_actor(session, actor, policy=policy, now=now)
    task = get_task_or_fail(session, task_id)
    return task_card(session, task, viewer, policy)


def task_card(session: Session, task: Task, viewer: Staff | None, policy: Policy) -> Reply:
    """Return the task with its cases (anonymised) and the buttons its viewer may press."""
    cases = [c for c in (queries.get_case(session, i) for i in task.case_ids) if c is not None]
    owner = queries.get_staff(session, task.owner_id)
    may_act = viewer is not None and owner is not None and _may_act(session, viewer, owner)
    return messages.task_card(task, cases, owner, policy, may_act=may_act)


def _may_act(session: Session, viewer: Staff, owner: Staff) -> bool:
    return viewer.id == owner.id or viewer in management_chain(session, owner)


def _acting_on(p: Press, d: Deps) -> tuple[Task, Staff]:
    now = d["clock"].now()
    viewer = resolve_actor(d["session"], p.actor, policy=d["policy"], now=now)
    task = get_task_or_fail(d["session"], p.task_id, lock=True)
    owner = queries.get_staff(d["session"], task.owner_id)
    if owner is None or not _may_act(d["session"], viewer, owner):
        # Translators: stands for an owner's name Mend cannot find, in "Task T-12 is {owner}'s".
        raise NotAllowed(messages.task_not_yours(task, owner.name if owner else _("its owner")))
    if task.status in (TaskStatus.DONE, TaskStatus.WONT_FIX):
        raise NotAllowed(messages.task_closed(task))
    return task, viewer


def _changed(p: Press, d: Deps, task: Task, viewer: Staff, action: str, **detail: object) -> Reply:
    now = d["clock"].now()
    task.updated_at = now
    record(
        d["session"],
        action=action,
        at=now,
        platform=p.actor.platform,
        actor_id=viewer.id,
        case_id=task.case_id,
        task_id=task.id,
        **detail,
    )
    d["session"].commit()
    return task_card(d["session"], task, viewer, d["policy"])


def _accept(p: Press, d: Deps) -> Reply:
    task, viewer = _acting_on(p, d)
    task.status = TaskStatus.IN_PROGRESS.value
    return _changed(p, d, task, viewer, "task_accepted")


def _ask(form_of: ActionId) -> Route:
    def route(p: Press, d: Deps) -> Form:
        task = _acting_on(p, d)[0]
        d["session"].commit()
        return task_form(task, form_of)

    return route


def _reassign(p: Press, d: Deps) -> Reply:
    task, viewer = _acting_on(p, d)
    email = normalise_email(p.text("owner"))
    new_owner = queries.get_staff_by_email(d["session"], email) if email else None
    if new_owner is None:
        raise InvalidInput(fields.NEW_OWNER.name, messages.task_owner_unknown(p.text("owner")))
    old = task.owner_id
    task.owner_id = new_owner.id
    now = d["clock"].now()
    deliveries.enqueue(d["session"], Kind.TASK_ASSIGNED, now=now, recipient_id=new_owner.id, task_id=task.id)
    deliveries.enqueue(
        d["session"],
        Kind.TASK_REMINDER,
        now=now,
        due_at=max(task.due_at, now),
        recipient_id=new_owner.id,
        task_id=task.id,
        due=task.due_at.isoformat(),
    )
    return _changed(p, d, task, viewer, "task_reassigned", from_id=old, to_id=new_owner.id)


def _close(status: TaskStatus, field: str, action: str) -> Route:
    def route(p: Press, d: Deps) -> Reply:
        task, viewer = _acting_on(p, d)
        text = p.text(field).strip()
        if not text:
            raise InvalidInput(field, messages.required(field))
        now = d["clock"].now()
        task.status, task.resolution, task.open_key, task.closed_at = status.value, text, None, now
        if status is TaskStatus.DONE and task.kind == TaskKind.RECURRING:
            deliveries.enqueue(
                d["session"],
                Kind.TASK_DONE,
                now=now,
                channel=Channel.LESSONS.value,
                case_id=task.case_id,
                task_id=task.id,
            )
        return _changed(p, d, task, viewer, action)

    return route


def list_tasks(actor: Actor, _text: str = "", *, session: Session, policy: Policy, clock: Clock) -> Reply:
    """Return the open tasks a person owns, and those owned by people who report to them."""
    viewer = resolve_actor(session, actor, policy=policy, now=clock.now())
    team = team_of(session, viewer, policy)
    query = select(Task).where(Task.status.in_((TaskStatus.OPEN.value, TaskStatus.IN_PROGRESS.value)))
    if team is not None:
        query = query.where(Task.owner_id.in_(sorted(team)))
    tasks = list(session.scalars(query.order_by(Task.due_at, Task.id).limit(25)))
    owners = {s.id: s.name for s in queries.list_staff_by_ids(session, {t.owner_id for t in tasks})}
    return messages.task_list(tasks, owners, viewer, policy)


TASK_ROUTES: dict[ActionId, Route] = {
    ActionId.SHOW_TASK: lambda p, d: show_task(
        p.actor, p.task_id, session=d["session"], policy=d["policy"], now=d["clock"].now()
    ),
    ActionId.TASK_ACCEPT: _accept,
    ActionId.TASK_REASSIGN: _ask(ActionId.TASK_REASSIGN_TO),
    ActionId.TASK_REASSIGN_TO: _reassign,
    ActionId.TASK_WONT_FIX: _ask(ActionId.TASK_WONT_FIX_REASON),
    ActionId.TASK_WONT_FIX_REASON: _close(TaskStatus.WONT_FIX, fields.WONT_FIX.name, "task_declined"),
    ActionId.TASK_DONE: _ask(ActionId.TASK_DONE_CHANGE),
    ActionId.TASK_DONE_CHANGE: _close(TaskStatus.DONE, fields.CHANGE.name, "task_done"),
}
