"""Engines and sessions; nothing is created at import."""

from __future__ import annotations

import threading
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import Session, sessionmaker

from db.aggregates import register_sqlite_aggregates

SQLITE_BUSY_TIMEOUT_MS = 10_000
# Connections for use cases run on the event loop (a server database), per process.
LOOP_POOL_SIZE = 8


# The databases Mend is built and tested on, by SQLAlchemy driver name.
SUPPORTED_DRIVERS = ("sqlite", "sqlite+pysqlite", "postgresql", "postgresql+psycopg")
SUPPORTED = (
    "Mend supports a SQLite file (sqlite:///mend.db) and PostgreSQL through psycopg"
    " (postgresql+psycopg://user:password@host:5432/mend)"
)


class UnsupportedDatabase(ValueError):
    """A database URL Mend cannot use; the message says why and what Mend supports."""


def check_database_url(url: str | URL) -> URL:
    """Return the parsed URL of a database Mend supports, or raise UnsupportedDatabase."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        # Not echoed: a URL that does not parse may still hold a password.
        raise UnsupportedDatabase(f"not a database URL; {SUPPORTED}.") from exc
    if parsed.drivername not in SUPPORTED_DRIVERS:
        shown = parsed.render_as_string(hide_password=True)
        raise UnsupportedDatabase(
            f"{shown} asks for {parsed.drivername}, which Mend does not run on; {SUPPORTED}."
        )
    return parsed


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Return an engine for `url`, with SQLite set up for several writers."""
    parsed = check_database_url(url)
    if parsed.get_backend_name() != "sqlite":
        kwargs.setdefault("pool_pre_ping", True)
        return create_engine(url, **kwargs)
    engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}, **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy emit BEGIN itself (below) instead of pysqlite.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        register_sqlite_aggregates(dbapi_connection)
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        if parsed.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    # SQLite has one writer at a time. Threads of this process queue for it on a Python lock,
    # which wakes the next one as soon as the lock is free; SQLite's own busy handler would
    # have each poll with sleeps of up to 100 ms, and a thread that keeps losing waits seconds.
    # Other processes still meet SQLite's busy handler (busy_timeout).
    writer = threading.Lock()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        held = writer.acquire(timeout=SQLITE_BUSY_TIMEOUT_MS / 1000)
        connection.info["mend_writer"] = held
        try:
            # Take the write lock up front: a transaction that reads, then writes,
            # waits its turn instead of failing with "database is locked" halfway.
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            _release(connection)
            raise

    def _release(connection: Any) -> None:
        if connection.info.pop("mend_writer", False):
            writer.release()

    event.listen(engine, "commit", _release)
    event.listen(engine, "rollback", _release)
    return engine


def make_sessions(engine: Engine) -> sessionmaker[Session]:
    """Return the session factory the use cases are given."""
    return sessionmaker(engine, expire_on_commit=False)


def make_loop_sessions(url: str | URL) -> async_sessionmaker[AsyncSession]:
    """Return sessions for work run on an event loop, from their own pool (a server database).

    `await session.run_sync(fn)` runs a use case as written, with a plain Session, while
    each round trip to the database awaits on the loop instead of blocking it. Dispose
    of their engine with `await sessions.kw["bind"].dispose()`.
    """
    # A fixed pool: past it, work waits on the loop for a connection. An overflow connection
    # is opened and closed per use, which under load cost more than the wait.
    engine = create_async_engine(url, pool_pre_ping=True, pool_size=LOOP_POOL_SIZE, max_overflow=0)
    return async_sessionmaker(engine, expire_on_commit=False)
