"""The recovery rules: pure functions from case facts and authority to a suggestion.

Every amount here is integer minor units in the policy's currency.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from policies.money import minor_digits
from policies.schema import Option, OptionType, Policy, Severity


@dataclass(frozen=True)
class CaseFacts:
    """What the employee told Mend about the case, and what Mend knows of the customer."""

    category: str
    severity: Severity
    tier: str
    customer_first_name: str
    employee_name: str
    what_happened: str
    order_value: int | None = None
    earlier_incidents: int = 0


@dataclass(frozen=True)
class Headroom:
    """What one person may still give on their own authority."""

    limit: int
    budget: int
    spent: int
    given_on_case: int = 0

    @property
    def budget_left(self) -> int:
        """Return what is left of the period's budget."""
        return max(self.budget - self.spent, 0)

    @property
    def limit_left(self) -> int:
        """Return what is left of the per-incident limit on this case."""
        return max(self.limit - self.given_on_case, 0)

    @property
    def available(self) -> int:
        """Return the largest single offer they may give now."""
        return min(self.limit_left, self.budget_left)


class Verdict(StrEnum):
    """Whether an amount is within someone's own authority, and if not, why."""

    WITHIN = "within"
    OVER_LIMIT = "over_limit"
    OVER_BUDGET = "over_budget"


@dataclass(frozen=True)
class SuggestedOption:
    """One ranked compensation option."""

    rank: int
    type: OptionType
    label: str | None  # the policy's name for it, in the reader's language; else Mend names its type
    amount: int
    verdict: Verdict
    percent: Decimal | None = None  # of the order, for a discount named by its share
    policy_label: str | None = None  # the policy's name for it in its own language (what is stored)

    @property
    def within_authority(self) -> bool:
        """Return whether the employee may give this on their own."""
        return self.verdict is Verdict.WITHIN


@dataclass(frozen=True)
class Suggestion:
    """The apology to use and the compensation options, best first."""

    apology: str
    fix: str
    severity: Severity
    options: tuple[SuggestedOption, ...]
    headroom: Headroom
    basis: Basis


@dataclass(frozen=True)
class Basis:
    """Why the options are what they are: the severity, the customer's history and tier."""

    category: str  # the category's label, in the reader's language
    severity: Severity  # what the options are for
    reported: Severity  # what the employee reported; lower when a history raised it
    earlier_incidents: int
    tier: str
    tier_factor: Decimal  # what the tier alone scales amounts by
    factor: Decimal  # what the tier and the history together scale them by


def headroom(policy: Policy, *, role: str, spent: int, given_on_case: int = 0) -> Headroom:
    """Return what someone of `role` may still give, having given `spent` this period and
    `given_on_case` on this incident already."""
    r = policy.roles[role]
    return Headroom(
        limit=policy.to_minor(r.limit),
        budget=policy.to_minor(r.budget),
        spent=spent,
        given_on_case=given_on_case,
    )


def judge(amount: int, room: Headroom) -> Verdict:
    """Return whether `amount` is within the headroom, or which bound it passes."""
    if amount > room.limit_left:
        return Verdict.OVER_LIMIT
    if amount > room.budget_left:
        return Verdict.OVER_BUDGET
    return Verdict.WITHIN


def can_approve(policy: Policy, *, role: str, amount: int) -> bool:
    """Return whether someone of `role` may approve an offer of `amount`."""
    return amount <= policy.to_minor(policy.roles[role].approve_up_to)


def effective_severity(policy: Policy, severity: Severity, earlier_incidents: int) -> Severity:
    """Return the severity to suggest for, raised for a customer failed repeatedly."""
    if earlier_incidents >= policy.adjustments.raise_severity_after:
        return severity.raised(1)
    return severity


def multiplier(policy: Policy, *, tier: str, earlier_incidents: int) -> Decimal:
    """Return how much the customer's tier and history scale the suggested amounts."""
    adj = policy.adjustments
    factor = adj.tiers.get(tier, adj.tiers[adj.default_tier])
    if earlier_incidents > 0 and adj.repeat_multipliers:
        factor *= adj.repeat_multipliers[min(earlier_incidents, len(adj.repeat_multipliers)) - 1]
    return factor


def suggest(
    policy: Policy, facts: CaseFacts, *, role: str, spent: int, given_on_case: int = 0, language: str = "en"
) -> Suggestion:
    """Return the apology and the ranked options for a case, judged against the employee's authority.

    The apology, the fix and the options' names are the policy's in `language` where it gives them.
    """
    category = policy.categories[facts.category]
    words = category.text(language)
    severity = effective_severity(policy, facts.severity, facts.earlier_incidents)
    factor = multiplier(policy, tier=facts.tier, earlier_incidents=facts.earlier_incidents)
    room = headroom(policy, role=role, spent=spent, given_on_case=given_on_case)
    options = []
    for rank, option in enumerate(category.compensation[severity], start=1):
        amount = option_amount(policy, option, order_value=facts.order_value, factor=factor)
        verdict = judge(amount, room)
        options.append(
            SuggestedOption(
                rank=rank,
                type=option.type,
                label=option.labels.get(language) or option.label,
                amount=amount,
                verdict=verdict,
                percent=option.percent,
                policy_label=option.label,
            )
        )
    label = words.label or category.label
    values = {
        "first_name": facts.customer_first_name,
        "employee": facts.employee_name,
        # Inside a sentence a label is lower case, but German writes its nouns capitalised.
        "category": label if language == "de" else label.lower(),
        "what_happened": facts.what_happened,
    }
    adj = policy.adjustments
    return Suggestion(
        apology=(words.apology or category.apology).format_map(values),
        fix=(words.fix or category.fix).format_map(values),
        severity=severity,
        options=tuple(options),
        headroom=room,
        basis=Basis(
            category=label,
            severity=severity,
            reported=facts.severity,
            earlier_incidents=facts.earlier_incidents,
            tier=facts.tier,
            tier_factor=adj.tiers.get(facts.tier, adj.tiers[adj.default_tier]),
            factor=factor,
        ),
    )


def option_amount(policy: Policy, option: Option, *, order_value: int | None, factor: Decimal) -> int:
    """Return what an option is worth for this case, in minor units."""
    if option.type is OptionType.APOLOGY_ONLY:
        return 0
    if option.percent is not None:
        cap = policy.to_minor(option.cap or Decimal(0)) * factor
        if order_value is None:
            value = cap
        else:
            value = min(Decimal(order_value) * option.percent / 100 * factor, cap, Decimal(order_value))
    else:
        value = policy.to_minor(option.amount or Decimal(0)) * factor
    if factor != 1:
        # Scaled amounts are rounded to whole units: "$19" reads as meant, "$18.75" as computed.
        unit = Decimal(10) ** minor_digits(policy.currency)
        return int((value / unit).quantize(Decimal(1), rounding=ROUND_HALF_UP) * unit)
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))
