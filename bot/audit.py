"""The audit log: one event per change, in the change's own transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from db.models import AuditEvent


def record(
    session: Session,
    *,
    action: str,
    at: datetime,
    platform: str,
    actor_id: int | None,
    case_id: int | None = None,
    **detail: Any,
) -> None:
    """Add an audit event to the session's transaction."""
    session.add(
        AuditEvent(
            action=action,
            at=at,
            platform=platform,
            actor_id=actor_id,
            case_id=case_id,
            detail=detail,
        )
    )
