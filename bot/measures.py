"""Does recovery work? The measures, as queries over the cases Mend keeps.

Every measure is about a cohort: the cases *opened* in a period (half-open,
`since <= created_at < until`, in UTC), optionally only those opened by a set of
people (a manager's team), and broken down by any of the `Dimension`s. Whatever
happened to those cases afterwards counts, up to the moment the query runs. The
exact definitions are in docs/reports.md; each has a test.

One query per question, on SQLite and PostgreSQL alike: the per-case facts are
gathered with a join per table, then grouped; medians and p90s come from the
database (`db.aggregates.percentile`).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, exists, func, literal, or_, select
from sqlalchemy.orm import Session, aliased

from db.aggregates import percentile, seconds_between
from db.models import (
    ApprovalDecision,
    ApprovalRequest,
    AuditEvent,
    Case,
    CaseStatus,
    Delivery,
    Offer,
    OfferStatus,
    RequestStatus,
    Staff,
)

REPEAT_WITHIN = timedelta(days=90)
FOLLOW_UP_ACTIONS = ("follow_up_fixed", "follow_up_unhappy", "follow_up_unreachable")
_EVENT_ACTIONS = (*FOLLOW_UP_ACTIONS, "case_resolved", "case_reopened")
_GIVEN = (OfferStatus.GRANTED.value, OfferStatus.APPROVED.value)
_CLOSED = (CaseStatus.RESOLVED.value, CaseStatus.RECOVERED.value)


class Dimension(StrEnum):
    """What the measures can be broken down by."""

    CATEGORY = "category"
    SEVERITY = "severity"
    LOCATION = "location"  # where the employee who opened the case works
    TEAM = "team"  # the manager of the employee who opened the case
    EMPLOYEE = "employee"  # who opened the case
    WEEK = "week"  # which of the `weeks` boundaries the case was opened between


@dataclass(frozen=True)
class Period:
    """From `since` (included) to `until` (excluded), aware datetimes."""

    since: datetime
    until: datetime

    def __post_init__(self) -> None:
        if self.since.tzinfo is None or self.until.tzinfo is None:
            raise ValueError("a period's ends are aware datetimes")
        if self.until <= self.since:
            raise ValueError("a period ends after it starts")


@dataclass(frozen=True)
class Spread:
    """The median and 90th percentile of a duration, in seconds; None when nothing was measured."""

    median: float | None = None
    p90: float | None = None


@dataclass(frozen=True)
class Row:
    """The measures of one group of cases (`key` holds its value of each dimension asked for)."""

    key: tuple[Any, ...]
    opened: int = 0
    resolved: int = 0  # resolved or recovered now
    followed_up: int = 0  # at least one follow-up answer
    fixed: int = 0  # the customer confirmed it fixed (the case is recovered)
    unhappy: int = 0  # not fixed, and the customer said at least once they were still unhappy
    unreachable: int = 0  # not fixed, never unhappy: only "could not reach" answers
    ever_resolved: int = 0
    reopened: int = 0  # reopened at least once
    to_first_offer: Spread = Spread()
    to_decision: Spread = Spread()  # from open to the first approval decision
    to_resolution: Spread = Spread()  # from open to the first resolution
    given: int = 0  # minor units given (granted on own authority, or approved)
    given_cases: int = 0
    given_median: float | None = None  # median of what a case was given, over cases given anything
    within_authority: int = 0
    approved_amount: int = 0
    requested: int = 0
    approved: int = 0
    denied: int = 0
    escalated: int = 0
    fell_back: int = 0  # approvals that ran out with nobody above, the customer waiting

    @property
    def share_resolved(self) -> float | None:
        return _share(self.resolved, self.opened)

    @property
    def recovery_rate(self) -> float | None:
        return _share(self.fixed, self.followed_up)

    @property
    def reopen_rate(self) -> float | None:
        return _share(self.reopened, self.ever_resolved)

    @property
    def given_per_case(self) -> float | None:
        return self.given / self.opened if self.opened else None


@dataclass(frozen=True)
class Repeats:
    """Customers' first cases in a cohort, and how many of them came back within 90 days."""

    first_fixed: int = 0  # first cases the customer confirmed fixed
    repeat_after_fixed: int = 0
    first_not_fixed: int = 0
    repeat_after_not_fixed: int = 0

    @property
    def first_cases(self) -> int:
        return self.first_fixed + self.first_not_fixed

    @property
    def repeats(self) -> int:
        return self.repeat_after_fixed + self.repeat_after_not_fixed

    @property
    def repeat_rate(self) -> float | None:
        return _share(self.repeats, self.first_cases)

    @property
    def repeat_rate_after_fixed(self) -> float | None:
        return _share(self.repeat_after_fixed, self.first_fixed)

    @property
    def repeat_rate_after_not_fixed(self) -> float | None:
        return _share(self.repeat_after_not_fixed, self.first_not_fixed)


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def measure(
    session: Session,
    period: Period,
    *,
    by: Sequence[Dimension] = (),
    scope: Collection[int] | None = None,
    weeks: Sequence[datetime] = (),
) -> list[Row]:
    """Return the measures of the cases opened in `period`, one row per group, in key order.

    `scope`: only cases opened by these staff ids (None: everyone). `weeks`: the
    boundaries the WEEK dimension numbers cases by (0 = on or after the first).
    """
    if Dimension.WEEK in by and not weeks:
        raise ValueError("the week dimension needs the weeks' boundaries")
    cohort = _cohort(period, scope, by, weeks).cte("cohort")
    dims = [cohort.c[f"d{i}"] for i in range(len(by))]
    offers = (
        select(
            Offer.case_id,
            func.min(Offer.created_at).label("first_offer_at"),
            func.sum(case((Offer.status.in_(_GIVEN), Offer.amount), else_=0)).label("given"),
            func.sum(case((Offer.status == OfferStatus.GRANTED, Offer.amount), else_=0)).label("own"),
            func.sum(case((Offer.status == OfferStatus.APPROVED, Offer.amount), else_=0)).label("approved"),
        )
        .join(cohort, cohort.c.id == Offer.case_id)
        .group_by(Offer.case_id)
        .subquery()
    )
    events = (
        select(
            AuditEvent.case_id,
            func.min(case((AuditEvent.action == "case_resolved", AuditEvent.at))).label("resolved_at"),
            func.max(case((AuditEvent.action.in_(FOLLOW_UP_ACTIONS), 1), else_=0)).label("followed_up"),
            func.max(case((AuditEvent.action == "follow_up_unhappy", 1), else_=0)).label("unhappy"),
            func.max(case((AuditEvent.action == "case_reopened", 1), else_=0)).label("reopened"),
        )
        .join(cohort, cohort.c.id == AuditEvent.case_id)
        .where(AuditEvent.action.in_(_EVENT_ACTIONS), AuditEvent.at >= period.since)
        .group_by(AuditEvent.case_id)
        .subquery()
    )
    fallback = (
        select(Delivery.case_id, func.count().label("n"))
        .join(cohort, cohort.c.id == Delivery.case_id)
        .where(Delivery.kind == "fallback_offer")
        .group_by(Delivery.case_id)
        .subquery()
    )
    requests = (
        select(
            ApprovalRequest.case_id,
            func.count().label("requested"),
            func.sum(case((ApprovalRequest.status == RequestStatus.APPROVED, 1), else_=0)).label("approved"),
            func.sum(case((ApprovalRequest.status == RequestStatus.DENIED, 1), else_=0)).label("denied"),
            func.sum(case((ApprovalRequest.level > 0, 1), else_=0)).label("escalated"),
            func.min(ApprovalDecision.decided_at).label("decided_at"),
        )
        .join(cohort, cohort.c.id == ApprovalRequest.case_id)
        .outerjoin(ApprovalDecision, ApprovalDecision.request_id == ApprovalRequest.id)
        .group_by(ApprovalRequest.case_id)
        .subquery()
    )
    fixed = cohort.c.status == CaseStatus.RECOVERED.value
    followed = func.coalesce(events.c.followed_up, 0) == 1
    unhappy = and_(followed, ~fixed, func.coalesce(events.c.unhappy, 0) == 1)
    given = func.coalesce(offers.c.given, 0)

    def count_if(condition: ColumnElement[bool]) -> ColumnElement[int]:
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    def spread(later: Any) -> list[ColumnElement[float]]:
        seconds = seconds_between(later, cohort.c.created_at)
        return [percentile(seconds, 0.5), percentile(seconds, 0.9)]

    query = (
        select(
            *dims,
            func.count(),
            count_if(cohort.c.status.in_(_CLOSED)),
            count_if(followed),
            count_if(and_(followed, fixed)),
            count_if(unhappy),
            count_if(and_(followed, ~fixed, func.coalesce(events.c.unhappy, 0) == 0)),
            count_if(events.c.resolved_at.is_not(None)),
            count_if(func.coalesce(events.c.reopened, 0) == 1),
            *spread(offers.c.first_offer_at),
            *spread(requests.c.decided_at),
            *spread(events.c.resolved_at),
            func.coalesce(func.sum(given), 0),
            count_if(given > 0),
            percentile(case((given > 0, given)), 0.5),
            func.coalesce(func.sum(offers.c.own), 0),
            func.coalesce(func.sum(offers.c.approved), 0),
            func.coalesce(func.sum(requests.c.requested), 0),
            func.coalesce(func.sum(requests.c.approved), 0),
            func.coalesce(func.sum(requests.c.denied), 0),
            func.coalesce(func.sum(requests.c.escalated), 0),
            func.coalesce(func.sum(fallback.c.n), 0),
        )
        .select_from(cohort)
        .outerjoin(offers, offers.c.case_id == cohort.c.id)
        .outerjoin(events, events.c.case_id == cohort.c.id)
        .outerjoin(requests, requests.c.case_id == cohort.c.id)
        .outerjoin(fallback, fallback.c.case_id == cohort.c.id)
        .group_by(*dims)
        .order_by(*dims)
    )
    rows = [_row(tuple(r[: len(by)]), r[len(by) :]) for r in session.execute(query).all()]
    return [r for r in rows if r.opened]  # no grouping: one row, empty when no case was opened


def _row(key: tuple[Any, ...], values: Sequence[Any]) -> Row:
    (opened, resolved, followed, fixed, unhappy, unreachable, ever_resolved, reopened) = values[:8]
    o50, o90, d50, d90, r50, r90 = values[8:14]
    given, given_cases, given_median, own, approved_amount = values[14:19]
    requested, approved, denied, escalated, fell_back = values[19:24]
    return Row(
        key=key,
        opened=int(opened),
        resolved=int(resolved),
        followed_up=int(followed),
        fixed=int(fixed),
        unhappy=int(unhappy),
        unreachable=int(unreachable),
        ever_resolved=int(ever_resolved),
        reopened=int(reopened),
        to_first_offer=Spread(_float(o50), _float(o90)),
        to_decision=Spread(_float(d50), _float(d90)),
        to_resolution=Spread(_float(r50), _float(r90)),
        given=int(given),
        given_cases=int(given_cases),
        given_median=_float(given_median),
        within_authority=int(own),
        approved_amount=int(approved_amount),
        requested=int(requested),
        approved=int(approved),
        denied=int(denied),
        escalated=int(escalated),
        fell_back=int(fell_back),
    )


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


def total(rows: Sequence[Row]) -> Row:
    """Return the counts and sums of several rows added up (spreads and medians are not additive)."""
    additive = {
        f.name: sum(getattr(r, f.name) for r in rows)
        for f in fields(Row)
        if f.name not in ("key", "to_first_offer", "to_decision", "to_resolution", "given_median")
    }
    return Row(key=(), **additive)


def _cohort(
    period: Period, scope: Collection[int] | None, by: Sequence[Dimension], weeks: Sequence[datetime]
) -> Select[Any]:
    opener = aliased(Staff)
    columns = {
        Dimension.CATEGORY: Case.category,
        Dimension.SEVERITY: Case.severity,
        Dimension.LOCATION: opener.location,
        Dimension.TEAM: opener.manager_id,
        Dimension.EMPLOYEE: Case.opened_by_id,
        Dimension.WEEK: _week_number(weeks),
    }
    selected: list[Any] = [Case.id, Case.created_at, Case.status]
    selected += [columns[d].label(f"d{i}") for i, d in enumerate(by)]
    query: Select[Any] = select(*selected)
    query = query.where(Case.created_at >= period.since, Case.created_at < period.until)
    if {Dimension.LOCATION, Dimension.TEAM} & set(by):
        query = query.join(opener, opener.id == Case.opened_by_id)
    if scope is not None:
        query = query.where(Case.opened_by_id.in_(sorted(scope)) if scope else literal(False))
    return query


def _week_number(weeks: Sequence[datetime]) -> ColumnElement[Any]:
    if not weeks:
        return literal(None)
    whens = [(Case.created_at >= start, i) for i, start in reversed(list(enumerate(weeks)))]
    return case(*whens, else_=None)


def customer_key() -> ColumnElement[str | None]:
    """Return how a customer is recognised across cases here: reference, else email, else phone."""
    return func.coalesce(Case.ref_key, Case.email_key, Case.phone_key)


def repeat_customers(session: Session, period: Period, *, scope: Collection[int] | None = None) -> Repeats:
    """Count the cohort's first cases (no case of the same customer in the 90 days before)
    and, of those, the ones whose customer had another case within the 90 days after,
    split by whether the first case was confirmed fixed."""
    earlier, later = aliased(Case), aliased(Case)
    window = REPEAT_WITHIN.total_seconds()
    key = customer_key()
    came_back = exists().where(
        func.coalesce(later.ref_key, later.email_key, later.phone_key) == key,
        later.id != Case.id,
        seconds_between(later.created_at, Case.created_at).between(0, window),
    )
    had_earlier = exists().where(
        func.coalesce(earlier.ref_key, earlier.email_key, earlier.phone_key) == key,
        earlier.id != Case.id,
        seconds_between(Case.created_at, earlier.created_at).between(0, window),
        or_(earlier.created_at < Case.created_at, earlier.id < Case.id),
    )
    fixed = Case.status == CaseStatus.RECOVERED.value
    query = (
        select(fixed.label("fixed"), func.count(), func.sum(case((came_back, 1), else_=0)))
        .where(Case.created_at >= period.since, Case.created_at < period.until)
        .where(key.is_not(None), ~had_earlier)
        .group_by(fixed)
    )
    if scope is not None:
        query = query.where(Case.opened_by_id.in_(sorted(scope)) if scope else literal(False))
    counts = {bool(f): (int(n), int(r or 0)) for f, n, r in session.execute(query).all()}
    (ff, fr), (nf, nr) = counts.get(True, (0, 0)), counts.get(False, (0, 0))
    return Repeats(first_fixed=ff, repeat_after_fixed=fr, first_not_fixed=nf, repeat_after_not_fixed=nr)


def top_root_causes(
    session: Session, period: Period, *, scope: Collection[int] | None = None, limit: int = 3
) -> list[tuple[str, int]]:
    """Return the root causes written most often on the cohort's cases (compared without case
    or surrounding space), with how many cases gave each, the most frequent first."""
    cause = func.lower(func.trim(Case.root_cause))
    query = (
        select(cause, func.count())
        .where(Case.created_at >= period.since, Case.created_at < period.until)
        .where(Case.root_cause.is_not(None), func.trim(Case.root_cause) != "")
        .group_by(cause)
        .order_by(func.count().desc(), cause)
        .limit(limit)
    )
    if scope is not None:
        query = query.where(Case.opened_by_id.in_(sorted(scope)) if scope else literal(False))
    return [(str(text), int(n)) for text, n in session.execute(query).all()]
