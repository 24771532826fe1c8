"""How Mend names compensation and says why a suggestion is what it is (`policies.rules` decides it)."""

from __future__ import annotations

from decimal import Decimal

from bot import i18n
from bot.i18n import N_, _, ngettext
from policies.rules import Basis, SuggestedOption
from policies.schema import OptionType, Severity

_TYPES = {
    OptionType.APOLOGY_ONLY: N_("Sincere apology and the fix, no compensation"),
    OptionType.DISCOUNT: N_("Discount"),
    OptionType.REFUND: N_("Refund"),
    OptionType.VOUCHER: N_("Voucher"),
    OptionType.FREE_ITEM: N_("Free item"),
    OptionType.UPGRADE: N_("Upgrade"),
    OptionType.EXPEDITED_REPLACEMENT: N_("Expedited replacement"),
}

_SEVERITIES = {
    # Translators: a severity of a service lapse, as in "a minor case of late delivery".
    Severity.MINOR: N_("minor"),
    # Translators: a severity of a service lapse, as in "a major case of late delivery".
    Severity.MAJOR: N_("major"),
    # Translators: a severity of a service lapse, as in "a critical case of late delivery".
    Severity.CRITICAL: N_("critical"),
}


_TIER = {"standard": N_("standard"), "silver": N_("silver"), "gold": N_("gold"), "platinum": N_("platinum")}


def tier_word(tier: str) -> str:
    """Return how a customer tier reads (the default policy's in the reader's language, others as named)."""
    return _(_TIER[tier]) if tier in _TIER else tier


def type_label(kind: OptionType) -> str:
    """Return the plain name of a kind of compensation."""
    return _(_TYPES[kind])


def severity_word(severity: Severity | str) -> str:
    """Return how a severity reads: minor, major, critical."""
    try:
        return _(_SEVERITIES[Severity(severity)])
    except ValueError:  # one the policy no longer has
        return str(severity)


def option_name(option: SuggestedOption) -> str:
    """Return how a suggested option is named: the policy's label, else its share or its kind."""
    if option.label:
        return option.label
    if option.type is OptionType.DISCOUNT and option.percent is not None:
        return _("{percent} discount", percent=i18n.percent(option.percent / 100))
    return type_label(option.type)


def basis(b: Basis) -> str:
    """Say what the options were suggested for, and why their amounts are higher, in one line."""
    parts = [
        _(
            "suggested for a {severity} case of {category}",
            severity=severity_word(b.severity),
            category=i18n.in_sentence(b.category),
        )
    ]
    if b.severity is not b.reported:
        parts.append(
            ngettext(
                "raised from {reported} after {n} earlier incident",
                "raised from {reported} after {n} earlier incidents",
                b.earlier_incidents,
                reported=severity_word(b.reported),
            )
        )
    if b.earlier_incidents:
        parts.append(
            ngettext(
                "the customer had {n} earlier incident",
                "the customer had {n} earlier incidents",
                b.earlier_incidents,
            )
        )
    if b.factor != 1:
        parts.append(_scaled_because(b))
    return _("; ").join(parts)


def _scaled_because(b: Basis) -> str:
    """Say in words why the amounts are higher: the customer's tier, their history, or both."""
    tier = _("a {tier} customer ({raise_})", tier=tier_word(b.tier), raise_=_raise(b.tier_factor))
    history = ngettext(
        "{n} earlier incident ({raise_})",
        "{n} earlier incidents ({raise_})",
        b.earlier_incidents,
        raise_=_raise(b.factor / b.tier_factor),
    )
    if b.tier_factor != 1 and b.factor != b.tier_factor:
        return _(
            "amounts {raise_} for {tier} and {history}", raise_=_raise(b.factor), tier=tier, history=history
        )
    return _(
        "amounts {raise_} for {why}", raise_=_raise(b.factor), why=tier if b.tier_factor != 1 else history
    )


def _raise(factor: Decimal) -> str:
    return "+" + i18n.percent(factor - 1)
