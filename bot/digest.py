"""The weekly digest: how the past week's recoveries went, against the four weeks before.

A week runs from Monday 00:00 to the next Monday 00:00 in the lessons channel's
time zone (`Policy.digest_timezone`). Its digest is due from 08:00 on the Monday
that ends it, and stays due all week, so a process that starts later in the
week (or was down on Monday morning) still queues it, for the same week, once.
The outbox row holds only the week; the figures and the chart are made when it
is sent, from the cases as they stand (see docs/reports.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot import applause, deliveries, measures, messages, reports
from bot.applause import Recognised
from bot.charts import WeeklyCases
from bot.deliveries import Channel, Kind
from bot.lessons import redact_reply, redactor_for
from bot.measures import Period, Row
from bot.quiet_hours import local_midnight, monday_of
from bot.staff import period_start
from db.models import Case, CaseStatus, Delivery, Offer, OfferStatus, Staff
from policies.schema import Policy

SEND_AT = time(8, 0)  # on Mondays, in the channel's time zone
CHART_WEEKS = 8
COMPARED_WEEKS = 4
TOP = 3
LESSONS_SHOWN = 5


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
    top_categories: list[tuple[str, int]]  # (label, cases this week)
    root_causes: list[tuple[str, int]]
    given_this_month: int
    budgets: int  # what everyone in the staff directory may give on their own this month
    lessons: list[Lesson]
    chart: WeeklyCases
    # Lessons of cases resolved in the four weeks to its end, by applause (figure: how many applauded).
    most_applauded: list[Recognised] = field(default_factory=list)
    # Cases confirmed fixed this week, by how soon after opening (figure: seconds).
    fixed_fastest: list[Recognised] = field(default_factory=list)


def weekly_figures(session: Session, policy: Policy, since: datetime, until: datetime) -> Digest:
    """Return the digest's figures for the week from `since` to `until` (a whole week, or up to now)."""
    chart, rows = reports.weekly(
        session, policy, Period(since - timedelta(days=7 * (CHART_WEEKS - 1)), until)
    )
    this = len(rows) - 1
    this_week = {label: series[this] for label, series in chart.by_category.items()}
    top = sorted(this_week.items(), key=lambda pair: -pair[1])
    return Digest(
        week=Period(since, until),
        partial=until - since < timedelta(days=6),
        this_week=rows[this],
        earlier=rows[max(0, this - COMPARED_WEEKS) : this],
        top_categories=[(label, n) for label, n in top if n][:TOP],
        root_causes=measures.top_root_causes(
            session, Period(since, until), limit=TOP, names=reports.cause_names(policy)
        ),
        given_this_month=_given_since(session, period_start(until), until),
        budgets=_budgets(session, policy),
        lessons=_lessons(session, since, until),
        chart=chart,
        most_applauded=applause.list_most_applauded(
            session, Period(until - timedelta(days=7 * COMPARED_WEEKS), until), limit=TOP
        ),
        fixed_fastest=applause.list_fixed_fastest(session, Period(since, until), limit=TOP),
    )


def digest_reply(session: Session, policy: Policy, since: datetime, until: datetime) -> messages.Reply:
    """Return the digest as the lessons channel reads it, with its chart, through the lesson redactor."""
    reply = messages.weekly_digest(weekly_figures(session, policy, since, until), policy)
    return redact_reply(reply, redactor_for(policy))


def digest_so_far(session: Session, policy: Policy, now: datetime) -> messages.Reply:
    """Return the digest of this week up to `now` (the terminal's /digest)."""
    zone = ZoneInfo(policy.digest_timezone)
    return digest_reply(session, policy, local_midnight(monday_of(now, zone), zone), now)


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
    fallback = policy.roles[policy.default_role]  # a role the policy no longer has, as effective_role
    return sum(policy.to_minor(policy.roles.get(role, fallback).budget) * int(n) for role, n in roles)


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
