"""What stands out in a week: the three rules of the after-the-fact review, by the policy.

Each rule is one grouped query over its window (the days before the end of the week
reviewed), however many people and cases there are; what comes back is only what
stood out, gathered per subject here. `bot.review` gives each finding to the managers
above its employee. The rules in words are in docs/learning.md.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from fractions import Fraction
from itertools import groupby
from statistics import median
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from bot.measures import customer_key
from db.models import Case, Offer, OfferStatus, Staff
from policies.learning import Review
from policies.schema import Policy

CASES_KEPT = 20  # the cases an item lists
_GIVEN = (OfferStatus.GRANTED.value, OfferStatus.APPROVED.value)


class Reason(StrEnum):
    """Why a decision stood out."""

    REPEAT_COMPENSATION = "repeat_compensation"
    HIGH_SPEND = "high_spend"
    NEAR_LIMIT = "near_limit"


@dataclass(frozen=True)
class Week:
    """A week reviewed: Monday 00:00 to the next Monday 00:00 in the digest's time zone."""

    since: datetime
    until: datetime
    key: str  # its ISO name, 2026-W48


@dataclass(frozen=True)
class Finding:
    """One decision (or pattern of them) that stood out, before it is given to each manager."""

    reason: Reason
    subject: str  # the employee's id, or the customer's key
    employee_id: int
    case_ids: list[int]
    detail: dict[str, Any]


def find(session: Session, policy: Policy, week: Week) -> list[Finding]:
    """Return what stood out in `week` by each of the policy's review rules."""
    rule = policy.learning.review
    return [
        *_repeat_compensation(session, rule, week),
        *_high_spend(session, policy, rule, week),
        *_near_limit(session, policy, rule, week),
    ]


def _repeat_compensation(session: Session, rule: Review, week: Week) -> list[Finding]:
    key = customer_key()
    given = (
        select(
            Offer.id, Offer.case_id, Offer.amount, Offer.given_by_id, Offer.granted_at, key.label("customer")
        )
        .join(Case, Case.id == Offer.case_id)
        .where(
            Offer.status.in_(_GIVEN),
            Offer.granted_at >= week.until - timedelta(days=rule.compensated_within_days),
            Offer.granted_at < week.until,
            key.is_not(None),
        )
        .cte("given")
    )
    often = (
        select(given.c.customer)
        .group_by(given.c.customer)
        .having(func.count() >= rule.compensated_times, func.max(given.c.granted_at) >= week.since)
        .subquery()
    )
    rows = session.execute(
        select(given.c.customer, given.c.case_id, given.c.amount, given.c.given_by_id, given.c.granted_at)
        .join(often, often.c.customer == given.c.customer)
        .order_by(given.c.customer, given.c.granted_at, given.c.id)
    ).all()
    found = []
    for customer, group in groupby(rows, key=lambda r: r.customer):
        offers = list(group)
        latest = offers[-1]
        found.append(
            Finding(
                Reason.REPEAT_COMPENSATION,
                customer,
                latest.given_by_id,
                list(dict.fromkeys(o.case_id for o in offers))[-CASES_KEPT:],
                {
                    "times": len(offers),
                    "times_allowed": rule.compensated_times,
                    "days": rule.compensated_within_days,
                    "total": sum(o.amount for o in offers),
                    "latest_amount": latest.amount,
                    "first_at": offers[0].granted_at.isoformat(),
                    "latest_at": latest.granted_at.isoformat(),
                },
            )
        )
    return found


def _high_spend(session: Session, policy: Policy, rule: Review, week: Week) -> list[Finding]:
    since = week.until - timedelta(days=rule.spend_days)
    # Each case opened in the window with what was given on it: looked up by case, as the
    # window holds a small share of all offers.
    given = (
        select(func.coalesce(func.sum(Offer.amount), 0))
        .where(Offer.case_id == Case.id, Offer.status.in_(_GIVEN), Offer.granted_at < week.until)
        .scalar_subquery()
    )
    opened = (
        select(Case.opened_by_id.label("staff_id"), Case.id.label("case_id"), given.label("given"))
        .where(Case.created_at >= since, Case.created_at < week.until)
        .subquery()
    )
    rows = session.execute(
        select(Staff.id, Staff.role, func.count(), func.coalesce(func.sum(opened.c.given), 0))
        .join(opened, opened.c.staff_id == Staff.id)
        .group_by(Staff.id, Staff.role)
    ).all()
    by_role: dict[str, list[tuple[int, int, int]]] = {}
    for staff_id, role, cases, spend in rows:
        by_role.setdefault(_role(role, policy), []).append((staff_id, int(cases), int(spend)))
    ratio = Fraction(rule.spend_ratio)
    flagged: dict[int, dict[str, Any]] = {}
    for role, people in by_role.items():
        middle = median(Fraction(spend, cases) for _, cases, spend in people)
        for staff_id, cases, spend in people:
            per_case = Fraction(spend, cases)
            if cases >= rule.spend_min_cases and per_case > ratio * middle:
                flagged[staff_id] = {
                    "cases": cases,
                    "spend": spend,
                    "per_case": round(per_case),
                    "median": round(middle),
                    "ratio": f"{float(per_case / middle):.2f}" if middle else None,
                    "role": role,
                    "days": rule.spend_days,
                    "above": str(rule.spend_ratio),
                    "min_cases": rule.spend_min_cases,
                }
    if not flagged:
        return []
    top = session.execute(
        select(opened.c.staff_id, opened.c.case_id, opened.c.given)
        .where(opened.c.staff_id.in_(sorted(flagged)), opened.c.given > 0)
        .order_by(opened.c.staff_id, opened.c.given.desc(), opened.c.case_id)
    ).all()
    biggest: dict[int, list[list[int]]] = {}
    for staff_id, case_id, amount in top:
        biggest.setdefault(staff_id, []).append([case_id, int(amount)])
    return [
        Finding(
            Reason.HIGH_SPEND,
            str(staff_id),
            staff_id,
            [c for c, _ in biggest.get(staff_id, [])[:CASES_KEPT]],
            {**detail, "top": biggest.get(staff_id, [])[:CASES_KEPT]},
        )
        for staff_id, detail in sorted(flagged.items())
    ]


def _near_limit(session: Session, policy: Policy, rule: Review, week: Week) -> list[Finding]:
    limits = {name: policy.to_minor(role.limit) for name, role in policy.roles.items()}
    # An amount is whole minor units, so "at least share x limit" is "at least its ceiling".
    near = {name: math.ceil(rule.near_limit_share * limit) for name, limit in limits.items() if limit > 0}
    threshold = case(
        *[(Staff.role == name, at) for name, at in near.items()], else_=near.get(policy.default_role)
    )
    own = (
        select(
            Offer.given_by_id.label("employee"),
            Offer.case_id,
            func.sum(Offer.amount).label("total"),
            func.max(Offer.granted_at).label("at"),
        )
        .where(
            Offer.status == OfferStatus.GRANTED.value,  # on their own authority
            Offer.granted_at >= week.until - timedelta(days=rule.near_limit_days),
            Offer.granted_at < week.until,
        )
        .group_by(Offer.given_by_id, Offer.case_id)
        .subquery()
    )
    rows = session.execute(
        select(own.c.employee, Staff.role, own.c.case_id, own.c.total)
        .join(Staff, Staff.id == own.c.employee)
        .where(own.c.total >= threshold)
        .order_by(own.c.employee, own.c.at, own.c.case_id)
    ).all()
    found = []
    for employee, group in groupby(rows, key=lambda r: r.employee):
        cases = list(group)
        if len(cases) < rule.near_limit_times:
            continue
        found.append(
            Finding(
                Reason.NEAR_LIMIT,
                str(employee),
                employee,
                [c.case_id for c in cases][-CASES_KEPT:],
                {
                    "times": len(cases),
                    "times_allowed": rule.near_limit_times,
                    "days": rule.near_limit_days,
                    "limit": limits[_role(cases[0].role, policy)],
                    "share": str(rule.near_limit_share),
                    "cases": [[c.case_id, int(c.total)] for c in cases][-CASES_KEPT:],
                },
            )
        )
    return found


def _role(role: str, policy: Policy) -> str:
    return role if role in policy.roles else policy.default_role
