"""Deliveries are rendered through a registry, one renderer per kind; a forgotten kind dead-letters."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from adapters.webhook import WebhookNotifier
from bot import dispatcher, notices
from bot.deliveries import Kind
from db.models import Delivery
from tests.conftest import FakeClock
from tests.deliveries.conftest import Recorder, add_lessons


def _queue_lesson(sessions: sessionmaker[Session], clock: FakeClock) -> None:
    with sessions() as session:
        add_lessons(session, 1, now=clock.now())
        session.commit()


def _only_row(sessions: sessionmaker[Session]) -> Delivery:
    with sessions() as session:
        (row,) = session.scalars(select(Delivery)).all()
        return row


def _dispatch(sessions, policy, clock, recorder: Recorder) -> dispatcher.DispatchReport:
    notifier = WebhookNotifier(recorder.url)
    return dispatcher.dispatch_due(sessions=sessions, notifier=notifier, policy=policy, clock=clock)


def test_every_delivery_kind_has_a_renderer() -> None:
    assert set(notices.RENDERERS) == set(Kind)


def test_every_renderer_says_what_it_sends_and_when_it_sends_nothing() -> None:
    for kind, renderer in notices.RENDERERS.items():
        doc = renderer.__doc__ or ""
        assert doc.strip() and "\n" not in doc.strip(), kind
        assert "None" in doc, kind


def test_a_delivery_of_a_kind_without_a_renderer_is_dead_lettered_naming_the_kind(
    fresh_sessions, policy, recorder, monkeypatch
) -> None:
    clock = FakeClock()
    _queue_lesson(fresh_sessions, clock)
    monkeypatch.delitem(notices.RENDERERS, Kind.LESSON)
    report = _dispatch(fresh_sessions, policy, clock, recorder)
    assert (report.claimed, report.failed, report.skipped, report.sent) == (1, 1, 0, 0)
    row = _only_row(fresh_sessions)
    assert row.status == "failed" and row.attempts == 1 and row.lease_until is None
    assert "no renderer for delivery kind 'lesson'" in (row.last_error or "")
    assert recorder.received == []
    clock.advance(days=1)
    assert _dispatch(fresh_sessions, policy, clock, recorder).claimed == 0  # permanent: not retried


def test_a_stored_kind_mend_no_longer_knows_is_dead_lettered_naming_it(
    fresh_sessions, policy, recorder
) -> None:
    clock = FakeClock()
    _queue_lesson(fresh_sessions, clock)
    with fresh_sessions() as session:
        session.execute(update(Delivery).values(kind="carrier_pigeon"))
        session.commit()
    report = _dispatch(fresh_sessions, policy, clock, recorder)
    assert (report.failed, report.skipped) == (1, 0)
    row = _only_row(fresh_sessions)
    assert row.status == "failed"
    assert "no renderer for delivery kind 'carrier_pigeon'" in (row.last_error or "")


def test_rendering_a_kind_without_a_renderer_raises_an_error_that_says_so(
    session, policy, monkeypatch
) -> None:
    monkeypatch.delitem(notices.RENDERERS, Kind.DIGEST)
    delivery = Delivery(kind=Kind.DIGEST.value, channel="lessons", payload={"since": "2026-11-02T08:00:00"})
    with pytest.raises(notices.UnknownDelivery, match="no renderer for delivery kind 'digest'"):
        notices.render(session, delivery, policy=policy)


def test_payloads_stored_before_they_were_typed_still_read() -> None:
    assert notices.FollowUpPayload.of(Delivery(payload={})).attempt == 1
    assert notices.EscalatedPayload.of(Delivery(payload={"request_id": 7})) == notices.EscalatedPayload(
        7, None
    )
    digest = notices.DigestPayload.of(Delivery(payload={"since": "2026-11-02T08:00:00+00:00", "counts": []}))
    assert digest.until - digest.since == timedelta(days=7)


def test_a_digest_queued_with_stored_counts_is_rendered_from_the_cases_as_they_stand(session, policy) -> None:
    delivery = Delivery(
        kind=Kind.DIGEST.value,
        channel="lessons",
        payload={  # as queued before digests held only their week
            "since": "2026-11-02T08:00:00+00:00",
            "until": "2026-11-09T08:00:00+00:00",
            "counts": [["late_delivery", "major", 2]],
        },
    )
    reply = notices.render(session, delivery, policy=policy)  # as the lessons channel reads it
    assert reply is not None and reply.title == "Service recovery, week of November 2"
    assert reply.text == "0 cases opened; the four weeks before averaged 0 a week."
    assert reply.image is not None and reply.image.png.startswith(b"\x89PNG")
