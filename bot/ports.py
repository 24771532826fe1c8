"""The small interfaces the core needs from the outside world."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from bot.replies import Reply


class Clock(Protocol):
    """Tells the time; tests inject one they can move."""

    def now(self) -> datetime:
        """Return the current time, aware and in UTC."""
        ...


class SystemClock:
    """The real clock."""

    def now(self) -> datetime:
        """Return the current time, aware and in UTC."""
        return datetime.now(UTC)


@dataclass(frozen=True)
class Recipient:
    """Whom a delivery is for: a person (with their accounts) or a named channel."""

    staff_id: int | None
    name: str
    # platform -> {"user_id": ..., "address": {...} | None}
    accounts: dict[str, dict[str, Any]] = field(default_factory=dict)
    channel: str | None = None
    timezone: str = "UTC"


class SendError(Exception):
    """A send that failed; `retry_after` (seconds) is set when the platform asked to wait."""

    def __init__(self, message: str, *, retry_after: float | None = None, permanent: bool = False):
        super().__init__(message)
        self.retry_after = retry_after
        self.permanent = permanent


class Notifier(Protocol):
    """Sends replies nobody is waiting on a request for (approvals, follow-ups, lessons)."""

    def send(self, recipient: Recipient, reply: Reply) -> dict[str, Any] | None:
        """Send `reply` and return where it now lives (for later updates), or raise SendError."""
        ...

    def update(self, sent_ref: dict[str, Any], reply: Reply) -> None:
        """Replace the message at `sent_ref` with `reply`, or raise SendError."""
        ...
