"""How every surface runs a use case: Slack, Teams and the terminal do it the same way.

An edge translates a request into `work`, a function of one database session that
calls one use case (`UseCases.press` builds it for a button or a form). Then:

1. `run(work)` (or `call(work)`, blocking, for the terminal) opens a session and runs
   the work once, in its transaction. What the use case left uncommitted (a read
   that noted the person's workspace, say) is committed after it. The servers never
   let the event loop wait on the database: on PostgreSQL the work runs on the loop
   in SQLAlchemy's asyncio mode (every round trip awaits), on SQLite in one worker
   thread (its writers take turns anyway).
2. A `MendError` (the person's to fix) becomes an error reply naming its field; any
   other exception is logged once with a short code and becomes an apology that
   shows the code. Either way the transaction is rolled back.
3. The edge shows the result (a reply, a form, or the error) in its own way.
4. `after(outcome, shown_at)` records where a reply that later changes must update
   was shown (`Reply.keep`), then asks the sender to send what the use case queued
   as due now, waiting up to 2 s so that it usually arrives with the answer.

Nothing here runs a use case again: a retry comes only from the platform, and the
use cases' request keys make it harmless.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import uuid
from collections.abc import Callable, Mapping
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session, sessionmaker

from adapters.sender import Sender
from bot import actions, deliveries, i18n, languages, messages, staff
from bot.commands import Actor
from bot.errors import MendError
from bot.ports import Clock
from bot.replies import Form, Reply
from policies.schema import Policy

log = logging.getLogger(__name__)

R = TypeVar("R")


@dataclass(frozen=True)
class Outcome(Generic[R]):
    """What running a use case gave: its result, or the error reply that replaces it."""

    result: R | Reply
    language: str = i18n.DEFAULT  # the language it was written in, for what the edge adds after
    error: MendError | None = None  # the person's mistake, when that is what happened
    code: str | None = None  # the correlation code of a failure that is not theirs
    due_now: bool = False  # the use case queued a delivery due at once

    @property
    def ok(self) -> bool:
        """Say whether the use case succeeded."""
        return self.error is None and self.code is None


@dataclass
class UseCases:
    """Runs use cases for an edge (see the module's docstring), with what they are given."""

    sessions: sessionmaker[Session]
    policy: Policy
    clock: Clock
    # Where use cases run when awaited. On PostgreSQL, on the event loop itself through
    # SQLAlchemy's asyncio mode: each round trip awaits, so a slow database or a row lock
    # stalls no one, and no thread hand-off costs CPU. Otherwise in `executor` (None: asyncio's
    # default pool); on SQLite that is one thread, as its writers take turns anyway.
    loop_sessions: async_sessionmaker[AsyncSession] | None = None
    executor: Executor | None = None
    # What sends the deliveries an action queued; None where the edge sends itself (the terminal).
    sender: Sender | None = None

    def press(
        self,
        action: str,
        value: str,
        actor: Actor,
        inputs: Mapping[str, str] | None = None,
        *,
        request_key: str | None = None,
        address: dict[str, Any] | None = None,
    ) -> Callable[[Session], Reply | Form]:
        """Return the work of a click or form submission; `address` is noted for the person too."""

        def work(session: Session) -> Reply | Form:
            if address is not None:
                self.note_address(actor, address)(session)
            return actions.handle(
                action,
                value,
                actor,
                inputs,
                session=session,
                policy=self.policy,
                clock=self.clock,
                request_key=request_key,
            )

        return work

    def note_address(self, actor: Actor, address: dict[str, Any]) -> Callable[[Session], None]:
        """Return the work of noting how to reach a person later on their platform."""

        def work(session: Session) -> None:
            staff.note_address(actor, address, session=session, policy=self.policy, clock=self.clock)

        return work

    def call(self, work: Callable[[Session], R], *, what: str, actor: Actor | None = None) -> Outcome[R]:
        """Run `work` once in a session of its own, here (blocking); see the module's docstring.

        What it says is written in `actor`'s language (`bot.languages.of_actor`).
        """
        with self.sessions() as session:
            return self._carry_out(session, work, what, actor)

    async def run(self, work: Callable[[Session], R], *, what: str, actor: Actor | None = None) -> Outcome[R]:
        """Run `work` once without blocking the event loop; see `call` and the module's docstring."""
        if self.loop_sessions is not None:
            async with self.loop_sessions() as session:
                return await session.run_sync(self._carry_out, work, what, actor)
        call = functools.partial(self.call, work, what=what, actor=actor)
        return await asyncio.get_running_loop().run_in_executor(self.executor, call)

    def _carry_out(
        self, session: Session, work: Callable[[Session], R], what: str, actor: Actor | None
    ) -> Outcome[R]:
        language = i18n.first_spoken(actor.locale if actor else None, self.policy.locale)
        try:
            if actor is not None:
                language = languages.of_actor(session, actor, policy=self.policy)
            with i18n.speaking(language):
                result = work(session)
            if session.in_transaction():
                session.commit()
        except MendError as exc:
            session.rollback()
            with i18n.speaking(language):
                return Outcome(messages.error(exc.message, field=exc.field), language, error=exc)
        except Exception:
            session.rollback()
            code = uuid.uuid4().hex[:8]
            log.exception("%s failed [%s]", what, code)
            with i18n.speaking(language):
                return Outcome(messages.unexpected(code), language, code=code)
        return Outcome(result, language, due_now=deliveries.due_now(session))

    async def after(self, outcome: Outcome[Any], shown_at: dict[str, Any] | None, *, what: str) -> None:
        """Record where a reply to keep up to date was shown, then send what is due now."""
        reply = outcome.result
        if outcome.ok and isinstance(reply, Reply) and reply.keep is not None and shown_at is not None:
            keep = reply.keep

            def remember(session: Session) -> None:
                deliveries.remember_message(
                    session,
                    kind=deliveries.Kind(keep.kind),
                    case_id=keep.case_id,
                    recipient_id=keep.recipient_id,
                    sent_ref=shown_at,
                    now=self.clock.now(),
                    request_id=keep.request_id,
                )

            await self.run(remember, what=f"remembering the reply to {what}")
        if outcome.due_now and self.sender is not None:
            await self.sender.after_action(what)
