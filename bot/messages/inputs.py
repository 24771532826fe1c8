"""What is wrong with a value someone typed into a form, named by the field's label."""

from __future__ import annotations

from bot import fields, i18n
from bot.i18n import _, ngettext
from bot.messages.common import label
from policies.money import AmountError, AmountProblem
from policies.schema import Policy


def required(field: str) -> str:
    """Say a required field was left empty."""
    return _("{field} is required: please fill it in.", field=label(field))


def too_long(field: str, limit: int, actual: int | None = None) -> str:
    """Say a text is too long."""
    if actual:
        return ngettext(
            "{field} is too long (it has {actual}): keep it under {n} character.",
            "{field} is too long (it has {actual}): keep it under {n} characters.",
            limit,
            field=label(field),
            actual=i18n.number(actual),
        )
    return ngettext(
        "{field} is too long: keep it under {n} character.",
        "{field} is too long: keep it under {n} characters.",
        limit,
        field=label(field),
    )


def unreadable(field: str) -> str:
    """Say a text holds characters that cannot be saved (a NUL, or half of an emoji)."""
    return _(
        "{field} holds characters that cannot be saved (a broken emoji or a control "
        "character, usually from pasting): retype it, or paste it again as plain text.",
        field=label(field),
    )


def unknown_category(category: str, policy: Policy) -> str:
    """Say the category is not one the policy knows."""
    known = ", ".join(policy.categories)
    field = label(fields.CATEGORY.name)
    if not category:
        # Translators: {known} lists the category names Mend reads: keep them as they are.
        return _("{field}: nothing is not a category. Choose one of: {known}.", field=field, known=known)
    # Translators: {known} lists the category names Mend reads: keep them as they are.
    return _(
        "{field}: {category} is not a category. Choose one of: {known}.",
        field=field,
        category=category,
        known=known,
    )


def unknown_severity(severity: str | None) -> str:
    """Say the severity is not minor, major or critical."""
    field = label(fields.SEVERITY.name)
    if not severity:
        # Translators: minor, major and critical are the values Mend reads: keep them as they are.
        return _("{field}: nothing is not a severity. Choose minor, major or critical.", field=field)
    # Translators: minor, major and critical are the values Mend reads: keep them as they are.
    return _(
        "{field}: {severity} is not a severity. Choose minor, major or critical.",
        field=field,
        severity=severity,
    )


def unknown_tier(tier: str, policy: Policy) -> str:
    """Say the tier is not in the policy."""
    tiers = ", ".join(policy.adjustments.tiers)
    # Translators: {tiers} lists the tier names Mend reads: keep them as they are.
    return _(
        "{field}: {tier} is not a tier. Choose one of: {tiers}.",
        field=label(fields.TIER.name),
        tier=tier,
        tiers=tiers,
    )


def bad_email(email: str) -> str:
    """Say an email address is not one."""
    return _(
        "{field}: {email} is not an email address (like jane@example.com).",
        field=label(fields.CUSTOMER_EMAIL.name),
        email=email[:80],
    )


def bad_phone(phone: str) -> str:
    """Say a phone number is not one."""
    return _(
        "{field}: {phone} is not a phone number; use digits, at least 7.",
        field=label(fields.CUSTOMER_PHONE.name),
        phone=phone[:40],
    )


def bad_amount(field: str, error: AmountError) -> str:
    """Say an amount cannot be used, and why (`error` from `policies.money.parse_amount`)."""
    name = label(field)
    if error.problem is AmountProblem.NOT_A_NUMBER:
        # Translators: {typed} is what was typed, in quotes. Mend reads "." as the decimal point
        # and "," as a thousands separator, so keep the example 12.50 as it is.
        return _(
            "{field}: {typed} is not a number; write it like 25 or 12.50.",
            field=name,
            typed=repr(error.typed),
        )
    if error.problem is AmountProblem.NOT_POSITIVE:
        return _("{field}: the amount must be more than zero.", field=name)
    if error.problem is AmountProblem.TOO_LARGE:
        return _(
            "{field}: {typed} is more than Mend accepts ({limit}).",
            field=name,
            typed=error.typed,
            limit=i18n.money(error.limit, error.currency),
        )
    return ngettext(
        "{field}: {currency} amounts have at most {n} decimal place.",
        "{field}: {currency} amounts have at most {n} decimal places.",
        error.digits,
        field=name,
        currency=error.currency,
    )


def unknown_root_cause(typed: str, causes: list[str]) -> str:
    """Say the kind of root cause is not one of the category's, and list them."""
    return _(
        "{typed} is not a kind of root cause here; choose one of: {causes}.",
        typed=repr(typed[:40]),
        causes=", ".join(causes),
    )
