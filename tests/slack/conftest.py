"""A Mend on a real database, served by build_web_app on a local port, with a recording Slack Web API."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import time
import urllib.parse
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest
from aiohttp import ClientSession, web
from slack_sdk.signature import SignatureVerifier

from adapters.main import Runtime, build_web_app
from adapters.settings import Settings
from bot import staff
from db import migrate
from db.session import make_engine, make_sessions
from policies.loader import load_policy
from tests.fakes import MONDAY_MORNING, FakeClock
from tests.slack.webapi import TEAM, Call, SlackWebApi

SECRET = "mend-test-signing-secret"
LESSONS = "service-lessons"

STAFF_CSV = """platform,user_id,name,email,role,manager,location
slack,UALICE,Alice Park,alice@example.com,frontline,bob@example.com,hq
slack,UBOB,Bob Reyes,bob@example.com,supervisor,carol@example.com,hq
slack,UCAROL,Carol Diaz,carol@example.com,manager,,hq
"""


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path) -> str:
    """A migrated database of this test's own: a SQLite file, or a copy of the PostgreSQL template."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'mend.db'}"
        engine = make_engine(url)
        migrate.upgrade(engine)
        engine.dispose()
        return url
    template = request.getfixturevalue("postgres_template")
    return request.getfixturevalue("postgres").create(template=template)


@pytest.fixture
def make_runtime(database_url: str) -> Iterator[Callable[..., Runtime]]:
    """Return a factory of runtimes on the test database, with Slack settings from keyword arguments."""
    engine = make_engine(database_url)

    def make(**settings: Any) -> Runtime:
        values: dict[str, Any] = {
            "MICROSOFT_APP_ID": None,
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_BOT_TOKEN": "xoxb-mend-test",
            "SLACK_APP_TOKEN": None,
            "SLACK_CLIENT_ID": None,
            "SLACK_CLIENT_SECRET": None,
        }
        values.update(settings)
        settings_obj = Settings(_env_file=None, **values)  # type: ignore[call-arg]
        return Runtime(
            settings=settings_obj,
            policy=load_policy(settings_obj.policy_file),
            engine=engine,
            sessions=make_sessions(engine),
            clock=FakeClock(MONDAY_MORNING),
        )

    yield make
    engine.dispose()


def load_staff(rt: Runtime) -> None:
    """Load alice (frontline) -> bob (supervisor) -> carol (manager), all on Slack."""
    with rt.sessions() as session:
        staff.import_staff(STAFF_CSV, session=session, policy=rt.policy, clock=rt.clock)


def sign(body: str, *, secret: str = SECRET, timestamp: int | None = None) -> dict[str, str]:
    """Return the headers Slack signs a request with."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    signature = SignatureVerifier(secret).generate_signature(timestamp=ts, body=body)
    return {
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": signature,
        "Content-Type": "application/x-www-form-urlencoded",
    }


class SlackUser:
    """A person in Slack: runs /recover, submits modals, clicks buttons, opens the Home tab."""

    _ids = itertools.count(1)

    def __init__(self, endpoint: str, api: SlackWebApi, user_id: str, name: str, team: str = TEAM) -> None:
        self.endpoint = endpoint
        self.api = api
        self.user_id = user_id
        self.name = name
        self.team = team  # the workspace they act from (Enterprise Grid people have several)

    @property
    def user(self) -> dict[str, Any]:
        """Return the `user` object of interaction payloads."""
        return {"id": self.user_id, "username": self.name, "name": self.name, "team_id": self.team}

    async def post(self, body: str, headers: dict[str, str] | None = None) -> tuple[int, str]:
        """Post a signed body (unless headers are given) to /slack/events; return status and text."""
        async with (
            ClientSession() as http,
            http.post(self.endpoint, data=body.encode(), headers=headers or sign(body)) as response,
        ):
            return response.status, await response.text()

    def command_body(self, text: str) -> str:
        """Return the form body of `/recover TEXT`."""
        n = next(self._ids)
        return urllib.parse.urlencode(
            {
                "token": "legacy",
                "team_id": self.team,
                "team_domain": "acme",
                "channel_id": f"D{self.user_id[1:]}",
                "channel_name": "directmessage",
                "user_id": self.user_id,
                "user_name": self.name,
                "command": "/recover",
                "text": text,
                "api_app_id": "AMEND",
                "response_url": self.api.response_url(f"cmd-{n}"),
                "trigger_id": f"trigger-{self.user_id}-{n}",
            }
        )

    async def recover(self, text: str = "") -> tuple[int, str]:
        """Run /recover TEXT."""
        return await self.post(self.command_body(text))

    def submission_body(self, view: dict[str, Any], **inputs: str) -> str:
        """Return the body of a view_submission for a modal Mend opened, filled in with `inputs`."""
        values: dict[str, Any] = {}
        for block in view["blocks"]:
            if block.get("type") != "input":
                continue
            element = block["element"]
            name = block["block_id"]
            if element["type"] == "static_select":
                chosen = inputs.get(name, (element.get("initial_option") or {}).get("value"))
                option = next((o for o in element["options"] if o["value"] == chosen), None)
                values[name] = {"value": {"type": "static_select", "selected_option": option}}
            else:
                values[name] = {
                    "value": {
                        "type": "plain_text_input",
                        "value": inputs.get(name, element.get("initial_value")),
                    }
                }
        payload = {
            "type": "view_submission",
            "team": {"id": self.team, "domain": "acme"},
            "user": self.user,
            "api_app_id": "AMEND",
            "token": "legacy",
            "trigger_id": f"trigger-{self.user_id}-{next(self._ids)}",
            "view": {**view, "state": {"values": values}},
            "response_urls": [],
        }
        return urllib.parse.urlencode({"payload": json.dumps(payload)})

    async def submit(self, view: dict[str, Any], **inputs: str) -> tuple[int, str]:
        """Submit a modal."""
        return await self.post(self.submission_body(view, **inputs))

    def click_body(self, message: Call, label: str) -> str:
        """Return the body of a click on the button `label` of a message Mend posted or updated."""
        button = message.buttons()[label]
        channel, ts = message.where
        n = next(self._ids)
        payload = {
            "type": "block_actions",
            "team": {"id": self.team, "domain": "acme"},
            "user": self.user,
            "api_app_id": "AMEND",
            "token": "legacy",
            "container": {"type": "message", "message_ts": ts, "channel_id": channel, "is_ephemeral": False},
            "trigger_id": f"trigger-{self.user_id}-{n}",
            "channel": {"id": channel, "name": "directmessage"},
            "message": {"type": "message", "ts": ts, "blocks": message.args.get("blocks")},
            "response_url": self.api.response_url(f"click-{n}"),
            "actions": [
                {
                    "action_id": button["action_id"],
                    "block_id": "b",
                    "value": button.get("value", ""),
                    "type": "button",
                    "action_ts": f"1763900100.{n:06d}",
                }
            ],
        }
        return urllib.parse.urlencode({"payload": json.dumps(payload)})

    async def click(self, message: Call, label: str) -> tuple[int, str]:
        """Click a button on a message."""
        return await self.post(self.click_body(message, label))

    async def open_home(self) -> tuple[int, str]:
        """Open Mend's Home tab (an app_home_opened event)."""
        n = next(self._ids)
        body = json.dumps(
            {
                "token": "legacy",
                "team_id": self.team,
                "api_app_id": "AMEND",
                "type": "event_callback",
                "event_id": f"Ev{n:08d}",
                "event_time": 1763900000,
                "event": {
                    "type": "app_home_opened",
                    "user": self.user_id,
                    "channel": f"D{self.user_id[1:]}",
                    "tab": "home",
                    "event_ts": f"1763900200.{n:06d}",
                },
            }
        )
        headers = {**sign(body), "Content-Type": "application/json"}
        return await self.post(body, headers)


async def wait_for(check: Callable[[], Any], *, seconds: float = 10.0) -> Any:
    """Return the first truthy result of `check`, polling while Mend finishes work after its ack."""
    deadline = asyncio.get_running_loop().time() + seconds
    while True:
        result = check()
        if result:
            return result
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("Slack never saw the expected call")
        await asyncio.sleep(0.02)


@contextlib.asynccontextmanager
async def slack_server(
    make_runtime: Callable[..., Runtime], users: dict[str, dict[str, Any]] | None = None, **settings: Any
) -> AsyncIterator[tuple[str, SlackWebApi, Runtime]]:
    """Serve build_web_app on a free port against a recording Web API; yield the events URL."""
    api = await SlackWebApi(users).start()
    runtime = make_runtime(MEND_SLACK_API_URL=api.url, **settings)
    web_app = build_web_app(runtime)
    runner = web.AppRunner(web_app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield f"http://127.0.0.1:{port}/slack/events", api, runtime
    finally:
        await runner.cleanup()
        await api.stop()


def shown_inputs(view: dict[str, Any]) -> dict[str, str]:
    """Return what a modal's text inputs show, as a person would submit them unchanged."""
    return {
        block["block_id"]: block["element"].get("initial_value", "")
        for block in view["blocks"]
        if block.get("type") == "input"
    }


def updated_view(answer: str) -> dict[str, Any]:
    """Return the view a modal submission's answer replaces the modal with."""
    body = json.loads(answer)
    assert body["response_action"] == "update", body
    return body["view"]
