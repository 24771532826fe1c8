"""The weekly digest: how many cases of each category and severity the past week brought."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot import deliveries
from bot.deliveries import Channel, Kind
from db.models import Case, Delivery

WEEK = timedelta(days=7)


def week_key(now: datetime) -> str:
    """Return the ISO week a digest sent at `now` belongs to, such as 2026-W48."""
    year, week, _ = now.isocalendar()
    return f"digest:{year}-W{week:02d}"


def enqueue_weekly_digest(session: Session, policy: object, now: datetime) -> bool:
    """Queue the past week's digest for the lessons channel, once per ISO week; return whether it was."""
    key = week_key(now)
    if session.scalar(select(Delivery.id).where(Delivery.dedupe_key == key)) is not None:
        return False
    since = now - WEEK
    rows = session.execute(
        select(Case.category, Case.severity, func.count())
        .where(Case.created_at >= since, Case.created_at < now)
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
        until=now.isoformat(),
        counts=[[category, severity, int(n)] for category, severity, n in rows],
    )
