"""APScheduler over the outbox: it only says when to look; the delivery table is the truth.

An AsyncIOScheduler (in-memory job store, nothing in it matters) runs, in the
server's event loop: the dispatcher every few seconds, approval escalations and
open-case reminders every minute, and the weekly digest on Monday morning (also
looked for at start and on every escalation tick, so a process that was not
running at 08:00 on Monday still queues that week's digest). Each
job runs its database work in a worker thread, so the event loop never blocks.
Several replicas may run this at once on one PostgreSQL: claims are leases and
every job that adds deliveries is idempotent (dedupe keys and row locks).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from adapters.main import Runtime
from bot import digest, dispatcher, escalations
from bot.ports import Notifier

log = logging.getLogger(__name__)

DISPATCH_SECONDS = 5.0
ESCALATE_SECONDS = 60.0


@dataclass
class SchedulerHandle:
    """The running scheduler: `kick()` sends what is due now, `shutdown()` stops it."""

    scheduler: AsyncIOScheduler
    runtime: Runtime
    notifier: Notifier
    concurrency: int = 4
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    _again: bool = False
    _loop: asyncio.AbstractEventLoop | None = None
    _tasks: set[asyncio.Task[Any]] = field(default_factory=set)

    def kick(self) -> None:
        """Run a dispatch pass now (after a commit), without waiting for the next poll."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        loop.call_soon_threadsafe(self._start_pass)

    def _start_pass(self) -> None:
        task = asyncio.ensure_future(self.dispatch_pass())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def dispatch_pass(self) -> dispatcher.DispatchReport | None:
        """Send everything due; a kick during a pass makes that pass look once more."""
        if self._lock.locked():
            self._again = True
            return None
        async with self._lock:
            report = None
            while True:
                self._again = False
                report = await self._in_thread(self._dispatch)
                if not self._again:
                    return report

    def _dispatch(self) -> dispatcher.DispatchReport:
        rt = self.runtime
        return dispatcher.dispatch_due(
            sessions=rt.sessions,
            notifier=self.notifier,
            policy=rt.policy,
            clock=rt.clock,
            concurrency=self.concurrency,
        )

    async def escalate_and_remind(self) -> None:
        """Escalate overdue approval requests and remind owners of old open cases."""

        def work() -> None:
            rt = self.runtime
            with rt.sessions() as session:
                escalations.escalate_overdue(session, rt.policy, rt.clock.now())
                escalations.remind_open_cases(session, rt.policy, rt.clock.now())
                digest.enqueue_weekly_digest(session, rt.policy, rt.clock.now())
                session.commit()

        await self._in_thread(work)
        self.kick()

    async def weekly_digest(self) -> None:
        """Queue this week's digest of the week before once Monday 08:00 UTC has passed (once per week)."""

        def work() -> None:
            rt = self.runtime
            with rt.sessions() as session:
                digest.enqueue_weekly_digest(session, rt.policy, rt.clock.now())
                session.commit()

        await self._in_thread(work)
        self.kick()

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
    runtime: Runtime,
    notifier: Notifier,
    *,
    dispatch_seconds: float = DISPATCH_SECONDS,
    escalate_seconds: float = ESCALATE_SECONDS,
    concurrency: int = 4,
) -> SchedulerHandle:
    """Start the scheduler's jobs in the running event loop and return its handle."""
    scheduler = AsyncIOScheduler(timezone=UTC)
    handle = SchedulerHandle(scheduler, runtime, notifier, concurrency=concurrency)
    handle._loop = asyncio.get_running_loop()
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
    scheduler.start()
    return handle
