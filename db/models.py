"""Mend's tables as typed SQLAlchemy 2 models.

Money is BigInteger minor units with a currency column. Times are aware UTC
(`UtcDateTime`). Relationships raise on lazy load so no query hides.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Mapped, mapped_column, relationship

from db.base import Base

CASE_REF_OFFSET = 1000


class UtcDateTime(TypeDecorator[datetime]):
    """A timestamp stored as UTC and always read back timezone-aware."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime; Mend stores aware UTC times only")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Platform(StrEnum):
    """Where a person or a request comes from."""

    SLACK = "slack"
    TEAMS = "teams"
    CONSOLE = "console"
    SYSTEM = "system"


class CaseStatus(StrEnum):
    """Where a case stands."""

    OPEN = "open"
    RESOLVED = "resolved"
    RECOVERED = "recovered"
    CANCELLED = "cancelled"


class OfferStatus(StrEnum):
    """Where an offer stands."""

    GRANTED = "granted"
    PENDING_APPROVAL = "pending_approval"
    APPROVED = "approved"
    DENIED = "denied"
    WITHDRAWN = "withdrawn"


class RequestStatus(StrEnum):
    """Where an approval request stands."""

    PENDING = "pending"
    APPROVED = "approved"
    DENIED = "denied"
    WITHDRAWN = "withdrawn"


class DeliveryStatus(StrEnum):
    """Where a delivery stands in the outbox."""

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    SKIPPED = "skipped"
    FAILED = "failed"


def enum_check(name: str, column: str, enum: type[StrEnum]) -> CheckConstraint:
    values = ", ".join(f"'{member.value}'" for member in enum)
    return CheckConstraint(f"{column} IN ({values})", name=name)


class Staff(Base):
    """One person, known on one or more platforms."""

    __tablename__ = "staff"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320), unique=True)
    role: Mapped[str] = mapped_column(String(40))
    manager_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
    location: Mapped[str | None] = mapped_column(String(40))
    locale: Mapped[str | None] = mapped_column(String(20))  # the directory's choice of language
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())

    identities: Mapped[list[StaffIdentity]] = relationship(back_populates="staff", lazy="raise")


class StaffIdentity(Base):
    """A person's account on one platform, and how to reach them there."""

    __tablename__ = "staff_identities"
    __table_args__ = (UniqueConstraint("platform", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"), index=True)
    platform: Mapped[str] = mapped_column(String(20))
    user_id: Mapped[str] = mapped_column(String(200))
    # Platform-specific address for messages nobody asked for (a Slack DM
    # channel, a Teams conversation reference); filled in by the adapter.
    address: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    locale: Mapped[str | None] = mapped_column(String(20))  # the language the platform last reported

    staff: Mapped[Staff] = relationship(back_populates="identities", lazy="raise")


class Case(Base):
    """A customer's bad experience and what was done to make it right."""

    __tablename__ = "cases"
    __table_args__ = (
        enum_check("status", "status", CaseStatus),
        CheckConstraint("order_value IS NULL OR order_value > 0", name="order_value_positive"),
        # The reminder job reads open cases by age every minute; with the id and the opener
        # in the index it never reads the table.
        Index("ix_cases_status_created_at", "status", "created_at", "id", "opened_by_id"),
        # A resolve asks whether its lapse is a pattern: cases of one category and cause lately.
        Index("ix_cases_category_root_cause_key_created_at", "category", "root_cause_key", "created_at"),
        # The digest lists lessons and applauded recoveries of cases resolved in a week or a month.
        Index("ix_cases_resolved_at", "resolved_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_name: Mapped[str] = mapped_column(String(200))
    customer_ref: Mapped[str | None] = mapped_column(String(100))
    customer_email: Mapped[str | None] = mapped_column(String(320))
    customer_phone: Mapped[str | None] = mapped_column(String(40))
    # Normalised forms, to find the same customer's earlier cases.
    ref_key: Mapped[str | None] = mapped_column(String(100), index=True)
    email_key: Mapped[str | None] = mapped_column(String(320), index=True)
    phone_key: Mapped[str | None] = mapped_column(String(40), index=True)
    tier: Mapped[str] = mapped_column(String(40))
    category: Mapped[str] = mapped_column(String(40), index=True)
    severity: Mapped[str] = mapped_column(String(10))
    description: Mapped[str] = mapped_column(Text)
    order_value: Mapped[int | None] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    earlier_incidents: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(20))
    opened_by_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), index=True)
    platform: Mapped[str] = mapped_column(String(20))
    request_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    outcome: Mapped[str | None] = mapped_column(Text)
    root_cause: Mapped[str | None] = mapped_column(Text)
    # The policy's name for the cause, chosen from its list ("other" when the words say it).
    root_cause_key: Mapped[str | None] = mapped_column(String(40))
    asked_for: Mapped[str | None] = mapped_column(Text)  # what the customer asked for, if said
    lesson: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
    resolved_at: Mapped[datetime | None] = mapped_column(UtcDateTime())

    opened_by: Mapped[Staff] = relationship(lazy="raise")

    @property
    def ref(self) -> str:
        """Return the reference people use, such as R-1042."""
        return f"R-{self.id + CASE_REF_OFFSET}"


class Offer(Base):
    """A compensation given, or asked for, on a case."""

    __tablename__ = "offers"
    __table_args__ = (
        enum_check("status", "status", OfferStatus),
        CheckConstraint("amount >= 0", name="amount_not_negative"),
        # What a person gave this period (their budget) is read on every suggestion.
        Index("ix_offers_given_by_id_granted_at", "given_by_id", "granted_at"),
        # The digest totals what everyone gave this month.
        Index("ix_offers_granted_at", "granted_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    type: Mapped[str] = mapped_column(String(30))
    label: Mapped[str] = mapped_column(String(200))
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(20))
    given_by_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    # Whose authority and budget the offer uses: the giver, or the approver.
    authorised_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    request_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    granted_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class ApprovalRequest(Base):
    """An over-limit offer waiting on someone with the authority to approve it."""

    __tablename__ = "approval_requests"
    __table_args__ = (
        enum_check("status", "status", RequestStatus),
        Index("ix_approval_requests_status_due_at", "status", "due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    offer_id: Mapped[int] = mapped_column(ForeignKey("offers.id", ondelete="CASCADE"), unique=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    # None: the policy's approver group decides.
    approver_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), index=True)
    level: Mapped[int] = mapped_column(Integer, default=0)
    customer_waiting: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(20))
    due_at: Mapped[datetime] = mapped_column(UtcDateTime())
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class ApprovalDecision(Base):
    """The one decision on an approval request; the unique key makes the first one win."""

    __tablename__ = "approval_decisions"
    __table_args__ = (CheckConstraint("outcome IN ('approved', 'denied')", name="outcome"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(
        ForeignKey("approval_requests.id", ondelete="CASCADE"), unique=True
    )
    decided_by_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    outcome: Mapped[str] = mapped_column(String(10))
    reason: Mapped[str | None] = mapped_column(Text)
    platform: Mapped[str] = mapped_column(String(20))
    decided_at: Mapped[datetime] = mapped_column(UtcDateTime())


class Delivery(Base):
    """Something Mend must send later or elsewhere: the transactional outbox."""

    __tablename__ = "deliveries"
    __table_args__ = (
        enum_check("status", "status", DeliveryStatus),
        CheckConstraint("recipient_id IS NOT NULL OR channel IS NOT NULL", name="has_recipient"),
        Index("ix_deliveries_status_due_at", "status", "due_at"),
        # A case's deliveries; with the kind and due time, the reminder job asks whether a
        # case has a reminder due lately without reading the table.
        Index("ix_deliveries_case_id_kind_due_at", "case_id", "kind", "due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    recipient_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), index=True)
    channel: Mapped[str | None] = mapped_column(String(200))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(20), default=DeliveryStatus.PENDING.value)
    due_at: Mapped[datetime] = mapped_column(UtcDateTime())
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    lease_until: Mapped[datetime | None] = mapped_column(UtcDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
    # Where the sent message lives on its platform, so it can be updated later.
    sent_ref: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class AuditEvent(Base):
    """One change, as it happened; never updated or deleted."""

    __tablename__ = "audit_events"
    __table_args__ = (
        # The measures read a cohort's resolution, follow-up and reopen events from a date on;
        # by action, then time, with the case, the index finds just those and answers alone.
        Index("ix_audit_events_action_at_case_id", "action", "at", "case_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    platform: Mapped[str] = mapped_column(String(20))
    action: Mapped[str] = mapped_column(String(40))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON)


# The learning tables (tasks, applause, practice, review) live in db/learning.py; importing
# them here puts them in the metadata whoever imports the models.
from db.learning import (  # noqa: E402
    Applause,
    PracticeAttempt,
    ReviewItem,
    ReviewStatus,
    Task,
    TaskKind,
    TaskStatus,
)

__all__ = [
    "Applause",
    "ApprovalDecision",
    "ApprovalRequest",
    "AuditEvent",
    "Base",
    "Case",
    "CaseStatus",
    "Delivery",
    "DeliveryStatus",
    "Offer",
    "OfferStatus",
    "Platform",
    "PracticeAttempt",
    "RequestStatus",
    "ReviewItem",
    "ReviewStatus",
    "Staff",
    "StaffIdentity",
    "Task",
    "TaskKind",
    "TaskStatus",
    "UtcDateTime",
]
