"""Through Teams: the last Home card Mend showed a person is updated in place when what it shows changes."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any

from aiohttp import web
from sqlalchemy import select

from adapters.main import SENDER_KEY, Runtime, build_web_app
from adapters.sender import Sender
from bot import home_refresh
from bot.deliveries import Kind
from db.models import Delivery, Staff
from tests.helpers import OVER_LIMIT_CASE
from tests.teams.conftest import TeamsUser, find_action
from tests.teams.connector import RecordingConnector

CASE = OVER_LIMIT_CASE


@contextlib.asynccontextmanager
async def serving(runtime: Runtime) -> AsyncIterator[tuple[str, RecordingConnector, Sender]]:
    """Serve the app `mend serve` builds and a recording connector; yield its sender too."""
    connector = await RecordingConnector().start()
    web_app = build_web_app(runtime)
    runner = web.AppRunner(web_app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}/api/messages", connector, web_app[SENDER_KEY]
    finally:
        await runner.cleanup()
        await connector.stop()


async def next_pass(runtime: Runtime, sender: Sender) -> None:
    """Let the refreshes' wait for the rest of their burst run out, then run the dispatcher's next pass."""
    runtime.clock.advance(seconds=home_refresh.DELAY.total_seconds())  # type: ignore[attr-defined]
    await sender.dispatch_pass()


async def open_case(user: TeamsUser, connector: RecordingConnector) -> dict[str, Any]:
    """Open the case through the case form, as a person would; return the suggestion card."""
    assert await user.say("recover late parcel") == 202
    form = connector.posts(user.conversation)[-1]
    assert form.answered_id is not None
    assert await user.submit(find_action(form.card, "Get suggestion"), form.answered_id, **CASE) == 202
    return {"card": connector.puts(user.conversation, form.answered_id)[-1].card, "id": form.answered_id}


def test_a_home_card_is_updated_in_place_when_its_person_opens_a_case(runtime: Runtime) -> None:
    asyncio.run(_home_card(runtime))


async def _home_card(runtime: Runtime) -> None:
    async with serving(runtime) as (endpoint, connector, sender):
        alice = TeamsUser(endpoint, connector, "aad-alice", "Alice Park")
        bob = TeamsUser(endpoint, connector, "aad-bob", "Bob Reyes")
        assert await bob.install() == 202  # Mend may write to bob, who never opened his Home card

        assert await alice.say("cases") == 202
        (home,) = connector.posts(alice.conversation)
        home_id = home.answered_id
        assert home_id and "Alice Park: 0 open cases, 0 approvals waiting on you" in json.dumps(home.card)

        # alice opens a case and asks approval at once: one burst, one update of her Home card
        suggestion = await open_case(alice, connector)
        assert await alice.submit(find_action(suggestion["card"], "Ask approval"), suggestion["id"]) == 202
        (request,) = connector.posts(bob.conversation)
        assert not connector.puts(alice.conversation, home_id)  # it waits for the rest of the burst
        await next_pass(runtime, sender)
        (update,) = connector.puts(alice.conversation, home_id)
        assert update.path == f"/v3/conversations/{alice.conversation}/activities/{home_id}"
        shown = json.dumps(update.card)
        assert "Alice Park: 1 open case, 0 approvals waiting on you" in shown
        assert "Jane Customer" in shown and "waiting for approval" in shown

        # bob never opened a Home card: the request reached him, and nothing about a Home did
        assert [c.method for c in connector.calls if c.conversation == bob.conversation] == ["POST"]
        with runtime.sessions() as session:
            bob_id = session.scalars(select(Staff.id).where(Staff.email == "bob@example.com")).one()
            kinds = {Kind.HOME.value, Kind.CARD_UPDATE.value}
            to_bob = session.scalars(
                select(Delivery.kind).where(Delivery.recipient_id == bob_id, Delivery.kind.in_(kinds))
            ).all()
            assert to_bob == []
        assert request.answered_id is not None

        # Open on the Home card brings the case as a new card: the Home card stays a Home card
        posts_before = len(connector.posts(alice.conversation))
        assert await alice.submit(find_action(update.card, "Open"), home_id) == 202
        opened = connector.posts(alice.conversation)[posts_before:]
        assert len(opened) == 1 and "Jane Customer" in json.dumps(opened[0].card)
        assert len(connector.puts(alice.conversation, home_id)) == 1
