"""Fix the system: recurring lapses open one task per pattern, its owner carries it to done,
and the team hears what was changed. A customer let down again gets a manager's call."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot import notices
from bot.actions import handle
from bot.errors import InvalidInput, NotAllowed
from bot.replies import ActionId, Form, Reply
from db.models import AuditEvent, Case, Delivery, Staff, Task
from policies.schema import Policy
from tests.fakes import FakeClock
from tests.helpers import ALICE, BOB, CAROL, ERIN, open_late_delivery

pytestmark = pytest.mark.usefixtures("people")

CAUSE = {"outcome": "Sent it again by express", "root_cause": "Courier lost it", "lesson": "Check the scans"}


def resolve(
    session: Session, policy: Policy, clock: FakeClock, actor=ALICE, cause="courier_delay", **case
) -> int:
    """Open a case and resolve it with the given kind of root cause; return its id."""
    case_id = open_late_delivery(session, policy, clock, actor=actor, **case).case_id
    deps = {"session": session, "policy": policy, "clock": clock}
    preview = handle(ActionId.RESOLVE_CASE, str(case_id), actor, {**CAUSE, "root_cause_key": cause}, **deps)
    assert isinstance(preview, Form)
    shown = {field.name: field.initial or "" for field in preview.inputs}
    handle(ActionId.POST_LESSON, str(case_id), actor, shown, **deps)
    return case_id


def tasks(session: Session) -> list[Task]:
    return list(session.scalars(select(Task).order_by(Task.id)))


def press(session, policy, clock, action, task: Task, actor, inputs=None) -> Reply | Form:
    return handle(action, str(task.id), actor, inputs, session=session, policy=policy, clock=clock)


def staff_id(session: Session, name: str) -> int:
    return session.scalar(select(Staff.id).where(Staff.email == f"{name}@example.com"))


def test_the_third_lapse_of_one_kind_and_cause_opens_one_task(session: Session, policy, clock) -> None:
    ids = [resolve(session, policy, clock, customer_ref=f"ORD-{i}") for i in range(2)]
    assert tasks(session) == []  # two is not yet a pattern
    ids.append(resolve(session, policy, clock, customer_ref="ORD-3"))
    (task,) = tasks(session)
    assert task.title == "Fix the system: Late or missed delivery, courier delay (3 cases in 30 days)"
    assert task.case_ids == ids and task.status == "open"
    assert task.owner_id == staff_id(session, "bob")  # no owner for the category: Alice's manager
    assert task.due_at == clock.now() + timedelta(days=policy.learning.recurring.due_days)
    resolve(session, policy, clock, customer_ref="ORD-4")
    (same,) = tasks(session)  # never a second task for an open pattern
    assert len(same.case_ids) == 4
    kinds = session.scalars(
        select(Delivery.kind).where(Delivery.kind.like("task%")).order_by(Delivery.id)
    ).all()
    assert kinds == ["task_assigned", "task_reminder"]


def test_other_causes_and_other_kinds_are_no_pattern(session: Session, policy, clock) -> None:
    for i in range(3):
        resolve(session, policy, clock, cause="other", customer_ref=f"ORD-{i}")
    for i, cause in enumerate(["courier_delay", "wrong_address", "warehouse_backlog"]):
        resolve(session, policy, clock, cause=cause, customer_ref=f"ORD-1{i}")
    assert tasks(session) == []


def test_cases_older_than_the_window_do_not_count(session: Session, policy, clock) -> None:
    resolve(session, policy, clock, customer_ref="ORD-1")
    clock.advance(days=policy.learning.recurring.within_days + 1)
    resolve(session, policy, clock, customer_ref="ORD-2")
    resolve(session, policy, clock, customer_ref="ORD-3")
    assert tasks(session) == []
    resolve(session, policy, clock, customer_ref="ORD-4")
    assert len(tasks(session)) == 1


def test_an_unknown_kind_of_cause_names_the_field_and_the_choices(session: Session, policy, clock) -> None:
    with pytest.raises(InvalidInput) as raised:
        resolve(session, policy, clock, cause="gremlins")
    assert raised.value.field == "root_cause_key" and "Courier delay" in raised.value.message


def test_the_owner_accepts_and_reports_the_change_which_the_team_hears(
    session: Session, policy, clock
) -> None:
    for i in range(3):
        resolve(session, policy, clock, customer_ref=f"ORD-{i}", customer_name=f"Jane Doe{i}")
    (task,) = tasks(session)
    with pytest.raises(NotAllowed, match="only they, or their managers"):
        press(session, policy, clock, ActionId.TASK_ACCEPT, task, ERIN)
    card = press(session, policy, clock, ActionId.TASK_ACCEPT, task, BOB)
    assert isinstance(card, Reply) and "in progress" in str(card.fields)
    assert [b.label for b in card.buttons] == ["Done", "Hand over", "Won't fix"]
    form = press(session, policy, clock, ActionId.TASK_DONE, task, BOB)
    assert isinstance(form, Form) and form.inputs[0].name == "change"
    with pytest.raises(InvalidInput):
        press(session, policy, clock, form.action, task, BOB, {"change": "  "})
    done = press(
        session, policy, clock, form.action, task, BOB, {"change": "Depot scans checked twice a day"}
    )
    assert "done" in str(done.fields) and done.buttons == ()
    assert task.open_key is None and task.closed_at == clock.now()
    announcement = session.scalars(select(Delivery).where(Delivery.kind == "task_done")).one()
    reply = notices.render(session, announcement, policy=policy)  # through the lesson redactor
    assert reply is not None and reply.title.startswith("Fixed at the cause: Late or missed delivery")
    assert reply.text == "Depot scans checked twice a day" and len(reply.items) == 3
    assert "Jane" not in str(reply)
    assert "task_done" in session.scalars(select(AuditEvent.action)).all()


def test_a_fixed_pattern_that_comes_back_opens_a_new_task(session: Session, policy, clock) -> None:
    for i in range(3):
        resolve(session, policy, clock, customer_ref=f"ORD-{i}")
    (task,) = tasks(session)
    press(session, policy, clock, ActionId.TASK_ACCEPT, task, BOB)
    press(session, policy, clock, ActionId.TASK_DONE_CHANGE, task, BOB, {"change": "New courier"})
    clock.advance(days=1)
    for i in range(2):
        resolve(session, policy, clock, customer_ref=f"ORD-1{i}")
    assert len(tasks(session)) == 1  # the cases before the fix do not count again
    resolve(session, policy, clock, customer_ref="ORD-20")
    first, second = tasks(session)
    assert second.status == "open" and second.pattern == first.pattern and len(second.case_ids) == 3


def test_handing_over_and_declining(session: Session, policy, clock) -> None:
    for i in range(3):
        resolve(session, policy, clock, customer_ref=f"ORD-{i}")
    (task,) = tasks(session)
    with pytest.raises(InvalidInput, match="not in Mend's staff directory"):
        press(session, policy, clock, ActionId.TASK_REASSIGN_TO, task, BOB, {"owner": "nobody@example.com"})
    press(session, policy, clock, ActionId.TASK_REASSIGN_TO, task, BOB, {"owner": "Erin@Example.com"})
    assert task.owner_id == staff_id(session, "erin")
    handed = session.scalars(
        select(Delivery).where(Delivery.kind == "task_assigned").order_by(Delivery.id)
    ).all()
    assert [d.recipient_id for d in handed] == [staff_id(session, "bob"), staff_id(session, "erin")]
    assert notices.render(session, handed[0], policy=policy) is None  # Bob's copy is no longer his
    declined = press(
        session, policy, clock, ActionId.TASK_WONT_FIX_REASON, task, ERIN, {"why_not": "Out of our hands"}
    )
    assert "closed without a fix" in str(declined.fields) and task.open_key is None
    assert session.scalar(select(func.count()).select_from(Delivery).where(Delivery.kind == "task_done")) == 0


def test_a_reminder_comes_when_the_task_is_due_unless_it_is_closed(session: Session, policy, clock) -> None:
    for i in range(3):
        resolve(session, policy, clock, customer_ref=f"ORD-{i}")
    (task,) = tasks(session)
    reminder = session.scalars(select(Delivery).where(Delivery.kind == "task_reminder")).one()
    assert reminder.due_at == task.due_at
    reply = notices.render(session, reminder, policy=policy)
    assert reply is not None and reply.title.startswith("Bob Reyes, task T-") and "is due" in reply.title
    press(session, policy, clock, ActionId.TASK_WONT_FIX_REASON, task, CAROL, {"why_not": "Supplier change"})
    assert notices.render(session, reminder, policy=policy) is None


def test_tasks_lists_a_persons_and_their_teams_open_tasks(session: Session, policy, clock) -> None:
    for i in range(3):
        resolve(session, policy, clock, customer_ref=f"ORD-{i}")
    from bot.tasks import list_tasks

    assert list_tasks(CAROL, session=session, policy=policy, clock=clock).title == "1 open task"
    assert list_tasks(ERIN, session=session, policy=policy, clock=clock).title == "No open tasks"


def test_a_customers_third_case_in_90_days_asks_their_manager_to_call(
    session: Session, policy, clock
) -> None:
    for _ in range(2):
        open_late_delivery(session, policy, clock, customer_ref="ORD-77")
        clock.advance(days=20)
    assert tasks(session) == []
    third = open_late_delivery(session, policy, clock, customer_ref="ORD-77")
    (task,) = tasks(session)
    assert task.kind == "customer_again" and task.owner_id == staff_id(session, "bob")
    assert task.title.endswith("personally: 3 cases in 90 days")
    assert "Bob Reyes will call this customer personally" in str(third.reply)
    open_late_delivery(session, policy, clock, customer_ref="ORD-77")
    assert len(tasks(session)) == 1  # one open call per customer
    assert session.get(Case, task.case_id) is not None


def test_a_task_is_titled_in_its_owners_language_and_announced_in_the_channels(
    session: Session, policy, clock
) -> None:
    bob = session.scalars(select(Staff).where(Staff.email == "bob@example.com")).one()
    bob.locale = "de"  # the directory says Bob reads German
    session.commit()
    for i in range(3):
        resolve(session, policy, clock, customer_ref=f"ORD-{i}", customer_name=f"Jane Doe{i}")
    (task,) = tasks(session)
    assert task.title.startswith("System verbessern: ")
    form = press(session, policy, clock, ActionId.TASK_DONE, task, BOB)
    press(session, policy, clock, form.action, task, BOB, {"change": "Scans zweimal täglich"})
    announcement = session.scalars(select(Delivery).where(Delivery.kind == "task_done")).one()
    reply = notices.render(session, announcement, policy=policy)  # the channel reads English
    assert reply is not None and reply.title.startswith("Fixed at the cause: Late or missed delivery")
