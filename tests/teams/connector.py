"""A local stand-in for the Bot Framework connector: answers like /v3/conversations and records every call.

Like the real service it refuses an activity over Teams' message size (about 28 KB) with 413,
so a test that makes Mend send something too big fails the way production would.
"""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import dataclass
from typing import Any

from aiohttp import web

MAX_ACTIVITY_BYTES = 28 * 1024  # Teams' limit on one message, the activity's JSON as sent


@dataclass
class Call:
    """One request Mend made to the connector."""

    method: str
    path: str
    headers: dict[str, str]
    body: Any
    answered_id: str | None = None  # the activity id the connector gave a new message

    @property
    def conversation(self) -> str:
        """Return the conversation id the call was for."""
        return self.path.split("/")[3]

    @property
    def card(self) -> dict[str, Any]:
        """Return the Adaptive Card the call carried."""
        return self.body["attachments"][0]["content"]


class RecordingConnector:
    """Answers posts and updates of activities with ids, and keeps them for the test to read."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.refused: list[Call] = []  # activities answered 413, too big for Teams
        self.slow: dict[str, float] = {}  # conversation id -> seconds to wait before answering
        self._ids = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self.port = 0

    @property
    def service_url(self) -> str:
        """Return the serviceUrl activities should carry."""
        return f"http://127.0.0.1:{self.port}/"

    def posts(self, conversation: str) -> list[Call]:
        """Return the new messages sent to a conversation."""
        return [c for c in self.calls if c.method == "POST" and c.conversation == conversation]

    def puts(self, conversation: str, activity_id: str) -> list[Call]:
        """Return the updates of one message."""
        return [
            c
            for c in self.calls
            if c.method == "PUT" and c.conversation == conversation and c.path.endswith(f"/{activity_id}")
        ]

    async def _too_big(self, request: web.Request) -> web.Response | None:
        """Answer 413 like the connector when the activity is over Teams' message size."""
        size = len(await request.read())
        if size <= MAX_ACTIVITY_BYTES:
            return None
        self.refused.append(Call(request.method, request.path, dict(request.headers), await request.json()))
        return web.json_response(
            {"error": {"code": "MessageSizeTooBig", "message": f"{size} bytes"}}, status=413
        )

    async def _record(self, request: web.Request, answered_id: str | None = None) -> None:
        body = await request.json() if request.body_exists else None
        self.calls.append(Call(request.method, request.path, dict(request.headers), body, answered_id))

    async def _post(self, request: web.Request) -> web.Response:
        await asyncio.sleep(self.slow.get(request.match_info["conversation"], 0))
        refused = await self._too_big(request)
        if refused is not None:
            return refused
        activity_id = f"activity-{next(self._ids)}"
        await self._record(request, activity_id)
        return web.json_response({"id": activity_id})

    async def _put(self, request: web.Request) -> web.Response:
        refused = await self._too_big(request)
        if refused is not None:
            return refused
        await self._record(request)
        return web.json_response({"id": request.match_info["activity_id"]})

    async def start(self) -> RecordingConnector:
        """Start listening on a free local port."""
        app = web.Application()
        app.router.add_post("/v3/conversations/{conversation}/activities", self._post)
        app.router.add_post("/v3/conversations/{conversation}/activities/{activity_id}", self._post)
        app.router.add_put("/v3/conversations/{conversation}/activities/{activity_id}", self._put)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]
        return self

    async def stop(self) -> None:
        """Stop listening."""
        if self._runner:
            await self._runner.cleanup()
