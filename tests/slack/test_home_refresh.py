"""Through Slack: a person's App Home is republished when what it shows changes, whether open or not."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any

from aiohttp import web

from adapters.main import SENDER_KEY, Runtime, build_web_app
from adapters.sender import Sender
from bot import home_refresh
from tests.helpers import OVER_LIMIT_CASE
from tests.slack.conftest import SlackUser, load_staff, wait_for
from tests.slack.webapi import Call, SlackWebApi

CASE = OVER_LIMIT_CASE


@contextlib.asynccontextmanager
async def serving(
    make_runtime: Callable[..., Runtime],
) -> AsyncIterator[tuple[str, SlackWebApi, Runtime, Sender]]:
    """Serve build_web_app against a recording Web API; yield its sender too, to run the next pass."""
    api = await SlackWebApi().start()
    runtime = make_runtime(MEND_SLACK_API_URL=api.url)
    web_app = build_web_app(runtime)
    runner = web.AppRunner(web_app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}/slack/events", api, runtime, web_app[SENDER_KEY]
    finally:
        await runner.cleanup()
        await api.stop()


def published(api: SlackWebApi, user_id: str) -> list[Call]:
    """Return the Home tabs published for a person, oldest first."""
    return api.of("views.publish", user_id=user_id)


async def next_pass(runtime: Runtime, sender: Sender) -> None:
    """Let the refreshes' wait for the rest of their burst run out, then run the dispatcher's next pass."""
    runtime.clock.advance(seconds=home_refresh.DELAY.total_seconds())  # type: ignore[attr-defined]
    await sender.dispatch_pass()


def test_a_case_approved_by_the_manager_republishes_both_homes(make_runtime: Any) -> None:
    asyncio.run(_approved(make_runtime))


async def _approved(make_runtime: Callable[..., Runtime]) -> None:
    async with serving(make_runtime) as (endpoint, api, runtime, sender):
        load_staff(runtime)
        alice = SlackUser(endpoint, api, "UALICE", "alice")
        bob = SlackUser(endpoint, api, "UBOB", "bob")
        await alice.recover("")
        (opened,) = await wait_for(lambda: api.of("views.open"))
        assert await alice.submit(opened.answer["view"], **CASE) == (200, "")
        (suggestion,) = await wait_for(lambda: api.of("chat.postMessage", channel="UALICE"))
        assert await alice.click(suggestion, "Ask approval") == (200, "")
        (request,) = await wait_for(lambda: api.of("chat.postMessage", channel="UBOB"))

        # the case and the request are one burst: each Home is published once, when its wait ends
        assert not api.of("views.publish")
        await next_pass(runtime, sender)
        (alice_home,) = published(api, "UALICE")
        assert alice_home.args["view"]["type"] == "home"
        assert "Alice Park: 1 open case, 0 approvals waiting on you" in alice_home.text
        assert "Jane Customer" in alice_home.text and "waiting for approval" in alice_home.text
        (bob_home,) = published(api, "UBOB")
        assert "1 approval waiting on you" in bob_home.text and "Review" in bob_home.buttons()
        assert not published(api, "UCAROL")  # nothing she sees changed

        # bob approves: alice's Home shows it, and the request leaves bob's
        assert await bob.click(request, "Approve") == (200, "")
        await wait_for(
            lambda: [c for c in api.of("chat.postMessage", channel="UALICE") if "approved" in c.text]
        )
        await next_pass(runtime, sender)
        alice_home = await wait_for(lambda: published(api, "UALICE")[1:])
        assert len(alice_home) == 1
        shown = alice_home[0].text
        assert "1 open case, 0 approvals waiting on you" in shown and "approved" in shown
        assert "waiting for approval" not in shown
        bob_home = published(api, "UBOB")[-1]
        assert "0 approvals waiting on you" in bob_home.text and "Review" not in bob_home.buttons()

        # nothing changed since: another pass publishes nothing
        before = len(api.of("views.publish"))
        await next_pass(runtime, sender)
        assert len(api.of("views.publish")) == before
