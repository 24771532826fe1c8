"""A local stand-in for Slack's Web API: answers like Slack and records every call.

Files go as Slack's upload v2 flow has them: `files.getUploadURLExternal` gives an
upload URL (here, on this stand-in), the bytes are POSTed there (kept in `uploads`,
recorded as an `upload` call), and `files.completeUploadExternal` shares them.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

TEAM = "T0MEND"
BOT_USER = "UMENDBOT"


@dataclass
class Call:
    """One request Mend made to the Web API (or to a response_url)."""

    method: str
    args: dict[str, Any]
    answer: dict[str, Any] = field(default_factory=dict)
    token: str | None = None  # the bearer token the call carried

    @property
    def where(self) -> tuple[str, str]:
        """Return the channel and ts of the message this call posted or updated."""
        return str(self.answer.get("channel") or self.args.get("channel")), str(
            self.answer.get("ts") or self.args.get("ts")
        )

    @property
    def text(self) -> str:
        """Return everything the call would show, as one string to search."""
        return json.dumps(self.args)

    def buttons(self) -> dict[str, dict[str, Any]]:
        """Return the buttons the message or view carries, by their label."""
        found: dict[str, dict[str, Any]] = {}

        def walk(node: Any) -> None:
            if isinstance(node, dict):
                if node.get("type") == "button":
                    found[node["text"]["text"]] = node
                for value in node.values():
                    walk(value)
            elif isinstance(node, list):
                for value in node:
                    walk(value)

        blocks = self.args.get("blocks") or (self.args.get("view") or {}).get("blocks")
        if isinstance(blocks, str):
            blocks = json.loads(blocks)
        walk(blocks)
        return found


class SlackWebApi:
    """Answers the Web API methods Mend uses; `users` feeds users.info; `fail` makes a method fail."""

    def __init__(self, users: dict[str, dict[str, Any]] | None = None) -> None:
        self.calls: list[Call] = []
        self.users = users or {}
        self.fail: dict[str, str] = {}
        self.rate_limited: dict[str, int] = {}  # method -> how many 429s to answer first
        self._ts = itertools.count(1)
        self._views = itertools.count(1)
        self._files = itertools.count(1)
        self.uploads: dict[str, bytes] = {}  # file id -> the bytes POSTed to its upload URL
        self.share_ts = False  # answer files.completeUploadExternal with the share's ts, as Slack may
        self._runner: web.AppRunner | None = None
        self.port = 0
        # Socket Mode: envelopes to push to a connected app, and what it sent back.
        self.envelopes: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.socket_replies: list[dict[str, Any]] = []

    @property
    def url(self) -> str:
        """Return the base URL to give Mend as MEND_SLACK_API_URL."""
        return f"http://127.0.0.1:{self.port}/api/"

    def response_url(self, name: str) -> str:
        """Return a response_url that records what is posted to it."""
        return f"http://127.0.0.1:{self.port}/respond/{name}"

    def of(self, method: str, **match: Any) -> list[Call]:
        """Return the calls of a method whose arguments include `match`."""
        return [
            c for c in self.calls if c.method == method and all(c.args.get(k) == v for k, v in match.items())
        ]

    async def _args(self, request: web.Request) -> dict[str, Any]:
        args: dict[str, Any] = dict(request.query)
        if request.can_read_body:
            if request.content_type == "application/json":
                args.update(await request.json())
            else:
                args.update(dict(await request.post()))
        for key in ("blocks", "view", "files"):
            if isinstance(args.get(key), str):
                args[key] = json.loads(args[key])
        return args

    async def _method(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        args = await self._args(request)
        auth = request.headers.get("Authorization", "")
        token = auth.removeprefix("Bearer ") if auth.startswith("Bearer ") else args.get("token")
        if self.rate_limited.get(method):
            self.rate_limited[method] -= 1
            self.calls.append(Call(method, args, {"status": 429}, token))
            return web.json_response(
                {"ok": False, "error": "ratelimited"}, status=429, headers={"Retry-After": "1"}
            )
        if method in self.fail:
            self.calls.append(Call(method, args, token=token))
            return web.json_response({"ok": False, "error": self.fail[method]})
        answer = {"ok": True, **self._answer(method, args)}
        self.calls.append(Call(method, args, answer, token))
        return web.json_response(answer)

    def _answer(self, method: str, args: dict[str, Any]) -> dict[str, Any]:
        if method == "auth.test":
            return {"user_id": BOT_USER, "bot_id": "BMEND", "team_id": TEAM, "team": "Acme", "url": ""}
        if method == "chat.postMessage":
            channel = str(args.get("channel"))
            if channel.startswith("U"):
                channel = "D" + channel[1:]
            return {"channel": channel, "ts": f"1763900000.{next(self._ts):06d}", "message": {}}
        if method == "chat.update":
            return {"channel": args.get("channel"), "ts": args.get("ts")}
        if method == "chat.postEphemeral":
            return {"message_ts": f"1763900000.{next(self._ts):06d}"}
        if method in ("views.open", "views.publish", "views.update"):
            view = dict(args.get("view") or {})
            view.update(id=f"V{next(self._views):04d}", hash=f"h{next(self._views)}", team_id=TEAM)
            return {"view": view}
        if method == "users.info":
            user = self.users.get(str(args.get("user")), {"id": args.get("user"), "profile": {}})
            return {"user": user}
        if method == "apps.connections.open":
            return {"url": f"ws://127.0.0.1:{self.port}/link"}
        if method == "conversations.open":
            return {"channel": {"id": "D" + str(args.get("users", "X"))[1:]}}
        if method == "files.getUploadURLExternal":
            file_id = f"F{next(self._files):08d}"
            self.uploads[file_id] = b""
            return {"upload_url": f"http://127.0.0.1:{self.port}/upload/{file_id}", "file_id": file_id}
        if method == "files.completeUploadExternal":
            return {"files": [self._shared(f, args) for f in args.get("files") or []]}
        return {}

    def _shared(self, file: dict[str, Any], args: dict[str, Any]) -> dict[str, Any]:
        """Return a file as files.completeUploadExternal describes it once shared."""
        shared: dict[str, Any] = {"id": file["id"], "title": file.get("title", "")}
        channel = args.get("channel_id") or args.get("channels")
        if self.share_ts and channel:
            shared["shares"] = {"public": {channel: [{"ts": f"1763900000.{next(self._ts):06d}"}]}}
        return shared

    async def _upload(self, request: web.Request) -> web.Response:
        """Take a file's bytes at the URL files.getUploadURLExternal gave, as files.slack.com does."""
        file_id = request.match_info["file_id"]
        if file_id not in self.uploads:
            return web.Response(status=404, text="unknown upload")
        data = await request.read()
        self.uploads[file_id] = data
        self.calls.append(Call("upload", {"file_id": file_id, "length": len(data)}))
        return web.Response(text=f"OK - {len(data)}")

    async def _respond(self, request: web.Request) -> web.Response:
        self.calls.append(Call("response_url", await self._args(request)))
        return web.Response(text="ok")

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        """Speak Socket Mode: hello, then each queued envelope; keep what the app answers."""
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        await ws.send_json({"type": "hello", "num_connections": 1, "connection_info": {"app_id": "AMEND"}})

        async def push() -> None:
            while True:
                await ws.send_json(await self.envelopes.get())

        pusher = asyncio.ensure_future(push())
        try:
            async for message in ws:
                if message.type == web.WSMsgType.TEXT:
                    self.socket_replies.append(json.loads(message.data))
        finally:
            pusher.cancel()
        return ws

    async def start(self) -> SlackWebApi:
        """Start listening on a free local port."""
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._method)
        app.router.add_post("/respond/{name}", self._respond)
        app.router.add_post("/upload/{file_id}", self._upload)
        app.router.add_get("/link", self._socket)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]
        return self

    async def stop(self) -> None:
        """Stop listening."""
        if self._runner:
            await self._runner.cleanup()
