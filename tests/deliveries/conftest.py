"""A real local HTTP server that records what Mend sends, and helpers to fill the outbox."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from sqlalchemy.orm import Session

from bot import deliveries
from bot.deliveries import Kind


@dataclass
class Exchange:
    """One message the recorder took: its title, the connection it came on, and when it was answered."""

    title: str
    connection: tuple[str, int]  # the sender's address: one keep-alive connection per sending thread
    answered_at: float | None = None  # time.monotonic() once the answer was written; None if it never was


class Recorder(ThreadingHTTPServer):
    """Answers every POST with 200 and remembers it; can be told to fail, rate-limit, hang or be slow."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.lock = threading.Lock()
        self.received: list[dict[str, Any]] = []
        self.exchanges: list[Exchange] = []  # every message answered 200, in order of arrival
        self.hung: list[dict[str, Any]] = []
        self.answers: list[tuple[int, dict[str, str]]] = []  # status and headers for the next requests
        self.hang = threading.Event()
        self.release = threading.Event()
        self.first_hang = threading.Event()
        self.on_request: Callable[[dict[str, Any]], None] | None = None  # runs before each answer

    @property
    def url(self) -> str:
        """Return the URL to post to."""
        return f"http://127.0.0.1:{self.server_address[1]}/hook"

    def titles(self) -> Counter[str]:
        """Return how many times each message title was received."""
        with self.lock:
            return Counter(body["reply"]["title"] for body in self.received)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as a real chat API offers
    disable_nagle_algorithm = True
    server: Recorder

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        server = self.server
        if server.on_request is not None:
            server.on_request(body)
        if server.hang.is_set():
            with server.lock:
                server.hung.append(body)
            server.first_hang.set()
            server.release.wait(30)
            self.close_connection = True
            return
        exchange = Exchange(body["reply"]["title"], self.client_address)
        with server.lock:
            status, headers = server.answers.pop(0) if server.answers else (200, {})
            if status == 200:
                server.received.append(body)
                server.exchanges.append(exchange)
            number = len(server.received)
        data = json.dumps({"id": number}).encode()
        try:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except OSError:  # the sender is gone (killed mid-send): the answer never arrives
            self.close_connection = True
            return
        exchange.answered_at = time.monotonic()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    """A recording HTTP server on a free local port."""
    server = Recorder()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.release.set()
    server.shutdown()
    server.server_close()


def add_lessons(session: Session, count: int, *, now: Any) -> None:
    """Queue `count` lessons for the lessons channel, each with a title of its own."""
    # Numbered as Mend's own case references (R-1000 ...), which the redactor keeps: other
    # letter-digit codes of four digits or more read as order numbers and are removed.
    for n in range(count):
        deliveries.enqueue(
            session,
            Kind.LESSON,
            now=now,
            channel="lessons",
            lesson={
                "ref": f"R-{1000 + n}",
                "category": "late_delivery",
                "severity": "major",
                "what_happened": "Parcel late",
                "outcome": "Sent again",
                "root_cause": "Depot",
                "lesson": "Check scans",
            },
        )
