"""The weekly digest: how many cases of each category and severity the past week brought.

The week runs from Monday 08:00 UTC to the next Monday 08:00 UTC. Its digest is
due from the end of that week on, so a process that starts later in the week (or
was down on Monday morning) still queues it, for the same week, once.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot import deliveries
from bot.deliveries import Channel, Kind
from db.models import Case, Delivery

WEEK = timedelta(days=7)
DUE_AT = time(8, 0, tzinfo=UTC)  # on Mondays


def week_key(now: datetime) -> str:
    """Return the ISO week a digest sent at `now` belongs to, such as 2026-W48."""
    year, week, _ = now.isocalendar()
    return f"digest:{year}-W{week:02d}"


def digest_due_at(now: datetime) -> datetime:
    """Return this ISO week's Monday 08:00 UTC, where the week the digest covers ends."""
    today = now.astimezone(UTC).date()
    return datetime.combine(today - timedelta(days=today.weekday()), DUE_AT)


def enqueue_weekly_digest(session: Session, policy: object, now: datetime) -> bool:
    """Queue the digest of the week ending this Monday 08:00 UTC once that has passed; say if it was."""
    until = digest_due_at(now)
    if now < until:
        return False
    key = week_key(until)
    if session.scalar(select(Delivery.id).where(Delivery.dedupe_key == key)) is not None:
        return False
    since = until - WEEK
    rows = session.execute(
        select(Case.category, Case.severity, func.count())
        .where(Case.created_at >= since, Case.created_at < until)
        .group_by(Case.category, Case.severity)
        .order_by(Case.category, Case.severity)
    ).all()
    return deliveries.enqueue_once(
        session,
        Kind.DIGEST,
        now=now,
        channel=Channel.LESSONS.value,
        dedupe_key=key,
        since=since.isoformat(),
        until=until.isoformat(),
        counts=[[category, severity, int(n)] for category, severity, n in rows],
    )
