"""How Mend names compensation and says why a suggestion is what it is (`policies.rules` decides it)."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from bot import i18n
from bot.i18n import N_, _, ngettext
from db.models import Offer
from policies.rules import Basis, SuggestedOption
from policies.schema import Option, OptionType, Policy, Severity

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


def option_name(option: SuggestedOption | Option) -> str:
    """Return how an option is named: its policy label in the reader's language, else its share or kind."""
    label = option.label if isinstance(option, SuggestedOption) else option.labels.get(i18n.language())
    if label or option.label:
        return label or option.label or ""
    if option.type is OptionType.DISCOUNT and option.percent is not None:
        return _("{percent} discount", percent=i18n.percent(option.percent / 100))
    return type_label(option.type)


def stored_name(option: SuggestedOption | Option | OptionType, policy: Policy) -> str:
    """Return the name an offer is stored under: in the policy's language, whoever gave it.

    Approvers, the channel and reports read it later, each in their language (`offer_name`).
    """
    with i18n.speaking(policy.locale):
        if isinstance(option, OptionType):
            return type_label(option)
        if isinstance(option, SuggestedOption):
            return option_name(replace(option, label=option.policy_label))
        return option_name(option)


def offer_name(offer: Offer, policy: Policy) -> str:
    """Return how a given offer is named to the reader: a policy option's or kind's name in their
    language; a name a person typed, as typed."""
    known = _stored_names(policy).get(offer.label)
    if known is None:
        return offer.label
    return type_label(known) if isinstance(known, OptionType) else option_name(known)


_STORED: dict[int, tuple[Policy, dict[str, Option | OptionType]]] = {}


def _stored_names(policy: Policy) -> dict[str, Option | OptionType]:
    """Return what each name an offer may be stored under stands for, for this policy (made once)."""
    kept = _STORED.get(id(policy))
    if kept is not None and kept[0] is policy:
        return kept[1]
    names: dict[str, Option | OptionType] = {stored_name(kind, policy): kind for kind in OptionType}
    for category in policy.categories.values():
        for options in category.compensation.values():
            names.update((stored_name(option, policy), option) for option in options)
    _STORED.clear()
    _STORED[id(policy)] = (policy, names)
    return names


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
