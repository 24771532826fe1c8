"""A Notifier that posts each message as JSON to one HTTP endpoint (a relay, a test or the benchmark).

Each sending thread keeps its own keep-alive connection. A 429 answer becomes a
SendError with `retry_after` (from its Retry-After header), so the dispatcher
waits without counting a failed attempt; other 4xx are permanent, 5xx and
connection errors are retried.
"""

from __future__ import annotations

import base64
import http.client
import json
import threading
from dataclasses import asdict, replace
from typing import Any
from urllib.parse import urlsplit

from bot.ports import Recipient, SendError
from bot.replies import Reply

TIMEOUT_SECONDS = 10.0


class WebhookNotifier:
    """Posts `{"recipient", "reply"}` to `url` and returns `{"webhook": <id from the answer>}`."""

    def __init__(self, url: str, *, timeout: float = TIMEOUT_SECONDS) -> None:
        parts = urlsplit(url)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or (443 if parts.scheme == "https" else 80)
        self.https = parts.scheme == "https"
        self.path = parts.path or "/"
        self.timeout = timeout
        self._local = threading.local()

    def send(self, recipient: Recipient, reply: Reply) -> dict[str, Any] | None:
        """Post a new message for `recipient`."""
        answer = self._post({"recipient": asdict(recipient), "reply": _plain(reply)})
        return {"platform": "webhook", "id": answer.get("id")}

    def update(self, sent_ref: dict[str, Any], reply: Reply) -> None:
        """Post a replacement for the message at `sent_ref`."""
        self._post({"update": sent_ref, "reply": _plain(reply)})

    def _connection(self) -> http.client.HTTPConnection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            factory = http.client.HTTPSConnection if self.https else http.client.HTTPConnection
            conn = factory(self.host, self.port, timeout=self.timeout)
            self._local.conn = conn
        return conn

    def _post(self, body: dict[str, Any]) -> dict[str, Any]:
        data = json.dumps(body, default=str).encode()
        conn = self._connection()
        try:
            conn.request("POST", self.path, body=data, headers={"Content-Type": "application/json"})
            response = conn.getresponse()
            text = response.read()
        except (OSError, http.client.HTTPException) as exc:
            conn.close()
            self._local.conn = None
            raise SendError(f"cannot reach {self.host}:{self.port}: {exc!r}") from exc
        if response.status == 429:
            retry_after = float(response.getheader("Retry-After") or 1)
            raise SendError("rate limited (HTTP 429)", retry_after=retry_after)
        if response.status >= 500:
            raise SendError(f"HTTP {response.status}: {text[:200]!r}")
        if response.status >= 400:
            raise SendError(f"HTTP {response.status}: {text[:200]!r}", permanent=True)
        try:
            answer = json.loads(text or b"{}")
        except ValueError:
            answer = {}
        return answer if isinstance(answer, dict) else {}


def _plain(reply: Reply) -> dict[str, Any]:
    """Return the reply as JSON values; an image's PNG as base64 (`png_base64`)."""
    plain = asdict(replace(reply, image=None))
    if reply.image is not None:
        image = reply.image
        plain["image"] = {
            "name": image.name,
            "alt": image.alt,
            "png_base64": base64.b64encode(image.png).decode(),
        }
    return json.loads(json.dumps(plain, default=str))
