"""The dispatcher: claims due deliveries in batches, sends them, records each outcome.

A pass claims up to `batch` due rows with a lease (`bot.delivery_leases`: FOR
UPDATE SKIP LOCKED on PostgreSQL; on SQLite the claiming UPDATE re-checks the
row itself), renders them from the current state in that batch's one session,
and sends them through the Notifier from worker threads (one, or several at
once). The calling thread records each outcome as soon as its send completes,
with whatever else completed meanwhile in the same statement
(`bot.delivery_outcomes`), each only if its claim still holds: the row is still
`sending` with the attempt number the claim gave it. A worker begins its next
send only once its last outcome is committed, so a dispatcher killed at any
moment leaves at most one answered-but-unrecorded send per worker: those in
flight. Whenever a third of the lease has passed the calling thread renews the
lease of every row of the batch not yet recorded, sends still running included,
so no other pass claims a row its first sender is still working on. A claim
whose dispatcher stops (or cannot renew in time) is claimed again by any
dispatcher once its lease runs out.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot import i18n, languages
from bot.deliveries import FOLLOW_UP_KINDS, Kind
from bot.delivery_leases import LEASE, claim_batch, claim_due, renew_leases
from bot.delivery_outcomes import (
    BACKOFF_BASE,
    BACKOFF_MAX,
    DispatchReport,
    SendJob,
    backoff,
    outcome_connection,
    record_outcomes,
)
from bot.notices import render
from bot.ports import Clock, Notifier, Recipient, SendError
from bot.quiet_hours import location_of, next_opening
from db import queries
from db.models import Delivery, DeliveryStatus
from policies.schema import Policy

__all__ = [
    "BACKOFF_BASE",
    "BACKOFF_MAX",
    "BATCH",
    "LEASE",
    "POLL_SECONDS",
    "UPDATE_WAIT_SECONDS",
    "DispatchReport",
    "backoff",
    "claim_batch",
    "claim_due",
    "dispatch_due",
    "renew_leases",
]

log = logging.getLogger(__name__)

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
    only_for: str | None = None,
) -> DispatchReport:
    """Send due deliveries batch by batch until none is due (or `max_batches` ran).

    With `only_for` (a platform) it claims only what that platform alone would take:
    deliveries to people with an account there and on no other chat platform, and
    channel posts while nobody has an account on another chat platform.
    """
    report = DispatchReport()
    done = 0
    with ThreadPoolExecutor(max(concurrency, 1), thread_name_prefix="mend-send") as pool:
        while max_batches is None or done < max_batches:
            done += 1
            claimed_at = clock.now()
            with sessions() as session:
                claims = claim_batch(session, now=claimed_at, limit=batch, lease=lease, only_for=only_for)
            if not claims:
                break
            report.claimed += len(claims)
            jobs = _prepare(sessions, claims, policy, now=clock.now())
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
    """Send a claimed batch from the pool, keeping each outcome before its worker sends again."""
    send = _sender(notifier)
    finished: queue.SimpleQueue[SendJob] = queue.SimpleQueue()
    ready = [job for job in jobs if not job.to_send]
    running = {job.id: job for job in jobs if job.to_send}
    kept = {job_id: threading.Event() for job_id in running}

    def run(job: SendJob) -> None:
        try:
            if not job.extra.get("lost"):
                send(job)
        finally:
            finished.put(job)
        # The worker's next send waits until this outcome is committed, so a crash can
        # only repeat the sends in flight: at most one per worker.
        kept[job.id].wait()

    renewed_at = claimed_at
    if running and clock.now() - claimed_at >= lease / 3:
        # Rendering took a while (the first batch of a process loads the redactor): make sure
        # the claims still hold before anything is sent, as another pass may have taken them.
        renewed_at = clock.now()
        _renew(sessions, [*running.values(), *ready], now=renewed_at, lease=lease)
    futures: list[Future[None]] = [pool.submit(run, job) for job in running.values()]
    poll = min(POLL_SECONDS, lease.total_seconds() / 10)
    with outcome_connection(sessions) as outcomes:
        try:
            while running:
                done = _completed(finished, timeout=poll)
                if done:
                    # Whatever completed while the last outcomes were written goes in one statement.
                    for job in done:
                        running.pop(job.id)
                    record_outcomes(outcomes, [*ready, *done], clock=clock, policy=policy, report=report)
                    ready = []
                    for job in done:
                        kept[job.id].set()
                now = clock.now()
                if running and now - renewed_at >= lease / 3:
                    _renew(sessions, [*running.values(), *ready], now=now, lease=lease)
                    renewed_at = now
        except BaseException:
            for future in futures:  # sends not started yet are left to the lease
                future.cancel()
            for event in kept.values():
                event.set()
            raise
        record_outcomes(outcomes, ready, clock=clock, policy=policy, report=report)


def _completed(finished: queue.SimpleQueue[SendJob], *, timeout: float) -> list[SendJob]:
    """Wait up to `timeout` for a send to complete; return it with every other one completed by then."""
    try:
        done = [finished.get(timeout=timeout)]
    except queue.Empty:
        return []
    while True:
        try:
            done.append(finished.get_nowait())
        except queue.Empty:
            return done


def _renew(sessions: sessionmaker[Session], jobs: list[SendJob], *, now: datetime, lease: timedelta) -> None:
    """Renew the lease of a batch's unrecorded rows; a row another claim took is not sent by this one."""
    held = [job for job in jobs if not job.extra.get("lost")]
    with sessions() as session:
        renewed = renew_leases(session, [(job.id, job.claim) for job in held], now=now, lease=lease)
    for job in held:
        if job.id not in renewed:
            log.warning("delivery %s: claim %s expired before its lease was renewed", job.id, job.claim)
            job.extra["lost"] = True


def _prepare(
    sessions: sessionmaker[Session], claims: list[tuple[int, int]], policy: Policy, *, now: datetime
) -> list[SendJob]:
    """Render every claimed delivery in one session; a row that cannot render fails alone.

    A follow-up or reminder still needed that comes due outside its recipient's
    working hours (a server that was down when they opened, say) is deferred to
    their next opening instead of sent.
    """
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
                job.language = languages.of_delivery(session, delivery, policy=policy)
                job.reply = render(session, delivery, policy=policy, language=job.language)
                if delivery.kind == Kind.CARD_UPDATE:
                    job.target_ref = target.sent_ref if target is not None else None
                else:
                    job.recipient = _recipient(session, delivery, policy)
                if job.reply is not None and delivery.kind in FOLLOW_UP_KINDS:
                    job.defer_until = _outside_working_hours(session, delivery, policy, now)
            except Exception as exc:  # a bug in rendering one row must not stop the others
                log.exception("cannot render delivery %s", delivery.id)
                job.error = SendError(f"cannot render: {exc}", permanent=True)
                continue
            if job.reply is None or (delivery.kind == Kind.CARD_UPDATE and job.target_ref is None):
                job.skipped = True
        session.rollback()
    return jobs


def _outside_working_hours(
    session: Session, delivery: Delivery, policy: Policy, now: datetime
) -> datetime | None:
    """Return when the recipient's working hours next open if `now` falls outside them, else None."""
    staff = queries.get_staff(session, delivery.recipient_id) if delivery.recipient_id is not None else None
    return next_opening(now, location_of(policy, staff.location if staff else None))


def _sender(notifier: Notifier) -> Callable[[SendJob], None]:
    def send(job: SendJob) -> None:
        if not job.to_send:
            return
        assert job.reply is not None
        try:
            with i18n.speaking(job.language):  # a platform's own words (a card's "chart left out")
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
