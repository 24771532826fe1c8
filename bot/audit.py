"""The audit log: one event per change, in the change's own transaction.

It is also where the Homes a change shows on are told of it (`bot.home_refresh`).

An event is written with one prepared INSERT (`db.fast_insert`), not through the
ORM's unit of work: nothing reads it back as an object, and the insert is a
quarter of the cost. The rows it refers to (the case, the actor) have ids, so
they are already written.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from bot import home_refresh
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
    """Add an audit event to the session's transaction, and refresh the Homes it changes."""
    _insert_event(
        session, action=action, at=at, platform=platform, actor_id=actor_id, case_id=case_id, detail=detail
    )
    # Every change records an event here, so this is the one place Homes learn of changes.
    home_refresh.after_change(session, action=action, case_id=case_id, actor_id=actor_id, now=at)
