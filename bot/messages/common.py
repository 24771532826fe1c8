"""How every message names things: fields, money, times, categories, cases and authority."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot import fields
from db.models import CASE_REF_OFFSET
from policies.money import format_money
from policies.rules import Headroom
from policies.schema import Policy

_OFFER_STATUS = {
    "granted": "given",
    "pending_approval": "waiting for approval",
    "approved": "approved",
    "denied": "denied",
    "withdrawn": "withdrawn",
}


def label(field: str) -> str:
    """Return how a form field is named to people."""
    spec = fields.BY_NAME.get(field)
    return spec.label if spec else field.replace("_", " ").capitalize()


def count(n: int, noun: str, plural: str | None = None) -> str:
    """Return a number with its noun, singular or plural: 1 case, 2 cases, 0 approvals."""
    return f"{n} {noun if n == 1 else plural or noun + 's'}"


def money(amount: int, policy: Policy) -> str:
    """Return an amount in the policy's currency as people read it."""
    return format_money(amount, policy.currency)


def when(moment: datetime | None, zone: str | None = None) -> str:
    """Return a time as people read it: in their time zone when it is known, else in UTC."""
    if moment is None:
        return ""
    if zone is None:
        return moment.strftime("%Y-%m-%d %H:%M UTC")
    return moment.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M %Z")


def category_label(category: str, policy: Policy) -> str:
    """Return how a category is named, even one the policy no longer has."""
    known = policy.categories.get(category)
    return known.label if known else category.replace("_", " ")


def ref(case_id: int) -> str:
    """Return the reference of a case id."""
    return f"R-{case_id + CASE_REF_OFFSET}"


def offer_status(status: str) -> str:
    """Return how an offer's status reads: given, waiting for approval, approved ..."""
    return _OFFER_STATUS[status]


def authority_line(room: Headroom, policy: Policy) -> str:
    """Return what a person may still give, in one line."""
    return (
        f"{money(room.available, policy)} now (limit {money(room.limit, policy)} per incident, "
        f"{money(room.budget_left, policy)} of {money(room.budget, policy)} left this month)"
    )


def details(values: dict[str, Any]) -> str:
    """Return a mapping as `key: value` lines (for terminal summaries)."""
    return "\n".join(f"{label(k)}: {v}" for k, v in values.items() if v)
