"""The weekly digest reaches Slack's lessons channel as one message with its chart, uploaded as a file.

Real dispatch (the outbox, the dispatcher, the Slack notifier) against the local
stand-in of the Web API, which records the upload v2 flow: files.getUploadURLExternal,
the POST of the bytes, files.completeUploadExternal with the message's blocks.
"""

from __future__ import annotations

import asyncio
import io
import json
import struct
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from PIL import Image as PILImage
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from adapters.slack.notifier import SlackNotifier, web_client
from bot import digest, dispatcher
from bot.ports import Recipient
from bot.replies import Image, Reply
from bot.staff import import_staff
from db.models import Delivery
from policies.schema import Policy
from tests.conftest import STAFF_CSV, FakeClock
from tests.helpers import ALICE, open_late_delivery, resolve_and_post
from tests.slack.webapi import SlackWebApi

LESSONS = "service-lessons"  # the default policy's lessons channel
# Monday 16 November, 08:00 in New York (the lessons channel's zone): the digest of the week of 9 November.
MONDAY = datetime(2026, 11, 16, 13, 0, tzinfo=UTC)
IN_THE_WEEK = datetime(2026, 11, 10, 15, 0, tzinfo=UTC)  # Tuesday 10:00 in New York
CUSTOMERS = ("Jane", "Doe", "Marguerite", "Okonkwo")
LESSON = {
    "outcome": "Sent it again by express",
    "root_cause": "The depot missed the scan",
    "lesson": "Check the depot scans before noon",
}


def queue_digest(sessions: sessionmaker[Session], policy: Policy) -> None:
    """Open two cases in the week of 9 November, resolve one with its lesson, queue that week's digest."""
    clock = FakeClock(IN_THE_WEEK)
    with sessions() as session:
        import_staff(STAFF_CSV, session=session, policy=policy, clock=clock)
        first = open_late_delivery(session, policy, clock)
        open_late_delivery(
            session,
            policy,
            clock,
            customer_name="Marguerite Okonkwo",
            customer_email="m.okonkwo@example.net",
            customer_phone="+1 212 555 0188",
            customer_ref="ORD-20077",
            description="Marguerite Okonkwo waited two days for a replacement",
        )
        resolve_and_post(session, policy, clock, ALICE, first.case_id, **LESSON)
        assert digest.enqueue_weekly_digest(session, policy, MONDAY)
        session.commit()


@pytest.fixture
def slack_api() -> Iterator[tuple[asyncio.AbstractEventLoop, SlackWebApi]]:
    """The recording Web API on its own event loop, which the test drives."""
    loop = asyncio.new_event_loop()
    api = loop.run_until_complete(SlackWebApi().start())
    yield loop, api
    loop.run_until_complete(api.stop())
    loop.close()


def dispatch(
    slack_api: tuple[asyncio.AbstractEventLoop, SlackWebApi],
    sessions: sessionmaker[Session],
    policy: Policy,
    clock: FakeClock,
) -> dispatcher.DispatchReport:
    """Run one dispatch pass in a worker thread, as the server does, while the stand-in answers."""
    loop, api = slack_api
    notifier = SlackNotifier(web_client("xoxb-mend-test", api.url, retries=0), channels={"lessons": LESSONS})
    send = asyncio.to_thread(
        dispatcher.dispatch_due, sessions=sessions, notifier=notifier, policy=policy, clock=clock
    )
    return loop.run_until_complete(send)


def digest_row(sessions: sessionmaker[Session]) -> Delivery:
    with sessions() as session:
        return session.scalars(select(Delivery).where(Delivery.kind == "digest")).one()


def test_the_digest_and_its_chart_arrive_in_the_lessons_channel_as_one_upload(
    fresh_sessions, policy, slack_api
) -> None:
    _, api = slack_api
    queue_digest(fresh_sessions, policy)
    dispatch(slack_api, fresh_sessions, policy, FakeClock(MONDAY))

    (asked,) = api.of("files.getUploadURLExternal")
    (uploaded,) = api.of("upload")
    (shared,) = api.of("files.completeUploadExternal")
    file_id = uploaded.args["file_id"]
    png = api.uploads[file_id]
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and png[12:16] == b"IHDR"
    assert struct.unpack(">II", png[16:24]) == (800, 400)
    assert asked.args["filename"] == "mend-digest-2026-11-09.png" and int(asked.args["length"]) == len(png)
    # a screen reader gets what the chart shows, in words
    assert asked.args["alt_txt"].startswith(
        "Cases opened per week from Sep 21 to Nov 9: 0, 0, 0, 0, 0, 0, 0, 2."
    )
    assert shared.args["files"] == [{"id": file_id, "title": asked.args["alt_txt"][:250]}]

    # the picture and the message arrive together: the digest's blocks travel with the file
    assert shared.args["channel_id"] == LESSONS
    message = json.dumps(shared.args["blocks"])
    assert "Service recovery, week of November 9" in message
    assert "2 cases opened" in message and "Check the depot scans before noon" in message
    assert not [c for c in api.of("chat.postMessage") if "Service recovery" in c.text]

    row = digest_row(fresh_sessions)
    assert row.status == "sent"
    assert row.sent_ref == {"platform": "slack", "channel": LESSONS, "file_id": file_id}

    # the lesson went out too; no customer's name is anywhere Slack was sent anything
    assert [c for c in api.of("chat.postMessage", channel=LESSONS) if "depot scans" in c.text]
    for call in api.calls:
        for private in CUSTOMERS:
            assert private not in call.text, (call.method, private)
    assert not any(private.encode() in png for private in CUSTOMERS)


@pytest.mark.parametrize(
    ("method", "error"),
    [
        ("files.getUploadURLExternal", "missing_scope"),  # an install from before files:write
        ("files.completeUploadExternal", "invalid_arguments"),  # a channel named, not given by id
    ],
)
def test_a_digest_slack_takes_no_file_for_still_arrives_with_its_chart_in_words(
    fresh_sessions, policy, slack_api, method, error
) -> None:
    _, api = slack_api
    api.fail[method] = error
    queue_digest(fresh_sessions, policy)
    dispatch(slack_api, fresh_sessions, policy, FakeClock(MONDAY))

    assert not [c for c in api.of("files.completeUploadExternal") if c.answer.get("ok")]
    (posted,) = [c for c in api.of("chat.postMessage", channel=LESSONS) if "Service recovery" in c.text]
    context = [b for b in posted.args["blocks"] if b["type"] == "context"]
    assert any(
        "Cases opened per week from Sep 21 to Nov 9" in e["text"] for b in context for e in b["elements"]
    )
    row = digest_row(fresh_sessions)
    assert row.status == "sent" and row.sent_ref["ts"] == posted.answer["ts"]


def test_a_rate_limited_upload_waits_in_the_outbox_and_then_goes_whole(
    fresh_sessions, policy, slack_api
) -> None:
    _, api = slack_api
    api.rate_limited["files.completeUploadExternal"] = 1
    queue_digest(fresh_sessions, policy)
    clock = FakeClock(MONDAY)
    report = dispatch(slack_api, fresh_sessions, policy, clock)

    assert report.retried == 1
    row = digest_row(fresh_sessions)
    assert row.status == "pending" and row.due_at == MONDAY + timedelta(seconds=1)
    # never sent without its chart meanwhile
    assert not [c for c in api.of("chat.postMessage") if "Service recovery" in c.text]

    clock.advance(seconds=1)
    dispatch(slack_api, fresh_sessions, policy, clock)
    shared = [c for c in api.of("files.completeUploadExternal") if c.answer.get("ok")]
    assert len(shared) == 1 and digest_row(fresh_sessions).status == "sent"
    assert shared[0].args["files"][0]["id"] == digest_row(fresh_sessions).sent_ref["file_id"]


def test_an_image_for_a_person_is_shared_in_their_dm_and_keeps_the_message_ts(slack_api) -> None:
    loop, api = slack_api
    api.share_ts = True  # Slack sometimes tells the share's message at once
    out = io.BytesIO()
    PILImage.new("RGB", (80, 40), "white").save(out, format="PNG")
    reply = Reply(title="Your week", text="3 cases", image=Image(out.getvalue(), "Three bars", "week.png"))
    alice = Recipient(staff_id=1, name="Alice", accounts={"slack": {"user_id": "UALICE", "address": None}})
    notifier = SlackNotifier(web_client("xoxb-mend-test", api.url, retries=0), channels={})

    sent = loop.run_until_complete(asyncio.to_thread(notifier.send, alice, reply))

    (shared,) = api.of("files.completeUploadExternal")
    # a user id is not a channel id: Slack takes it only in `channels`
    assert shared.args["channels"] == "UALICE" and "channel_id" not in shared.args
    assert api.uploads[shared.args["files"][0]["id"]] == out.getvalue()
    assert sent["ts"] == shared.answer["files"][0]["shares"]["public"]["UALICE"][0]["ts"]
    assert sent["file_id"] == shared.args["files"][0]["id"]
