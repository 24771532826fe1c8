"""Deny with a reason, what the Slack notifier does when Slack refuses, and the install flow's pages."""

from __future__ import annotations

import asyncio
import json

import pytest
from aiohttp import ClientSession
from sqlalchemy import select

from adapters.slack.notifier import SlackNotifier, web_client
from bot.ports import Recipient, SendError
from bot.replies import Reply
from db.models import ApprovalDecision
from tests.slack.conftest import SlackUser, load_staff, slack_server, wait_for
from tests.slack.test_over_limit_case import CASE
from tests.slack.webapi import SlackWebApi


def test_a_deny_asks_for_a_reason_inline_and_updates_both_messages(make_runtime):
    async def run():
        async with slack_server(make_runtime) as (endpoint, api, runtime):
            load_staff(runtime)
            alice = SlackUser(endpoint, api, "UALICE", "alice")
            carol = SlackUser(endpoint, api, "UCAROL", "carol")
            await alice.recover("")
            (opened,) = await wait_for(lambda: api.of("views.open"))
            await alice.submit(opened.answer["view"], **CASE)
            (suggestion,) = await wait_for(lambda: api.of("chat.postMessage", channel="UALICE"))
            await alice.click(suggestion, "Ask approval")
            (request,) = await wait_for(lambda: api.of("chat.postMessage", channel="UCAROL"))
            await carol.click(request, "Deny")
            (deny_modal,) = await wait_for(
                lambda: [c for c in api.of("views.open") if "mend_deny_with_reason" in c.text]
            )
            status, body = await carol.submit(deny_modal.answer["view"], reason="")
            assert status == 200 and "reason" in json.loads(body)["errors"]
            assert await carol.submit(deny_modal.answer["view"], reason="Offer a voucher of $50") == (200, "")
            await wait_for(
                lambda: any(
                    "Denied by Carol Diaz" in c.text for c in api.of("chat.update", ts=suggestion.where[1])
                )
            )
            carol_update = await wait_for(lambda: api.of("chat.update", ts=request.where[1]))
            assert "denied" in carol_update[-1].text.lower()
            with runtime.sessions() as session:
                (decision,) = session.scalars(select(ApprovalDecision)).all()
                assert decision.reason == "Offer a voucher of $50"

    asyncio.run(run())


def test_the_notifier_reports_slow_down_and_refusals_as_send_errors():
    async def run():
        api = await SlackWebApi().start()
        try:
            notifier = SlackNotifier(
                web_client("xoxb-t", api.url, retries=0), channels={"lessons": "lessons"}
            )
            person = Recipient(
                staff_id=1, name="Bob", accounts={"slack": {"user_id": "UBOB", "address": None}}
            )
            sent = await asyncio.to_thread(notifier.send, person, Reply(title="Hello"))
            assert sent == {"platform": "slack", "channel": "DBOB", "ts": sent["ts"]}
            api.fail["chat.postMessage"] = "not_in_channel"
            lessons = Recipient(staff_id=None, name="lessons", channel="lessons")
            with pytest.raises(SendError, match="not_in_channel") as refused:
                await asyncio.to_thread(notifier.send, lessons, Reply(title="Lesson"))
            assert refused.value.permanent
            with pytest.raises(SendError, match="no Slack channel is configured for approvals"):
                notifier.send(Recipient(staff_id=None, name="a", channel="approvals"), Reply(title="x"))
            with pytest.raises(SendError, match="no Slack account"):
                notifier.send(
                    Recipient(staff_id=2, name="Tess", accounts={"teams": {"user_id": "x"}}), Reply("x")
                )
        finally:
            await api.stop()

    asyncio.run(run())


def test_the_notifier_waits_as_slack_asks_on_429():
    from aiohttp import web

    async def run():
        async def limited(_request):
            return web.json_response(
                {"ok": False, "error": "ratelimited"}, status=429, headers={"Retry-After": "7"}
            )

        app = web.Application()
        app.router.add_post("/api/chat.postMessage", limited)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        url = f"http://127.0.0.1:{runner.addresses[0][1]}/api/"
        try:
            notifier = SlackNotifier(web_client("xoxb-t", url, retries=0), channels={})
            person = Recipient(staff_id=1, name="Bob", accounts={"slack": {"user_id": "UBOB"}})
            with pytest.raises(SendError) as slow:
                await asyncio.to_thread(notifier.send, person, Reply(title="Hello"))
            assert slow.value.retry_after == 7 and not slow.value.permanent
        finally:
            await runner.cleanup()

    asyncio.run(run())


def test_several_workspaces_install_from_a_page_that_keeps_its_state_in_the_database(make_runtime):
    async def run():
        settings = {"SLACK_BOT_TOKEN": None, "SLACK_CLIENT_ID": "111.222", "SLACK_CLIENT_SECRET": "shh"}
        async with slack_server(make_runtime, **settings) as (endpoint, _api, runtime):
            base = endpoint.rsplit("/slack/events", 1)[0]
            async with ClientSession() as http:
                async with http.get(f"{base}/slack/install", allow_redirects=False) as response:
                    page = await response.text()
                    assert response.status == 200
                    assert "https://slack.com/oauth/v2/authorize?state=" in page
                    assert "client_id=111.222" in page and "chat:write" in page, page
                async with http.get(f"{base}/slack/oauth_redirect?code=x&state=forged") as response:
                    assert response.status == 400
            with runtime.engine.connect() as conn:
                from sqlalchemy import text

                assert conn.execute(text("SELECT count(*) FROM slack_oauth_states")).scalar() == 1

    asyncio.run(run())
