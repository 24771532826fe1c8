"""APScheduler over the outbox: it only says when to look; the delivery table is the truth.

An AsyncIOScheduler (in-memory job store, nothing in it matters) runs, in the
server's event loop: the dispatcher every few seconds, approval escalations and
open-case reminders every minute, and the weekly digest on Monday morning (also
looked for at start and on every escalation tick, so a process that was not
running at 08:00 on Monday still queues that week's digest), and each manager's weekly
review (bot/review.py; looked for hourly, run once a week). Each
job runs its database work in a worker thread, so the event loop never blocks.
Several replicas may run this at once on one PostgreSQL: claims are leases and
every job that adds deliveries is idempotent (dedupe keys and row locks).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from adapters.sender import Sender
from bot import digest, jobs, practice, review
from bot.dispatcher import DispatchReport

log = logging.getLogger(__name__)

DISPATCH_SECONDS = 5.0
ESCALATE_SECONDS = 60.0


@dataclass
class SchedulerHandle:
    """The running scheduler: `kick()` sends what is due now, `shutdown()` stops it."""

    scheduler: AsyncIOScheduler
    sender: Sender

    def kick(self) -> None:
        """Run a dispatch pass now (after a commit), without waiting for the next poll."""
        self.sender.kick()

    async def dispatch_pass(self) -> DispatchReport | None:
        """Send everything due (joining a pass already running, which then looks once more)."""
        return await self.sender.dispatch_pass()

    async def escalate_and_remind(self) -> None:
        """Do the scheduled work of the moment (bot/jobs.py): escalations, reminders, weekly posts."""
        s = self.sender

        def work() -> None:
            with s.sessions() as session:
                jobs.run_scheduled(session, s.policy, s.clock.now())
                session.commit()

        await self._in_thread(work)
        s.request()

    async def weekly_digest(self) -> None:
        """Queue this week's digest of the week before once Monday 08:00 UTC has passed (once per week)."""
        s = self.sender

        def work() -> None:
            with s.sessions() as session:
                digest.enqueue_weekly_digest(session, s.policy, s.clock.now())
                session.commit()

        await self._in_thread(work)
        s.request()

    async def weekly_review(self) -> None:
        """Queue each manager's review of their team's week once Monday 08:00 has passed (once per week)."""
        s = self.sender

        def work() -> None:
            with s.sessions() as session:
                review.enqueue_weekly_review(session, s.policy, s.clock.now())
                session.commit()

        await self._in_thread(work)
        s.request()

    async def weekly_practice(self) -> None:
        """Queue the lessons channel's practice case of the week from Monday 09:00, when the policy asks."""
        s = self.sender

        def work() -> None:
            with s.sessions() as session:
                practice.enqueue_weekly_practice(session, s.policy, s.clock.now())
                session.commit()

        await self._in_thread(work)
        s.request()

    async def _in_thread(self, call: Callable[[], Any]) -> Any:
        try:
            return await asyncio.to_thread(call)
        except Exception:  # the next run retries; the table still holds everything
            log.exception("scheduled job %s failed", getattr(call, "__name__", call))
            return None

    def shutdown(self) -> None:
        """Stop the scheduler; passes already running finish in their threads."""
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)


def start_scheduler(
    sender: Sender,
    *,
    dispatch_seconds: float = DISPATCH_SECONDS,
    escalate_seconds: float = ESCALATE_SECONDS,
) -> SchedulerHandle:
    """Start the scheduler's jobs in the running event loop and return its handle."""
    scheduler = AsyncIOScheduler(timezone=UTC)
    handle = SchedulerHandle(scheduler, sender)
    sender.bind(asyncio.get_running_loop())
    now = datetime.now(UTC)
    common: dict[str, Any] = {"max_instances": 1, "coalesce": True, "misfire_grace_time": None}
    scheduler.add_job(
        handle.dispatch_pass, "interval", seconds=dispatch_seconds, id="dispatch", next_run_time=now, **common
    )
    scheduler.add_job(
        handle.escalate_and_remind, "interval", seconds=escalate_seconds, id="escalate", **common
    )
    scheduler.add_job(
        handle.weekly_digest,
        "cron",
        day_of_week="mon",
        hour=8,
        minute=0,
        id="digest",
        next_run_time=now,  # a start after Monday 08:00 catches up on this week's digest
        **common,
    )
    # Looked for on the hour in the digest's time zone (one indexed read when already done),
    # so Monday 08:00 there runs it, and a failed run is tried again within the hour.
    scheduler.add_job(
        handle.weekly_review,
        "cron",
        minute=0,
        timezone=ZoneInfo(sender.policy.digest_timezone),
        id="review",
        next_run_time=now,  # a start later in the week runs that week's review, once
        **common,
    )
    scheduler.add_job(
        handle.weekly_practice, "interval", hours=1, id="practice", next_run_time=now, **common
    )  # hourly, so Monday 09:00 in the channel's time zone is seen whatever it is in UTC
    scheduler.start()
    return handle
