"""Reads the use cases share, and the scheduled jobs' set-based writes.

Nothing here commits; the use case owns the transaction.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import ColumnElement, Row, Select, Table, and_, bindparam, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, aliased

from db.models import (
    ApprovalDecision,
    ApprovalRequest,
    Case,
    CaseStatus,
    Delivery,
    DeliveryStatus,
    Offer,
    OfferStatus,
    RequestStatus,
    Staff,
    StaffIdentity,
)

# The statements every case runs are built once, with bound parameters: building a select()
# and its cache key anew costs more CPU than SQLite takes to run it. Nothing here touches a
# database; the values are bound at execution.
_STAFF_BY_IDENTITY = (
    select(Staff)
    .join(StaffIdentity, StaffIdentity.staff_id == Staff.id)
    .where(StaffIdentity.platform == bindparam("platform"), StaffIdentity.user_id == bindparam("user_id"))
)
_IDENTITY = select(StaffIdentity).where(
    StaffIdentity.platform == bindparam("platform"), StaffIdentity.user_id == bindparam("user_id")
)
# The languages a person reads, in one round trip: each account's (oldest first), and the directory's.
_ACTING = aliased(StaffIdentity)
_LOCALES_OF_ACCOUNT = (
    select(_ACTING.id, _ACTING.locale, Staff.locale, StaffIdentity.locale)
    .join(Staff, Staff.id == _ACTING.staff_id)
    .join(StaffIdentity, StaffIdentity.staff_id == Staff.id)
    .where(_ACTING.platform == bindparam("platform"), _ACTING.user_id == bindparam("user_id"))
    .order_by(StaffIdentity.id)
)
_LOCALES_OF_STAFF = (
    select(Staff.locale, StaffIdentity.locale)
    .outerjoin(StaffIdentity, StaffIdentity.staff_id == Staff.id)
    .where(Staff.id == bindparam("staff_id"))
    .order_by(StaffIdentity.id)
)
_NOTE_LOCALE = (
    update(StaffIdentity)
    .where(StaffIdentity.id == bindparam("account_id"))
    .values(locale=bindparam("locale"))
)
_SPENT_SINCE = select(func.coalesce(func.sum(Offer.amount), 0)).where(
    Offer.given_by_id == bindparam("staff_id"),
    Offer.status == OfferStatus.GRANTED,
    Offer.granted_at >= bindparam("since"),
)
_GRANTED_ON_CASE = select(func.coalesce(func.sum(Offer.amount), 0)).where(
    Offer.case_id == bindparam("case_id"), Offer.status == OfferStatus.GRANTED
)
_CASE = select(Case).where(Case.id == bindparam("case_id"))
_CASE_LOCKED = _CASE.with_for_update()
_CASE_BY_REQUEST_KEY = select(Case).where(Case.request_key == bindparam("request_key"))
_OFFER_BY_REQUEST_KEY = select(Offer).where(Offer.request_key == bindparam("request_key"))
_OFFERS = select(Offer).where(Offer.case_id == bindparam("case_id")).order_by(Offer.id)
_PENDING_REQUEST = select(ApprovalRequest).where(
    ApprovalRequest.case_id == bindparam("case_id"), ApprovalRequest.status == RequestStatus.PENDING
)


def get_staff(session: Session, staff_id: int) -> Staff | None:
    """Return the staff member with this id."""
    return session.get(Staff, staff_id)


def get_staff_by_identity(session: Session, platform: str, user_id: str) -> Staff | None:
    """Return the staff member with this platform account."""
    return session.scalars(_STAFF_BY_IDENTITY, {"platform": platform, "user_id": user_id}).first()


def get_staff_by_email(session: Session, email: str) -> Staff | None:
    """Return the staff member with this (normalised) email."""
    return session.scalars(select(Staff).where(Staff.email == email)).first()


def locales_of_account(
    session: Session, platform: str, user_id: str
) -> tuple[int, str | None, list[str | None], str | None] | None:
    """Return a platform account's id and locale, its owner's accounts' locales, and the directory's."""
    rows = session.execute(_LOCALES_OF_ACCOUNT, {"platform": platform, "user_id": user_id}).all()
    if not rows:
        return None
    account_id, own, directory, _ = rows[0]
    return account_id, own, [row[3] for row in rows], directory


def locales_of_staff(session: Session, staff_id: int) -> tuple[list[str | None], str | None] | None:
    """Return the locales of a staff member's accounts (oldest first) and the directory's."""
    rows = session.execute(_LOCALES_OF_STAFF, {"staff_id": staff_id}).all()
    return ([row[1] for row in rows], rows[0][0]) if rows else None


def note_account_locale(session: Session, account_id: int, locale: str) -> None:
    """Keep the locale a platform reported on that account."""
    session.execute(_NOTE_LOCALE, {"account_id": account_id, "locale": locale})


def get_identity(session: Session, platform: str, user_id: str) -> StaffIdentity | None:
    """Return the platform account with this user id."""
    return session.scalars(_IDENTITY, {"platform": platform, "user_id": user_id}).first()


def list_user_ids(session: Session, platform: str) -> Sequence[str]:
    """Return the accounts people have on one platform."""
    return session.scalars(select(StaffIdentity.user_id).where(StaffIdentity.platform == platform)).all()


def list_identities(session: Session, staff_id: int) -> Sequence[StaffIdentity]:
    """Return every platform account of a staff member."""
    stmt = select(StaffIdentity).where(StaffIdentity.staff_id == staff_id).order_by(StaffIdentity.id)
    return session.scalars(stmt).all()


def list_staff_by_emails(session: Session, emails: Sequence[str]) -> Sequence[Staff]:
    """Return the staff members with these emails."""
    if not emails:
        return []
    return session.scalars(select(Staff).where(Staff.email.in_(emails)).order_by(Staff.id)).all()


def spent_since(session: Session, staff_id: int, since: datetime) -> int:
    """Return what a person gave on their own authority since `since`, in minor units."""
    return int(session.scalar(_SPENT_SINCE, {"staff_id": staff_id, "since": since}) or 0)


def granted_on_case(session: Session, case_id: int) -> int:
    """Return what was given on a case on the givers' own authority, in minor units."""
    return int(session.scalar(_GRANTED_ON_CASE, {"case_id": case_id}) or 0)


def get_case(session: Session, case_id: int, *, lock: bool = False) -> Case | None:
    """Return the case with this id, locked for update when asked."""
    return session.scalars(_CASE_LOCKED if lock else _CASE, {"case_id": case_id}).first()


def get_case_by_request_key(session: Session, request_key: str) -> Case | None:
    """Return the case a submission with this idempotency key already opened."""
    return session.scalars(_CASE_BY_REQUEST_KEY, {"request_key": request_key}).first()


def get_offer_by_request_key(session: Session, request_key: str) -> Offer | None:
    """Return the offer a click with this idempotency key already made."""
    return session.scalars(_OFFER_BY_REQUEST_KEY, {"request_key": request_key}).first()


def _customer_conditions(
    ref_key: str | None, email_key: str | None, phone_key: str | None
) -> list[ColumnElement[bool]]:
    conditions = []
    if ref_key:
        conditions.append(Case.ref_key == ref_key)
    if email_key:
        conditions.append(Case.email_key == email_key)
    if phone_key:
        conditions.append(Case.phone_key == phone_key)
    return conditions


def list_customer_cases(
    session: Session,
    *,
    ref_key: str | None,
    email_key: str | None,
    phone_key: str | None,
    name: str | None = None,
    limit: int = 20,
) -> Sequence[Case]:
    """Return a customer's cases, newest first, matched on any of their keys or their name."""
    conditions = _customer_conditions(ref_key, email_key, phone_key)
    if name:
        conditions.append(func.lower(Case.customer_name) == name.lower())
    if not conditions:
        return []
    stmt = select(Case).where(or_(*conditions))
    return session.scalars(stmt.order_by(Case.created_at.desc(), Case.id.desc()).limit(limit)).all()


def count_earlier_cases(
    session: Session, *, ref_key: str | None, email_key: str | None, phone_key: str | None
) -> int:
    """Return how many cases this customer already had (cancelled ones do not count)."""
    if not (ref_key or email_key or phone_key):
        return 0
    stmt = _count_earlier(bool(ref_key), bool(email_key), bool(phone_key))
    params = {"ref_key": ref_key, "email_key": email_key, "phone_key": phone_key}
    return int(session.scalar(stmt, {k: v for k, v in params.items() if v}) or 0)


@functools.cache
def _count_earlier(ref: bool, email: bool, phone: bool) -> Select[int]:
    keys = [
        (Case.ref_key, "ref_key", ref),
        (Case.email_key, "email_key", email),
        (Case.phone_key, "phone_key", phone),
    ]
    conditions = [column == bindparam(name) for column, name, used in keys if used]
    return select(func.count(Case.id)).where(or_(*conditions), Case.status != CaseStatus.CANCELLED)


def list_open_cases(session: Session, staff_id: int, limit: int = 20) -> Sequence[Case]:
    """Return the open cases a person opened, newest first."""
    stmt = (
        select(Case)
        .where(Case.opened_by_id == staff_id, Case.status == "open")
        .order_by(Case.created_at.desc(), Case.id.desc())
        .limit(limit)
    )
    return session.scalars(stmt).all()


def list_offers(session: Session, case_id: int) -> Sequence[Offer]:
    """Return a case's offers, oldest first."""
    return session.scalars(_OFFERS, {"case_id": case_id}).all()


def list_latest_offers(session: Session, case_ids: Collection[int]) -> dict[int, Offer]:
    """Return the newest offer of each of these cases that has one, by case id."""
    if not case_ids:
        return {}
    newest = select(func.max(Offer.id)).where(Offer.case_id.in_(case_ids)).group_by(Offer.case_id)
    return {offer.case_id: offer for offer in session.scalars(select(Offer).where(Offer.id.in_(newest)))}


def get_request(session: Session, request_id: int, *, lock: bool = False) -> ApprovalRequest | None:
    """Return the approval request with this id, locked for update when asked."""
    stmt = select(ApprovalRequest).where(ApprovalRequest.id == request_id)
    if lock:
        stmt = stmt.with_for_update()
    return session.scalars(stmt).first()


def get_pending_request(session: Session, case_id: int) -> ApprovalRequest | None:
    """Return the approval request still waiting on a case, if any."""
    return session.scalars(_PENDING_REQUEST, {"case_id": case_id}).first()


def get_decision(session: Session, request_id: int) -> ApprovalDecision | None:
    """Return the decision on an approval request, if there is one."""
    stmt = select(ApprovalDecision).where(ApprovalDecision.request_id == request_id)
    return session.scalars(stmt).first()


def list_pending_requests_for(
    session: Session, staff_id: int, *, group_member: bool
) -> Sequence[ApprovalRequest]:
    """Return the requests waiting on a person (and on the approver group, for its members)."""
    waiting_on = ApprovalRequest.approver_id == staff_id
    if group_member:
        waiting_on = or_(waiting_on, ApprovalRequest.approver_id.is_(None))
    stmt = (
        select(ApprovalRequest)
        .where(ApprovalRequest.status == RequestStatus.PENDING, waiting_on)
        .order_by(ApprovalRequest.created_at, ApprovalRequest.id)
    )
    return session.scalars(stmt).all()


def list_sent_deliveries(
    session: Session, *, case_id: int, kind: str, key: str, value: int
) -> Sequence[Delivery]:
    """Return a case's deliveries of a kind, sent or on their way, that name this id (to update)."""
    stmt = select(Delivery).where(
        Delivery.case_id == case_id,
        Delivery.kind == kind,
        or_(
            and_(Delivery.status == DeliveryStatus.SENT, Delivery.sent_ref.is_not(None)),
            Delivery.status == DeliveryStatus.SENDING,
        ),
    )
    return [d for d in session.scalars(stmt.order_by(Delivery.id)).all() if d.payload.get(key) == value]


def list_deliveries(session: Session, *, status: str | None = None, limit: int = 50) -> Sequence[Delivery]:
    """Return deliveries, newest first, optionally only those with one status."""
    stmt = select(Delivery).order_by(Delivery.id.desc()).limit(limit)
    if status is not None:
        stmt = stmt.where(Delivery.status == status)
    return session.scalars(stmt).all()


def list_staff_by_ids(session: Session, staff_ids: Collection[int]) -> Sequence[Staff]:
    """Return the staff members with these ids (and keep them in the session for `get_staff`)."""
    if not staff_ids:
        return []
    return session.scalars(select(Staff).where(Staff.id.in_(sorted(staff_ids)))).all()


def list_open_cases_without(
    session: Session, *, kind: str, opened_before: datetime, due_after: datetime, limit: int
) -> Sequence[Row[int, int, datetime]]:
    """Return (id, opener, opened at) of open cases opened before a time that have no `kind`
    delivery due after another, the oldest first, at most `limit`.

    One anti-join, answered from two indexes (ix_cases_status_created_at, read in its
    order, and ix_deliveries_case_id_kind_due_at) without reading either table.
    """
    recent = (
        select(Delivery.id)
        .where(Delivery.case_id == Case.id, Delivery.kind == kind, Delivery.due_at > due_after)
        .exists()
    )
    stmt = (
        select(Case.id, Case.opened_by_id, Case.created_at)
        .where(Case.status == CaseStatus.OPEN, Case.created_at <= opened_before, ~recent)
        .order_by(Case.created_at, Case.id)
        .limit(limit)
    )
    return session.execute(stmt).all()


def insert_deliveries_once(session: Session, rows: Sequence[dict[str, Any]]) -> int:
    """Add deliveries, each unless one with its dedupe key exists already; return how many were added.

    One INSERT ... ON CONFLICT (dedupe_key) DO NOTHING for the lot, on PostgreSQL and SQLite alike.
    """
    if not rows:
        return 0
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = cast(Table, Delivery.__table__)
    stmt = insert(table).on_conflict_do_nothing(index_elements=["dedupe_key"]).returning(table.c.id)
    return len(session.execute(stmt, list(rows)).all())


def try_job_lock(session: Session, job: str) -> bool:
    """Take a scheduled job's lock until the transaction ends, unless another replica holds it; say which.

    On PostgreSQL a transaction-level advisory lock: replicas that find it taken skip the
    job instead of doing the same work again (what they would add is deduplicated anyway).
    SQLite serialises writers (each transaction begins IMMEDIATE), so there it is always taken.
    """
    if session.get_bind().dialect.name != "postgresql":
        return True
    key = int.from_bytes(hashlib.blake2b(job.encode(), digest_size=8).digest(), "big", signed=True)
    return bool(session.scalar(select(func.pg_try_advisory_xact_lock(key))))
