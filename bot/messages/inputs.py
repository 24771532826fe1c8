"""What is wrong with a value someone typed into a form, named by the field's label."""

from __future__ import annotations

from bot import fields
from bot.messages.common import label
from policies.schema import Policy


def required(field: str) -> str:
    """Say a required field was left empty."""
    return f"{label(field)} is required: please fill it in."


def too_long(field: str, limit: int, actual: int | None = None) -> str:
    """Say a text is too long."""
    got = f" (it has {actual:,})" if actual else ""
    return f"{label(field)} is too long{got}: keep it under {limit:,} characters."


def unreadable(field: str) -> str:
    """Say a text holds characters that cannot be saved (a NUL, or half of an emoji)."""
    return (
        f"{label(field)} holds characters that cannot be saved (a broken emoji or a control "
        "character, usually from pasting): retype it, or paste it again as plain text."
    )


def unknown_category(category: str, policy: Policy) -> str:
    """Say the category is not one the policy knows."""
    known = ", ".join(policy.categories)
    return f"{fields.CATEGORY.label}: {category or 'nothing'} is not a category. Choose one of: {known}."


def unknown_severity(severity: str | None) -> str:
    """Say the severity is not minor, major or critical."""
    return (
        f"{fields.SEVERITY.label}: {severity or 'nothing'!s} is not a severity. "
        "Choose minor, major or critical."
    )


def unknown_tier(tier: str, policy: Policy) -> str:
    """Say the tier is not in the policy."""
    tiers = ", ".join(policy.adjustments.tiers)
    return f"{fields.TIER.label}: {tier} is not a tier. Choose one of: {tiers}."


def bad_email(email: str) -> str:
    """Say an email address is not one."""
    return f"{fields.CUSTOMER_EMAIL.label}: {email[:80]} is not an email address (like jane@example.com)."


def bad_phone(phone: str) -> str:
    """Say a phone number is not one."""
    return f"{fields.CUSTOMER_PHONE.label}: {phone[:40]} is not a phone number; use digits, at least 7."


def bad_amount(field: str, detail: str) -> str:
    """Say an amount cannot be used, and why."""
    return f"{label(field)}: {detail}."


def unknown_root_cause(typed: str, causes: list[str]) -> str:
    """Say the kind of root cause is not one of the category's, and list them."""
    return f"{typed[:40]!r} is not a kind of root cause here; choose one of: {', '.join(causes)}."
