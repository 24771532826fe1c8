"""What every command needs, built once per process: the settings, the policy, the database.

Kept apart from the composition root (adapters/main.py) so a command that only reads
the database (`mend deliveries`, `mend report`) does not import the web server, the
edges and the sender it never uses.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from adapters.settings import Settings
from bot.ports import Clock, SystemClock
from db import migrate
from db.session import make_engine, make_sessions
from policies.loader import load_policy
from policies.schema import Policy


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
