"""The dispatcher: claims due deliveries in batches, sends them, records each outcome.

A pass claims up to `batch` due rows with a lease (FOR UPDATE SKIP LOCKED on
PostgreSQL; on SQLite the claiming UPDATE re-checks the row itself), renders
them from the current state in that batch's one session, and sends them through
the Notifier from worker threads (one, or several at once). Meanwhile the
calling thread records outcomes as sends complete (every `RECORD_EVERY`), each
only if its claim still holds: the row is still `sending` with the attempt
number the claim gave it. Whenever a third of the lease has passed it renews the
lease of every row of the batch not yet recorded, sends still running included,
so no other pass claims a row its first sender is still working on. A claim
whose dispatcher stops (or cannot renew in time) is claimed again by any
dispatcher once its lease runs out.
"""

from __future__ import annotations

import logging
import queue
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, and_, bindparam, or_, select, tuple_, update
from sqlalchemy.orm import Session, sessionmaker

from bot.deliveries import Kind
from bot.notices import render
from bot.ports import Clock, Notifier, Recipient, SendError
from bot.quiet_hours import location_of
from bot.replies import Reply
from db import queries
from db.models import Delivery, DeliveryStatus
from policies.schema import Policy

log = logging.getLogger(__name__)

LEASE = timedelta(seconds=60)
RECORD_EVERY = timedelta(seconds=2)
POLL_SECONDS = 0.5  # while sends run, the calling thread looks at the clock at least this often
BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_MAX = timedelta(hours=1)
BATCH = 200
# How long an update waits for the message it updates when that is still being sent.
UPDATE_WAIT_SECONDS = 10


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
class _Job:
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


def _due(now: datetime) -> Any:
    return or_(
        and_(Delivery.status == DeliveryStatus.PENDING, Delivery.due_at <= now),
        and_(Delivery.status == DeliveryStatus.SENDING, Delivery.lease_until < now),
    )


def claim_batch(
    session: Session, *, now: datetime, limit: int, lease: timedelta = LEASE
) -> list[tuple[int, int]]:
    """Claim up to `limit` due deliveries, commit, and return (id, attempt) for each claim."""
    due = _due(now)
    # Lock the candidates first, then update exactly those: PostgreSQL may evaluate a LIMIT
    # subquery inside an UPDATE more than once, which would claim more rows than asked.
    ids = session.scalars(
        select(Delivery.id)
        .where(due)
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


def dispatch_due(
    *,
    sessions: sessionmaker[Session],
    notifier: Notifier,
    policy: Policy,
    clock: Clock,
    batch: int = BATCH,
    max_batches: int | None = None,
    concurrency: int = 1,
    lease: timedelta = LEASE,
) -> DispatchReport:
    """Send due deliveries batch by batch until none is due (or `max_batches` ran)."""
    report = DispatchReport()
    done = 0
    with ThreadPoolExecutor(max(concurrency, 1), thread_name_prefix="mend-send") as pool:
        while max_batches is None or done < max_batches:
            done += 1
            claimed_at = clock.now()
            with sessions() as session:
                claims = claim_batch(session, now=claimed_at, limit=batch, lease=lease)
            if not claims:
                break
            report.claimed += len(claims)
            jobs = _prepare(sessions, claims, policy)
            _send_batch(
                jobs,
                pool,
                notifier,
                claimed_at=claimed_at,
                sessions=sessions,
                clock=clock,
                policy=policy,
                lease=lease,
                report=report,
            )
            if len(claims) < batch:
                break
    return report


def _send_batch(
    jobs: list[_Job],
    pool: ThreadPoolExecutor,
    notifier: Notifier,
    *,
    claimed_at: datetime,
    sessions: sessionmaker[Session],
    clock: Clock,
    policy: Policy,
    lease: timedelta,
    report: DispatchReport,
) -> None:
    """Send a claimed batch from the pool; record outcomes as they come and keep the rest leased."""
    send = _sender(notifier)
    finished: queue.SimpleQueue[_Job] = queue.SimpleQueue()

    def run(job: _Job) -> None:
        try:
            if not job.extra.get("lost"):
                send(job)
        finally:
            finished.put(job)

    ready = [job for job in jobs if job.skipped or job.error is not None]
    running = {job.id: job for job in jobs if not (job.skipped or job.error is not None)}
    futures: list[Future[None]] = [pool.submit(run, job) for job in running.values()]
    poll = min(POLL_SECONDS, lease.total_seconds() / 10)
    recorded_at, renewed_at = clock.now(), claimed_at
    try:
        while running:
            try:
                job = finished.get(timeout=poll)
                while True:
                    ready.append(job)
                    running.pop(job.id)
                    job = finished.get_nowait()
            except queue.Empty:
                pass
            now = clock.now()
            if running and now - renewed_at >= lease / 3:
                _renew(sessions, [*running.values(), *ready], now=now, lease=lease)
                renewed_at = now
            if running and ready and now - recorded_at >= RECORD_EVERY:
                _record(sessions, ready, clock=clock, policy=policy, report=report)
                ready, recorded_at = [], now
    except BaseException:
        for future in futures:  # sends not started yet are left to the lease
            future.cancel()
        raise
    _record(sessions, ready, clock=clock, policy=policy, report=report)


def _renew(sessions: sessionmaker[Session], jobs: list[_Job], *, now: datetime, lease: timedelta) -> None:
    """Renew the lease of a batch's unrecorded rows; a row another claim took is not sent by this one."""
    held = [job for job in jobs if not job.extra.get("lost")]
    with sessions() as session:
        renewed = renew_leases(session, [(job.id, job.claim) for job in held], now=now, lease=lease)
    for job in held:
        if job.id not in renewed:
            log.warning("delivery %s: claim %s expired before its lease was renewed", job.id, job.claim)
            job.extra["lost"] = True


def _prepare(sessions: sessionmaker[Session], claims: list[tuple[int, int]], policy: Policy) -> list[_Job]:
    """Render every claimed delivery in one session; a row that cannot render fails alone."""
    claim_of = dict(claims)
    jobs: list[_Job] = []
    with sessions() as session:
        rows = session.scalars(select(Delivery).where(Delivery.id.in_(list(claim_of)))).all()
        for delivery in sorted(rows, key=lambda d: d.id):
            job = _Job(delivery.id, claim_of[delivery.id], delivery.kind)
            jobs.append(job)
            if delivery.status != DeliveryStatus.SENDING or delivery.attempts != job.claim:
                job.skipped, job.extra["lost"] = True, True
                continue
            try:
                target = (
                    session.get(Delivery, delivery.payload["target_id"])
                    if delivery.kind == Kind.CARD_UPDATE
                    else None
                )
                if target is not None and target.status == DeliveryStatus.SENDING:
                    # The card is on its way: update it once its send says where it went.
                    job.error = SendError(
                        "the message to update is still being sent", retry_after=UPDATE_WAIT_SECONDS
                    )
                    continue
                job.reply = render(session, delivery, policy=policy)
                if delivery.kind == Kind.CARD_UPDATE:
                    job.target_ref = target.sent_ref if target is not None else None
                else:
                    job.recipient = _recipient(session, delivery, policy)
            except Exception as exc:  # a bug in rendering one row must not stop the others
                log.exception("cannot render delivery %s", delivery.id)
                job.error = SendError(f"cannot render: {exc}", permanent=True)
                continue
            if job.reply is None or (delivery.kind == Kind.CARD_UPDATE and job.target_ref is None):
                job.skipped = True
        session.rollback()
    return jobs


def _sender(notifier: Notifier) -> Callable[[_Job], None]:
    def send(job: _Job) -> None:
        if job.skipped or job.error is not None:
            return
        assert job.reply is not None
        try:
            if job.kind == Kind.CARD_UPDATE:
                assert job.target_ref is not None
                notifier.update(job.target_ref, job.reply)
                job.sent_ref = job.target_ref
            else:
                assert job.recipient is not None
                job.sent_ref = notifier.send(job.recipient, job.reply)
        except SendError as exc:
            job.error = exc
        except Exception as exc:
            log.exception("delivery %s failed", job.id)
            job.error = SendError(repr(exc))

    return send


def backoff(attempt: int) -> timedelta:
    """Return how long to wait after the `attempt`-th failed send: doubling, capped."""
    return min(BACKOFF_BASE * 2 ** (attempt - 1), BACKOFF_MAX)


def _outcome(job: _Job, now: datetime, policy: Policy) -> dict[str, Any]:
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


def _record(
    sessions: sessionmaker[Session], jobs: list[_Job], *, clock: Clock, policy: Policy, report: DispatchReport
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


def _recipient(session: Session, delivery: Delivery, policy: Policy) -> Recipient:
    if delivery.recipient_id is None:
        return Recipient(staff_id=None, name=delivery.channel or "", channel=delivery.channel)
    staff = queries.get_staff(session, delivery.recipient_id)
    assert staff is not None
    accounts = {
        identity.platform: {"user_id": identity.user_id, "address": identity.address}
        for identity in queries.list_identities(session, staff.id)
    }
    location = location_of(policy, staff.location)
    return Recipient(staff_id=staff.id, name=staff.name, accounts=accounts, timezone=location.timezone)
