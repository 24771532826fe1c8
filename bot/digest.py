"""The weekly digest: how the past week's recoveries went, against the four weeks before.

A week runs from Monday 00:00 to the next Monday 00:00 in the lessons channel's
time zone (`Policy.digest_timezone`). Its digest is due from 08:00 on the Monday
that ends it, and stays due all week, so a process that starts later in the
week (or was down on Monday morning) still queues it, for the same week, once.
The outbox row holds only the week; the figures and the chart are made when it
is sent, from the cases as they stand (see docs/reports.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot import deliveries, measures, messages
from bot.charts import WeeklyCases
from bot.deliveries import Channel, Kind
from bot.lessons import redact_reply, redactor_for
from bot.measures import Dimension, Period, Row
from bot.staff import period_start
from db.models import Case, CaseStatus, Delivery, Offer, OfferStatus, Staff
from policies.schema import Policy

SEND_AT = time(8, 0)  # on Mondays, in the channel's time zone
CHART_WEEKS = 8
COMPARED_WEEKS = 4
TOP = 3
LESSONS_SHOWN = 5


def monday_of(moment: datetime, zone: ZoneInfo) -> date:
    """Return the date of the Monday that starts the week `moment` falls in, there."""
    day = moment.astimezone(zone).date()
    return day - timedelta(days=day.weekday())


def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    """Return 00:00 on `day` in `zone`, in UTC (a daylight-saving week is 167 or 169 hours)."""
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


def week_key(until: datetime, zone: ZoneInfo) -> str:
    """Return the key of the digest sent in the ISO week `until` starts, such as digest:2026-W48."""
    year, week, _ = until.astimezone(zone).isocalendar()
    return f"digest:{year}-W{week:02d}"


def enqueue_weekly_digest(session: Session, policy: Policy, now: datetime) -> bool:
    """Queue the digest of the week that ended this Monday once 08:00 there has passed; say if it was."""
    zone = ZoneInfo(policy.digest_timezone)
    monday = monday_of(now, zone)
    if now < datetime.combine(monday, SEND_AT, tzinfo=zone):
        return False
    until = local_midnight(monday, zone)
    key = week_key(until, zone)
    if session.scalar(select(Delivery.id).where(Delivery.dedupe_key == key)) is not None:
        return False
    since = local_midnight(monday - timedelta(days=7), zone)
    return deliveries.enqueue_once(
        session,
        Kind.DIGEST,
        now=now,
        channel=Channel.LESSONS.value,
        dedupe_key=key,
        since=since.isoformat(),
        until=until.isoformat(),
    )


@dataclass(frozen=True)
class Lesson:
    """A lesson posted this week, as the digest lists it."""

    case_id: int
    category: str
    text: str


@dataclass(frozen=True)
class Digest:
    """The figures of one week (or of the week so far), for everyone in the channel."""

    week: Period
    partial: bool  # the week so far, not a whole week
    this_week: Row
    earlier: list[Row]  # the four weeks before, oldest first
    top_categories: list[tuple[str, int]]
    root_causes: list[tuple[str, int]]
    given_this_month: int
    budgets: int  # what everyone in the staff directory may give on their own this month
    lessons: list[Lesson]
    chart: WeeklyCases


def weekly_figures(session: Session, policy: Policy, since: datetime, until: datetime) -> Digest:
    """Return the digest's figures for the week from `since` to `until` (a whole week, or up to now)."""
    zone = ZoneInfo(policy.digest_timezone)
    first_monday = monday_of(since, zone) - timedelta(days=7 * (CHART_WEEKS - 1))
    mondays = [first_monday + timedelta(days=7 * k) for k in range(CHART_WEEKS)]
    starts = [local_midnight(day, zone) for day in mondays]
    span = Period(starts[0], until)
    weekly = {r.key[0]: r for r in measures.measure(session, span, by=[Dimension.WEEK], weeks=starts)}
    by_category = measures.measure(session, span, by=[Dimension.WEEK, Dimension.CATEGORY], weeks=starts)
    rows = [weekly.get(k, Row(key=(k,))) for k in range(CHART_WEEKS)]
    order = list(policy.categories)  # the policy's order, so a category keeps its colour week to week
    categories = sorted(
        {r.key[1] for r in by_category},
        key=lambda c: (c not in order, order.index(c) if c in order else 0, c),
    )
    counts = {(r.key[0], r.key[1]): r.opened for r in by_category}
    this = CHART_WEEKS - 1
    top = sorted(((c, counts.get((this, c), 0)) for c in categories), key=lambda p: -p[1])
    return Digest(
        week=Period(since, until),
        partial=until - since < timedelta(days=6),
        this_week=rows[this],
        earlier=rows[this - COMPARED_WEEKS : this],
        top_categories=[(c, n) for c, n in top if n][:TOP],
        root_causes=measures.top_root_causes(session, Period(since, until), limit=TOP),
        given_this_month=_given_since(session, period_start(until), until),
        budgets=_budgets(session, policy),
        lessons=_lessons(session, since, until),
        chart=WeeklyCases(
            weeks=[f"{day.day} {day:%b}" for day in mondays],
            by_category={
                messages.category_label(c, policy): [counts.get((k, c), 0) for k in range(CHART_WEEKS)]
                for c in categories
            },
            recovery_rate=[r.recovery_rate for r in rows],
        ),
    )


def digest_reply(session: Session, policy: Policy, since: datetime, until: datetime) -> messages.Reply:
    """Return the digest as the lessons channel reads it, with its chart, through the lesson redactor."""
    reply = messages.weekly_digest(weekly_figures(session, policy, since, until), policy)
    return redact_reply(reply, redactor_for(policy))


def digest_so_far(session: Session, policy: Policy, now: datetime) -> messages.Reply:
    """Return the digest of this week up to `now` (the terminal's /digest)."""
    since = local_midnight(monday_of(now, ZoneInfo(policy.digest_timezone)), ZoneInfo(policy.digest_timezone))
    return digest_reply(session, policy, since, now)


def _given_since(session: Session, since: datetime, until: datetime) -> int:
    given = (OfferStatus.GRANTED.value, OfferStatus.APPROVED.value)
    total = session.scalar(
        select(func.coalesce(func.sum(Offer.amount), 0)).where(
            Offer.status.in_(given), Offer.granted_at >= since, Offer.granted_at < until
        )
    )
    return int(total or 0)


def _budgets(session: Session, policy: Policy) -> int:
    roles = session.execute(select(Staff.role, func.count()).group_by(Staff.role)).all()
    known = lambda role: role if role in policy.roles else policy.default_role  # noqa: E731
    return sum(policy.to_minor(policy.roles[known(role)].budget) * int(n) for role, n in roles)


def _lessons(session: Session, since: datetime, until: datetime) -> list[Lesson]:
    rows = session.execute(
        select(Case.id, Case.category, Case.lesson)
        .where(Case.resolved_at >= since, Case.resolved_at < until)
        .where(Case.status.in_((CaseStatus.RESOLVED.value, CaseStatus.RECOVERED.value)))
        .where(Case.lesson.is_not(None))
        .order_by(Case.resolved_at, Case.id)
        .limit(LESSONS_SHOWN)
    ).all()
    return [Lesson(case_id=i, category=c, text=t or "") for i, c, t in rows]
