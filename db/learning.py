"""The tables of what happens after a lesson: fix-the-system tasks, applause, practice, review."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base
from db.models import UtcDateTime, enum_check


class TaskStatus(StrEnum):
    """Where a fix-the-system task stands."""

    OPEN = "open"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    WONT_FIX = "wont_fix"


class TaskKind(StrEnum):
    """Why a task was opened."""

    RECURRING = "recurring"  # the same lapse keeps happening: fix its cause
    CUSTOMER_AGAIN = "customer_again"  # a customer let down again and again: call them


class Task(Base):
    """Something a person owns so that a lapse stops happening, or a customer is called."""

    __tablename__ = "tasks"
    __table_args__ = (
        enum_check("status", "status", TaskStatus),
        enum_check("kind", "kind", TaskKind),
        Index("ix_tasks_owner_id_status", "owner_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    # What makes the lapses one pattern (category=...|root_cause=...); while the task is open
    # `open_key` holds it too, and its unique index lets only one open task exist per pattern.
    pattern: Mapped[str] = mapped_column(String(200))
    open_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(20))
    owner_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    case_ids: Mapped[list[int]] = mapped_column(JSON)  # the cases behind it, oldest first
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))  # the latest
    resolution: Mapped[str | None] = mapped_column(Text)  # what was changed, or why not
    due_at: Mapped[datetime] = mapped_column(UtcDateTime())
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class Applause(Base):
    """One person applauding one lesson (once)."""

    __tablename__ = "applause"
    __table_args__ = (UniqueConstraint("case_id", "staff_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class PracticeAttempt(Base):
    """A person practising on a resolved case: what they would have offered and said."""

    __tablename__ = "practice_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), index=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    offer: Mapped[str | None] = mapped_column(String(200))  # the option chosen, as it read
    apology: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    completed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class ReviewStatus(StrEnum):
    """Where an after-the-fact review item stands."""

    OPEN = "open"
    LOOKS_FINE = "looks_fine"
    TALKED = "talked"


class ReviewItem(Base):
    """A decision that stood out, for a manager to look at after the fact."""

    __tablename__ = "review_items"
    __table_args__ = (
        enum_check("status", "status", ReviewStatus),
        # One item per reason and subject per week, however often the review runs.
        UniqueConstraint("manager_id", "week", "reason", "subject"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    manager_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), index=True)
    week: Mapped[str] = mapped_column(String(10))  # 2026-W48
    reason: Mapped[str] = mapped_column(String(40))  # repeat_compensation, high_spend, near_limit
    subject: Mapped[str] = mapped_column(String(200))  # the employee's id, or the customer's key
    employee_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    case_ids: Mapped[list[int]] = mapped_column(JSON)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON)  # the figures that made it stand out
    status: Mapped[str] = mapped_column(String(20))
    note: Mapped[str | None] = mapped_column(Text)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
