"""The audit log: one event per change, in the change's own transaction.

An event is written with one prepared INSERT (`db.fast_insert`), not through the
ORM's unit of work: nothing reads it back as an object, and the insert is a
quarter of the cost. The rows it refers to (the case, the actor) have ids, so
they are already written.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from db.fast_insert import PreparedInsert
from db.models import AuditEvent

_insert_event = PreparedInsert(AuditEvent)


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
    _insert_event(
        session, action=action, at=at, platform=platform, actor_id=actor_id, case_id=case_id, detail=detail
    )
