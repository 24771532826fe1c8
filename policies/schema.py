"""The policy table's schema: what a company decides about service recovery.

Amounts in the YAML file are written in major units ("25" or "12.50" in the
policy's currency) and read as Decimal; the rules turn them into integer minor
units. Nothing here does I/O.
"""

from __future__ import annotations

import re
from datetime import time
from decimal import Decimal
from enum import StrEnum
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from policies.learning import Learning
from policies.money import minor_digits

Amount = Annotated[Decimal, Field(ge=0, max_digits=14, decimal_places=3)]
Multiplier = Annotated[Decimal, Field(ge=1, le=10)]
Name = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=40)]


class Severity(StrEnum):
    """How badly the customer was let down."""

    MINOR = "minor"
    MAJOR = "major"
    CRITICAL = "critical"

    def raised(self, steps: int) -> Severity:
        """Return the severity `steps` levels higher, capped at critical."""
        order = list(Severity)
        return order[min(order.index(self) + steps, len(order) - 1)]


class OptionType(StrEnum):
    """The kinds of compensation Mend can suggest."""

    APOLOGY_ONLY = "apology_only"
    DISCOUNT = "discount"
    REFUND = "refund"
    VOUCHER = "voucher"
    FREE_ITEM = "free_item"
    UPGRADE = "upgrade"
    EXPEDITED_REPLACEMENT = "expedited_replacement"


# The languages Mend's catalogs speak (bot/i18n.py).
Language = Annotated[str, Field(pattern=r"^(en|es|de|fr)$")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Role(_Strict):
    """An empowerment level: what someone may give and approve."""

    label: str
    limit: Amount = Field(description="most one person may give per incident on their own")
    budget: Amount = Field(description="most one person may give on their own per period")
    approve_up_to: Amount = Field(default=Decimal(0), description="largest offer they may approve")


class Option(_Strict):
    """One suggested compensation; its value is fixed, a share of the order, or both."""

    type: OptionType
    label: str | None = None
    labels: dict[Language, str] = Field(default_factory=dict, description="the label in other languages")
    amount: Amount | None = Field(default=None, description="fixed value")
    percent: Annotated[Decimal, Field(gt=0, le=100)] | None = Field(
        default=None, description="share of the order value"
    )
    cap: Amount | None = Field(
        default=None,
        description="most the percent may come to; used when the order value is unknown",
    )

    @model_validator(mode="after")
    def _value_is_defined(self) -> Option:
        if self.type is OptionType.APOLOGY_ONLY:
            if self.amount or self.percent or self.cap:
                raise ValueError("apology_only takes no amount, percent or cap")
            return self
        if self.amount is None and self.percent is None:
            raise ValueError(f"{self.type.value} needs an amount or a percent of the order")
        if self.percent is not None and self.cap is None:
            raise ValueError(
                "a percent option needs a cap, so authority can be checked without an order value"
            )
        return self


class CategoryText(_Strict):
    """A category's words in one more language; what is left out is said as in the default language."""

    label: str | None = None
    apology: str | None = Field(default=None, min_length=20)
    fix: str | None = Field(default=None, min_length=10)

    @field_validator("apology", "fix")
    @classmethod
    def _known_placeholders(cls, value: str | None) -> str | None:
        return value if value is None else _placeholders_known(value)


class Category(_Strict):
    """A kind of service lapse, with what to say and what to offer."""

    label: str
    keywords: list[str] = Field(default_factory=list)
    apology: str = Field(min_length=20)
    fix: str = Field(min_length=10, description="what we promise to do about it")
    compensation: dict[Severity, Annotated[list[Option], Field(min_length=1)]]
    translations: dict[Language, CategoryText] = Field(
        default_factory=dict, description="the label, apology and fix in other languages"
    )

    def text(self, language: str) -> CategoryText:
        """Return the label, apology and fix to say in `language` (the default language's where unset)."""
        own = self.translations.get(language)
        if own is None:
            return CategoryText.model_construct(label=self.label, apology=self.apology, fix=self.fix)
        # Both were validated when the policy was read: no need to again on every message.
        return CategoryText.model_construct(
            label=own.label or self.label, apology=own.apology or self.apology, fix=own.fix or self.fix
        )

    @field_validator("compensation")
    @classmethod
    def _every_severity(cls, value: dict[Severity, list[Option]]) -> dict[Severity, list[Option]]:
        missing = [s.value for s in Severity if s not in value]
        if missing:
            raise ValueError(f"missing severities: {', '.join(missing)}")
        return value

    @field_validator("apology", "fix")
    @classmethod
    def _known_placeholders(cls, value: str) -> str:
        return _placeholders_known(value)


PLACEHOLDERS = {"first_name", "what_happened", "employee", "category"}


def _placeholders_known(value: str) -> str:
    unknown = set(re.findall(r"{(\w*)}", value)) - PLACEHOLDERS
    if unknown:
        raise ValueError(
            f"unknown placeholder {{{sorted(unknown)[0]}}}; use {', '.join(sorted(PLACEHOLDERS))}"
        )
    return value


class Adjustments(_Strict):
    """How the customer's standing and history change the suggestion."""

    tiers: dict[Name, Multiplier] = Field(min_length=1)
    default_tier: Name
    repeat_multipliers: list[Multiplier] = Field(
        default_factory=list,
        description="multiplier after 1, 2, 3 ... earlier incidents; the last applies beyond",
    )
    raise_severity_after: int = Field(
        default=2, ge=1, description="earlier incidents after which severity goes one level up"
    )

    @model_validator(mode="after")
    def _default_tier_exists(self) -> Adjustments:
        if self.default_tier not in self.tiers:
            raise ValueError(f"default_tier {self.default_tier!r} is not one of the tiers")
        return self


class FollowUp(_Strict):
    """When to ask whether the customer confirmed the fix."""

    after_hours: dict[Severity, Annotated[int, Field(ge=1, le=24 * 30)]]
    unreachable_retry_hours: int = Field(default=24, ge=1)
    max_attempts: int = Field(default=3, ge=1, le=10)


class Approvals(_Strict):
    """Who decides over-limit offers and how long they may take."""

    timeout_minutes: int = Field(ge=5, le=7 * 24 * 60)
    customer_waiting_timeout_minutes: int = Field(default=10, ge=1, le=120)
    group: list[str] = Field(
        default_factory=list, description="emails of approvers for people without a manager"
    )
    channel: str | None = Field(default=None, description="post requests here instead of a DM")
    teams_channel: str | None = Field(
        default=None, description="the Teams channel (19:...@thread.tacv2) to post requests in instead"
    )

    @property
    def in_channel(self) -> bool:
        """Say whether requests go to a channel (on any platform) rather than to a person."""
        return bool(self.channel or self.teams_channel)


class Broadcast(_Strict):
    """Where lessons go and what is removed from them first."""

    channel: str
    teams_channel: str | None = None
    anonymise: list[str] = Field(
        default_factory=lambda: [
            "customer_name",
            "customer_email",
            "customer_phone",
            "customer_ref",
        ]
    )
    private_patterns: list[str] = Field(
        default_factory=list, description="regular expressions for references to remove"
    )
    region: Annotated[str, Field(pattern=r"^[A-Z]{2}$")] = Field(
        default="US", description="the country whose national phone numbers lessons are read for first"
    )
    locale: Language | None = Field(
        default=None,
        description="the language lessons and the digest are written in; the policy's when not set",
    )
    timezone: str | None = Field(
        default=None,
        description="the channel's time zone: its weeks start on Monday 00:00 there, and the digest"
        " comes at 08:00; the default location's when not set",
    )

    @field_validator("timezone")
    @classmethod
    def _timezone_exists(cls, value: str | None) -> str | None:
        return value if value is None else _zone_exists(value)

    @field_validator("private_patterns")
    @classmethod
    def _patterns_compile(cls, value: list[str]) -> list[str]:
        for pattern in value:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"{pattern!r} is not a valid regular expression: {exc}") from exc
        return value


class Location(_Strict):
    """A place people work, for follow-ups inside working hours."""

    timezone: str
    working_hours: tuple[time, time] = (time(9), time(17, 30))
    working_days: list[Annotated[int, Field(ge=1, le=7)]] = Field(default=[1, 2, 3, 4, 5])

    @field_validator("timezone")
    @classmethod
    def _zone_exists(cls, value: str) -> str:
        return _zone_exists(value)


def _zone_exists(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {value!r}; use an IANA name such as Europe/London") from exc
    return value


class Reports(_Strict):
    """Who sees which figures."""

    all_teams: list[Name] = Field(
        default_factory=list,
        description="roles that see every team's figures; the most senior role when empty."
        " Everyone else sees their own cases and those of the people who report to them",
    )


class Deliveries(_Strict):
    """How hard Mend tries to deliver a message."""

    max_attempts: int = Field(default=8, ge=1, le=50)
    open_case_reminder_hours: int = Field(default=72, ge=1)


class Policy(_Strict):
    """The whole policy table."""

    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")]
    locale: Language = Field(
        default="en",
        description="the language of people whose own is not known, and of the approvals channel",
    )
    period: Annotated[str, Field(pattern=r"^month$")] = "month"
    default_role: Name
    roles: dict[Name, Role] = Field(
        min_length=1, description="from the front line up: each role answers to the ones after it"
    )
    categories: dict[Name, Category] = Field(min_length=1)
    adjustments: Adjustments
    follow_up: FollowUp
    approvals: Approvals
    broadcast: Broadcast
    locations: dict[Name, Location] = Field(min_length=1)
    default_location: Name
    deliveries: Deliveries = Deliveries()
    reports: Reports = Reports()
    learning: Learning = Learning()

    @model_validator(mode="after")
    def _references_resolve(self) -> Policy:
        if self.default_role not in self.roles:
            raise ValueError(f"default_role {self.default_role!r} is not one of the roles")
        unknown = [role for role in self.reports.all_teams if role not in self.roles]
        if unknown:
            raise ValueError(f"reports.all_teams names {unknown[0]!r}, which is not one of the roles")
        named = [*self.learning.root_causes, *self.learning.owners]
        strange = [category for category in named if category not in self.categories]
        if strange:
            raise ValueError(
                f"learning names the category {strange[0]!r}, which is not one of the categories"
            )
        if self.default_location not in self.locations:
            raise ValueError(f"default_location {self.default_location!r} is not one of the locations")
        return self

    def hierarchy_problems(self) -> list[tuple[tuple[str, ...], str]]:
        """Return where the roles, listed from the front line up, cannot approve what they must.

        Each role may give at least what the role below it may, and approve at least what
        any role below it may give: otherwise an offer over a lower role's limit finds no
        one above to approve it.
        """
        problems: list[tuple[tuple[str, ...], str]] = []
        below: list[tuple[str, Role]] = []
        for name, role in self.roles.items():
            if below and role.limit < below[-1][1].limit:
                lower, other = below[-1]
                problems.append(
                    (
                        ("roles", name, "limit"),
                        f"{name}'s limit of {role.limit} is below the limit of {lower} ({other.limit}),"
                        " the role before it; roles are listed from the front line up, and each may"
                        " give at least what the roles below it may",
                    )
                )
            if below:
                lower, other = max(below, key=lambda pair: pair[1].limit)
                if role.approve_up_to < other.limit:
                    problems.append(
                        (
                            ("roles", name, "approve_up_to"),
                            f"{name} may approve up to {role.approve_up_to}, below the limit of {lower}"
                            f" ({other.limit}), a role that reports to it: {name} could not approve what"
                            f" {lower} needs approved; raise approve_up_to to at least {other.limit}",
                        )
                    )
            below.append((name, role))
        return problems

    @property
    def channel_locale(self) -> str:
        """Return the language the lessons channel reads (see Broadcast.locale)."""
        return self.broadcast.locale or self.locale

    @property
    def digest_timezone(self) -> str:
        """Return the lessons channel's time zone (see Broadcast.timezone)."""
        return self.broadcast.timezone or self.locations[self.default_location].timezone

    def sees_all_teams(self, role: str) -> bool:
        """Say whether people of this role see every team's figures."""
        return role in (self.reports.all_teams or [list(self.roles)[-1]])

    def to_minor(self, amount: Decimal) -> int:
        """Return an amount in major units as integer minor units (rounded half up)."""
        scaled = amount.scaleb(minor_digits(self.currency))
        return int(scaled.quantize(Decimal(1), rounding="ROUND_HALF_UP"))
