"""What became of each claimed delivery: sent, skipped, deferred, retried later, or dead-lettered.

An outcome is kept only where its claim still holds (the row is still `sending`
with the attempt number the claim gave it); a claim that expired meanwhile
belongs to whichever dispatcher took the row next. A delivery that came due
outside its recipient's working hours waits for their next opening, and a
rate-limited send waits as asked, neither spending an attempt; any other failure
backs off, doubling, until the policy's last attempt, and a permanent one fails
at once.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Connection, Engine, Table, Text, bindparam, func, update
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
    deferred: int = 0


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
    defer_until: datetime | None = None  # not sent now: due again then (the recipient's working hours)
    language: str = "en"  # the reader's, which the reply is written in (and the platform's own words)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def to_send(self) -> bool:
        """Say whether this job goes to the platform (it is not skipped, failed or deferred already)."""
        return not (self.skipped or self.error is not None or self.defer_until is not None)


def backoff(attempt: int) -> timedelta:
    """Return how long to wait after the `attempt`-th failed send: doubling, capped."""
    return min(BACKOFF_BASE * 2 ** (attempt - 1), BACKOFF_MAX)


def _outcome(job: SendJob, now: datetime, policy: Policy) -> dict[str, Any]:
    if job.defer_until is not None:
        # Not sent, so no attempt was spent: it is due again when working hours open.
        return {
            "status": DeliveryStatus.PENDING,
            "lease_until": None,
            "due_at": job.defer_until,
            "attempts": job.claim - 1,
        }
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


@contextmanager
def outcome_connection(sessions: sessionmaker[Session]) -> Iterator[Connection]:
    """Hold one connection for a batch's outcomes: a commit per group, no pool checkout in between.

    On PostgreSQL its commits do not wait for the disk flush (`synchronous_commit`
    off): the server holds an outcome once its commit returns, so a dispatcher
    killed at any moment after that loses none; only a crash of the database
    server itself may lose the last fraction of a second of them, whose messages
    are then sent again. SQLite runs with `synchronous=NORMAL` in WAL mode, which
    is the same bargain.
    """
    with sessions() as session:
        engine = session.get_bind()
    assert isinstance(engine, Engine), "dispatcher sessions are bound to an engine"
    unflushed = engine.dialect.name == "postgresql"
    with engine.connect() as connection:
        try:
            if unflushed:
                connection.exec_driver_sql("SET synchronous_commit = off")
                connection.commit()
            yield connection
            if unflushed:
                connection.exec_driver_sql("RESET synchronous_commit")
                connection.commit()
        except BaseException:
            if unflushed:
                connection.invalidate()  # never back to the pool with the setting still on
            raise


def record_outcomes(
    connection: Connection,
    jobs: list[SendJob],
    *,
    clock: Clock,
    policy: Policy,
    report: DispatchReport,
) -> None:
    """Record outcomes in one transaction, each only where its claim still holds.

    One executemany UPDATE, guarded by the claim (status `sending` and the same
    attempt), writes every outcome: the guard and the write are one statement, so
    no other dispatcher can take a row in between. Only when it keeps fewer rows
    than it was given (a claim ran out meanwhile, which lease renewal makes rare)
    is it undone and done again row by row, to tell which outcomes were dropped.
    """
    now = clock.now()
    held = [job for job in jobs if not job.extra.get("lost")]
    report.lost_claims += len(jobs) - len(held)
    if not held:
        return
    params = [_params(job, now, policy) for job in held]
    kept: set[int] | None = None
    try:
        if connection.execute(_KEEP, params).rowcount != len(params):
            connection.rollback()
            kept = {p["b_id"] for p in params if connection.execute(_KEEP_ONE, p).first() is not None}
        connection.commit()
    except BaseException:
        connection.rollback()
        raise
    for job, values in zip(held, params, strict=True):
        if kept is not None and job.id not in kept:
            log.warning("delivery %s: claim %s expired before its outcome was kept", job.id, job.claim)
            report.lost_claims += 1
        elif job.defer_until is not None:
            report.deferred += 1
        elif job.error is None:
            report.skipped += job.skipped
            report.sent += not job.skipped
        elif values["b_status"] == DeliveryStatus.FAILED:
            report.failed += 1
        else:
            report.retried += 1


def _params(job: SendJob, now: datetime, policy: Policy) -> dict[str, Any]:
    values = _outcome(job, now, policy)
    return {
        "b_id": job.id,
        "b_claim": job.claim,
        "b_status": values["status"],
        "b_sent_ref": values.get("sent_ref"),
        "b_sent_at": values.get("sent_at"),
        "b_last_error": values.get("last_error"),  # None keeps the row's own
        "b_due_at": values.get("due_at"),  # None keeps the row's own
        "b_attempts": values.get("attempts", job.claim),
    }


_table = cast(Table, Delivery.__table__)
_KEEP = (
    update(_table)
    .where(
        _table.c.id == bindparam("b_id"),
        _table.c.status == DeliveryStatus.SENDING,
        _table.c.attempts == bindparam("b_claim"),
    )
    .values(
        status=bindparam("b_status"),
        sent_ref=bindparam("b_sent_ref"),
        sent_at=bindparam("b_sent_at"),
        last_error=func.coalesce(bindparam("b_last_error", type_=Text()), _table.c.last_error),
        due_at=func.coalesce(bindparam("b_due_at", type_=_table.c.due_at.type), _table.c.due_at),
        attempts=bindparam("b_attempts"),
        lease_until=None,
    )
)
_KEEP_ONE = _KEEP.returning(_table.c.id)
