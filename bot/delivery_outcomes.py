"""What became of each claimed delivery: sent, skipped, retried later, or dead-lettered.

An outcome is kept only where its claim still holds (the row is still `sending`
with the attempt number the claim gave it); a claim that expired meanwhile
belongs to whichever dispatcher took the row next. A rate-limited send waits as
asked without spending an attempt; any other failure backs off, doubling, until
the policy's last attempt, and a permanent one fails at once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.orm import Session, sessionmaker

from bot.ports import Clock, Recipient, SendError
from bot.replies import Reply
from db.models import Delivery, DeliveryStatus
from policies.schema import Policy

# Outcomes are part of a dispatcher pass: log them under its name, as operators filter on it.
log = logging.getLogger("bot.dispatcher")

BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_MAX = timedelta(hours=1)


@dataclass
class DispatchReport:
    """What one dispatcher pass did."""

    claimed: int = 0
    sent: int = 0
    skipped: int = 0
    retried: int = 0
    failed: int = 0
    lost_claims: int = 0


@dataclass
class SendJob:
    """One claimed delivery on its way: what to send, where, and how it went."""

    id: int
    claim: int
    kind: str
    reply: Reply | None = None
    recipient: Recipient | None = None
    target_ref: dict[str, Any] | None = None
    sent_ref: dict[str, Any] | None = None
    skipped: bool = False
    error: SendError | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def backoff(attempt: int) -> timedelta:
    """Return how long to wait after the `attempt`-th failed send: doubling, capped."""
    return min(BACKOFF_BASE * 2 ** (attempt - 1), BACKOFF_MAX)


def _outcome(job: SendJob, now: datetime, policy: Policy) -> dict[str, Any]:
    error = job.error
    if error is None:
        status = DeliveryStatus.SKIPPED if job.skipped else DeliveryStatus.SENT
        return {"status": status, "sent_ref": job.sent_ref, "sent_at": now, "lease_until": None}
    if error.retry_after is not None:
        # Rate limited: wait as asked; it does not count as a failed attempt.
        return {
            "status": DeliveryStatus.PENDING,
            "lease_until": None,
            "last_error": str(error),
            "due_at": now + timedelta(seconds=error.retry_after),
            "attempts": job.claim - 1,
        }
    if error.permanent or job.claim >= policy.deliveries.max_attempts:
        return {"status": DeliveryStatus.FAILED, "lease_until": None, "last_error": str(error)}
    return {
        "status": DeliveryStatus.PENDING,
        "lease_until": None,
        "last_error": str(error),
        "due_at": now + backoff(job.claim),
    }


def record_outcomes(
    sessions: sessionmaker[Session],
    jobs: list[SendJob],
    *,
    clock: Clock,
    policy: Policy,
    report: DispatchReport,
) -> None:
    """Record a batch's outcomes in one transaction, each only where its claim still holds.

    The rows still held (status `sending`, same attempt) are locked first, so no
    other dispatcher can take one between that check and the update; then one
    executemany UPDATE, still guarded by the claim, writes every outcome.
    """
    now = clock.now()
    ids = [job.id for job in jobs if not job.extra.get("lost")]
    report.lost_claims += len(jobs) - len(ids)
    if not ids:
        return
    with sessions() as session:
        held = {
            row.id: row
            for row in session.execute(
                select(Delivery.id, Delivery.attempts, Delivery.due_at, Delivery.last_error)
                .where(Delivery.id.in_(ids), Delivery.status == DeliveryStatus.SENDING)
                .with_for_update()
            ).all()
        }
        params: list[dict[str, Any]] = []
        for job in jobs:
            row = held.get(job.id)
            if job.extra.get("lost"):
                continue
            if row is None or row.attempts != job.claim:
                log.warning("delivery %s: claim %s expired before its outcome was kept", job.id, job.claim)
                report.lost_claims += 1
                continue
            values = _outcome(job, now, policy)
            params.append(
                {
                    "b_id": job.id,
                    "b_claim": job.claim,
                    "b_status": values["status"],
                    "b_sent_ref": values.get("sent_ref"),
                    "b_sent_at": values.get("sent_at"),
                    "b_last_error": values.get("last_error", row.last_error),
                    "b_due_at": values.get("due_at", row.due_at),
                    "b_attempts": values.get("attempts", job.claim),
                }
            )
            if job.error is None:
                report.skipped += job.skipped
                report.sent += not job.skipped
            elif values["status"] == DeliveryStatus.FAILED:
                report.failed += 1
            else:
                report.retried += 1
        if params:
            table = cast(Table, Delivery.__table__)
            session.execute(
                update(table)
                .where(
                    table.c.id == bindparam("b_id"),
                    table.c.status == DeliveryStatus.SENDING,
                    table.c.attempts == bindparam("b_claim"),
                )
                .values(
                    status=bindparam("b_status"),
                    sent_ref=bindparam("b_sent_ref"),
                    sent_at=bindparam("b_sent_at"),
                    last_error=bindparam("b_last_error"),
                    due_at=bindparam("b_due_at"),
                    attempts=bindparam("b_attempts"),
                    lease_until=None,
                ),
                params,
            )
        session.commit()
