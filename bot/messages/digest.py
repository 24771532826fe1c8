"""The weekly digest the lessons channel reads: counts only, no customer details."""

from __future__ import annotations

from datetime import date
from typing import Any

from bot.messages.common import category_label
from bot.replies import Field, Reply
from policies.schema import Policy


def weekly_digest(summary: dict[str, Any], policy: Policy) -> Reply:
    """Return last week's count of cases by category and severity for the lessons channel."""
    rows = summary.get("counts", [])
    total = sum(int(n) for _, _, n in rows)
    fields = tuple(
        Field(f"{category_label(category, policy)} · {severity}", str(n)) for category, severity, n in rows
    )
    return Reply(
        # Day and month only: a full date reads as a date of birth to the channel's redactor.
        title=f"Service recovery, week of {_day_month(summary['since'][:10])}",
        text=f"{total} case(s) opened in the past week." if total else "No cases opened in the past week.",
        fields=fields,
        note="Counts only; no customer details.",
    )


def _day_month(iso_day: str) -> str:
    day = date.fromisoformat(iso_day)
    return f"{day.day} {day:%B}"
