"""Real dispatcher processes: one killed between claim and send, two sharing one PostgreSQL."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from adapters.main import build_runtime, sender_for
from adapters.scheduler import start_scheduler
from adapters.settings import Settings
from adapters.webhook import WebhookNotifier
from bot.ports import SystemClock
from db.models import Delivery
from tests.conftest import FakeClock
from tests.deliveries.conftest import Exchange, Recorder, add_lessons

ROOT = Path(__file__).resolve().parents[2]
MONDAY_MORNING = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)  # the week's digest is not due yet


def _url(sessions: sessionmaker[Session]) -> str:
    return sessions.kw["bind"].url.render_as_string(hide_password=False)


def _relay(sessions, recorder: Recorder, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "MEND_LOG_LEVEL": "WARNING"}
    return subprocess.Popen(
        [sys.executable, "-m", "adapters.relay", _url(sessions), recorder.url, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=ROOT,
    )


def _queue(sessions, count: int, *, now: datetime | None = None) -> None:
    with sessions() as session:
        add_lessons(session, count, now=now or SystemClock().now())
        session.commit()


def test_a_dispatcher_killed_after_claiming_loses_and_doubles_nothing(fresh_sessions, recorder) -> None:
    _queue(fresh_sessions, 30)
    recorder.hang.set()  # the chat API stops answering: the dispatcher is stuck mid-batch
    first = _relay(fresh_sessions, recorder, "--batch", "10", "--lease-seconds", "2")
    assert recorder.first_hang.wait(60), first.stderr.read() if first.stderr else ""
    first.send_signal(signal.SIGKILL)
    first.wait(30)
    with fresh_sessions() as session:
        statuses = session.scalars(select(Delivery.status)).all()
    assert statuses.count("sending") == 10 and statuses.count("sent") == 0
    recorder.hang.clear()
    recorder.release.set()
    second = _relay(fresh_sessions, recorder, "--batch", "10", "--lease-seconds", "2", "--until-empty")
    out, err = second.communicate(timeout=120)
    assert second.returncode == 0, err
    assert json.loads(out)["sent"] == 30
    titles = recorder.titles()
    assert len(titles) == 30 and set(titles.values()) == {1}
    assert len(recorder.hung) >= 1  # the request the killed process never saw answered
    with fresh_sessions() as session:
        assert set(session.scalars(select(Delivery.status)).all()) == {"sent"}


def test_two_dispatchers_on_postgresql_send_each_delivery_exactly_once(
    fresh_sessions, recorder, dialect
) -> None:
    if dialect == "sqlite":
        pytest.skip("several dispatchers need PostgreSQL; SQLite is single-process")
    _queue(fresh_sessions, 1000)
    workers = [
        _relay(fresh_sessions, recorder, "--batch", "50", "--concurrency", "2", "--until-empty")
        for _ in range(2)
    ]
    reports = []
    for worker in workers:
        out, err = worker.communicate(timeout=300)
        assert worker.returncode == 0, err
        reports.append(json.loads(out))
    titles = recorder.titles()
    assert len(recorder.received) == 1000 and len(titles) == 1000 and set(titles.values()) == {1}
    assert sum(r["sent"] for r in reports) == 1000 and all(r["sent"] > 0 for r in reports)


def test_dispatchers_killed_mid_pass_repeat_only_the_sends_in_flight(
    fresh_sessions, recorder, dialect
) -> None:
    # Two dispatchers share PostgreSQL (one on SQLite, which is single-process); one is killed
    # (SIGKILL: no clean-up) in the middle of its sends, and replaced, twice.
    count, concurrency, kills = 1000, 2, 2
    _queue(fresh_sessions, count)
    args = ["--batch", "200", "--concurrency", str(concurrency), "--lease-seconds", "3", "--until-empty"]
    workers = [_relay(fresh_sessions, recorder, *args) for _ in range(1 if dialect == "sqlite" else 2)]
    killed_at: list[float] = []
    for n in range(1, kills + 1):
        while len(recorder.exchanges) < n * count // (kills + 1):
            assert workers[0].poll() is None, workers[0].communicate()[1]
            time.sleep(0.005)
        killed_at.append(time.monotonic())
        workers[0].kill()
        workers[0].communicate(timeout=30)
        workers[0] = _relay(fresh_sessions, recorder, *args)
    for worker in workers:
        _, err = worker.communicate(timeout=300)
        assert worker.returncode == 0, err
    with recorder.lock:
        exchanges = list(recorder.exchanges)
    titles = recorder.titles()
    assert len(titles) == count  # nothing lost
    repeated = [title for title, times in titles.items() if times > 1]
    assert set(titles.values()) <= {1, 2}
    # At most one send per sending thread of a killed process is repeated: the one in flight.
    assert len(repeated) <= concurrency * kills, repeated
    first = {}
    for exchange in exchanges:
        first.setdefault(exchange.title, exchange)
    later_on_connection = _later_on_each_connection(exchanges)
    for title in repeated:
        exchange = first[title]
        # Its thread never began another send after it (its outcome would have been kept first) ...
        assert later_on_connection[id(exchange)] == 0, title
        # ... and no answer that came back well before a kill is sent again.
        answered = exchange.answered_at
        assert answered is None or any(answered > kill - 0.05 for kill in killed_at), (title, killed_at)
    with fresh_sessions() as session:
        assert set(session.scalars(select(Delivery.status)).all()) == {"sent"}


def _later_on_each_connection(exchanges: list[Exchange]) -> dict[int, int]:
    """Say, for each exchange, how many came after it on the same connection (the same sending thread)."""
    seen: defaultdict[tuple[str, int], int] = defaultdict(int)
    later = {}
    for exchange in reversed(exchanges):
        later[id(exchange)] = seen[exchange.connection]
        seen[exchange.connection] += 1
    return later


def test_the_scheduler_sends_on_a_kick_without_waiting_for_the_poll(fresh_sessions, recorder) -> None:
    settings = Settings(MEND_DATABASE_URL=_url(fresh_sessions), MEND_LOG_LEVEL="WARNING")
    runtime = build_runtime(settings, clock=FakeClock(MONDAY_MORNING))

    async def scenario() -> None:
        handle = start_scheduler(sender_for(runtime, WebhookNotifier(recorder.url)), dispatch_seconds=3600)
        try:
            await asyncio.sleep(0.2)  # the first poll runs at start: nothing is due
            _queue(runtime.sessions, 3, now=MONDAY_MORNING)
            handle.kick()
            for _ in range(100):
                if len(recorder.received) == 3:
                    break
                await asyncio.sleep(0.05)
        finally:
            handle.shutdown()

    try:
        asyncio.run(scenario())
    finally:
        runtime.close()
    assert len(recorder.titles()) == 3


def test_a_hanging_send_does_not_block_the_event_loop(fresh_sessions, recorder) -> None:
    settings = Settings(MEND_DATABASE_URL=_url(fresh_sessions), MEND_LOG_LEVEL="WARNING")
    runtime = build_runtime(settings, clock=FakeClock(MONDAY_MORNING))
    ticks = 0

    async def scenario() -> None:
        nonlocal ticks
        handle = start_scheduler(sender_for(runtime, WebhookNotifier(recorder.url)), dispatch_seconds=3600)
        try:
            recorder.hang.set()
            _queue(runtime.sessions, 1, now=MONDAY_MORNING)
            handle.kick()
            while not recorder.first_hang.is_set():
                await asyncio.sleep(0.01)
            for _ in range(20):  # the send hangs in its thread; the loop goes on serving
                await asyncio.sleep(0.01)
                ticks += 1
            with runtime.sessions() as session:  # still mid-send: the pass did not hold the loop
                assert session.scalars(select(Delivery.status)).all() == ["sending"]
        finally:
            recorder.hang.clear()
            recorder.release.set()
            handle.shutdown()

    try:
        asyncio.run(asyncio.wait_for(scenario(), 30))
    finally:
        runtime.close()
    assert ticks == 20 and len(recorder.hung) == 1
