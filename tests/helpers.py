"""Small helpers for tests that drive the core as a user would."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.actions import handle
from bot.cases import open_case
from bot.commands import Actor, OpenCase
from bot.replies import ActionId, Form
from db.models import Base

ALICE = Actor("console", "alice")
BOB = Actor("console", "bob")
CAROL = Actor("console", "carol")
DANA = Actor("console", "dana")
ERIN = Actor("console", "erin")

# A case form's answers: critical and $120, over Alice's $25 limit and within what Bob, her
# supervisor, may approve ($150).
OVER_LIMIT_CASE = {
    "customer_name": "Jane Customer",
    "customer_email": "jane@example.org",
    "customer_phone": "+1 555 0100",
    "customer_ref": "ORD-123456",
    "category": "late_delivery",
    "severity": "critical",
    "description": "The parcel arrived a week late.",
    "order_value": "120",
    "tier": "standard",
}


def counts(session: Session) -> dict[str, int]:
    """Return the number of rows in every table."""
    return {
        name: session.scalar(select(func.count()).select_from(table)) or 0
        for name, table in Base.metadata.tables.items()
    }


def open_late_delivery(session: Session, policy: Any, clock: Any, **overrides: Any):
    """Open a major late-delivery case as Alice and return what she sees."""
    values: dict[str, Any] = dict(
        actor=ALICE,
        customer_name="Jane Doe",
        category="late_delivery",
        severity="major",
        description="Parcel promised Monday arrived Friday",
        customer_ref="ORD-10042",
        customer_email="jane.doe@example.com",
        customer_phone="+1 (555) 010-2030",
    )
    values.update(overrides)
    return open_case(OpenCase(**values), session=session, policy=policy, clock=clock)


def resolve_and_post(session: Session, policy: Any, clock: Any, actor: Actor, case_id: int, **notes: str):
    """Resolve a case as a person would: fill in the resolve form, then post the lesson as shown."""
    deps = {"session": session, "policy": policy, "clock": clock}
    preview = handle(ActionId.RESOLVE_CASE, str(case_id), actor, notes, **deps)
    assert isinstance(preview, Form) and preview.action is ActionId.POST_LESSON
    shown = {field.name: field.initial or "" for field in preview.inputs}
    return handle(ActionId.POST_LESSON, str(case_id), actor, shown, **deps)
