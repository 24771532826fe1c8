"""Trust first, audit after: each manager's weekly look at the decisions of their team that stand out.

Cases and offers are stored rows, as the use cases leave them. The review runs on Monday
30 November 2026 at 09:00 in New York (the digest's time zone), over the week from Monday
23 November: ISO week 2026-W48. The directory: alice -> bob -> carol -> dana; erin and Olu
(ops) report to nobody; gus and frank, added here, report to Olu.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from adapters.console.chat import ChatSession
from adapters.console.help import HELP
from bot import notices, review
from bot.actions import handle
from bot.customers import customer_keys
from bot.deliveries import Kind
from bot.errors import InvalidInput, NotAllowed
from bot.replies import ActionId, Form, Reply
from bot.review_rules import Reason
from db.models import AuditEvent, Case, Delivery, Offer, ReviewItem, Staff
from policies.loader import DEFAULT_POLICY, PolicyError, load_policy
from policies.schema import Policy
from tests.fakes import FakeClock
from tests.helpers import ALICE, BOB, CAROL, DANA, ERIN

NOW = datetime(2026, 11, 30, 14, 0, tzinfo=UTC)  # Monday, 09:00 in New York
IN_WEEK = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)
BEFORE_WEEK = IN_WEEK - timedelta(days=20)
LIMIT = 2500  # a frontline employee's limit per incident, in cents


class Book:
    """Writes cases and their offers as the use cases would have stored them."""

    def __init__(self, session: Session) -> None:
        self.session = session
        for name in ("gus", "frank"):
            ops = session.scalar(select(Staff).where(Staff.email == "ops-lead@example.com"))
            session.add(
                Staff(
                    name=name.capitalize(),
                    email=f"{name}@example.com",
                    role="frontline",
                    manager_id=ops.id if ops else None,
                    location="hq",
                    created_at=NOW - timedelta(days=400),
                )
            )
        session.flush()
        self.staff = {s.email.split("@")[0]: s for s in session.scalars(select(Staff)) if s.email}

    def id(self, who: str) -> int:
        return self.staff[who].id

    def case(self, who: str, at: datetime, ref: str | None = None) -> Case:
        keys = customer_keys(ref, None, None)
        case = Case(
            customer_name="Jordan Example",
            customer_ref=ref,
            ref_key=keys.ref,
            tier="standard",
            category="late_delivery",
            severity="major",
            description="Parcel late",
            currency="USD",
            status="resolved",
            opened_by_id=self.id(who),
            platform="console",
            created_at=at,
            updated_at=at,
        )
        self.session.add(case)
        self.session.flush()
        return case

    def offer(self, case: Case, amount: int, at: datetime, status: str = "granted", by: str = "") -> None:
        self.session.add(
            Offer(
                case_id=case.id,
                type="voucher",
                label="Voucher",
                amount=amount,
                currency="USD",
                status=status,
                given_by_id=self.id(by) if by else case.opened_by_id,
                created_at=at,
                granted_at=at if status in ("granted", "approved") else None,
            )
        )
        self.session.flush()

    def cases_given(
        self, who: str, amounts: list[int], at: datetime = IN_WEEK, status: str = "granted"
    ) -> None:
        for n, amount in enumerate(amounts):
            self.offer(self.case(who, at - timedelta(hours=n)), amount, at - timedelta(hours=n), status)


@pytest.fixture
def book(session: Session, people: None) -> Book:
    return Book(session)


def run(session: Session, policy: Policy, now: datetime = NOW) -> int:
    week, _ = review.due_week(now, policy)
    return review.review_week(session, policy, week, now=now)


def items(session: Session, reason: Reason | None = None) -> list[ReviewItem]:
    query = select(ReviewItem).order_by(ReviewItem.manager_id, ReviewItem.id)
    if reason is not None:
        query = query.where(ReviewItem.reason == reason.value)
    return list(session.scalars(query))


def managers(session: Session, book: Book, reason: Reason | None = None) -> list[str]:
    names = {s.id: who for who, s in book.staff.items()}
    return sorted(names[i.manager_id] for i in items(session, reason))


def press(session, policy, action, item: ReviewItem, actor, inputs=None) -> Reply | Form:
    clock = FakeClock(NOW + timedelta(hours=1))
    return handle(action, str(item.id), actor, inputs, session=session, policy=policy, clock=clock)


# --- the rules, at their edges ------------------------------------------------------------


@pytest.mark.parametrize(("times", "picked"), [(2, False), (3, True)])
def test_a_customer_compensated_three_times_goes_to_every_manager_above_the_latest_giver(
    session, policy, book, times, picked
) -> None:
    for n in range(times):
        at = IN_WEEK - timedelta(days=30 * (times - 1 - n))  # the latest this past week
        book.offer(book.case("alice", at, ref="ORD-77"), 1500, at)
    run(session, policy)
    if not picked:
        assert items(session) == []
        return
    assert managers(session, book) == ["bob", "carol", "dana"]
    item = items(session)[0]
    assert (item.week, item.reason, item.subject, item.employee_id) == (
        "2026-W48",
        "repeat_compensation",
        "ORD77",
        book.id("alice"),
    )
    assert len(item.case_ids) == 3 and item.detail["times"] == 3 and item.detail["total"] == 4500


def test_a_repeat_customer_stands_out_only_in_the_week_of_the_latest_compensation(
    session, policy, book
) -> None:
    for days in (60, 30, 10):  # three within 90 days, but none this past week
        book.offer(
            book.case("alice", IN_WEEK - timedelta(days=days), ref="ORD-1"),
            1500,
            IN_WEEK - timedelta(days=days),
        )
    for days in (91, 40, 0):  # the first is older than 90 days when the week ends
        book.offer(
            book.case("alice", IN_WEEK - timedelta(days=days), ref="ORD-2"),
            1500,
            IN_WEEK - timedelta(days=days),
        )
    run(session, policy)
    assert items(session) == []


def test_approved_offers_count_and_the_latest_givers_managers_look(session, policy, book) -> None:
    book.offer(book.case("alice", BEFORE_WEEK, ref="ORD-3"), 1500, BEFORE_WEEK)
    book.offer(book.case("alice", BEFORE_WEEK, ref="ORD-3"), 9000, BEFORE_WEEK, status="approved")
    book.offer(book.case("gus", IN_WEEK, ref="ord 3"), 1500, IN_WEEK)
    book.offer(book.case("gus", IN_WEEK, ref="ORD-4"), 1500, IN_WEEK, status="denied")
    run(session, policy)
    assert managers(session, book) == ["ops-lead"]  # gus gave the latest: Olu's to look at, not Bob's


@pytest.mark.parametrize(("spent", "picked"), [(9995, False), (10000, False), (10005, True)])
def test_spend_per_case_stands_out_only_above_twice_the_roles_median(
    session, policy, book, spent, picked
) -> None:
    book.cases_given("erin", [1000] * 5)
    book.cases_given("frank", [1000] * 5)  # the frontline median: $10.00 per case
    book.cases_given("alice", [spent - 8000, 2000, 2000, 2000, 2000])
    run(session, policy)
    assert managers(session, book, Reason.HIGH_SPEND) == (["bob", "carol", "dana"] if picked else [])
    if picked:
        detail = items(session, Reason.HIGH_SPEND)[0].detail
        assert (detail["cases"], detail["spend"], detail["median"], detail["ratio"]) == (
            5,
            10005,
            1000,
            "2.00",
        )


@pytest.mark.parametrize(("cases", "picked"), [(4, False), (5, True)])
def test_spend_per_case_needs_five_cases(session, policy, book, cases, picked) -> None:
    book.cases_given("erin", [1000] * 5)
    book.cases_given("frank", [1000] * 5)
    book.cases_given("alice", [2400] * cases)
    run(session, policy)
    assert managers(session, book, Reason.HIGH_SPEND) == (["bob", "carol", "dana"] if picked else [])


def test_spend_counts_cases_opened_in_the_window_with_nothing_given_too(session, policy, book) -> None:
    book.cases_given("erin", [1000] * 5)
    book.cases_given("frank", [1000] * 5)
    book.cases_given("alice", [2400] * 5, at=IN_WEEK - timedelta(days=31))  # outside the 30 days
    book.cases_given("alice", [2400] * 5)
    for n in range(3):
        book.case("alice", IN_WEEK - timedelta(days=n))  # nothing given: $120 over 8 cases is $15
    run(session, policy)
    assert items(session, Reason.HIGH_SPEND) == []


def test_where_most_of_a_role_give_nothing_any_spend_stands_out(session, policy, book) -> None:
    for who in ("erin", "frank"):
        for n in range(5):
            book.case(who, IN_WEEK - timedelta(hours=n))
    book.cases_given("alice", [100] * 5)
    run(session, policy)
    (item, *_) = items(session, Reason.HIGH_SPEND)
    assert (item.detail["median"], item.detail["ratio"]) == (0, None)
    card = review.review_card(session, item.manager_id, "2026-W48", book.staff["bob"], policy)
    assert card is not None and "while the median Frontline employee gave nothing" in str(card.items)


@pytest.mark.parametrize(("amount", "picked"), [(2225, False), (2250, True)])
def test_offers_at_ninety_percent_of_the_limit_three_times_stand_out(
    session, policy, book, amount, picked
) -> None:
    assert policy.to_minor(policy.roles["frontline"].limit) == LIMIT
    book.cases_given("alice", [amount, 2500, 2400])
    run(session, policy)
    assert managers(session, book, Reason.NEAR_LIMIT) == (["bob", "carol", "dana"] if picked else [])
    if picked:
        detail = items(session, Reason.NEAR_LIMIT)[0].detail
        assert (detail["times"], detail["limit"], detail["share"]) == (3, LIMIT, "0.9")


def test_near_the_limit_twice_or_by_approval_is_no_pattern(session, policy, book) -> None:
    book.cases_given("alice", [2500, 2500])
    book.cases_given("alice", [9000], status="approved")  # not on her own authority
    book.cases_given("alice", [2500], at=IN_WEEK - timedelta(days=31))  # outside the 30 days
    run(session, policy)
    assert items(session, Reason.NEAR_LIMIT) == []


def test_what_one_person_gave_on_one_case_counts_together_against_the_limit(session, policy, book) -> None:
    book.cases_given("alice", [2300, 2300])
    case = book.case("alice", IN_WEEK)
    book.offer(case, 1200, IN_WEEK)
    book.offer(case, 1100, IN_WEEK)  # $23 on one case: the limit covers the whole case
    run(session, policy)
    assert managers(session, book, Reason.NEAR_LIMIT) == ["bob", "carol", "dana"]


# --- who sees what, once ------------------------------------------------------------------


def test_a_manager_sees_only_their_own_teams_items(session, policy, book) -> None:
    book.cases_given("alice", [2500] * 3)
    book.cases_given("gus", [2500] * 3)
    run(session, policy)
    who = {s.id: name for name, s in book.staff.items()}
    assert {(who[i.manager_id], i.employee_id) for i in items(session)} == {
        ("bob", book.id("alice")),
        ("carol", book.id("alice")),
        ("dana", book.id("alice")),
        ("ops-lead", book.id("gus")),
    }
    clock = FakeClock(NOW)
    bobs = review.show_review(BOB, session=session, policy=policy, clock=clock)
    assert "Alice Park" in str(bobs.items) and "Gus" not in str(bobs.items)
    assert review.show_review(ERIN, session=session, policy=policy, clock=clock).title == (
        "Nothing to review for week 2026-W48"
    )


def test_running_the_review_again_adds_nothing_and_each_manager_gets_one_card(session, policy, book) -> None:
    book.cases_given("alice", [2500] * 3)
    book.offer(book.case("alice", IN_WEEK, ref="ORD-9"), 100, IN_WEEK)
    book.offer(book.case("alice", BEFORE_WEEK, ref="ORD-9"), 100, BEFORE_WEEK)
    book.offer(book.case("alice", BEFORE_WEEK, ref="ORD-9"), 100, BEFORE_WEEK)
    assert run(session, policy) == 6
    assert run(session, policy) == 0
    assert run(session, policy, NOW + timedelta(days=3)) == 0  # later in the same week
    assert len(items(session)) == 6
    cards = session.scalars(select(Delivery).where(Delivery.kind == Kind.REVIEW.value)).all()
    assert sorted(c.dedupe_key for c in cards) == sorted(
        f"review:{book.id(who)}:2026-W48" for who in ("bob", "carol", "dana")
    )


def test_the_review_is_due_from_monday_0800_and_runs_once_a_week(session, policy, book) -> None:
    book.cases_given("alice", [2500] * 3)
    monday_0759 = NOW - timedelta(hours=1, minutes=1)
    assert review.enqueue_weekly_review(session, policy, monday_0759)  # the week before, still due
    assert items(session) == []
    assert review.enqueue_weekly_review(session, policy, NOW - timedelta(hours=1))
    assert len(items(session)) == 3
    assert not review.enqueue_weekly_review(session, policy, NOW)
    assert not review.enqueue_weekly_review(session, policy, NOW + timedelta(days=3))
    ran = session.scalars(select(AuditEvent.detail).where(AuditEvent.action == review.RAN)).all()
    assert [d["week"] for d in ran] == ["2026-W47", "2026-W48"]


def test_a_start_later_in_the_week_still_runs_that_weeks_review_once(session, policy, book) -> None:
    book.cases_given("alice", [2500] * 3)
    thursday = NOW + timedelta(days=3)
    assert review.enqueue_weekly_review(session, policy, thursday)
    assert not review.enqueue_weekly_review(session, policy, thursday + timedelta(hours=1))
    assert {i.week for i in items(session)} == {"2026-W48"} and len(items(session)) == 3


# --- deciding --------------------------------------------------------------------------------


def test_looks_fine_and_talk_to_them_are_recorded_on_the_item_and_in_the_audit_log(
    session, policy, book
) -> None:
    book.cases_given("alice", [2500] * 3)
    book.offer(book.case("alice", IN_WEEK, ref="ORD-5"), 100, IN_WEEK)
    book.offer(book.case("alice", BEFORE_WEEK, ref="ORD-5"), 100, BEFORE_WEEK)
    book.offer(book.case("alice", BEFORE_WEEK, ref="ORD-5"), 100, BEFORE_WEEK)
    run(session, policy)
    repeat, near = [i for i in items(session) if i.manager_id == book.id("bob")]

    card = press(session, policy, ActionId.REVIEW_FINE, repeat, BOB)
    assert isinstance(card, Reply) and card.title == "Review of week 2026-W48: 1 decision to look at"
    assert "Looks fine: Bob Reyes" in str(card.items)
    assert (repeat.status, repeat.decided_by_id) == ("looks_fine", book.id("bob"))
    press(session, policy, ActionId.REVIEW_FINE, repeat, BOB)  # a double click records nothing more

    form = press(session, policy, ActionId.REVIEW_TALK, near, CAROL)  # Bob's manager may decide too
    assert isinstance(form, Form) and form.action is ActionId.REVIEW_TALK_NOTE
    with pytest.raises(InvalidInput):
        press(session, policy, ActionId.REVIEW_TALK_NOTE, near, CAROL, {"note": "  "})
    card = press(session, policy, ActionId.REVIEW_TALK_NOTE, near, CAROL, {"note": "Agreed to ask first"})
    assert card.title == "Review of week 2026-W48: all 2 decisions looked at"
    assert "Talked to them: Carol Diaz" in str(card.items) and "Agreed to ask first" in str(card.items)
    assert (near.status, near.note, near.decided_by_id) == ("talked", "Agreed to ask first", book.id("carol"))

    events = session.execute(
        select(AuditEvent.action, AuditEvent.actor_id, AuditEvent.detail)
        .where(AuditEvent.action.like("review_%"), AuditEvent.action != review.RAN)
        .order_by(AuditEvent.id)
    ).all()
    assert [(a, actor, d["item_id"], d["note"]) for a, actor, d in events] == [
        ("review_looks_fine", book.id("bob"), repeat.id, None),
        ("review_talked", book.id("carol"), near.id, "Agreed to ask first"),
    ]
    # A later click on a decided item shows who decided, and changes nothing.
    again = press(session, policy, ActionId.REVIEW_TALK, repeat, DANA)
    assert isinstance(again, Reply) and repeat.status == "looks_fine"


@pytest.mark.parametrize("actor", [ALICE, ERIN], ids=["the employee herself", "someone outside the team"])
def test_only_the_manager_or_their_managers_may_decide(session, policy, book, actor) -> None:
    book.cases_given("alice", [2500] * 3)
    run(session, policy)
    bobs, carols = (next(i for i in items(session) if i.manager_id == book.id(m)) for m in ("bob", "carol"))
    for action in (ActionId.REVIEW_FINE, ActionId.REVIEW_TALK):
        with pytest.raises(NotAllowed, match="Bob Reyes's: only they, or their managers"):
            press(session, policy, action, bobs, actor)
    with pytest.raises(NotAllowed):
        press(session, policy, ActionId.REVIEW_FINE, carols, BOB)  # Carol's item, not her manager
    assert {i.status for i in items(session)} == {"open"}
    press(session, policy, ActionId.REVIEW_FINE, carols, DANA)
    assert carols.status == "looks_fine"


def test_the_weekly_card_lists_each_item_with_its_reason_figures_and_buttons(session, policy, book) -> None:
    book.cases_given("erin", [1000] * 5)
    book.cases_given("frank", [1000] * 5)
    book.cases_given("alice", [2500] * 5)
    run(session, policy)
    delivery = session.scalar(select(Delivery).where(Delivery.recipient_id == book.id("bob")))
    card = notices.render(session, delivery, policy=policy)
    assert card is not None and card.title == "Review of week 2026-W48: 2 decisions to look at"
    text = " ".join(f"{i.title} {i.detail}" for i in card.items)
    assert "High compensation per case: Alice Park, $25.00 per case over 30 days" in text
    assert "2.50 times the median Frontline employee's $10.00 per case" in text
    assert "Often just under the limit: Alice Park, 5 times in 30 days" in text
    assert "each 90% or more of Alice Park's $25.00 limit per incident" in text
    buttons = [i.button.action for i in card.items if i.button]
    assert buttons == [ActionId.REVIEW_FINE, ActionId.REVIEW_TALK] * 2
    assert delivery.due_at == NOW  # 09:00 in New York: within Bob's working hours


# --- the policy and the terminal ---------------------------------------------------------------


def test_a_review_threshold_out_of_bounds_is_refused_by_policy_check(tmp_path: Path) -> None:
    bad = tmp_path / "policy.yaml"
    bad.write_text(DEFAULT_POLICY.read_text().replace("spend_ratio: 2\n", "spend_ratio: 0.5\n"))
    with pytest.raises(PolicyError) as error:
        load_policy(bad)
    assert "learning.review.spend_ratio: Input should be greater than 1" in str(error.value)
    root = Path(__file__).resolve().parent.parent
    checked = subprocess.run(
        [sys.executable, "-m", "adapters.cli", "policy", "check", str(bad)],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(root)},
        cwd=tmp_path,
    )
    assert checked.returncode == 1
    assert f"{bad}:" in checked.stderr and "learning.review.spend_ratio: Input should be greater than 1" in (
        checked.stderr
    )


def test_review_in_the_terminal_shows_the_managers_open_items_and_decides_them(
    fresh_sessions: sessionmaker[Session], policy
) -> None:
    from bot import staff
    from tests.conftest import STAFF_CSV

    with fresh_sessions() as session:
        staff.import_staff(STAFF_CSV, session=session, policy=policy, clock=FakeClock(NOW))
        Book(session).cases_given("alice", [2500] * 3)
        session.commit()
    out = io.StringIO()
    chat = ChatSession(fresh_sessions, policy, FakeClock(NOW), "bob", read=input, out=out)
    chat.command("/review")
    with fresh_sessions() as session:
        item = session.scalar(select(ReviewItem).where(ReviewItem.manager_id == chat_staff(session, "bob")))
    assert f"Looks fine: /fine {item.id}" in out.getvalue() and f"/talk {item.id}" in out.getvalue()
    chat.command(f"/fine {item.id}")
    assert "Looks fine: Bob Reyes" in out.getvalue()
    assert "/review" in HELP and "/fine N, /talk N" in HELP


def chat_staff(session: Session, name: str) -> int:
    return session.scalar(select(func.min(Staff.id)).where(Staff.email == f"{name}@example.com"))
