"""The recovery rules: pure functions from case facts and authority to a suggestion.

Every amount here is integer minor units in the policy's currency.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from policies.money import format_money, minor_digits
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
    label: str
    amount: int
    verdict: Verdict
    why: str

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
    basis: str


_TYPE_LABELS = {
    OptionType.APOLOGY_ONLY: "Sincere apology and the fix, no compensation",
    OptionType.DISCOUNT: "Discount",
    OptionType.REFUND: "Refund",
    OptionType.VOUCHER: "Voucher",
    OptionType.FREE_ITEM: "Free item",
    OptionType.UPGRADE: "Upgrade",
    OptionType.EXPEDITED_REPLACEMENT: "Expedited replacement",
}


def type_label(option_type: OptionType) -> str:
    """Return the plain name of a kind of compensation."""
    return _TYPE_LABELS[option_type]


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


def explain(verdict: Verdict, room: Headroom, currency: str) -> str:
    """Return why an amount is or is not within someone's authority."""
    money = lambda m: format_money(m, currency)  # noqa: E731
    if verdict is Verdict.OVER_LIMIT and room.given_on_case:
        return (
            f"over what is left of your limit of {money(room.limit)} on this incident "
            f"({money(room.limit_left)}); needs approval"
        )
    if verdict is Verdict.OVER_LIMIT:
        return f"over your limit of {money(room.limit)} per incident; needs approval"
    if verdict is Verdict.OVER_BUDGET:
        return f"over what is left of your budget this month ({money(room.budget_left)}); needs approval"
    return f"within your authority ({money(room.available)} available to you now)"


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


def suggest(policy: Policy, facts: CaseFacts, *, role: str, spent: int, given_on_case: int = 0) -> Suggestion:
    """Return the apology and the ranked options for a case, judged against the employee's authority."""
    category = policy.categories[facts.category]
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
                label=option_label(policy, option),
                amount=amount,
                verdict=verdict,
                why=explain(verdict, room, policy.currency),
            )
        )
    values = {
        "first_name": facts.customer_first_name,
        "employee": facts.employee_name,
        "category": category.label.lower(),
        "what_happened": facts.what_happened,
    }
    return Suggestion(
        apology=category.apology.format_map(values),
        fix=category.fix.format_map(values),
        severity=severity,
        options=tuple(options),
        headroom=room,
        basis=_basis(policy, facts, severity, factor),
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


def option_label(policy: Policy, option: Option) -> str:
    """Return how an option is named to people."""
    if option.label:
        return option.label
    if option.type is OptionType.DISCOUNT and option.percent is not None:
        return f"{option.percent.normalize()}% discount"
    return type_label(option.type)


def _basis(policy: Policy, facts: CaseFacts, severity: Severity, factor: Decimal) -> str:
    category = policy.categories[facts.category].label.lower()
    parts = [f"suggested for a {severity.value} case of {category}"]
    if severity is not facts.severity:
        parts.append(f"raised from {facts.severity.value} after {facts.earlier_incidents} earlier incidents")
    if facts.earlier_incidents:
        noun = "incident" if facts.earlier_incidents == 1 else "incidents"
        parts.append(f"the customer had {facts.earlier_incidents} earlier {noun}")
    if factor != 1:
        parts.append(_scaled_because(policy, facts, factor))
    return "; ".join(parts)


def _scaled_because(policy: Policy, facts: CaseFacts, factor: Decimal) -> str:
    """Say in words why the amounts are higher: the customer's tier, their history, or both."""
    adj = policy.adjustments
    tier = adj.tiers.get(facts.tier, adj.tiers[adj.default_tier])
    reasons = []
    if tier != 1:
        reasons.append(f"a {facts.tier} customer ({_raise(tier)})")
    if factor != tier:
        noun = "incident" if facts.earlier_incidents == 1 else "incidents"
        reasons.append(f"{facts.earlier_incidents} earlier {noun} ({_raise(factor / tier)})")
    return f"amounts {_raise(factor)} for " + " and ".join(reasons)


def _raise(factor: Decimal) -> str:
    return f"+{(factor - 1) * 100:.0f}%"
