"""What people ask Mend to do: plain, typed, platform-neutral commands.

User-entered values stay as the text they typed; the use cases validate them,
so every platform gets the same errors naming the same fields.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Actor:
    """Who is acting, as their platform knows them."""

    platform: str
    user_id: str
    name: str | None = None
    email: str | None = None
    locale: str | None = None  # the language the platform reports for them (es-ES, de), if any


@dataclass(frozen=True)
class OpenCase:
    """Open a recovery case for a customer."""

    actor: Actor
    customer_name: str
    category: str
    severity: str
    description: str
    customer_ref: str | None = None
    customer_email: str | None = None
    customer_phone: str | None = None
    order_value: str | None = None
    tier: str | None = None
    request_key: str | None = None
    asked_for: str | None = None  # what the customer asked for, in their words, if they said


@dataclass(frozen=True)
class GiveOption:
    """Give the suggested option of this rank, or ask approval for it."""

    actor: Actor
    case_id: int
    rank: int
    customer_waiting: bool = False
    request_key: str | None = None


@dataclass(frozen=True)
class GiveAmount:
    """Give a compensation of the employee's choosing, or ask approval for it."""

    actor: Actor
    case_id: int
    amount: str
    type: str
    label: str | None = None
    customer_waiting: bool = False
    request_key: str | None = None


@dataclass(frozen=True)
class DecideApproval:
    """Approve or deny an over-limit offer."""

    actor: Actor
    request_id: int
    approve: bool
    reason: str | None = None


@dataclass(frozen=True)
class ResolveCase:
    """Record what was done, why it happened and what the team should learn."""

    actor: Actor
    case_id: int
    outcome: str
    root_cause: str
    lesson: str
    root_cause_key: str | None = None  # one of the category's causes in the policy, or "other"


@dataclass(frozen=True)
class PostLesson:
    """Resolve a case by posting its lesson as its resolver approved it (each part by name)."""

    actor: Actor
    case_id: int
    texts: Mapping[str, str]


@dataclass(frozen=True)
class ReopenCase:
    """Open a resolved case again."""

    actor: Actor
    case_id: int
    reason: str


@dataclass(frozen=True)
class CancelCase:
    """Close a case opened by mistake."""

    actor: Actor
    case_id: int
    reason: str
