"""The policy's `learning` section: what Mend does with lessons after they are posted.

- `recurring`: when the same kind of lapse keeps happening, a "fix the system"
  task for someone who can remove its cause;
- `root_causes`: the causes a resolver chooses from, per category ("other", with
  words, is always offered too);
- `owners`: who owns fixing a category's causes;
- `customer_again`: a customer let down again and again gets a personal call;
- `review`: which decisions stand out for a manager's look after the fact;
- `practice`: real resolved cases served as practice.
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator

Name = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=40)]
OTHER = "other"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PatternBy(StrEnum):
    """What makes lapses the same pattern, besides their category."""

    ROOT_CAUSE = "root_cause"
    LOCATION = "location"


class Recurring(_Strict):
    """When lapses of one kind are a pattern someone must fix."""

    min_cases: int = Field(default=3, ge=2, le=1000)
    within_days: int = Field(default=30, ge=1, le=366)
    by: list[str] = Field(default_factory=lambda: ["category", "root_cause"])
    due_days: int = Field(default=14, ge=1, le=366, description="days the owner has to fix it")

    @field_validator("by")
    @classmethod
    def _category_and_one_more(cls, value: list[str]) -> list[str]:
        allowed = [["category", p.value] for p in PatternBy]
        if value not in allowed:
            choices = " or ".join(str(a).replace("'", "") for a in allowed)
            raise ValueError(f"by is {value}; use {choices}")
        return value

    @property
    def pattern_by(self) -> PatternBy:
        """Return what, besides the category, makes lapses one pattern."""
        return PatternBy(self.by[1])


class CustomerAgain(_Strict):
    """A customer let down this many times in so many days gets a call from a manager."""

    incidents: int = Field(default=3, ge=2, le=100)
    within_days: int = Field(default=90, ge=1, le=3660)


class Review(_Strict):
    """Which decisions stand out for a manager's look after the fact (nobody's authority changes)."""

    compensated_times: int = Field(default=3, ge=2, description="a customer compensated this often ...")
    compensated_within_days: int = Field(default=90, ge=1, description="... within these days")
    spend_ratio: Annotated[Decimal, Field(gt=1, le=100)] = Field(
        default=Decimal(2), description="spend per case above this times the median of the role"
    )
    spend_days: int = Field(default=30, ge=1, description="over the last so many days")
    spend_min_cases: int = Field(default=5, ge=1, description="with at least so many cases")
    near_limit_share: Annotated[Decimal, Field(gt=0, le=1)] = Field(
        default=Decimal("0.9"), description="an offer at this share of the limit or more is close to it"
    )
    near_limit_times: int = Field(default=3, ge=2, description="close to the limit this often ...")
    near_limit_days: int = Field(default=30, ge=1, description="... within these days")


class Practice(_Strict):
    """Practice on the team's own resolved cases."""

    weekly_in_channel: bool = Field(default=False, description="post a practice case to the lessons channel")


class Learning(_Strict):
    """What Mend does with lessons after they are posted."""

    recurring: Recurring = Recurring()
    root_causes: dict[Name, dict[Name, str]] = Field(
        default_factory=dict, description="per category: cause name -> how it reads"
    )
    owners: dict[Name, str] = Field(
        default_factory=dict, description="per category: the email of who owns fixing its causes"
    )
    customer_again: CustomerAgain = CustomerAgain()
    review: Review = Review()
    practice: Practice = Practice()

    @field_validator("root_causes")
    @classmethod
    def _other_is_implied(cls, value: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
        for category, causes in value.items():
            if OTHER in causes:
                raise ValueError(f"{category}: leave out {OTHER!r}; Mend always offers it, with words")
        return value

    def causes_of(self, category: str) -> dict[str, str]:
        """Return the root causes a resolver may choose for a category, "other" last."""
        return {**self.root_causes.get(category, {}), OTHER: "Other (say what)"}
