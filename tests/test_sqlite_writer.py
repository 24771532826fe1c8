"""SQLite's one writer: threads of one process take turns for it instead of failing."""

from __future__ import annotations

import sqlite3
import threading

from sqlalchemy import text

from db.session import SQLITE_BUSY_TIMEOUT_MS, make_engine, make_sessions


def test_writers_of_one_process_take_turns_and_another_process_is_waited_for(tmp_path) -> None:
    path = tmp_path / "mend.db"
    engine = make_engine(f"sqlite:///{path}")
    sessions = make_sessions(engine)
    try:
        with sessions() as session:
            session.execute(text("CREATE TABLE t (n INTEGER)"))
            session.commit()
            assert session.execute(text("PRAGMA busy_timeout")).scalar() == SQLITE_BUSY_TIMEOUT_MS
            assert session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        errors: list[BaseException] = []

        def write(n: int) -> None:
            try:
                with sessions() as session:
                    for _ in range(20):
                        session.execute(text("INSERT INTO t VALUES (:n)"), {"n": n})
                        session.commit()
            except BaseException as exc:  # collected: a thread's failure must fail the test
                errors.append(exc)

        # Another process holds the writer for a moment: everyone waits, nobody fails.
        other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        other.execute("BEGIN IMMEDIATE")
        threads = [threading.Thread(target=write, args=(n,)) for n in range(8)]
        for thread in threads:
            thread.start()
        threading.Timer(0.3, lambda: other.execute("COMMIT")).start()
        for thread in threads:
            thread.join(timeout=30)
        other.close()
        assert errors == []
        with sessions() as session:
            assert session.execute(text("SELECT count(*) FROM t")).scalar() == 8 * 20
    finally:
        engine.dispose()
