"""SQLite's one writer: work on an event loop can ask not to wait for it."""

from __future__ import annotations

import sqlite3
import time

import pytest
from sqlalchemy import text

from db.session import SQLITE_BUSY_TIMEOUT_MS, WriterBusy, make_engine, make_sessions, without_waiting


def test_without_waiting_a_taken_writer_is_refused_at_once_and_a_free_one_taken(tmp_path) -> None:
    path = tmp_path / "mend.db"
    engine = make_engine(f"sqlite:///{path}")
    sessions = make_sessions(engine)
    try:
        with sessions() as session:  # the database in WAL mode, as Mend always has it
            session.execute(text("SELECT 1"))
        # Another process writes: refused at once, not after the 10 s busy timeout.
        with sqlite3.connect(path, isolation_level=None) as other:
            other.execute("BEGIN IMMEDIATE")
            started = time.monotonic()
            with without_waiting(), sessions() as session, pytest.raises(WriterBusy) as busy:
                session.execute(text("SELECT 1"))
            assert not busy.value.here and time.monotonic() - started < SQLITE_BUSY_TIMEOUT_MS / 2000
            other.execute("COMMIT")
        # Another session of this process writes: refused too, and told it is here.
        with sessions() as holder:
            holder.execute(text("SELECT 1"))
            with without_waiting(), sessions() as session, pytest.raises(WriterBusy) as busy:
                session.execute(text("SELECT 1"))
            assert busy.value.here
        # Free: taken, and the connection waits as usual afterwards.
        with without_waiting(), sessions() as session:
            assert session.execute(text("SELECT 1")).scalar() == 1
            assert session.execute(text("PRAGMA busy_timeout")).scalar() == SQLITE_BUSY_TIMEOUT_MS
    finally:
        engine.dispose()
