"""The composition root: settings in, a wired Mend out. Nothing happens at import."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from adapters.settings import Settings
from bot import dispatcher
from bot.ports import Clock, Notifier, SystemClock
from db import migrate
from db.session import make_engine, make_sessions
from policies.loader import load_policy
from policies.schema import Policy

log = logging.getLogger(__name__)


class SchemaOutOfDate(Exception):
    """The database needs `mend db upgrade` before Mend can use it."""


@dataclass
class Runtime:
    """Everything a use case needs, built once per process."""

    settings: Settings
    policy: Policy
    engine: Engine
    sessions: sessionmaker[Session]
    clock: Clock

    def close(self) -> None:
        """Release the database connections."""
        self.engine.dispose()


def build_runtime(
    settings: Settings | None = None,
    *,
    clock: Clock | None = None,
    auto_migrate_sqlite: bool = True,
) -> Runtime:
    """Load the policy (raising PolicyError if it is broken), open the database, check its schema."""
    settings = settings or Settings()
    logging.basicConfig(
        level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("alembic").setLevel(logging.WARNING)
    policy = load_policy(settings.policy_file)
    engine = make_engine(settings.database_url)
    ensure_schema(engine, auto_migrate_sqlite=auto_migrate_sqlite)
    return Runtime(
        settings=settings,
        policy=policy,
        engine=engine,
        sessions=make_sessions(engine),
        clock=clock or SystemClock(),
    )


def ensure_schema(engine: Engine, *, auto_migrate_sqlite: bool) -> None:
    """Migrate an embedded SQLite database; refuse a server database that is behind."""
    current, head = migrate.current_revision(engine), migrate.head_revision()
    if current == head:
        return
    if engine.dialect.name == "sqlite" and auto_migrate_sqlite:
        migrate.upgrade(engine)
        return
    raise SchemaOutOfDate(
        f"The database is at schema {current or 'none'}, Mend needs {head}. Run: mend db upgrade"
    )


# A person's request waits at most this long for what it caused to be sent; a backlog
# (after an outage, say) goes on sending in the background.
DISPATCH_WAIT_SECONDS = 2.0
_background: set[asyncio.Task[Any]] = set()


async def dispatch_now(
    runtime: Runtime, notifier: Notifier, *, after: str, wait: float = DISPATCH_WAIT_SECONDS
) -> None:
    """Send what the outbox holds that is due now, off the event loop, right after an action.

    Waits up to `wait` seconds, so the approval card usually arrives before the click
    is answered, but a long backlog never holds the person's request. A failure is
    logged, not raised: the action already succeeded, and the scheduler's next pass
    sends whatever is still due.
    """

    async def run() -> None:
        try:
            await asyncio.to_thread(
                dispatcher.dispatch_due,
                sessions=runtime.sessions,
                notifier=notifier,
                policy=runtime.policy,
                clock=runtime.clock,
            )
        except Exception:
            log.exception("dispatching deliveries after %s failed", after)

    task = asyncio.ensure_future(run())
    _background.add(task)
    task.add_done_callback(_background.discard)
    try:
        await asyncio.wait_for(asyncio.shield(task), wait)
    except TimeoutError:
        log.info("still sending deliveries after %s; the request is answered meanwhile", after)
