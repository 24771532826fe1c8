"""The SQL behind the measures (bot/measures.py): the cohort, each case's facts, the aggregates.

Written with SQLAlchemy Core once for SQLite and PostgreSQL; the two differ only in the
functions of db/aggregates.py and in hints about materialising common table expressions.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    CTE,
    ColumnElement,
    Integer,
    Select,
    Subquery,
    and_,
    case,
    func,
    literal,
    literal_column,
    null,
    select,
    union_all,
)
from sqlalchemy.orm import aliased

from db.aggregates import percentile, seconds_between
from db.models import (
    ApprovalDecision,
    ApprovalRequest,
    AuditEvent,
    Case,
    CaseStatus,
    Delivery,
    Offer,
    OfferStatus,
    RequestStatus,
    Staff,
)

FOLLOW_UP_ACTIONS = ("follow_up_fixed", "follow_up_unhappy", "follow_up_unreachable")
EVENT_ACTIONS = (*FOLLOW_UP_ACTIONS, "case_resolved", "case_reopened")
GIVEN = (OfferStatus.GRANTED.value, OfferStatus.APPROVED.value)
CLOSED = (CaseStatus.RESOLVED.value, CaseStatus.RECOVERED.value)


def cohort(period: Any, scope: Collection[int] | None, by: Sequence[str], weeks: Sequence[datetime]) -> CTE:
    """Return the cases opened in `period` (by `scope`, None for everyone) with their value of
    each dimension in `by` as columns d0, d1 ..."""
    opener = aliased(Staff)
    columns = {
        "category": Case.category,
        "severity": Case.severity,
        "location": opener.location,
        "team": opener.manager_id,
        "employee": Case.opened_by_id,
        "week": week_number(weeks),
    }
    selected: list[Any] = [Case.id, Case.created_at, Case.status]
    selected += [columns[d].label(f"d{i}") for i, d in enumerate(by)]
    query: Select[Any] = select(*selected)
    query = query.where(Case.created_at >= period.since, Case.created_at < period.until)
    if {"location", "team"} & set(by):
        query = query.join(opener, opener.id == Case.opened_by_id)
    if scope is not None:
        query = query.where(Case.opened_by_id.in_(sorted(scope)) if scope else literal(False))
    # PostgreSQL would plan a materialised cohort without its statistics and misjudge every join
    # by orders of magnitude; inlined, it plans each join from real figures.
    return query.cte("cohort").prefix_with("NOT MATERIALIZED", dialect="postgresql")


def week_number(weeks: Sequence[datetime]) -> ColumnElement[Any]:
    """Return which of the weeks starting at `weeks` a case was opened in (0 the first)."""
    if not weeks:
        return literal(None)
    whens = [(Case.created_at >= start, i) for i, start in reversed(list(enumerate(weeks)))]
    return case(*whens, else_=None)


def facts_per_case(cohort: CTE, since: datetime) -> Subquery:
    """Return what happened to each cohort case that had anything happen: its offers, events
    since `since`, approval requests and their decisions, and fallbacks, one row per case.

    The four tables' rows, tagged by table, go through one join with the cohort and one
    grouping, rather than a join and a grouping each that would read the cohort again.
    """
    kinds: list[ColumnElement[int]] = [literal_column(str(k), Integer()) for k in range(4)]
    offer, event, request, fallback = kinds
    facts = union_all(
        select(
            Offer.case_id,
            offer.label("kind"),
            Offer.created_at.label("at"),
            Offer.status.label("what"),
            Offer.amount.label("amount"),
            literal_column("0").label("level"),
        ).where(Offer.created_at >= since),  # nothing is offered on a case before it is opened
        select(
            AuditEvent.case_id, event, AuditEvent.at, AuditEvent.action, null(), literal_column("0")
        ).where(AuditEvent.action.in_(EVENT_ACTIONS), AuditEvent.at >= since),
        select(
            ApprovalRequest.case_id,
            request,
            ApprovalDecision.decided_at,
            ApprovalRequest.status,
            null(),
            ApprovalRequest.level,
        )
        .outerjoin(ApprovalDecision, ApprovalDecision.request_id == ApprovalRequest.id)
        .where(ApprovalRequest.created_at >= since),
        select(Delivery.case_id, fallback, null(), null(), null(), literal_column("0")).where(
            Delivery.kind == "fallback_offer"
        ),
    ).subquery("facts")
    f = facts.c
    is_offer, is_event, is_request = f.kind == offer, f.kind == event, f.kind == request

    def total(condition: ColumnElement[bool], value: Any = 1) -> ColumnElement[Any]:
        return func.sum(case((condition, value), else_=0))

    def flag(condition: ColumnElement[bool]) -> ColumnElement[Any]:
        return func.max(case((condition, 1), else_=0))

    return (
        select(
            cohort.c.id.label("case_id"),
            func.min(case((is_offer, f.at))).label("first_offer_at"),
            total(and_(is_offer, f.what.in_(GIVEN)), f.amount).label("given"),
            total(and_(is_offer, f.what == OfferStatus.GRANTED.value), f.amount).label("own"),
            total(and_(is_offer, f.what == OfferStatus.APPROVED.value), f.amount).label("approved_amount"),
            func.min(case((and_(is_event, f.what == "case_resolved"), f.at))).label("resolved_at"),
            flag(and_(is_event, f.what.in_(FOLLOW_UP_ACTIONS))).label("followed_up"),
            flag(and_(is_event, f.what == "follow_up_unhappy")).label("unhappy"),
            flag(and_(is_event, f.what == "case_reopened")).label("reopened"),
            total(is_request).label("requested"),
            total(and_(is_request, f.what == RequestStatus.APPROVED.value)).label("approved"),
            total(and_(is_request, f.what == RequestStatus.DENIED.value)).label("denied"),
            total(and_(is_request, f.level > 0)).label("escalated"),
            func.min(case((is_request, f.at))).label("decided_at"),
            total(f.kind == fallback).label("fell_back"),
        )
        .select_from(facts)
        .join(cohort, cohort.c.id == f.case_id)
        .group_by(cohort.c.id)  # which PostgreSQL knows the number of, unlike the facts' case_id
        .subquery("per_case")
    )


def case_facts(cohort: CTE, since: datetime, dimensions: int, *, twice: bool) -> CTE:
    """Return one row per cohort case: its dimensions, status, opening time and facts.

    `twice`: it is grouped twice (by the dimensions and as a whole), so it is worked out once
    and kept (materialised) rather than joined again for the second grouping.
    """
    per_case = facts_per_case(cohort, since)
    p = per_case.c
    facts = (
        select(
            cohort.c.id,
            cohort.c.created_at,
            cohort.c.status,
            *(cohort.c[f"d{i}"] for i in range(dimensions)),
            *(column for column in p if column.name != "case_id"),
        )
        .select_from(cohort)
        .outerjoin(per_case, p.case_id == cohort.c.id)
        .cte("case_facts")
    )
    return facts.prefix_with("MATERIALIZED") if twice else facts


def aggregates(facts: CTE) -> list[ColumnElement[Any]]:
    """Return the measures of a group of case facts, in the order `measures._row` reads them."""
    f = facts.c
    fixed = f.status == CaseStatus.RECOVERED.value
    followed = func.coalesce(f.followed_up, 0) == 1
    unhappy = and_(followed, ~fixed, func.coalesce(f.unhappy, 0) == 1)
    given = func.coalesce(f.given, 0)

    def count_if(condition: ColumnElement[bool]) -> ColumnElement[int]:
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    def spread(later: Any) -> list[ColumnElement[float]]:
        seconds = seconds_between(later, f.created_at)
        return [percentile(seconds, 0.5), percentile(seconds, 0.9)]

    def sum_of(column: Any) -> ColumnElement[int]:
        return func.coalesce(func.sum(column), 0)

    return [
        func.count(),
        count_if(f.status.in_(CLOSED)),
        count_if(followed),
        count_if(and_(followed, fixed)),
        count_if(unhappy),
        count_if(and_(followed, ~fixed, func.coalesce(f.unhappy, 0) == 0)),
        count_if(f.resolved_at.is_not(None)),
        count_if(func.coalesce(f.reopened, 0) == 1),
        *spread(f.first_offer_at),
        *spread(f.decided_at),
        *spread(f.resolved_at),
        sum_of(given),
        count_if(given > 0),
        percentile(case((given > 0, given)), 0.5),
        sum_of(f.own),
        sum_of(f.approved_amount),
        sum_of(f.requested),
        sum_of(f.approved),
        sum_of(f.denied),
        sum_of(f.escalated),
        sum_of(f.fell_back),
    ]


def customer_key() -> ColumnElement[str | None]:
    """Return how a customer is recognised across cases here: reference, else email, else phone."""
    return func.coalesce(Case.ref_key, Case.email_key, Case.phone_key)
