"""Dispatch passes over the outbox, one at a time per process, however many ask for one.

Three things ask for a pass: a person's action that queued something due now (see
`adapters.edge`), the scheduler's poll, and a scheduled job that queued reminders.
`Sender.request()` starts a pass when none is running; asked during a pass, it makes
that pass look once more when it ends (so what the asker committed is not missed)
and answers once that second look is done. The pass itself runs in a worker thread;
the delivery table is the truth, so a failed pass is logged and the next one retries.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field

from sqlalchemy.orm import Session, sessionmaker

from bot import dispatcher
from bot.ports import Clock, Notifier
from policies.schema import Policy

log = logging.getLogger(__name__)

# A person's request waits at most this long for what it caused to be sent; a backlog
# (after an outage, say) goes on sending in the background.
AFTER_ACTION_WAIT_SECONDS = 2.0


@dataclass
class Sender:
    """Runs dispatch passes through one notifier, coalescing requests that overlap."""

    sessions: sessionmaker[Session]
    policy: Policy
    clock: Clock
    notifier: Notifier
    concurrency: int = 4
    loop: asyncio.AbstractEventLoop | None = None  # set by `bind`, for kicks from other threads
    _running: asyncio.Task[None] | None = None
    _waiting: list[asyncio.Future[dispatcher.DispatchReport | None]] = field(default_factory=list)

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        """Remember the event loop passes run on (the server's)."""
        self.loop = loop

    def request(self) -> asyncio.Future[dispatcher.DispatchReport | None]:
        """Ask for a pass that begins after now; the future gives its report (None if it failed)."""
        loop = asyncio.get_running_loop()
        done: asyncio.Future[dispatcher.DispatchReport | None] = loop.create_future()
        self._waiting.append(done)
        if self._running is None or self._running.done():
            self._running = loop.create_task(self._passes())
        return done

    def kick(self) -> None:
        """Ask for a pass from any thread, without waiting for it."""
        loop = self.loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self.request)

    async def dispatch_pass(self) -> dispatcher.DispatchReport | None:
        """Run a pass (or join the next one) and return its report."""
        return await self.request()

    async def after_action(self, what: str, *, wait: float = AFTER_ACTION_WAIT_SECONDS) -> None:
        """Send what an action queued, waiting up to `wait` s so it usually arrives with the answer."""
        try:
            await asyncio.wait_for(asyncio.shield(self.request()), wait)
        except TimeoutError:
            log.info("still sending deliveries after %s; the request is answered meanwhile", what)

    async def _passes(self) -> None:
        while self._waiting:
            waiting, self._waiting = self._waiting, []
            try:
                report: dispatcher.DispatchReport | None = await asyncio.to_thread(self._dispatch)
            except Exception:  # the next pass retries: the table still holds everything
                log.exception("a dispatch pass failed")
                report = None
            for done in waiting:
                if not done.done():
                    done.set_result(report)

    def _dispatch(self) -> dispatcher.DispatchReport:
        return dispatcher.dispatch_due(
            sessions=self.sessions,
            notifier=self.notifier,
            policy=self.policy,
            clock=self.clock,
            concurrency=self.concurrency,
        )
