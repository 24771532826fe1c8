"""Trust first, audit after: each week, the decisions of a manager's team that stand out.

Staff decide on the spot and nobody's authority changes here. Once a week, from
Monday 08:00 in the digest's time zone (a process that starts later in the week runs
it then, once), Mend applies the policy's `learning.review` rules (`bot.review_rules`)
to the week just past: a customer compensated again and again, an employee's high
compensation per case against their role's median, and a pattern of offers just under
an employee's limit.

Every manager above the employee, directly or further up, gets one `ReviewItem` per
week, reason and subject (a unique key, so reruns and replicas add nothing twice) and
one weekly card. They, or their own managers, mark each item "looks fine" or "talked
to them" with a note; each decision goes into the audit log. The rules in words, and
who gets what when: docs/learning.md.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, time, timedelta
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import Table, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from bot import messages, review_rules
from bot.audit import record
from bot.cases import check_length
from bot.commands import Actor
from bot.deliveries import Kind
from bot.errors import InvalidInput, NotAllowed, NotFound
from bot.fields import FieldSpec
from bot.i18n import N_, _
from bot.ports import Clock
from bot.presses import Deps, Press, Route
from bot.quiet_hours import local_midnight, location_of, monday_of, next_working_time
from bot.replies import ActionId, Field, Form, Input, InputKind, Reply
from bot.review_rules import Week
from bot.staff import MAX_CHAIN, management_chain, resolve_actor
from bot.values import Target
from db import queries
from db.models import AuditEvent, DeliveryStatus, ReviewItem, ReviewStatus, Staff
from policies.schema import Policy

SEND_AT = time(8, 0)  # on Mondays, in the digest's time zone
RAN = "review_ran"  # the audit event of a weekly run: its marker, so it runs once a week
NOTE = FieldSpec(
    "note",
    N_("What you talked about"),
    2000,
    InputKind.LONG_TEXT,
    hint=N_("Kept with the item, for you and your managers"),
)


def due_week(now: datetime, policy: Policy) -> tuple[Week, datetime]:
    """Return the latest week whose review is due at `now`, and when it fell due."""
    zone = ZoneInfo(policy.digest_timezone)
    monday = monday_of(now, zone)
    if now < datetime.combine(monday, SEND_AT, tzinfo=zone):
        monday -= timedelta(days=7)
    first = monday - timedelta(days=7)
    year, number, _weekday = first.isocalendar()
    week = Week(local_midnight(first, zone), local_midnight(monday, zone), f"{year}-W{number:02d}")
    return week, datetime.combine(monday, SEND_AT, tzinfo=zone)


def enqueue_weekly_review(session: Session, policy: Policy, now: datetime) -> bool:
    """Review the week just past once its Monday 08:00 has passed, once a week; say if it ran now."""
    week, due = due_week(now, policy)
    if not queries.try_job_lock(session, "weekly_review"):
        return False  # another replica is at it
    if session.scalar(select(AuditEvent.id).where(AuditEvent.action == RAN, AuditEvent.at >= due).limit(1)):
        return False
    review_week(session, policy, week, now=now)
    return True


def review_week(session: Session, policy: Policy, week: Week, *, now: datetime) -> int:
    """Store what stood out in `week` for each manager above, queue their cards; return the items added."""
    found = review_rules.find(session, policy, week)
    people = {
        i: (m, loc) for i, m, loc in session.execute(select(Staff.id, Staff.manager_id, Staff.location))
    }
    rows: list[dict[str, Any]] = [
        {
            "manager_id": manager,
            "week": week.key,
            "reason": f.reason.value,
            "subject": f.subject,
            "employee_id": f.employee_id,
            "case_ids": f.case_ids,
            "detail": f.detail,
            "status": ReviewStatus.OPEN.value,
            "created_at": now,
        }
        for f in found
        for manager in _managers_above(f.employee_id, people)
    ]
    added = _insert_new(session, rows)
    managers: list[int] = sorted({row["manager_id"] for row in rows})
    queries.insert_deliveries_once(
        session,
        [
            {
                "kind": Kind.REVIEW.value,
                "recipient_id": manager,
                "channel": None,
                "case_id": None,
                "payload": {"week": week.key},
                "status": DeliveryStatus.PENDING.value,
                "due_at": next_working_time(now, location_of(policy, people[manager][1])),
                "attempts": 0,
                "dedupe_key": f"review:{manager}:{week.key}",
                "created_at": now,
            }
            for manager in managers
        ],
    )
    record(
        session,
        action=RAN,
        at=now,
        platform="system",
        actor_id=None,
        week=week.key,
        items=added,
        managers=len(managers),
    )
    return added


def _managers_above(staff_id: int, people: dict[int, tuple[int | None, str | None]]) -> list[int]:
    chain: list[int] = []
    manager = people.get(staff_id, (None, None))[0]
    while manager is not None and manager != staff_id and manager not in chain and len(chain) < MAX_CHAIN:
        chain.append(manager)
        manager = people.get(manager, (None, None))[0]
    return chain


def _insert_new(session: Session, rows: list[dict[str, Any]]) -> int:
    """Add review items, each unless its (manager, week, reason, subject) exists; return how many."""
    if not rows:
        return 0
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    table = cast(Table, ReviewItem.__table__)
    unique = ["manager_id", "week", "reason", "subject"]
    stmt = insert(table).on_conflict_do_nothing(index_elements=unique).returning(table.c.id)
    return len(session.execute(stmt, rows).all())


# --- what a manager sees and decides ----------------------------------------------------


def review_card(session: Session, manager_id: int, week: str, viewer: Staff, policy: Policy) -> Reply | None:
    """Return a manager's card of one week's items as `viewer` may act on it; None if it has none."""
    items = list(
        session.scalars(
            select(ReviewItem)
            .where(ReviewItem.manager_id == manager_id, ReviewItem.week == week)
            .order_by(ReviewItem.id)
        )
    )
    if not items:
        return None
    names = _names(session, (i.employee_id for i in items), (i.decided_by_id for i in items))
    may_decide = _may_decide(session, viewer, manager_id)
    return messages.review_card(week, items, names, policy, may_decide=may_decide)


def show_review(
    actor: Actor, _text: str = "", *, session: Session, policy: Policy, clock: Clock, run_due: bool = False
) -> Reply:
    """Return the asker's card of the latest week reviewed; `run_due` first runs that review if it is due."""
    viewer = resolve_actor(session, actor, policy=policy, now=clock.now())
    if run_due:
        enqueue_weekly_review(session, policy, clock.now())
    week = due_week(clock.now(), policy)[0]
    return review_card(session, viewer.id, week.key, viewer, policy) or messages.review_nothing(week.key)


def _names(session: Session, *ids: Iterable[int | None]) -> dict[int, str]:
    wanted = {i for group in ids for i in group if i is not None}
    return {s.id: s.name for s in queries.list_staff_by_ids(session, wanted)}


def _may_decide(session: Session, viewer: Staff, manager_id: int) -> bool:
    if viewer.id == manager_id:
        return True
    manager = queries.get_staff(session, manager_id)
    return manager is not None and viewer.id in {m.id for m in management_chain(session, manager)}


def _deciding(p: Press, d: Deps) -> tuple[ReviewItem, Staff]:
    viewer = resolve_actor(d["session"], p.actor, policy=d["policy"], now=d["clock"].now())
    item = d["session"].scalar(select(ReviewItem).where(ReviewItem.id == p.item_id).with_for_update())
    if item is None:
        raise NotFound(messages.review_item_not_found(p.item_id))
    if not _may_decide(d["session"], viewer, item.manager_id):
        manager = queries.get_staff(d["session"], item.manager_id)
        # Translators: stands for a manager's name Mend cannot find, in "This review item is {manager}'s".
        raise NotAllowed(messages.review_not_yours(manager.name if manager else _("another manager")))
    return item, viewer


def _decide(
    p: Press, d: Deps, item: ReviewItem, viewer: Staff, status: ReviewStatus, note: str | None
) -> None:
    now = d["clock"].now()
    item.status, item.note, item.decided_by_id, item.decided_at = status.value, note, viewer.id, now
    record(
        d["session"],
        action=f"review_{status.value}",
        at=now,
        platform=p.actor.platform,
        actor_id=viewer.id,
        item_id=item.id,
        manager_id=item.manager_id,
        week=item.week,
        reason=item.reason,
        employee_id=item.employee_id,
        note=note,
    )


def _card(d: Deps, item: ReviewItem, viewer: Staff) -> Reply:
    d["session"].commit()
    card = review_card(d["session"], item.manager_id, item.week, viewer, d["policy"])
    assert card is not None  # it holds this item
    return card


def _looks_fine(p: Press, d: Deps) -> Reply:
    item, viewer = _deciding(p, d)
    if item.status == ReviewStatus.OPEN:  # a repeat click, or a later one, shows who decided
        _decide(p, d, item, viewer, ReviewStatus.LOOKS_FINE, None)
    return _card(d, item, viewer)


def _ask_what_was_said(p: Press, d: Deps) -> Reply | Form:
    item, viewer = _deciding(p, d)
    if item.status != ReviewStatus.OPEN:
        return _card(d, item, viewer)
    d["session"].commit()
    names = _names(d["session"], [item.employee_id])
    return Form(
        # Translators: the title of the form where a manager notes what they and the employee agreed.
        title=_("Talk to them"),
        action=ActionId.REVIEW_TALK_NOTE,
        value=Target(item_id=item.id).encode(),
        # Translators: the button that saves the note of what was talked about.
        submit_label=_("Save"),
        intro=_("Say what you talked about or agreed; the item is then marked as talked about."),
        fields=(Field(_("Why it stood out"), messages.review_item_summary(item, names, d["policy"])),),
        inputs=(Input(NOTE.name, _(NOTE.label), NOTE.kind, hint=_(NOTE.hint), max_length=NOTE.max_length),),
    )


def _talked(p: Press, d: Deps) -> Reply:
    item, viewer = _deciding(p, d)
    if item.status == ReviewStatus.OPEN:
        note = p.text(NOTE.name).strip()
        if not note:
            raise InvalidInput(NOTE.name, messages.required(NOTE.name))
        _decide(p, d, item, viewer, ReviewStatus.TALKED, check_length(NOTE, note))
    return _card(d, item, viewer)


REVIEW_ROUTES: dict[ActionId, Route] = {
    ActionId.REVIEW_FINE: _looks_fine,
    ActionId.REVIEW_TALK: _ask_what_was_said,
    ActionId.REVIEW_TALK_NOTE: _talked,
}
