"""The dispatcher: claims due deliveries in batches, sends them, records each outcome.

A pass claims up to `batch` due rows with a lease (`bot.delivery_leases`: FOR
UPDATE SKIP LOCKED on PostgreSQL; on SQLite the claiming UPDATE re-checks the
row itself), renders them from the current state in that batch's one session,
and sends them through the Notifier from worker threads (one, or several at
once). Meanwhile the calling thread records outcomes as sends complete (every
`RECORD_EVERY`, through `bot.delivery_outcomes`), each only if its claim still
holds: the row is still `sending` with the attempt number the claim gave it.
Whenever a third of the lease has passed it renews the lease of every row of the
batch not yet recorded, sends still running included, so no other pass claims a
row its first sender is still working on. A claim whose dispatcher stops (or
cannot renew in time) is claimed again by any dispatcher once its lease runs out.
"""

from __future__ import annotations

import logging
import queue
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.deliveries import Kind
from bot.delivery_leases import LEASE, claim_batch, claim_due, renew_leases
from bot.delivery_outcomes import BACKOFF_BASE, BACKOFF_MAX, DispatchReport, SendJob, backoff, record_outcomes
from bot.notices import render
from bot.ports import Clock, Notifier, Recipient, SendError
from bot.quiet_hours import location_of
from db import queries
from db.models import Delivery, DeliveryStatus
from policies.schema import Policy

__all__ = [
    "BACKOFF_BASE",
    "BACKOFF_MAX",
    "BATCH",
    "LEASE",
    "POLL_SECONDS",
    "RECORD_EVERY",
    "UPDATE_WAIT_SECONDS",
    "DispatchReport",
    "backoff",
    "claim_batch",
    "claim_due",
    "dispatch_due",
    "renew_leases",
]

log = logging.getLogger(__name__)

RECORD_EVERY = timedelta(seconds=2)
POLL_SECONDS = 0.5  # while sends run, the calling thread looks at the clock at least this often
BATCH = 200
# How long an update waits for the message it updates when that is still being sent.
UPDATE_WAIT_SECONDS = 10


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
    jobs: list[SendJob],
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
    finished: queue.SimpleQueue[SendJob] = queue.SimpleQueue()

    def run(job: SendJob) -> None:
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
                record_outcomes(sessions, ready, clock=clock, policy=policy, report=report)
                ready, recorded_at = [], now
    except BaseException:
        for future in futures:  # sends not started yet are left to the lease
            future.cancel()
        raise
    record_outcomes(sessions, ready, clock=clock, policy=policy, report=report)


def _renew(sessions: sessionmaker[Session], jobs: list[SendJob], *, now: datetime, lease: timedelta) -> None:
    """Renew the lease of a batch's unrecorded rows; a row another claim took is not sent by this one."""
    held = [job for job in jobs if not job.extra.get("lost")]
    with sessions() as session:
        renewed = renew_leases(session, [(job.id, job.claim) for job in held], now=now, lease=lease)
    for job in held:
        if job.id not in renewed:
            log.warning("delivery %s: claim %s expired before its lease was renewed", job.id, job.claim)
            job.extra["lost"] = True


def _prepare(sessions: sessionmaker[Session], claims: list[tuple[int, int]], policy: Policy) -> list[SendJob]:
    """Render every claimed delivery in one session; a row that cannot render fails alone."""
    claim_of = dict(claims)
    jobs: list[SendJob] = []
    with sessions() as session:
        rows = session.scalars(select(Delivery).where(Delivery.id.in_(list(claim_of)))).all()
        for delivery in sorted(rows, key=lambda d: d.id):
            job = SendJob(delivery.id, claim_of[delivery.id], delivery.kind)
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


def _sender(notifier: Notifier) -> Callable[[SendJob], None]:
    def send(job: SendJob) -> None:
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
