"""Follow-ups, escalations, reminders and the digest, end to end through a real HTTP endpoint."""

from __future__ import annotations

import asyncio
import base64
import json
import struct
import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session, sessionmaker

from adapters.main import build_runtime, sender_for
from adapters.scheduler import start_scheduler
from adapters.settings import Settings
from adapters.webhook import WebhookNotifier
from bot import digest, dispatcher, escalations
from bot.actions import handle
from bot.errors import Conflict, NotAllowed
from bot.replies import ActionId
from bot.staff import import_staff
from db.models import ApprovalRequest, Case, Delivery
from tests.conftest import STAFF_CSV, FakeClock
from tests.deliveries.conftest import Recorder
from tests.helpers import ALICE, BOB, CAROL, DANA, ERIN, open_late_delivery, resolve_and_post

LESSON = dict(outcome="Sent it again by express", root_cause="Depot scan", lesson="Check scans")


def _dispatch(sessions, policy, clock, recorder: Recorder) -> dispatcher.DispatchReport:
    return dispatcher.dispatch_due(
        sessions=sessions, notifier=WebhookNotifier(recorder.url), policy=policy, clock=clock
    )


def _start(sessions: sessionmaker[Session], policy, clock: FakeClock, **case) -> int:
    with sessions() as session:
        import_staff(STAFF_CSV, session=session, policy=policy, clock=clock)
        return open_late_delivery(session, policy, clock, **case).case_id


def _act(sessions, policy, clock, action, value, actor, inputs=None):
    with sessions() as session:
        return handle(action, value, actor, inputs, session=session, policy=policy, clock=clock)


def _kinds(sessions, kind: str) -> list[Delivery]:
    with sessions() as session:
        return list(session.scalars(select(Delivery).where(Delivery.kind == kind).order_by(Delivery.id)))


def _last(recorder: Recorder) -> dict:
    return recorder.received[-1]


def _resolved(sessions, policy, clock, severity="major") -> int:
    case_id = _start(sessions, policy, clock, severity=severity)
    with sessions() as session:
        resolve_and_post(session, policy, clock, ALICE, case_id, **LESSON)
    return case_id


# --- follow-ups ---------------------------------------------------------------------------


def test_the_follow_up_comes_after_the_policys_hours_inside_working_hours(
    fresh_sessions, policy, recorder
) -> None:
    clock = FakeClock(datetime(2026, 11, 10, 23, 0, tzinfo=UTC))  # 18:00 in New York, after hours
    _resolved(fresh_sessions, policy, clock, severity="critical")  # critical: 4 hours, i.e. 22:00 there
    (follow_up,) = _kinds(fresh_sessions, "follow_up")
    assert follow_up.due_at == datetime(2026, 11, 11, 14, 0, tzinfo=UTC)  # 09:00 EST next morning
    clock.current = follow_up.due_at - timedelta(minutes=1)
    _dispatch(fresh_sessions, policy, clock, recorder)
    assert not any("confirm it is fixed" in b["reply"]["title"] for b in recorder.received)
    clock.advance(minutes=1)
    _dispatch(fresh_sessions, policy, clock, recorder)
    asked = _last(recorder)
    assert (
        asked["recipient"]["name"] == "Alice Park"
        and "did Jane Doe confirm it is fixed?" in asked["reply"]["title"]
    )
    labels = [b["label"] for b in asked["reply"]["buttons"]]
    assert labels == ["Yes, fixed", "Still unhappy", "Could not reach"]
    assert "EST" in asked["reply"]["text"]  # the resolution time, in Alice's zone


def _answer(sessions, policy, clock, recorder, label: str):
    (button,) = [b for b in _last(recorder)["reply"]["buttons"] if b["label"] == label]
    return _act(sessions, policy, clock, button["action"], button["value"], ALICE)


def _follow_up_due(sessions, policy, clock, recorder) -> None:
    pending = [d for d in _kinds(sessions, "follow_up") if d.status == "pending"]
    clock.current = max(clock.now(), pending[-1].due_at)
    _dispatch(sessions, policy, clock, recorder)


def test_yes_closes_the_case_as_recovered(fresh_sessions, policy, recorder) -> None:
    clock = FakeClock()
    case_id = _resolved(fresh_sessions, policy, clock)
    _follow_up_due(fresh_sessions, policy, clock, recorder)
    reply = _answer(fresh_sessions, policy, clock, recorder, "Yes, fixed")
    assert reply.title.endswith("recovered")
    with fresh_sessions() as session:
        assert session.get(Case, case_id).status == "recovered"
    with pytest.raises(Conflict):
        _answer(fresh_sessions, policy, clock, recorder, "Yes, fixed")


def test_a_follow_up_is_answered_only_once_mend_has_asked(fresh_sessions, policy, recorder) -> None:
    clock = FakeClock()
    case_id = _resolved(fresh_sessions, policy, clock)
    value = f"{case_id}:1"  # what the follow-up's buttons carry
    with pytest.raises(Conflict) as early:
        _act(fresh_sessions, policy, clock, ActionId.FOLLOW_UP_FIXED, value, ALICE)
    (pending,) = _kinds(fresh_sessions, "follow_up")
    assert "Mend has not asked about R-" in early.value.message
    assert (
        f"{pending.due_at:%b} {pending.due_at.day}, {pending.due_at.year}" in early.value.message
    )  # and when
    with fresh_sessions() as session:
        assert session.get(Case, case_id).status == "resolved"
    _follow_up_due(fresh_sessions, policy, clock, recorder)
    assert _answer(fresh_sessions, policy, clock, recorder, "Yes, fixed").title.endswith("recovered")


def test_only_the_employee_or_their_managers_answer_a_follow_up(fresh_sessions, policy, recorder) -> None:
    clock = FakeClock()
    case_id = _resolved(fresh_sessions, policy, clock)
    _follow_up_due(fresh_sessions, policy, clock, recorder)
    (button,) = [b for b in _last(recorder)["reply"]["buttons"] if b["label"] == "Yes, fixed"]
    with pytest.raises(NotAllowed, match="Only Alice Park, who opened R-"):
        _act(fresh_sessions, policy, clock, button["action"], button["value"], ERIN)  # another team
    with fresh_sessions() as session:
        assert session.get(Case, case_id).status == "resolved"
    reply = _act(
        fresh_sessions, policy, clock, button["action"], button["value"], CAROL
    )  # her manager's manager
    assert reply.title.endswith("recovered")


def test_still_unhappy_reopens_the_case_and_tells_the_manager(fresh_sessions, policy, recorder) -> None:
    clock = FakeClock()
    case_id = _resolved(fresh_sessions, policy, clock)
    _follow_up_due(fresh_sessions, policy, clock, recorder)
    _answer(fresh_sessions, policy, clock, recorder, "Still unhappy")
    with fresh_sessions() as session:
        assert session.get(Case, case_id).status == "open"
    _dispatch(fresh_sessions, policy, clock, recorder)
    told = _last(recorder)
    assert told["recipient"]["name"] == "Bob Reyes" and "customer still unhappy" in told["reply"]["title"]


def test_still_unhappy_without_a_manager_tells_the_approver_group(fresh_sessions, policy, recorder) -> None:
    clock = FakeClock()
    case_id = _start(fresh_sessions, policy, clock, actor=ERIN)  # Erin has no manager; no approvals channel
    with fresh_sessions() as session:
        resolve_and_post(session, policy, clock, ERIN, case_id, **LESSON)
    _follow_up_due(fresh_sessions, policy, clock, recorder)
    (button,) = [b for b in _last(recorder)["reply"]["buttons"] if b["label"] == "Still unhappy"]
    _act(fresh_sessions, policy, clock, button["action"], button["value"], ERIN)
    _dispatch(fresh_sessions, policy, clock, recorder)
    (alert,) = _kinds(fresh_sessions, "customer_unhappy")
    assert alert.status == "sent" and alert.channel is None
    told = _last(recorder)
    assert told["recipient"]["name"] == "Olu Santos" and "customer still unhappy" in told["reply"]["title"]


def test_could_not_reach_asks_again_up_to_the_policys_limit(fresh_sessions, policy, recorder) -> None:
    clock = FakeClock()
    case_id = _resolved(fresh_sessions, policy, clock)
    for attempt in range(1, policy.follow_up.max_attempts + 1):
        _follow_up_due(fresh_sessions, policy, clock, recorder)
        asked = _last(recorder)
        assert asked["reply"]["buttons"][0]["value"] == f"{case_id}:{attempt}"
        answered_at = clock.now()
        _answer(fresh_sessions, policy, clock, recorder, "Could not reach")
        follow_ups = _kinds(fresh_sessions, "follow_up")
        if attempt < policy.follow_up.max_attempts:
            assert follow_ups[-1].status == "pending" and follow_ups[-1].payload["attempt"] == attempt + 1
            retry = timedelta(hours=policy.follow_up.unreachable_retry_hours)
            assert follow_ups[-1].due_at >= answered_at + retry
    assert len(_kinds(fresh_sessions, "follow_up")) == policy.follow_up.max_attempts
    assert all(d.status == "sent" for d in _kinds(fresh_sessions, "follow_up"))


# --- escalations --------------------------------------------------------------------------


def _over_limit(sessions, policy, clock) -> tuple[int, int]:
    case_id = _start(sessions, policy, clock)
    _act(sessions, policy, clock, ActionId.REQUEST_APPROVAL, f"{case_id}:3", ALICE)  # $40, over Alice's $25
    with sessions() as session:
        request = session.scalars(select(ApprovalRequest)).one()
        return case_id, request.id


def _escalate(sessions, policy, clock) -> int:
    with sessions() as session:
        moved = escalations.escalate_overdue(session, policy, clock.now())
        session.commit()
        return moved


def _request(sessions) -> ApprovalRequest:
    with sessions() as session:
        return session.scalars(select(ApprovalRequest)).one()


def test_a_request_nobody_decides_goes_up_the_chain_once(fresh_sessions, policy, recorder) -> None:
    clock = FakeClock()
    _, request_id = _over_limit(fresh_sessions, policy, clock)
    _dispatch(fresh_sessions, policy, clock, recorder)
    assert _last(recorder)["recipient"]["name"] == "Bob Reyes"
    clock.advance(minutes=policy.approvals.timeout_minutes - 1)
    assert _escalate(fresh_sessions, policy, clock) == 0
    clock.advance(minutes=1)
    assert _escalate(fresh_sessions, policy, clock) == 1
    assert _escalate(fresh_sessions, policy, clock) == 0  # a second pass (or replica) adds nothing
    request = _request(fresh_sessions)
    assert request.level == 1 and request.due_at == clock.now() + timedelta(
        minutes=policy.approvals.timeout_minutes
    )
    sent_before = len(recorder.received)
    _dispatch(fresh_sessions, policy, clock, recorder)
    new = recorder.received[sent_before:]
    by_kind = {("update" in b): b for b in new}
    assert len(new) == 3
    to_carol = [b for b in new if b.get("recipient", {}).get("name") == "Carol Diaz"]
    assert to_carol and to_carol[0]["reply"]["title"].startswith("Approval needed")
    to_alice = [b for b in new if b.get("recipient", {}).get("name") == "Alice Park"]
    assert "escalated to Carol Diaz" in to_alice[0]["reply"]["title"]
    assert "Bob Reyes did not answer in time" in to_alice[0]["reply"]["text"]
    update = by_kind[True]
    assert any(f["label"] == "Escalated" and "Carol Diaz" in f["value"] for f in update["reply"]["fields"])
    # Bob comes back late: he may still approve.
    reply = _act(fresh_sessions, policy, clock, ActionId.APPROVE, str(request_id), BOB)
    assert reply.text.startswith("Approved by Bob Reyes")


def test_a_card_still_on_its_way_when_the_request_is_decided_is_updated_once_it_arrives(
    fresh_sessions, policy, recorder
) -> None:
    clock = FakeClock()
    _, request_id = _over_limit(fresh_sessions, policy, clock)
    on_its_way, answer = threading.Event(), threading.Event()

    def slow_for_bob(body: dict) -> None:
        if body.get("recipient", {}).get("name") == "Bob Reyes":
            on_its_way.set()
            answer.wait(30)

    recorder.on_request = slow_for_bob
    sending = threading.Thread(target=_dispatch, args=(fresh_sessions, policy, clock, recorder))
    sending.start()
    try:
        assert on_its_way.wait(30)  # Bob's card is being sent: Mend does not know its message yet
        reply = _act(fresh_sessions, policy, clock, ActionId.APPROVE, str(request_id), CAROL)
        assert reply.text.startswith("Approved by Carol Diaz")
        _dispatch(fresh_sessions, policy, clock, recorder)  # the update of Bob's card waits for it
        assert not [body for body in recorder.received if "update" in body]
        (waiting,) = _kinds(fresh_sessions, "card_update")
        assert waiting.status == "pending" and waiting.attempts == 0
        assert waiting.due_at == clock.now() + timedelta(seconds=dispatcher.UPDATE_WAIT_SECONDS)
    finally:
        answer.set()
        sending.join(30)
    clock.advance(seconds=dispatcher.UPDATE_WAIT_SECONDS)
    _dispatch(fresh_sessions, policy, clock, recorder)
    (update,) = [body for body in recorder.received if "update" in body]
    (card,) = _kinds(fresh_sessions, "approval_request")
    assert update["update"] == card.sent_ref
    assert "Approved by Carol Diaz" in json.dumps(update["reply"])


def test_a_waiting_customer_escalates_in_minutes_and_gets_a_fallback_when_the_chain_runs_out(
    fresh_sessions, policy, recorder
) -> None:
    clock = FakeClock()
    case_id, request_id = _over_limit(fresh_sessions, policy, clock)
    _act(fresh_sessions, policy, clock, ActionId.CUSTOMER_WAITING, str(case_id), ALICE)
    minutes = policy.approvals.customer_waiting_timeout_minutes
    assert _request(fresh_sessions).due_at == clock.now() + timedelta(minutes=minutes)
    approvers = []
    for _ in range(2):  # Bob -> Carol -> Dana
        clock.advance(minutes=minutes)
        assert _escalate(fresh_sessions, policy, clock) == 1
        approvers.append(_request(fresh_sessions).approver_id)
    assert len(set(approvers)) == 2
    _dispatch(fresh_sessions, policy, clock, recorder)
    clock.advance(minutes=minutes)
    assert _escalate(fresh_sessions, policy, clock) == 0  # nobody above Dana
    assert _escalate(fresh_sessions, policy, clock) == 0
    assert [d.status for d in _kinds(fresh_sessions, "fallback_offer")] == ["pending"]
    _dispatch(fresh_sessions, policy, clock, recorder)
    offered = _last(recorder)
    assert offered["recipient"]["name"] == "Alice Park"
    assert "no approver has answered yet" in offered["reply"]["title"]
    items = offered["reply"]["items"]
    assert items[0]["title"] == "Voucher: $15.00" and items[0]["button"]["value"] == f"{case_id}:2"
    assert all(float(i["title"].split("$")[1]) <= 25 for i in items)
    clock.advance(minutes=minutes)
    _escalate(fresh_sessions, policy, clock)
    assert len(_kinds(fresh_sessions, "fallback_offer")) == 1  # offered once
    reply = _act(fresh_sessions, policy, clock, ActionId.APPROVE, str(request_id), DANA)
    assert reply.text.startswith("Approved by Dana Okafor")


def test_a_waiting_customer_gets_an_amount_of_the_employees_own_when_no_suggested_option_fits(
    fresh_sessions, policy, recorder
) -> None:
    clock = FakeClock()
    case_id = _start(fresh_sessions, policy, clock, severity="critical")  # every option is over $25
    _act(fresh_sessions, policy, clock, ActionId.REQUEST_APPROVAL, f"{case_id}:1", ALICE)
    _act(fresh_sessions, policy, clock, ActionId.CUSTOMER_WAITING, str(case_id), ALICE)
    minutes = policy.approvals.customer_waiting_timeout_minutes
    for _ in range(3):  # Bob, Carol, Dana: all silent
        clock.advance(minutes=minutes)
        _escalate(fresh_sessions, policy, clock)
    _dispatch(fresh_sessions, policy, clock, recorder)
    offered = _last(recorder)["reply"]
    assert offered["title"].endswith("no approver has answered yet")
    assert "you may give up to $25.00 now" in offered["text"]
    (button,) = offered["buttons"]
    form = _act(fresh_sessions, policy, clock, button["action"], button["value"], ALICE)
    assert form.intro.startswith("Up to $25.00 is within your authority")
    given = _act(
        fresh_sessions, policy, clock, form.action, form.value, ALICE, {"amount": "20", "type": "voucher"}
    )
    assert "given" in given.title
    assert _request(fresh_sessions).status == "pending"  # a late approval still counts


def test_a_decided_request_is_not_escalated(fresh_sessions, policy, recorder) -> None:
    clock = FakeClock()
    _, request_id = _over_limit(fresh_sessions, policy, clock)
    _act(fresh_sessions, policy, clock, ActionId.APPROVE, str(request_id), BOB)
    clock.advance(days=2)
    assert _escalate(fresh_sessions, policy, clock) == 0


# --- reminders and the digest -------------------------------------------------------------


def test_an_old_open_case_gets_one_reminder_per_period_in_working_hours(fresh_sessions, policy) -> None:
    clock = FakeClock()
    case_id = _start(fresh_sessions, policy, clock)
    age = timedelta(hours=policy.deliveries.open_case_reminder_hours)

    def remind() -> int:
        with fresh_sessions() as session:
            added = escalations.remind_open_cases(session, policy, clock.now())
            session.commit()
            return added

    clock.advance(hours=policy.deliveries.open_case_reminder_hours)
    assert remind() == 0  # the reminder queued when the case was opened is on its way
    clock.current = datetime(2026, 11, 17, 7, 0, tzinfo=UTC)  # Tuesday, 02:00 in New York
    assert clock.current - age > _kinds(fresh_sessions, "reminder")[0].due_at
    assert remind() == 1
    assert remind() == 0
    reminders = [d for d in _kinds(fresh_sessions, "reminder") if d.case_id == case_id]
    assert len(reminders) == 2 and reminders[-1].due_at.hour == 14  # 09:00 EST


def test_the_weekly_digest_reports_last_weeks_cases_once_per_week(fresh_sessions, policy, recorder) -> None:
    clock = FakeClock()
    _start(fresh_sessions, policy, clock)
    with fresh_sessions() as session:
        open_late_delivery(session, policy, clock, severity="critical", customer_ref="ORD-2")
    # The next Monday, 07:59 in New York (the default location, and so the lessons channel's zone).
    clock.current = datetime(2026, 11, 16, 12, 59, tzinfo=UTC)

    def run() -> bool:
        with fresh_sessions() as session:
            added = digest.enqueue_weekly_digest(session, policy, clock.now())
            session.commit()
            return added

    assert run() is False
    clock.advance(minutes=1)  # 08:00 there
    assert run() is True and run() is False
    _dispatch(fresh_sessions, policy, clock, recorder)
    sent = _last(recorder)
    reply = sent["reply"]
    assert (
        sent["recipient"]["channel"] == "lessons" and reply["title"] == "Service recovery, week of November 9"
    )
    assert reply["text"] == "2 cases opened; the four weeks before averaged 0 a week."
    fields = {f["label"]: f["value"] for f in reply["fields"]}
    assert fields["Most frequent"] == "Late or missed delivery (2)"
    assert fields["Recovery rate"] == "No follow-up answered yet for this week's cases."
    png = base64.b64decode(reply["image"]["png_base64"])
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and struct.unpack(">II", png[16:24]) == (800, 400)
    assert reply["image"]["name"] == "mend-digest-2026-11-09.png"
    assert "Cases opened per week from Sep 21 to Nov 9: 0, 0, 0, 0, 0, 0, 0, 2." in reply["image"]["alt"]
    clock.advance(days=7)
    assert run() is True
    with fresh_sessions() as session:
        assert session.scalar(select(func.count()).where(Delivery.kind == "digest")) == 2


def test_two_replicas_queueing_the_digest_at_the_same_moment_queue_it_once(
    fresh_sessions, policy, dialect
) -> None:
    if dialect == "sqlite":
        pytest.skip("concurrent writers are a PostgreSQL matter; SQLite serialises them")
    now = FakeClock().now()
    first, second = fresh_sessions(), fresh_sessions()
    assert digest.enqueue_weekly_digest(first, policy, now) is True  # not committed yet
    results: list[bool] = []
    racer = threading.Thread(target=lambda: results.append(digest.enqueue_weekly_digest(second, policy, now)))
    racer.start()
    racer.join(0.5)
    assert racer.is_alive()  # waits on the first replica's uncommitted row
    first.commit()
    racer.join(30)
    second.commit()
    first.close()
    second.close()
    assert results == [False]
    with fresh_sessions() as session:
        assert session.scalar(select(func.count()).where(Delivery.kind == "digest")) == 1


def _digests(sessions) -> list[Delivery]:
    return _kinds(sessions, "digest")


def test_a_scheduler_started_after_monday_morning_queues_that_weeks_digest_once(
    fresh_sessions, policy, recorder
) -> None:
    clock = FakeClock()  # Tuesday 10 November: a case in the week the digest covers
    _start(fresh_sessions, policy, clock)
    clock.current = datetime(2026, 11, 17, 9, 0, tzinfo=UTC)  # a case after that week's end
    with fresh_sessions() as session:
        open_late_delivery(session, policy, clock, severity="critical", customer_ref="ORD-2")
        session.commit()
    clock.current = datetime(2026, 11, 18, 15, 0, tzinfo=UTC)  # Wednesday: nothing ran on Monday
    url = fresh_sessions.kw["bind"].url.render_as_string(hide_password=False)
    runtime = build_runtime(Settings(MEND_DATABASE_URL=url, MEND_LOG_LEVEL="WARNING"), clock=clock)

    async def scenario() -> None:
        handle = start_scheduler(
            sender_for(runtime, WebhookNotifier(recorder.url)), dispatch_seconds=3600, escalate_seconds=3600
        )
        try:
            for _ in range(200):  # the scheduler's first runs are at its start
                if _digests(fresh_sessions):
                    break
                await asyncio.sleep(0.05)
            await handle.escalate_and_remind()  # each tick looks again: still once
            clock.current = datetime(2026, 11, 23, 12, 59, tzinfo=UTC)
            await handle.escalate_and_remind()
            assert len(_digests(fresh_sessions)) == 1
            clock.advance(minutes=1)  # the next Monday, 08:00 in New York: the next week's digest
            await handle.escalate_and_remind()
        finally:
            handle.shutdown()

    try:
        asyncio.run(asyncio.wait_for(scenario(), 60))
    finally:
        runtime.close()
    first, second = _digests(fresh_sessions)
    assert first.dedupe_key == "digest:2026-W47" and second.dedupe_key == "digest:2026-W48"
    assert (first.payload["since"], first.payload["until"]) == (  # midnight in New York
        "2026-11-09T05:00:00+00:00",
        "2026-11-16T05:00:00+00:00",
    )
    assert second.payload["since"] == "2026-11-16T05:00:00+00:00"


# --- the scheduled jobs on a large table ----------------------------------------------------


def _statements(sessions) -> list[str]:
    """Record every statement the sessions' engine runs from now on (until the test ends)."""
    executed: list[str] = []
    engine = sessions.kw["bind"]

    def on_execute(conn, cursor, statement, parameters, context, executemany) -> None:
        executed.append(statement)

    event.listen(engine, "before_cursor_execute", on_execute)
    return executed


def test_old_cases_are_reminded_with_a_few_statements_however_many_there_are(fresh_sessions, policy) -> None:
    clock = FakeClock()
    with fresh_sessions() as session:
        import_staff(STAFF_CSV, session=session, policy=policy, clock=clock)
        opened = [
            open_late_delivery(session, policy, clock, actor=actor, customer_ref=f"ORD-{n}").case_id
            for n, actor in enumerate([ALICE, ERIN] * 4)
        ]
    clock.current = datetime(2026, 11, 17, 12, 0, tzinfo=UTC)  # 07:00 in New York, 12:00 in London
    executed = _statements(fresh_sessions)
    with fresh_sessions() as session:
        assert escalations.remind_open_cases(session, policy, clock.now()) == 8
        session.commit()
    assert len(executed) <= 6, executed  # not a query (or three) per case
    reminders = {d.dedupe_key: d for d in _kinds(fresh_sessions, "reminder") if d.dedupe_key}
    assert sorted(reminders) == sorted(f"reminder:{case_id}:2" for case_id in opened)
    due = {reminders[f"reminder:{case_id}:2"].due_at for case_id in opened[0::2]}
    assert due == {datetime(2026, 11, 17, 14, 0, tzinfo=UTC)}  # Alice's: 09:00 in New York
    due = {reminders[f"reminder:{case_id}:2"].due_at for case_id in opened[1::2]}
    assert due == {clock.now()}  # Erin's: now, in London's working hours
    with fresh_sessions() as session:
        assert escalations.remind_open_cases(session, policy, clock.now()) == 0


def test_a_backlog_of_old_cases_is_reminded_a_batch_per_run_the_oldest_first(
    fresh_sessions, policy, monkeypatch
) -> None:
    monkeypatch.setattr(escalations, "REMINDER_BATCH", 2)
    clock = FakeClock()
    with fresh_sessions() as session:
        import_staff(STAFF_CSV, session=session, policy=policy, clock=clock)
    opened = []
    for n in range(5):
        with fresh_sessions() as session:
            opened.append(open_late_delivery(session, policy, clock, customer_ref=f"ORD-{n}").case_id)
        clock.advance(minutes=1)
    clock.advance(days=7)

    def remind() -> int:
        with fresh_sessions() as session:
            added = escalations.remind_open_cases(session, policy, clock.now())
            session.commit()
            return added

    assert [remind() for _ in range(4)] == [2, 2, 1, 0]
    keys = [d.dedupe_key for d in _kinds(fresh_sessions, "reminder") if d.dedupe_key]
    assert keys == [f"reminder:{case_id}:2" for case_id in opened]


def test_a_second_replica_skips_the_reminders_while_another_adds_them(
    fresh_sessions, policy, dialect
) -> None:
    if dialect == "sqlite":
        pytest.skip("SQLite serialises writers; replicas are a PostgreSQL matter")
    clock = FakeClock()
    case_id = _start(fresh_sessions, policy, clock)
    clock.advance(days=7)
    first, second = fresh_sessions(), fresh_sessions()
    assert escalations.remind_open_cases(first, policy, clock.now()) == 1  # not committed yet
    results: list[int] = []
    racer = threading.Thread(
        target=lambda: results.append(escalations.remind_open_cases(second, policy, clock.now()))
    )
    racer.start()
    racer.join(5)
    assert not racer.is_alive() and results == [0]  # skipped at once, not queued behind the first
    second.rollback()
    first.commit()
    first.close()
    second.close()
    assert [d.dedupe_key for d in _kinds(fresh_sessions, "reminder")] == [None, f"reminder:{case_id}:2"]


def test_overdue_requests_escalate_the_longest_overdue_first_a_batch_per_run(
    fresh_sessions, policy, monkeypatch
) -> None:
    monkeypatch.setattr(escalations, "ESCALATION_BATCH", 2)
    clock = FakeClock()
    with fresh_sessions() as session:
        import_staff(STAFF_CSV, session=session, policy=policy, clock=clock)
    requested = []
    for n in range(3):
        with fresh_sessions() as session:
            case_id = open_late_delivery(session, policy, clock, customer_ref=f"ORD-{n}").case_id
        _act(fresh_sessions, policy, clock, ActionId.REQUEST_APPROVAL, f"{case_id}:3", ALICE)
        requested.append(case_id)
        clock.advance(minutes=1)
    clock.advance(minutes=policy.approvals.timeout_minutes)
    assert _escalate(fresh_sessions, policy, clock) == 2
    with fresh_sessions() as session:
        escalated = session.scalars(select(ApprovalRequest.case_id).where(ApprovalRequest.level == 1)).all()
    assert sorted(escalated) == requested[:2]
    assert _escalate(fresh_sessions, policy, clock) == 1  # the rest at the next run
    assert _escalate(fresh_sessions, policy, clock) == 0
