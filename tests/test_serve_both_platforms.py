"""One `mend serve` app for Slack and Teams: deliveries reach each person on their own platform, on time.

Alice works in Slack; her supervisor Bob, his manager Carol and the director Dana
work in Teams. The web app `mend serve` runs is served on a local port with the
scheduler's jobs; Slack's Web API and the Bot Framework connector are local
recording servers. The clock is the test's: escalation and follow-up times are
reached by moving it, never by sleeping.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from aiohttp import web
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from adapters.main import SENDER_KEY, Runtime, build_web_app
from adapters.scheduler import SchedulerHandle, start_scheduler
from adapters.settings import Settings
from bot import staff
from db.models import ApprovalDecision, Case, Delivery
from policies.loader import load_policy
from tests.conftest import FakeClock
from tests.slack.conftest import SECRET, SlackUser, shown_inputs, updated_view, wait_for
from tests.slack.webapi import SlackWebApi
from tests.teams.conftest import TeamsUser, find_action
from tests.teams.connector import RecordingConnector

SLACK_LESSONS = "service-lessons"
TEAMS_LESSONS = "19:lessons@thread.tacv2"
STAFF_CSV = """platform,user_id,name,email,role,manager,location
slack,UALICE,Alice Park,alice@example.com,frontline,bob@example.com,hq
teams,aad-bob,Bob Reyes,bob@example.com,supervisor,carol@example.com,hq
teams,aad-carol,Carol Diaz,carol@example.com,manager,dana@example.com,hq
teams,aad-dana,Dana Okafor,dana@example.com,director,,hq
"""
FULL_NAMES = {"bob": "Bob Reyes", "carol": "Carol Diaz", "dana": "Dana Okafor"}
CASE = {
    "customer_name": "Jane Customer",
    "customer_email": "jane@example.org",
    "customer_phone": "+1 555 0100",
    "customer_ref": "ORD-123456",
    "category": "late_delivery",
    "severity": "critical",
    "description": "The parcel for Jane Customer arrived a week late, ORD-123456.",
    "order_value": "400",
    "tier": "standard",
}


@contextlib.asynccontextmanager
async def mend(
    sessions: sessionmaker[Session], clock: FakeClock
) -> AsyncIterator[tuple[SlackWebApi, RecordingConnector, str, SchedulerHandle, Runtime]]:
    """Serve the app `mend serve` builds, with its scheduler, against recording Slack and Teams."""
    api = await SlackWebApi().start()
    connector = await RecordingConnector().start()
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        SLACK_SIGNING_SECRET=SECRET,
        SLACK_BOT_TOKEN="xoxb-mend-test",
        SLACK_APP_TOKEN=None,
        SLACK_CLIENT_ID=None,
        SLACK_CLIENT_SECRET=None,
        MEND_SLACK_API_URL=api.url,
        MICROSOFT_APP_ID=None,
        MEND_TEAMS_UNAUTHENTICATED=True,  # the connector is a local stand-in without Azure's tokens
    )
    base = load_policy(settings.policy_file)
    policy = base.model_copy(
        update={"broadcast": base.broadcast.model_copy(update={"teams_channel": TEAMS_LESSONS})}
    )
    engine = sessions.kw["bind"]
    runtime = Runtime(settings=settings, policy=policy, engine=engine, sessions=sessions, clock=clock)
    with sessions() as session:
        staff.import_staff(STAFF_CSV, session=session, policy=policy, clock=clock)
    web_app = build_web_app(runtime)
    runner = web.AppRunner(web_app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    base_url = f"http://127.0.0.1:{runner.addresses[0][1]}"
    # Jobs run when the test says so: long intervals, and each pass called by hand.
    scheduler = start_scheduler(web_app[SENDER_KEY], dispatch_seconds=3600, escalate_seconds=3600)
    try:
        yield api, connector, base_url, scheduler, runtime
    finally:
        scheduler.shutdown()
        await runner.cleanup()
        await connector.stop()
        await api.stop()


def _nothing_sending(sessions: sessionmaker[Session]) -> bool:
    with sessions() as session:
        return session.scalars(select(Delivery.id).where(Delivery.status == "sending")).first() is None


def card_text(call: Any) -> str:
    return json.dumps(call.card)


@pytest.mark.postgres
def test_deliveries_reach_each_person_on_their_platform_on_time(fresh_sessions) -> None:
    # Monday 10:00 in New York, where everyone works (hq: 09:00-17:30 on weekdays)
    clock = FakeClock(datetime(2026, 11, 23, 15, 0, tzinfo=UTC))
    asyncio.run(_both_platforms(fresh_sessions, clock))


async def _both_platforms(sessions: sessionmaker[Session], clock: FakeClock) -> None:
    async with mend(sessions, clock) as (api, connector, base_url, scheduler, runtime):
        alice = SlackUser(f"{base_url}/slack/events", api, "UALICE", "alice")
        teams = {
            name: TeamsUser(f"{base_url}/api/messages", connector, f"aad-{name}", FULL_NAMES[name])
            for name in ("bob", "carol", "dana")
        }
        for person in teams.values():
            assert await person.install() == 202

        # Alice opens a critical case in Slack and asks for approval of the top option
        assert await alice.recover("late parcel") == (200, "")
        (opened,) = await wait_for(lambda: api.of("views.open"))
        assert await alice.submit(opened.answer["view"], **CASE) == (200, "")
        (suggestion,) = await wait_for(lambda: api.of("chat.postMessage", channel="UALICE"))
        assert await alice.click(suggestion, "Ask approval") == (200, "")

        # the request reaches its approver in Teams, not in Slack
        def approval_cards() -> list[tuple[str, Any]]:
            return [
                (name, call)
                for name, person in teams.items()
                for call in connector.posts(person.conversation)
                if "Approve" in card_text(call)
            ]

        ((first, first_card),) = await wait_for(approval_cards)
        # The pass after the click records where it sent the card just after the connector sees
        # it; the escalation below updates that card, so it starts once the pass is done.
        await wait_for(lambda: _nothing_sending(sessions))
        assert not [c for c in api.of("chat.postMessage") if "Approve" in c.buttons()]

        # nobody answers: past the policy's timeout the scheduler escalates up the chain
        clock.advance(minutes=runtime.policy.approvals.timeout_minutes - 1)
        await scheduler.escalate_and_remind()
        await scheduler.dispatch_pass()
        assert len(approval_cards()) == 1, "escalated before the timeout"
        clock.advance(minutes=2)
        await scheduler.escalate_and_remind()
        await scheduler.dispatch_pass()
        cards = await wait_for(lambda: approval_cards() if len(approval_cards()) == 2 else None)
        second, second_card = next((n, c) for n, c in cards if n != first)
        chain = ["bob", "carol", "dana"]
        assert chain.index(second) > chain.index(first)
        # the first approver's card says it moved on; Alice hears it in Slack
        first_person = teams[first]
        first_card_id = first_card.answered_id
        assert first_card_id is not None
        assert any(
            "escalated" in card_text(put).lower()
            for put in connector.puts(first_person.conversation, first_card_id)
        )
        await wait_for(
            lambda: [c for c in api.of("chat.postMessage", channel="UALICE") if "escalated" in c.text]
        )

        # the second approver approves in Teams: Alice's Slack message shows it in place
        approver = teams[second]
        approve = find_action(second_card.card, "Approve")
        assert await approver.submit(approve, second_card.answered_id) == 202
        await wait_for(
            lambda: [
                c
                for c in api.of("chat.update", ts=suggestion.where[1])
                if f"Approved by {FULL_NAMES[second]}" in c.text
            ]
        )
        told = await wait_for(
            lambda: [c for c in api.of("chat.postMessage", channel="UALICE") if "approved" in c.text]
        )

        # Alice resolves in Slack; the lesson reaches both teams' channels without personal data
        await alice.click(told[-1], "Resolve")
        (resolve_modal,) = await wait_for(
            lambda: [c for c in api.of("views.open") if "mend_resolve_case" in c.text]
        )
        lesson = {
            "outcome": "Express replacement and a refund of shipping",
            "root_cause": "The courier cut-off moved without notice",
            "lesson": "Check the courier cut-off each Monday",
        }
        status, answer = await alice.submit(resolve_modal.answer["view"], **lesson)
        # the lesson is shown exactly as the team will read it; posting it as shown resolves the case
        preview = updated_view(answer)
        assert status == 200 and "Post lesson" in json.dumps(preview)
        assert await alice.submit(preview, **shown_inputs(preview)) == (200, "")
        # (the channels also get this week's digest: the scheduler started after Monday 08:00 UTC)
        (slack_lesson,) = await wait_for(
            lambda: [c for c in api.of("chat.postMessage", channel=SLACK_LESSONS) if "Lesson" in c.text]
        )
        (teams_lesson,) = await wait_for(
            lambda: [c for c in connector.posts(TEAMS_LESSONS) if "Lesson" in json.dumps(c.body)]
        )
        # the digest comes with its chart: in Slack one upload that carries the message, in Teams inline
        (slack_digest,) = await wait_for(
            lambda: [
                c
                for c in api.of("files.completeUploadExternal", channel_id=SLACK_LESSONS)
                if "Service recovery, week" in c.text
            ]
        )
        assert api.uploads[slack_digest.args["files"][0]["id"]].startswith(b"\x89PNG")
        assert not [c for c in api.of("chat.postMessage") if "Service recovery, week" in c.text]
        (teams_digest,) = await wait_for(
            lambda: [
                c for c in connector.posts(TEAMS_LESSONS) if "Service recovery, week" in json.dumps(c.body)
            ]
        )
        assert '"type": "Image"' in json.dumps(teams_digest.card)
        for shown in (slack_lesson.text, json.dumps(teams_lesson.body)):
            assert "courier cut-off" in shown
            for private in ("Jane", "jane@example.org", "555 0100", "ORD-123456"):
                assert private not in shown

        # the follow-up (4 h after a critical case) falls after 17:30 in New York: it waits for 09:00
        def follow_ups() -> list[Any]:
            return [
                c for c in api.of("chat.postMessage", channel="UALICE") if "confirm it is fixed?" in c.text
            ]

        with runtime.sessions() as session:
            resolved_at = session.scalars(select(Case.resolved_at)).one()
        assert resolved_at is not None
        clock.current = resolved_at
        clock.advance(hours=4, minutes=5)  # 18:xx in New York
        await scheduler.dispatch_pass()
        assert follow_ups() == []
        clock.current = datetime(2026, 11, 24, 14, 1, tzinfo=UTC)  # Tuesday 09:01 in New York
        await scheduler.dispatch_pass()
        (follow_up,) = await wait_for(follow_ups)
        assert {"Yes, fixed", "Still unhappy", "Could not reach"} <= set(follow_up.buttons())

    with sessions() as session:
        assert len(session.scalars(select(ApprovalDecision)).all()) == 1
        sent = session.scalars(select(Delivery).where(Delivery.status == "sent")).all()
        assert {d.sent_ref["platform"] for d in sent if d.sent_ref} == {"slack", "teams", "many"}
