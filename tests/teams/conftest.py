"""A Mend on a real SQLite file, a Teams endpoint on a local port, and a recording connector."""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from aiohttp import ClientSession, web

from adapters.main import Runtime, build_web_app
from adapters.settings import Settings
from bot import staff
from db import migrate
from db.session import make_engine, make_sessions
from policies.loader import load_policy
from tests.fakes import MONDAY_MORNING, FakeClock
from tests.teams.connector import RecordingConnector

TENANT = "tenant-1"
BOT = {"id": "28:mend-bot", "name": "Mend"}
LESSONS_CHANNEL = "19:lessons@thread.tacv2"

STAFF_CSV = """platform,user_id,name,email,role,manager,location
teams,aad-alice,Alice Park,alice@example.com,frontline,bob@example.com,hq
teams,aad-bob,Bob Reyes,bob@example.com,supervisor,carol@example.com,hq
teams,aad-carol,Carol Diaz,carol@example.com,manager,,hq
"""


@pytest.fixture
def make_runtime(tmp_path) -> Iterator[Any]:
    """Return a factory of runtimes on one migrated SQLite file, with a Teams lessons channel."""
    engine = make_engine(f"sqlite:///{tmp_path / 'mend.db'}")
    migrate.upgrade(engine)
    base = load_policy(Settings(_env_file=None).policy_file)  # type: ignore[call-arg]
    policy = base.model_copy(
        update={"broadcast": base.broadcast.model_copy(update={"teams_channel": LESSONS_CHANNEL})}
    )

    def make(**settings: Any) -> Runtime:
        values = {
            "MICROSOFT_APP_ID": None,
            "MICROSOFT_APP_PASSWORD": None,
            "MICROSOFT_APP_TENANT_ID": None,
            # The connector is a local stand-in without Azure's tokens; tests with an app id set one.
            "MEND_TEAMS_UNAUTHENTICATED": True,
            "SLACK_SIGNING_SECRET": None,
        }
        values.update(settings)
        return Runtime(
            settings=Settings(_env_file=None, **values),  # type: ignore[call-arg]
            policy=policy,
            engine=engine,
            sessions=make_sessions(engine),
            clock=FakeClock(MONDAY_MORNING),
        )

    yield make
    engine.dispose()


@pytest.fixture
def runtime(make_runtime) -> Runtime:
    """Return a runtime with alice (frontline) -> bob (supervisor) -> carol (manager) on Teams."""
    rt = make_runtime()
    with rt.sessions() as session:
        staff.import_staff(STAFF_CSV, session=session, policy=rt.policy, clock=rt.clock)
    return rt


class TeamsUser:
    """A person in Teams: posts activities from their personal chat with Mend."""

    _ids = itertools.count(1)

    def __init__(self, endpoint: str, connector: RecordingConnector, aad: str, name: str, **extra: Any):
        self.endpoint = endpoint
        self.connector = connector
        self.account = {"id": f"29:{aad}", "name": name, "aadObjectId": aad, **extra}
        self.conversation = f"a:chat-{aad}"

    def activity(self, **fields: Any) -> dict[str, Any]:
        """Return an activity from this user in their personal chat."""
        return {
            "type": "message",
            "id": f"in-{next(self._ids)}",
            "channelId": "msteams",
            "serviceUrl": self.connector.service_url,
            "from": self.account,
            "recipient": BOT,
            "conversation": {"id": self.conversation, "conversationType": "personal", "tenantId": TENANT},
            "channelData": {"tenant": {"id": TENANT}},
            **fields,
        }

    async def post(self, activity: dict[str, Any], headers: dict[str, str] | None = None) -> int:
        """Post an activity to /api/messages and return the HTTP status."""
        async with (
            ClientSession() as http,
            http.post(self.endpoint, json=activity, headers=headers or {}) as response,
        ):
            return response.status

    async def say(self, text: str) -> int:
        """Send a chat message."""
        return await self.post(self.activity(text=text))

    async def submit(self, data: dict[str, Any], card_id: str, **inputs: str) -> int:
        """Press a card's Action.Submit: Teams merges the inputs into the action's data."""
        return await self.post(self.activity(value={**data, **inputs}, replyToId=card_id))

    async def install(self) -> int:
        """Install Mend in a personal chat (Teams sends conversationUpdate with the bot added)."""
        return await self.post(self.activity(type="conversationUpdate", membersAdded=[BOT, self.account]))


@contextlib.asynccontextmanager
async def teams_server(runtime: Runtime) -> AsyncIterator[tuple[str, RecordingConnector]]:
    """Serve the app `mend serve` builds on a free port, and a recording connector."""
    connector = await RecordingConnector().start()
    web_app = build_web_app(runtime)
    runner = web.AppRunner(web_app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield f"http://127.0.0.1:{port}/api/messages", connector
    finally:
        await runner.cleanup()
        await connector.stop()


def find_action(card: dict[str, Any], title: str) -> dict[str, Any]:
    """Return the data of the first Action.Submit with this title anywhere in a card."""

    def walk(node: Any) -> Iterator[dict[str, Any]]:
        if isinstance(node, dict):
            if node.get("type") == "Action.Submit":
                yield node
            for value in node.values():
                yield from walk(value)
        elif isinstance(node, list):
            for value in node:
                yield from walk(value)

    for action in walk(card):
        if action["title"] == title:
            return action["data"]
    raise AssertionError(f"no button {title!r} in {card}")


def shown_inputs(card: dict[str, Any]) -> dict[str, str]:
    """Return what a card form's inputs show, as a person would submit them unchanged."""
    found: dict[str, str] = {}

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if str(node.get("type", "")).startswith("Input.") and "id" in node:
                found[node["id"]] = node.get("value", "")
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(card)
    return found
