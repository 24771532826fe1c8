"""The dispatcher against a real HTTP endpoint: batches, backoff, dead letters, Retry-After, the CLI."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from adapters.cli import app
from adapters.webhook import WebhookNotifier
from bot import deliveries, dispatcher
from bot.deliveries import Kind
from bot.staff import import_staff
from db import queries
from db.models import Delivery, StaffIdentity
from tests.conftest import STAFF_CSV, FakeClock
from tests.deliveries.conftest import Recorder, add_lessons


def _queue(sessions: sessionmaker[Session], clock: FakeClock, count: int) -> None:
    with sessions() as session:
        add_lessons(session, count, now=clock.now())
        session.commit()


def _rows(sessions: sessionmaker[Session]) -> list[Delivery]:
    with sessions() as session:
        return list(session.scalars(select(Delivery).order_by(Delivery.id)).all())


def _dispatch(sessions, policy, clock, recorder: Recorder, **kwargs) -> dispatcher.DispatchReport:
    notifier = WebhookNotifier(recorder.url)
    return dispatcher.dispatch_due(sessions=sessions, notifier=notifier, policy=policy, clock=clock, **kwargs)


def test_a_pass_sends_every_due_delivery_in_batches_once(fresh_sessions, policy, recorder) -> None:
    clock = FakeClock()
    _queue(fresh_sessions, clock, 45)
    report = _dispatch(fresh_sessions, policy, clock, recorder, batch=10, concurrency=4)
    assert (report.claimed, report.sent) == (45, 45)
    assert sorted(recorder.titles().values()) == [1] * 45
    assert {row.status for row in _rows(fresh_sessions)} == {"sent"}
    assert _dispatch(fresh_sessions, policy, clock, recorder).claimed == 0


def test_each_answered_send_is_kept_before_its_worker_sends_again(fresh_sessions, policy, recorder) -> None:
    clock = FakeClock()
    _queue(fresh_sessions, clock, 30)
    concurrency = 3
    unkept: list[int] = []

    def count_unkept(_body: dict) -> None:
        # As each message arrives: how many answered sends are not yet recorded as sent?
        with recorder.lock:
            answered = sum(1 for exchange in recorder.exchanges if exchange.answered_at is not None)
        with fresh_sessions() as session:
            sent = session.scalar(select(func.count()).where(Delivery.status == "sent")) or 0
        unkept.append(answered - sent)

    recorder.on_request = count_unkept
    report = _dispatch(fresh_sessions, policy, clock, recorder, batch=30, concurrency=concurrency)
    assert report.sent == 30 and len(unkept) == 30
    # The sending thread's own last answer is kept; only the other threads' may still be on their way.
    assert max(unkept) <= concurrency - 1, unkept


def test_failed_sends_back_off_exponentially_then_dead_letter(fresh_sessions, policy, recorder) -> None:
    clock = FakeClock()
    _queue(fresh_sessions, clock, 1)
    attempts = policy.deliveries.max_attempts
    recorder.answers = [(503, {})] * attempts
    waits = []
    for attempt in range(1, attempts + 1):
        report = _dispatch(fresh_sessions, policy, clock, recorder)
        assert report.claimed == 1
        (row,) = _rows(fresh_sessions)
        assert row.attempts == attempt and "HTTP 503" in (row.last_error or "")
        if attempt < attempts:
            assert row.status == "pending"
            wait = row.due_at - clock.now()
            waits.append(wait)
            clock.current = row.due_at - timedelta(seconds=1)
            assert _dispatch(fresh_sessions, policy, clock, recorder).claimed == 0  # not before its time
            clock.advance(seconds=1)
    assert waits[:4] == [timedelta(seconds=s) for s in (30, 60, 120, 240)]
    assert max(waits) <= dispatcher.BACKOFF_MAX
    (row,) = _rows(fresh_sessions)
    assert row.status == "failed" and row.lease_until is None
    clock.advance(days=1)
    assert _dispatch(fresh_sessions, policy, clock, recorder).claimed == 0
    assert recorder.received == []


def test_a_client_error_is_dead_lettered_at_once(fresh_sessions, policy, recorder) -> None:
    clock = FakeClock()
    _queue(fresh_sessions, clock, 1)
    recorder.answers = [(404, {})]
    assert _dispatch(fresh_sessions, policy, clock, recorder).failed == 1
    (row,) = _rows(fresh_sessions)
    assert row.status == "failed" and row.attempts == 1 and "HTTP 404" in (row.last_error or "")


def test_retry_after_delays_the_send_without_counting_a_failed_attempt(
    fresh_sessions, policy, recorder
) -> None:
    clock = FakeClock()
    _queue(fresh_sessions, clock, 1)
    recorder.answers = [(429, {"Retry-After": "120"})] * (policy.deliveries.max_attempts + 2)
    for _ in range(policy.deliveries.max_attempts + 2):
        assert _dispatch(fresh_sessions, policy, clock, recorder).retried == 1
        (row,) = _rows(fresh_sessions)
        assert row.status == "pending" and row.attempts == 0
        assert row.due_at == clock.now() + timedelta(seconds=120)
        clock.advance(seconds=119)
        assert _dispatch(fresh_sessions, policy, clock, recorder).claimed == 0
        clock.advance(seconds=1)
    assert _dispatch(fresh_sessions, policy, clock, recorder).sent == 1
    (row,) = _rows(fresh_sessions)
    assert row.status == "sent" and row.attempts == 1 and recorder.titles()


def test_an_outcome_is_not_recorded_by_a_claim_that_lost_its_lease(fresh_sessions, policy, recorder) -> None:
    clock = FakeClock()
    _queue(fresh_sessions, clock, 1)
    with fresh_sessions() as session:
        claims = dispatcher.claim_batch(session, now=clock.now(), limit=10)
    clock.advance(minutes=2)  # the lease ran out; another dispatcher claims it
    with fresh_sessions() as session:
        again = dispatcher.claim_batch(session, now=clock.now(), limit=10)
    assert [c[0] for c in claims] == [c[0] for c in again] and again[0][1] == claims[0][1] + 1
    report = _dispatch(fresh_sessions, policy, clock, recorder)  # nothing due: both are leased
    assert report.claimed == 0
    (row,) = _rows(fresh_sessions)
    assert row.status == "sending" and row.attempts == 2


def _url(sessions: sessionmaker[Session]) -> str:
    return sessions.kw["bind"].url.render_as_string(hide_password=False)


def test_the_cli_lists_dead_letters_and_retries_them(fresh_sessions, policy, recorder) -> None:
    clock = FakeClock()
    _queue(fresh_sessions, clock, 2)
    recorder.answers = [(400, {})]
    _dispatch(fresh_sessions, policy, clock, recorder)
    failed, sent = _rows(fresh_sessions)
    assert (failed.status, sent.status) == ("failed", "sent")
    runner = CliRunner()
    env = {"MEND_DATABASE_URL": _url(fresh_sessions), "MEND_LOG_LEVEL": "WARNING"}
    listed = runner.invoke(app, ["deliveries", "list", "--failed"], env=env)
    assert listed.exit_code == 0, listed.output
    lines = listed.output.splitlines()
    assert lines[0].split()[:5] == ["ID", "STATUS", "KIND", "TO", "ATTEMPTS"]
    assert len(lines) == 2 and lines[1].split()[:4] == [str(failed.id), "failed", "lesson", "#lessons"]
    assert "HTTP 400" in lines[1]
    everything = runner.invoke(app, ["deliveries", "list"], env=env)
    assert len(everything.output.splitlines()) == 3

    retried = runner.invoke(app, ["deliveries", "retry", str(failed.id)], env=env)
    assert retried.exit_code == 0 and f"Delivery {failed.id} will be sent again" in retried.output
    clock.current = max(clock.now(), _rows(fresh_sessions)[0].due_at)
    assert _dispatch(fresh_sessions, policy, clock, recorder).sent == 1
    assert runner.invoke(app, ["deliveries", "list", "--failed"], env=env).output == "No failed deliveries.\n"

    unknown = runner.invoke(app, ["deliveries", "retry", "99999"], env=env)
    assert unknown.exit_code == 1 and "No delivery has ID 99999" in unknown.output
    not_failed = runner.invoke(app, ["deliveries", "retry", str(sent.id)], env=env)
    assert not_failed.exit_code == 1 and "is sent, not failed" in not_failed.output
    helped = runner.invoke(app, ["deliveries", "--help"], env=env)
    assert "list" in helped.output and "retry" in helped.output


def test_a_claim_takes_no_more_rows_than_its_batch(fresh_sessions, policy) -> None:
    clock = FakeClock()
    _queue(fresh_sessions, clock, 30)
    with fresh_sessions() as session:
        claims = dispatcher.claim_batch(session, now=clock.now(), limit=10)
    statuses = [row.status for row in _rows(fresh_sessions)]
    assert len(claims) == 10 and statuses.count("sending") == 10 and statuses.count("pending") == 20
    assert all(attempt == 1 for _, attempt in claims)


def test_a_send_whose_lease_ran_out_does_not_overwrite_the_new_claim(
    fresh_sessions, policy, recorder
) -> None:
    clock = FakeClock()
    _queue(fresh_sessions, clock, 1)
    recorder.hang.set()
    reports: list[dispatcher.DispatchReport] = []
    stalled = FakeClock(clock.now())  # its process is paused: it cannot renew its lease in time

    def stuck() -> None:
        reports.append(_dispatch(fresh_sessions, policy, stalled, recorder))

    slow = threading.Thread(target=stuck)
    slow.start()
    assert recorder.first_hang.wait(30)
    clock.advance(minutes=2)  # the lease runs out while the send hangs; another dispatcher claims it
    with fresh_sessions() as session:
        assert [attempt for _, attempt in dispatcher.claim_batch(session, now=clock.now(), limit=5)] == [2]
    recorder.release.set()  # the hung send now fails (the connection closes without an answer)
    slow.join(30)
    assert reports[0].lost_claims == 1 and reports[0].retried == 0
    (row,) = _rows(fresh_sessions)
    assert row.status == "sending" and row.attempts == 2 and row.last_error is None


def _eventually(check: Callable[[], bool]) -> bool:
    """Wait up to ten seconds for a dispatcher running in another thread to make `check` true."""
    pause = threading.Event()
    for _ in range(200):
        if check():
            return True
        pause.wait(0.05)
    return check()


def test_a_batch_slower_than_its_lease_is_not_sent_again_by_a_concurrent_pass(
    fresh_sessions, policy, recorder
) -> None:
    clock = FakeClock()
    _queue(fresh_sessions, clock, 12)
    others: list[dispatcher.DispatchReport] = []
    kept_while_sending: list[int] = []
    first_pass = threading.Lock()

    def slow_platform(_body: dict) -> None:
        # Each send of the first pass takes 15 s, so its batch takes three leases; meanwhile
        # another pass (the scheduler's poll, a kick, a replica) looks for due rows each time.
        if not first_pass.acquire(blocking=False):
            return  # a send by that other pass
        try:
            clock.advance(seconds=15)
            statuses = [row.status for row in _rows(fresh_sessions)]
            kept_while_sending.append(statuses.count("sent"))
            others.append(_dispatch(fresh_sessions, policy, clock, recorder))
        finally:
            first_pass.release()

    recorder.on_request = slow_platform
    report = _dispatch(fresh_sessions, policy, clock, recorder, batch=12)
    recorder.on_request = None
    assert sorted(recorder.titles().values()) == [1] * 12
    assert (report.claimed, report.sent, report.lost_claims) == (12, 12, 0)
    assert sum(other.claimed for other in others) == 0
    assert max(kept_while_sending) >= 6  # outcomes are kept as sends complete, not at the batch's end
    assert {row.status for row in _rows(fresh_sessions)} == {"sent"}


def test_a_send_still_running_when_its_lease_would_expire_keeps_its_claim(
    fresh_sessions, policy, recorder
) -> None:
    clock = FakeClock()
    _queue(fresh_sessions, clock, 1)
    recorder.hang.set()  # the platform takes its time answering
    reports: list[dispatcher.DispatchReport] = []
    slow = threading.Thread(target=lambda: reports.append(_dispatch(fresh_sessions, policy, clock, recorder)))
    slow.start()
    assert recorder.first_hang.wait(30)
    for _ in range(4):  # two whole leases go by while the send waits for its answer
        clock.advance(seconds=30)
        assert _eventually(lambda: _rows(fresh_sessions)[0].lease_until == clock.now() + dispatcher.LEASE)
        with fresh_sessions() as session:
            assert dispatcher.claim_batch(session, now=clock.now(), limit=5) == []
    recorder.release.set()  # the answer never comes: the connection closes
    slow.join(30)
    assert reports[0].lost_claims == 0 and reports[0].retried == 1
    (row,) = _rows(fresh_sessions)
    assert row.status == "pending" and row.attempts == 1 and len(recorder.hung) == 1


def test_the_terminal_claims_only_what_no_chat_platform_would_take(fresh_sessions, policy) -> None:
    clock = FakeClock()
    with fresh_sessions() as session:
        import_staff(STAFF_CSV, session=session, policy=policy, clock=clock)  # all known in the terminal
        alice, bob = (queries.get_staff_by_identity(session, "console", name) for name in ("alice", "bob"))
        assert alice is not None and bob is not None
        session.add(StaffIdentity(staff_id=bob.id, platform="slack", user_id="U2"))  # Bob is on Slack too
        for person in (alice, bob):
            deliveries.enqueue(session, Kind.REMINDER, now=clock.now(), recipient_id=person.id)
        add_lessons(session, 1, now=clock.now())
        session.commit()
        ids = {row.recipient_id or row.channel: row.id for row in session.scalars(select(Delivery))}

    def claim() -> set[int]:
        with fresh_sessions() as session:
            claims = dispatcher.claim_batch(session, now=clock.now(), limit=10, only_for="console")
        return {delivery_id for delivery_id, _ in claims}

    assert claim() == {ids[alice.id]}  # Bob's is Slack's to send, and so is the lessons channel
    with fresh_sessions() as session:
        session.execute(delete(StaffIdentity).where(StaffIdentity.platform == "slack"))
        session.commit()
    assert claim() == {ids[bob.id], ids["lessons"]}  # nobody left on a chat platform
