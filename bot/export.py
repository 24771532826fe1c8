"""Cases and measures out to a spreadsheet, as CSV.

`write_cases` writes one row per case, streamed: the rows come from one query,
read in batches (`yield_per`: a server-side cursor on PostgreSQL; SQLite's
cursor steps through its rows as they are read), and each batch is written
before the next is read, so memory stays flat however many cases there are.

Without customer data nothing in the file names the customer: the customer
columns are left out, and the root cause and lesson are always those the team
read in the lessons channel (redacted with the case's own customer data and
approved by the resolver, see `bot/lessons.py`), never the resolver's notes kept
on the case, which may name them. A case with no lesson posted yet has both
empty. An export with customer data is recorded in the audit log.

Text that people typed (names, places, root causes, lessons, customer details)
is written so that a spreadsheet shows it as text: a value starting with `=`,
`+`, `-`, `@`, a tab or a carriage return gets an apostrophe in front, so it is
never run as a formula (CSV injection).
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from typing import IO, Any

from sqlalchemy import BigInteger, Select, String, case, cast, func, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.expression import FunctionElement

from bot.audit import record
from bot.deliveries import Kind
from bot.measures import FOLLOW_UP_ACTIONS, Row
from bot.reports import Report
from db.models import (
    CASE_REF_OFFSET,
    ApprovalRequest,
    AuditEvent,
    Case,
    CaseStatus,
    Delivery,
    Offer,
    OfferStatus,
    Platform,
    Staff,
)
from policies.money import minor_digits

BATCH = 2000
CASE_COLUMNS = (
    "ref", "opened_at_utc", "category", "severity", "tier", "status", "location", "opened_by", "manager",
    "order_value", "currency", "compensation_given", "approvals_asked", "follow_up", "resolved_at_utc",
    "root_cause", "lesson",
)  # fmt: skip
CUSTOMER_COLUMNS = ("customer_name", "customer_ref", "customer_email", "customer_phone")
CUSTOMER_EXPORT = "cases_exported_with_customer_data"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(text: str | None) -> str:
    """Return text a spreadsheet shows as typed: an apostrophe before a leading = + - @ tab or CR."""
    if not text:
        return ""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def case_columns(*, with_customer: bool) -> tuple[str, ...]:
    """Return the header of a cases export."""
    return CASE_COLUMNS + CUSTOMER_COLUMNS if with_customer else CASE_COLUMNS


def count_cases(session: Session, *, since: datetime | None, until: datetime | None) -> int:
    """Return how many cases were opened from `since` (included) to `until` (excluded); None: no bound."""
    query = select(func.count()).select_from(Case)
    return int(session.scalar(_opened_between(query, since, until)) or 0)


def case_rows(
    session: Session,
    *,
    since: datetime | None,
    until: datetime | None,
    with_customer: bool,
    batch: int = BATCH,
) -> Iterator[list[Any]]:
    """Yield one row per case opened in the period, in the order of their references, as CSV cells."""
    for rows in _batches(session, since, until, with_customer, batch):
        yield from rows


def write_cases(
    session: Session,
    out: IO[str],
    *,
    since: datetime | None,
    until: datetime | None,
    with_customer: bool,
    progress: Callable[[int], None] | None = None,
    batch: int = BATCH,
) -> int:
    """Write the header and one CSV row per case to `out`; return how many; tell `progress` each batch."""
    writer = csv.writer(out)
    writer.writerow(case_columns(with_customer=with_customer))
    written = 0
    for rows in _batches(session, since, until, with_customer, batch):
        writer.writerows(rows)
        written += len(rows)
        if progress is not None:
            progress(len(rows))
    return written


def record_customer_export(
    session: Session, *, file: str, rows: int, since: datetime | None, until: datetime | None, at: datetime
) -> None:
    """Record in the audit log that cases were exported with customer data, and commit."""
    record(
        session,
        action=CUSTOMER_EXPORT,
        at=at,
        platform=Platform.CONSOLE.value,
        actor_id=None,
        file=file,
        rows=rows,
        since=since.isoformat() if since else None,
        until=until.isoformat() if until else None,
    )
    session.commit()


def _batches(
    session: Session, since: datetime | None, until: datetime | None, with_customer: bool, batch: int
) -> Iterator[list[list[Any]]]:
    safe, digits = spreadsheet_safe, dict[str, int]()
    # Core rows, unpacked by position: at a hundred thousand rows the ORM's row objects and
    # lookups by name cost as much as the query.
    query = _cases_query(since, until, with_customer)
    result = session.connection().execute(query, execution_options={"yield_per": batch})
    for part in result.partitions():
        rows = []
        for (
            case_id,
            opened,
            category,
            severity,
            tier,
            status,
            location,
            opener,
            manager,
            value,
            currency,
            given,
            asked,
            answered,
            resolved,
            cause,
            lesson,
            *customer,
        ) in part:
            places = digits.get(currency)
            if places is None:
                places = digits[currency] = minor_digits(currency)
            row = [
                f"R-{case_id + CASE_REF_OFFSET}",
                opened,
                category,  # category, severity and tier are the policy's keys, never typed
                severity,
                tier,
                status,
                safe(location),
                safe(opener),
                safe(manager),
                _major(value, places),
                currency,
                _major(given, places),
                asked,
                _follow_up(status, answered),
                resolved or "",
                safe(cause),
                safe(lesson),
            ]
            if with_customer:
                row += map(safe, customer)
            rows.append(row)
        yield rows


def _cases_query(since: datetime | None, until: datetime | None, with_customer: bool) -> Select[Any]:
    """Return the rows of the export: each case with its figures gathered by a join per table, grouped
    (a lookup per case and table was slower on PostgreSQL), in the order of the cases' ids, which the
    database reads without sorting."""
    opener, manager, posted = aliased(Staff), aliased(Staff), aliased(Delivery)
    bounded = since is not None or until is not None
    cohort = _opened_between(select(Case.id), since, until).subquery("cohort")

    def per_case(case_id: Any, *figures: Any) -> Select[Any]:
        query = select(case_id, *figures).group_by(case_id)
        return query.join(cohort, cohort.c.id == case_id) if bounded else query

    granted = Offer.status.in_((OfferStatus.GRANTED, OfferStatus.APPROVED))
    amount = cast(func.sum(Offer.amount), BigInteger).label("amount")  # not NUMERIC on PostgreSQL
    given = per_case(Offer.case_id, amount).where(granted).subquery("given")
    asked = per_case(ApprovalRequest.case_id, func.count().label("n")).subquery("asked")
    # 2: the customer said at least once they were still unhappy; 1: only other answers.
    unhappy = func.max(case((AuditEvent.action == "follow_up_unhappy", 2), else_=1)).label("answered")
    answers = per_case(AuditEvent.case_id, unhappy).where(AuditEvent.action.in_(FOLLOW_UP_ACTIONS))
    answered = answers.subquery("answered")
    # The newest lesson posted: a case reopened and resolved again has one per resolution.
    newest = per_case(Delivery.case_id, func.max(Delivery.id).label("id"))
    lesson = newest.where(Delivery.kind == Kind.LESSON.value).subquery("newest_lesson")
    columns: list[Any] = [
        Case.id,
        utc_text(Case.created_at),
        Case.category,
        Case.severity,
        Case.tier,
        Case.status,
        opener.location,
        opener.name,
        manager.name,
        Case.order_value,
        Case.currency,
        func.coalesce(given.c.amount, 0),
        func.coalesce(asked.c.n, 0),
        answered.c.answered,
        utc_text(Case.resolved_at),
        posted.payload[("lesson", "root_cause")].as_string(),
        posted.payload[("lesson", "lesson")].as_string(),
    ]
    if with_customer:
        columns += [Case.customer_name, Case.customer_ref, Case.customer_email, Case.customer_phone]
    query = (
        select(*columns)
        .join(opener, opener.id == Case.opened_by_id)
        .outerjoin(manager, manager.id == opener.manager_id)
        .outerjoin(given, given.c.case_id == Case.id)
        .outerjoin(asked, asked.c.case_id == Case.id)
        .outerjoin(answered, answered.c.case_id == Case.id)
        .outerjoin(lesson, lesson.c.case_id == Case.id)
        .outerjoin(posted, posted.id == lesson.c.id)
        .order_by(Case.id)
    )
    return _opened_between(query, since, until)


class utc_text(FunctionElement[str]):
    """A stored time as text in UTC, to the second (2026-11-10 14:00:00); NULL stays NULL.

    Written by the database: reading a time as a datetime and formatting it again was a
    third of an export's CPU. (Its place is beside `db.aggregates.seconds_between`.)
    """

    type = String()
    inherit_cache = True
    name = "utc_text"


@compiles(utc_text, "postgresql")
def _utc_text_postgresql(element: utc_text, compiler: SQLCompiler, **kw: Any) -> str:
    (moment,) = element.clauses
    return f"to_char({compiler.process(moment, **kw)} AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS')"


@compiles(utc_text, "sqlite")
def _utc_text_sqlite(element: utc_text, compiler: SQLCompiler, **kw: Any) -> str:
    (moment,) = element.clauses  # stored as UTC text already: 2026-11-10 14:00:00.000000
    return f"substr({compiler.process(moment, **kw)}, 1, 19)"


def _opened_between(query: Select[Any], since: datetime | None, until: datetime | None) -> Select[Any]:
    if since is not None:
        query = query.where(Case.created_at >= since)
    if until is not None:
        query = query.where(Case.created_at < until)
    return query


def _follow_up(status: str, answered: int | None) -> str:
    """Return the follow-up's outcome as `mend report` counts it (docs/reports.md)."""
    if answered is None:
        return "none"
    if status == CaseStatus.RECOVERED:
        return "fixed"
    return "unhappy" if answered == 2 else "unreachable"


def _major(minor: int | None, places: int) -> str:
    """Return minor units as a plain decimal in major units (12.50), exactly."""
    if minor is None:
        return ""
    if minor < 0:
        return "-" + _major(-minor, places)
    if not places:
        return str(minor)
    whole, part = divmod(minor, 10**places)
    return f"{whole}.{part:0{places}d}"


REPORT_MEASURES = (
    "opened", "resolved", "share_resolved", "followed_up", "fixed", "recovery_rate", "unhappy", "unreachable",
    "ever_resolved", "reopened", "reopen_rate", "to_first_offer_median_s", "to_first_offer_p90_s",
    "to_decision_median_s", "to_decision_p90_s", "to_resolution_median_s", "to_resolution_p90_s",
    "given_minor", "within_authority_minor", "approved_minor", "given_cases", "given_median_minor",
    "given_per_case_minor", "currency", "approvals_asked", "approvals_approved", "approvals_denied",
    "approvals_escalated", "approvals_fell_back",
)  # fmt: skip
TOTAL_LABEL = "Total"


def write_report(report: Report, out: IO[str], *, currency: str) -> int:
    """Write a report's groups and its total as CSV, every measure a raw number; return the rows written.

    Durations are in seconds, money in minor units of `currency`, shares as decimals;
    an empty cell is a measure with nothing to measure (no case followed up, say).
    """
    writer = csv.writer(out)
    writer.writerow((report.by.value if report.by else "group", *REPORT_MEASURES))
    rows = [*report.rows, (TOTAL_LABEL, report.total)]
    writer.writerows([spreadsheet_safe(label), *_measures(row, currency)] for label, row in rows)
    return len(rows)


def _measures(row: Row, currency: str) -> Sequence[Any]:
    return (
        row.opened,
        row.resolved,
        _raw(row.share_resolved),
        row.followed_up,
        row.fixed,
        _raw(row.recovery_rate),
        row.unhappy,
        row.unreachable,
        row.ever_resolved,
        row.reopened,
        _raw(row.reopen_rate),
        _raw(row.to_first_offer.median, 3),
        _raw(row.to_first_offer.p90, 3),
        _raw(row.to_decision.median, 3),
        _raw(row.to_decision.p90, 3),
        _raw(row.to_resolution.median, 3),
        _raw(row.to_resolution.p90, 3),
        row.given,
        row.within_authority,
        row.approved_amount,
        row.given_cases,
        _raw(row.given_median, 2),
        _raw(row.given_per_case, 2),
        currency,
        row.requested,
        row.approved,
        row.denied,
        row.escalated,
        row.fell_back,
    )


def _raw(value: float | None, places: int = 6) -> str:
    """Return a measure as a plain number; seconds to the millisecond (SQLite's arithmetic on times
    is that precise), minor units to a hundredth, shares to six places."""
    return "" if value is None else repr(round(value, places))
