"""The measures against figures worked out by hand on a small fixed set of cases.

Each test names the definition in docs/reports.md it checks. The cases are
stored rows, as the use cases leave them; the period is the week from Monday
2 November 2026, 00:00 UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import measures
from bot.customers import customer_keys
from bot.measures import Dimension, Period
from db.models import (
    ApprovalDecision,
    ApprovalRequest,
    AuditEvent,
    Case,
    Delivery,
    Offer,
    Staff,
)

T0 = datetime(2026, 11, 2, tzinfo=UTC)
WEEK = Period(T0, T0 + timedelta(days=7))
H = timedelta(hours=1)
M = timedelta(minutes=1)


class Cases:
    """Writes cases and what happened to them, as the use cases would have stored them."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.staff = {s.email.split("@")[0]: s for s in session.scalars(select(Staff)) if s.email}

    def case(
        self, who: str, category: str, severity: str, at: datetime, status: str, **customer: str
    ) -> Case:
        keys = customer_keys(customer.get("ref"), customer.get("email"), customer.get("phone"))
        case = Case(
            customer_name="Jordan Example",
            customer_ref=customer.get("ref"),
            customer_email=customer.get("email"),
            customer_phone=customer.get("phone"),
            ref_key=keys.ref,
            email_key=keys.email,
            phone_key=keys.phone,
            tier="standard",
            category=category,
            severity=severity,
            description="what happened",
            currency="USD",
            status=status,
            opened_by_id=self.staff[who].id,
            platform="console",
            root_cause=customer.get("root_cause"),
            created_at=at,
            updated_at=at,
        )
        self.session.add(case)
        self.session.flush()
        return case

    def event(self, case: Case, action: str, at: datetime) -> None:
        self.session.add(AuditEvent(at=at, case_id=case.id, platform="console", action=action, detail={}))

    def offer(self, case: Case, amount: int, status: str, at: datetime) -> Offer:
        offer = Offer(
            case_id=case.id,
            type="voucher",
            label="Voucher",
            amount=amount,
            currency="USD",
            status=status,
            given_by_id=case.opened_by_id,
            created_at=at,
            granted_at=at if status in ("granted", "approved") else None,
        )
        self.session.add(offer)
        self.session.flush()
        return offer

    def request(
        self, case: Case, offer: Offer, status: str, at: datetime, *, level: int = 0
    ) -> ApprovalRequest:
        request = ApprovalRequest(
            offer_id=offer.id,
            case_id=case.id,
            requested_by_id=case.opened_by_id,
            approver_id=self.staff["bob"].id,
            level=level,
            status=status,
            due_at=at + H,
            created_at=at,
        )
        self.session.add(request)
        self.session.flush()
        return request

    def decide(self, request: ApprovalRequest, outcome: str, at: datetime) -> None:
        self.session.add(
            ApprovalDecision(
                request_id=request.id,
                decided_by_id=self.staff["bob"].id,
                outcome=outcome,
                platform="console",
                decided_at=at,
            )
        )

    def fallback(self, case: Case, request: ApprovalRequest, at: datetime) -> None:
        self.session.add(
            Delivery(
                kind="fallback_offer",
                recipient_id=case.opened_by_id,
                case_id=case.id,
                payload={"request_id": request.id},
                status="sent",
                due_at=at,
                dedupe_key=f"fallback:{request.id}",
                created_at=at,
            )
        )


@pytest.fixture
def week(session: Session, people: None) -> Cases:
    """Five cases opened in the week and one the week before; see each test for what it implies."""
    w = Cases(session)
    store_week(w)
    session.flush()
    return w


def store_week(w: Cases) -> None:
    """Store the week's cases (and the one before it) through `w`."""
    # c1: Alice, offered $7 on her own after 10 minutes, resolved after an hour, confirmed fixed.
    c1 = w.case(
        "alice", "late_delivery", "minor", T0 + H, "recovered", ref="A-1", root_cause="Courier scan missed"
    )
    w.offer(c1, 700, "granted", T0 + H + 10 * M)
    w.event(c1, "case_resolved", T0 + 2 * H)
    w.event(c1, "follow_up_fixed", T0 + 30 * H)
    # c2: Alice, $30 approved (asked after 20 minutes, decided at 50), resolved after 5 hours,
    # the customer still unhappy, reopened.
    c2 = w.case(
        "alice",
        "late_delivery",
        "major",
        T0 + 24 * H,
        "open",
        email="x@example.com",
        root_cause=" courier SCAN missed ",
    )
    o2 = w.offer(c2, 3000, "approved", T0 + 24 * H + 20 * M)
    w.decide(w.request(c2, o2, "approved", T0 + 24 * H + 20 * M), "approved", T0 + 24 * H + 50 * M)
    w.event(c2, "case_resolved", T0 + 29 * H)
    w.event(c2, "follow_up_unhappy", T0 + 72 * H)
    w.event(c2, "case_reopened", T0 + 73 * H)
    # c3: Erin, no offer, resolved after 3 hours, the customer could not be reached.
    c3 = w.case("erin", "billing_error", "minor", T0 + 48 * H, "resolved", root_cause="Tax rate")
    w.event(c3, "case_resolved", T0 + 51 * H)
    w.event(c3, "follow_up_unreachable", T0 + 80 * H)
    # c4: Erin, $50 asked after an hour, escalated, the customer waiting fell back, denied at 2 hours.
    c4 = w.case("erin", "billing_error", "critical", T0 + 72 * H, "open", phone="+1 555 010 2030")
    o4 = w.offer(c4, 5000, "denied", T0 + 73 * H)
    r4 = w.request(c4, o4, "denied", T0 + 73 * H, level=1)
    w.decide(r4, "denied", T0 + 74 * H)
    w.fallback(c4, r4, T0 + 73 * H + 10 * M)
    # c5: the week before: in no measure of this week.
    c5 = w.case("alice", "late_delivery", "minor", T0 - 24 * H, "recovered", ref="B-2")
    w.offer(c5, 999, "granted", T0 - 23 * H)
    w.event(c5, "case_resolved", T0 + H)  # resolved this week, but opened before it
    # c6: Alice, cancelled; the customer of c1 again, six days later.
    w.case("alice", "long_wait", "minor", T0 + 144 * H, "cancelled", ref="a1")


def only(rows: list[measures.Row]) -> measures.Row:
    assert len(rows) == 1
    return rows[0]


def test_cases_opened_and_share_resolved(session: Session, week: Cases) -> None:
    row = only(measures.measure(session, WEEK))
    assert row.opened == 5
    assert row.resolved == 2  # c1 recovered, c3 resolved; c2 and c4 open, c6 cancelled
    assert row.share_resolved == pytest.approx(0.4)


def test_recovery_rate_counts_followed_up_cases(session: Session, week: Cases) -> None:
    row = only(measures.measure(session, WEEK))
    assert (row.followed_up, row.fixed, row.unhappy, row.unreachable) == (3, 1, 1, 1)
    assert row.recovery_rate == pytest.approx(1 / 3)


def test_reopen_rate_is_over_cases_ever_resolved(session: Session, week: Cases) -> None:
    row = only(measures.measure(session, WEEK))
    assert (row.reopened, row.ever_resolved) == (1, 3)
    assert row.reopen_rate == pytest.approx(1 / 3)


def test_times_from_open_are_medians_and_p90s(session: Session, week: Cases) -> None:
    row = only(measures.measure(session, WEEK))
    # First offer: 600 s, 1,200 s, 3,600 s.
    assert row.to_first_offer.median == pytest.approx(1200)
    assert row.to_first_offer.p90 == pytest.approx(1200 + 0.8 * 2400)
    # First approval decision: 3,000 s and 7,200 s.
    assert row.to_decision.median == pytest.approx(5100)
    assert row.to_decision.p90 == pytest.approx(3000 + 0.9 * 4200)
    # First resolution: 3,600 s, 18,000 s, 10,800 s.
    assert row.to_resolution.median == pytest.approx(10800)
    assert row.to_resolution.p90 == pytest.approx(10800 + 0.8 * 7200)


def test_compensation_given_own_authority_and_approved(session: Session, week: Cases) -> None:
    row = only(measures.measure(session, WEEK))
    assert (row.given, row.within_authority, row.approved_amount) == (3700, 700, 3000)
    assert row.given_cases == 2
    assert row.given_median == pytest.approx(1850)
    assert row.given_per_case == pytest.approx(3700 / 5)


def test_approvals_requested_decided_escalated_and_fallen_back(session: Session, week: Cases) -> None:
    row = only(measures.measure(session, WEEK))
    assert (row.requested, row.approved, row.denied, row.escalated, row.fell_back) == (2, 1, 1, 1, 1)


def test_breakdowns_by_category_location_team_and_employee(session: Session, week: Cases) -> None:
    by_category = {r.key: r.opened for r in measures.measure(session, WEEK, by=[Dimension.CATEGORY])}
    assert by_category == {("billing_error",): 2, ("late_delivery",): 2, ("long_wait",): 1}
    by_location = {r.key: r.opened for r in measures.measure(session, WEEK, by=[Dimension.LOCATION])}
    assert by_location == {("hq",): 3, ("london",): 2}
    staff = week.staff
    by_team = {r.key: r.opened for r in measures.measure(session, WEEK, by=[Dimension.TEAM])}
    assert by_team == {(staff["bob"].id,): 3, (None,): 2}  # Erin has no manager
    by_employee = {r.key: r.given for r in measures.measure(session, WEEK, by=[Dimension.EMPLOYEE])}
    assert by_employee == {(staff["alice"].id,): 3700, (staff["erin"].id,): 0}
    two = measures.measure(session, WEEK, by=[Dimension.CATEGORY, Dimension.SEVERITY])
    assert [(r.key, r.opened) for r in two][:2] == [
        (("billing_error", "critical"), 1),
        (("billing_error", "minor"), 1),
    ]
    assert measures.total(two).opened == 5


def test_weeks_number_cases_by_their_boundaries(session: Session, week: Cases) -> None:
    rows = measures.measure(session, WEEK, by=[Dimension.WEEK], weeks=[T0, T0 + 72 * H])
    assert [(r.key, r.opened, r.fixed) for r in rows] == [((0,), 3, 1), ((1,), 2, 0)]


def test_scope_keeps_to_the_cases_of_the_people_given(session: Session, week: Cases) -> None:
    row = only(measures.measure(session, WEEK, scope={week.staff["erin"].id}))
    assert (row.opened, row.given, row.requested) == (2, 0, 1)
    assert measures.measure(session, WEEK, scope=set()) == []


def test_repeat_customers_split_by_whether_the_first_case_was_fixed(session: Session, week: Cases) -> None:
    repeats = measures.repeat_customers(session, WEEK)
    # First cases: c1 (fixed; its customer came back with c6), c2 and c4 (not fixed, no return).
    # c3 has no customer key; c6 follows c1 within 90 days, so it is not a first case.
    assert (repeats.first_fixed, repeats.repeat_after_fixed) == (1, 1)
    assert (repeats.first_not_fixed, repeats.repeat_after_not_fixed) == (2, 0)
    assert repeats.repeat_rate == pytest.approx(1 / 3)
    assert repeats.repeat_rate_after_fixed == 1.0
    assert repeats.repeat_rate_after_not_fixed == 0.0


def test_top_root_causes_ignore_case_and_spaces(session: Session, week: Cases) -> None:
    assert measures.top_root_causes(session, WEEK) == [("courier scan missed", 2), ("tax rate", 1)]
    assert measures.top_root_causes(session, WEEK, scope={week.staff["erin"].id}) == [("tax rate", 1)]


def test_an_empty_period_has_no_rows(session: Session, week: Cases) -> None:
    later = Period(T0 + timedelta(days=70), T0 + timedelta(days=77))
    assert measures.measure(session, later) == []
    assert measures.repeat_customers(session, later).repeat_rate is None


def test_the_total_beside_a_breakdown_is_the_measure_of_all_its_groups(session: Session, week: Cases) -> None:
    rows, overall = measures.measure_with_total(session, WEEK, by=[Dimension.LOCATION])
    assert rows == measures.measure(session, WEEK, by=[Dimension.LOCATION])
    assert overall == only(measures.measure(session, WEEK))  # medians too, not only the sums
    assert measures.measure_with_total(session, WEEK, by=[Dimension.LOCATION], scope=set()) == (
        [],
        measures.Row(key=()),
    )


def test_root_causes_chosen_from_the_policys_list_count_by_their_kind(session: Session, week: Cases) -> None:
    for n, words in enumerate(["Driver lost it", "Van broke down"]):
        case = week.case("alice", "late_delivery", "minor", T0 + (100 + n) * H, "resolved", root_cause=words)
        case.root_cause_key = "courier_delay"
    session.flush()
    names = {("late_delivery", "courier_delay"): "Courier delay"}
    assert measures.top_root_causes(session, WEEK, names=names) == [
        ("courier scan missed", 2),  # no kind chosen: the words, as before
        ("Courier delay", 2),  # two different wordings, one kind
        ("tax rate", 1),
    ]
