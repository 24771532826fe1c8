"""Claims on due deliveries, and the leases that keep them.

A claim sets a due row to `sending`, counts the attempt and leases the row until
`now + lease`; the attempt number is the claim's identity, so a later check can
tell whether a claim still holds. Candidates are locked with FOR UPDATE SKIP
LOCKED on PostgreSQL, so replicas never claim the same row; SQLite drops the
lock, and there the claiming UPDATE re-checks that each row is still due. A row
whose lease ran out (its dispatcher stopped, or could not renew in time) is due
again for anyone.

A dispatcher that sends through one platform only (the terminal's) claims only
what that platform alone would take (`only_for`), so it never drains deliveries
meant for Slack or Teams from a database `mend serve` also uses.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, or_, select, tuple_, update
from sqlalchemy.orm import Session

from db.models import Delivery, DeliveryStatus, Platform, StaffIdentity

LEASE = timedelta(seconds=60)


def _due(now: datetime) -> Any:
    return or_(
        and_(Delivery.status == DeliveryStatus.PENDING, Delivery.due_at <= now),
        and_(Delivery.status == DeliveryStatus.SENDING, Delivery.lease_until < now),
    )


def _other_platforms(platform: str) -> list[str]:
    return [p.value for p in Platform if p not in (platform, Platform.SYSTEM)]


def _only_for(platform: str) -> ColumnElement[bool]:
    """Match the deliveries that `platform` alone would take.

    A person's when they have an account there and on no other chat platform; a
    channel's when nobody has an account on another chat platform.
    """
    elsewhere = select(StaffIdentity.staff_id).where(StaffIdentity.platform.in_(_other_platforms(platform)))
    here = select(StaffIdentity.staff_id).where(StaffIdentity.platform == platform)
    return or_(
        and_(Delivery.recipient_id.in_(here), Delivery.recipient_id.not_in(elsewhere)),
        and_(Delivery.recipient_id.is_(None), ~exists(elsewhere)),
    )


def other_platforms_in_use(session: Session, platform: str) -> list[str]:
    """Return the other chat platforms someone has an account on (whose deliveries `platform` leaves)."""
    return sorted(
        session.scalars(
            select(StaffIdentity.platform)
            .where(StaffIdentity.platform.in_(_other_platforms(platform)))
            .distinct()
        ).all()
    )


def claim_batch(
    session: Session,
    *,
    now: datetime,
    limit: int,
    lease: timedelta = LEASE,
    only_for: str | None = None,
) -> list[tuple[int, int]]:
    """Claim up to `limit` due deliveries, commit, and return (id, attempt) for each claim.

    With `only_for` (a platform), only the deliveries that platform alone would take.
    """
    due = _due(now)
    wanted = due if only_for is None else and_(due, _only_for(only_for))
    # Lock the candidates first, then update exactly those: PostgreSQL may evaluate a LIMIT
    # subquery inside an UPDATE more than once, which would claim more rows than asked.
    ids = session.scalars(
        select(Delivery.id)
        .where(wanted)
        .order_by(Delivery.due_at, Delivery.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    if not ids:
        session.commit()
        return []
    stmt = (
        update(Delivery)
        .where(Delivery.id.in_(ids), due)
        .values(status=DeliveryStatus.SENDING, lease_until=now + lease, attempts=Delivery.attempts + 1)
        .returning(Delivery.id, Delivery.attempts)
        .execution_options(synchronize_session=False)
    )
    claims = sorted((row[0], row[1]) for row in session.execute(stmt).all())
    session.commit()
    return claims


def claim_due(session: Session, *, now: datetime, limit: int, lease: timedelta = LEASE) -> list[int]:
    """Claim up to `limit` due deliveries for this worker, commit, and return their ids."""
    return [delivery_id for delivery_id, _ in claim_batch(session, now=now, limit=limit, lease=lease)]


def renew_leases(
    session: Session, claims: Iterable[tuple[int, int]], *, now: datetime, lease: timedelta = LEASE
) -> set[int]:
    """Extend the lease of deliveries their claims still hold, commit, and return the ids renewed."""
    claims = list(claims)
    if not claims:
        return set()
    renewed = session.scalars(
        update(Delivery)
        .where(
            tuple_(Delivery.id, Delivery.attempts).in_(claims),
            Delivery.status == DeliveryStatus.SENDING,
        )
        .values(lease_until=now + lease)
        .returning(Delivery.id)
        .execution_options(synchronize_session=False)
    ).all()
    session.commit()
    return set(renewed)
