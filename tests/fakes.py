"""Fakes for what crosses the process boundary, shared by every test package."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

# Tuesday 10 November 2026, 14:00 UTC: within working hours in New York (09:00) and London.
TUESDAY_AFTERNOON = datetime(2026, 11, 10, 14, 0, tzinfo=UTC)
# Monday 23 November 2026, 10:00 UTC: the start of the Slack and Teams scenarios.
MONDAY_MORNING = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


class FakeClock:
    """A clock that stands still until the test moves it."""

    def __init__(self, start: datetime | None = None) -> None:
        self.current = start or TUESDAY_AFTERNOON

    def now(self) -> datetime:
        """Return the test's current time."""
        return self.current

    def set(self, moment: datetime) -> None:
        """Put the clock at `moment`."""
        self.current = moment

    def advance(self, **delta: float) -> None:
        """Move the clock on by a timedelta's keyword arguments (minutes=2, hours=1 ...)."""
        self.current += timedelta(**delta)
