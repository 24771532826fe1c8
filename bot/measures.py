"""Does recovery work? The measures, as queries over the cases Mend keeps.

Every measure is about a cohort: the cases *opened* in a period (half-open,
`since <= created_at < until`, in UTC), optionally only those opened by a set of
people (a manager's team), and broken down by any of the `Dimension`s. Whatever
happened to those cases afterwards counts, up to the moment the query runs. The
exact definitions are in docs/reports.md; each has a test.

One query per question, on SQLite and PostgreSQL alike (the SQL is in
bot/measures_sql.py): the per-case facts are gathered from all four tables in one
join with the cohort, then grouped; medians and p90s come from the database
(`db.aggregates.percentile`).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, fields, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import and_, case, distinct, exists, func, literal, null, or_, select, union_all
from sqlalchemy.orm import Session

from bot import measures_sql as sql
from db.aggregates import for_analysis, seconds_between
from db.learning import PracticeAttempt
from db.models import Case, CaseStatus, Offer
from policies.learning import OTHER

REPEAT_WITHIN = timedelta(days=90)
FOLLOW_UP_ACTIONS = sql.FOLLOW_UP_ACTIONS


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
    return _measured(session, period, by, scope, weeks, with_total=False)[0]


def measure_with_total(
    session: Session,
    period: Period,
    *,
    by: Sequence[Dimension],
    scope: Collection[int] | None = None,
    weeks: Sequence[datetime] = (),
) -> tuple[list[Row], Row]:
    """Return the rows of `measure` and the row of all groups together, medians included,
    from one reading of the cases: the per-case facts are gathered once and grouped twice."""
    rows, overall = _measured(session, period, by, scope, weeks, with_total=True)
    return rows, overall or Row(key=())


def _measured(
    session: Session,
    period: Period,
    by: Sequence[Dimension],
    scope: Collection[int] | None,
    weeks: Sequence[datetime],
    *,
    with_total: bool,
) -> tuple[list[Row], Row | None]:
    if Dimension.WEEK in by and not weeks:
        raise ValueError("the week dimension needs the weeks' boundaries")
    for_analysis(session)
    facts = sql.case_facts(
        sql.cohort(period, scope, [d.value for d in by], weeks), period.since, len(by), twice=with_total
    )
    dims = [facts.c[f"d{i}"] for i in range(len(by))]
    grouped = select(literal(0).label("whole"), *dims, *sql.aggregates(facts)).group_by(*dims)
    query: Any = grouped
    if with_total:
        nulls = [null().label(f"d{i}") for i in range(len(by))]
        query = union_all(grouped, select(literal(1).label("whole"), *nulls, *sql.aggregates(facts)))
    rows: list[Row] = []
    overall: Row | None = None
    for r in session.execute(query).all():
        row = _row(tuple(r[1 : 1 + len(by)]), r[1 + len(by) :])
        if not row.opened:
            continue  # no grouping: one row, empty when no case was opened
        if r[0]:
            overall = replace(row, key=())
        else:
            rows.append(row)
    rows.sort(key=lambda row: tuple((k is None, k if k is not None else 0) for k in row.key))
    return rows, overall


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


customer_key = sql.customer_key


def repeat_customers(session: Session, period: Period, *, scope: Collection[int] | None = None) -> Repeats:
    """Count the cohort's first cases (no case of the same customer in the 90 days before)
    and, of those, the ones whose customer had another case within the 90 days after,
    split by whether the first case was confirmed fixed."""
    for_analysis(session)
    window = REPEAT_WITHIN.total_seconds()
    key = sql.customer_key()
    # The cases that can be within 90 days of a cohort case, keyed; a day wider each side than
    # the window, so `seconds_between` alone decides. Both searches are joins on the key: hashed
    # on PostgreSQL, on SQLite an automatic index on the materialised set. Searched per cohort
    # case instead (the came-back test in the select list), they read every case for each.
    day = timedelta(days=1)
    margin = REPEAT_WITHIN + day
    near = (
        select(Case.id, Case.created_at, key.label("key"))
        .where(Case.created_at >= period.since - margin, Case.created_at < period.until + margin)
        .where(key.is_not(None))
        .cte("near")
        .prefix_with("NOT MATERIALIZED", dialect="postgresql")
        .prefix_with("MATERIALIZED", dialect="sqlite")
    )
    cohort = [Case.created_at >= period.since, Case.created_at < period.until, key.is_not(None)]
    if scope is not None:
        cohort.append(Case.opened_by_id.in_(sorted(scope)) if scope else literal(False))
    came_back = (
        select(Case.id)
        .correlate(None)  # a set of its own, found once, not per case of the outer query
        .where(
            *cohort,
            exists().where(
                near.c.key == key,
                near.c.id != Case.id,
                near.c.created_at >= period.since - day,  # later ones only, loosely: a smaller hash
                seconds_between(near.c.created_at, Case.created_at).between(0, window),
            ),
        )
    )
    had_earlier = exists().where(
        near.c.key == key,
        near.c.id != Case.id,
        near.c.created_at < period.until + day,  # earlier ones only, loosely
        seconds_between(Case.created_at, near.c.created_at).between(0, window),
        or_(near.c.created_at < Case.created_at, near.c.id < Case.id),
    )
    fixed = Case.status == CaseStatus.RECOVERED.value
    query = (
        select(fixed.label("fixed"), func.count(), func.sum(case((Case.id.in_(came_back), 1), else_=0)))
        .where(*cohort, ~had_earlier)
        .group_by(fixed)
    )
    counts = {bool(f): (int(n), int(r or 0)) for f, n, r in session.execute(query).all()}
    (ff, fr), (nf, nr) = counts.get(True, (0, 0)), counts.get(False, (0, 0))
    return Repeats(first_fixed=ff, repeat_after_fixed=fr, first_not_fixed=nf, repeat_after_not_fixed=nr)


def top_root_causes(
    session: Session,
    period: Period,
    *,
    scope: Collection[int] | None = None,
    limit: int = 3,
    names: Mapping[tuple[str, str], str] | None = None,
) -> list[tuple[str, int]]:
    """Return the root causes of the cohort's cases, the most frequent first, with how many
    cases gave each: by the kind of cause chosen from the policy's list (named by `names`,
    keyed by category and kind), and, for "other" or none chosen, by the words written
    (compared without case or surrounding space)."""
    kind = Case.root_cause_key
    keyed = and_(kind.is_not(None), kind != OTHER)
    category = case((keyed, Case.category), else_=literal(""))
    cause = case((keyed, kind), else_=func.lower(func.trim(Case.root_cause)))
    written = and_(Case.root_cause.is_not(None), func.trim(Case.root_cause) != "")
    query = (
        select(category, cause, func.count())
        .where(Case.created_at >= period.since, Case.created_at < period.until)
        .where(or_(keyed, written))
        .group_by(category, cause)
        .order_by(func.count().desc(), cause)
        .limit(limit)
    )
    if scope is not None:
        query = query.where(Case.opened_by_id.in_(sorted(scope)) if scope else literal(False))
    named = names or {}
    return [
        (named.get((cat, str(what)), str(what).replace("_", " ")) if cat else str(what), int(n))
        for cat, what, n in session.execute(query).all()
    ]


@dataclass(frozen=True)
class AskedAndGiven:
    """A cohort's cases, those whose customer asked for something, and of those the ones given anything."""

    cases: int = 0
    asked: int = 0
    given: int = 0


def asked_and_given(session: Session, period: Period, *, scope: set[int] | None = None) -> AskedAndGiven:
    """Count the cases opened in `period` (by `scope`), those where the customer asked for something,
    and of those the ones given compensation (granted or approved)."""
    given = exists().where(Offer.case_id == Case.id, Offer.status.in_(sql.GIVEN))
    asked = Case.asked_for.is_not(None)
    query = select(
        func.count(),
        func.coalesce(func.sum(case((asked, 1), else_=0)), 0),
        # The offers are looked up only for cases that asked (a CASE evaluates lazily; AND may not).
        func.coalesce(func.sum(case((asked, case((given, 1), else_=0)), else_=0)), 0),
    ).where(Case.created_at >= period.since, Case.created_at < period.until)
    if scope is not None:
        query = query.where(Case.opened_by_id.in_(sorted(scope)) if scope else literal(False))
    cases, asked_n, given_n = session.execute(query).one()
    return AskedAndGiven(cases=int(cases), asked=int(asked_n), given=int(given_n))


def practised(session: Session, period: Period, *, scope: set[int] | None = None) -> tuple[int, int]:
    """Count the practice cases answered in a period (by `scope`, None: everyone), and by how many people."""
    query = select(func.count(PracticeAttempt.id), func.count(distinct(PracticeAttempt.staff_id))).where(
        PracticeAttempt.completed_at >= period.since, PracticeAttempt.completed_at < period.until
    )
    if scope is not None:
        query = query.where(PracticeAttempt.staff_id.in_(sorted(scope)))
    attempts, people = session.execute(query).one()
    return int(attempts), int(people)
