"""How every message names things: fields, money, times, categories, cases and authority."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from bot import fields, i18n
from bot.i18n import N_, _
from db.models import CASE_REF_OFFSET
from policies.learning import OTHER
from policies.money import minor_digits
from policies.rules import Headroom
from policies.schema import Policy

_OFFER_STATUS = {
    "granted": N_("given"),
    "pending_approval": N_("waiting for approval"),
    "approved": N_("approved"),
    "denied": N_("denied"),
    "withdrawn": N_("withdrawn"),
}


def label(field: str) -> str:
    """Return how a form field is named to people."""
    spec = fields.BY_NAME.get(field)
    return _(spec.label) if spec else field.replace("_", " ").capitalize()


def money(amount: int, policy: Policy) -> str:
    """Return an amount (minor units) in the policy's currency as the reader writes it."""
    return i18n.money(Decimal(amount).scaleb(-minor_digits(policy.currency)), policy.currency)


def when(moment: datetime | None, zone: str | None = None) -> str:
    """Return a time as the reader writes it: in their time zone when it is known, else in UTC."""
    return "" if moment is None else i18n.when(moment, zone)


def category_label(category: str, policy: Policy) -> str:
    """Return how a category is named, even one the policy no longer has."""
    known = policy.categories.get(category)
    return (known.text(i18n.language()).label or known.label) if known else category.replace("_", " ")


def root_causes(category: str, policy: Policy) -> dict[str, str]:
    """Return the kinds of root cause a resolver may choose, "other" last, named for the reader."""
    # Translators: the last choice of a kind of root cause; the resolver then says what it was in words.
    return {**policy.learning.causes_of(category), OTHER: _("Other (say what)")}


def ref(case_id: int) -> str:
    """Return the reference of a case id."""
    return f"R-{case_id + CASE_REF_OFFSET}"


def offer_status(status: str) -> str:
    """Return how an offer's status reads: given, waiting for approval, approved ..."""
    return _(_OFFER_STATUS[status])


def authority_line(room: Headroom, policy: Policy) -> str:
    """Return what a person may still give, in one line."""
    return _(
        "{available} now (limit {limit} per incident, {left} of {budget} left this month)",
        available=money(room.available, policy),
        limit=money(room.limit, policy),
        left=money(room.budget_left, policy),
        budget=money(room.budget, policy),
    )


def details(values: dict[str, Any]) -> str:
    """Return a mapping as `key: value` lines (for terminal summaries)."""
    return "\n".join(f"{label(k)}: {v}" for k, v in values.items() if v)
