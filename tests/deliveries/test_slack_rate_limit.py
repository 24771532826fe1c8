"""The Slack notifier under the dispatcher: a 429 delays the row at once, no send sleeps through it."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from sqlalchemy import select

from adapters.slack.notifier import SlackNotifier, web_client
from bot import dispatcher
from db.models import Delivery
from tests.conftest import FakeClock
from tests.deliveries.conftest import add_lessons


class RateLimitedSlack(ThreadingHTTPServer):
    """A Web API that answers every call with 429 and a Retry-After, and counts the calls."""

    daemon_threads = True

    def __init__(self, retry_after: int) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.retry_after = retry_after
        self.calls: list[str] = []

    @property
    def url(self) -> str:
        """Return the Web API's base URL."""
        return f"http://127.0.0.1:{self.server_address[1]}/api/"


class _Handler(BaseHTTPRequestHandler):
    server: RateLimitedSlack

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.server.calls.append(self.path)
        data = json.dumps({"ok": False, "error": "ratelimited"}).encode()
        self.send_response(429)
        self.send_header("Retry-After", str(self.server.retry_after))
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def slack() -> Iterator[RateLimitedSlack]:
    """A rate-limited Slack Web API on a free local port."""
    server = RateLimitedSlack(retry_after=1)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_a_slack_429_delays_the_delivery_without_waiting_inside_the_send(
    fresh_sessions, policy, slack
) -> None:
    clock = FakeClock()
    with fresh_sessions() as session:
        add_lessons(session, 1, now=clock.now())
        session.commit()
    # As the server builds it: retries=2 for connection errors.
    notifier = SlackNotifier(web_client("xoxb-t", slack.url, retries=2), channels={"lessons": "C-LESSONS"})
    report = dispatcher.dispatch_due(sessions=fresh_sessions, notifier=notifier, policy=policy, clock=clock)
    assert report.retried == 1
    assert slack.calls == ["/api/chat.postMessage"]  # asked once; the outbox waits, not the send
    with fresh_sessions() as session:
        row = session.scalars(select(Delivery)).one()
    assert row.status == "pending" and row.attempts == 0
    assert row.due_at == clock.now() + timedelta(seconds=1)
