"""Index what the reports read by time: cases resolved, offers granted, audit events by action.

The digest lists the lessons and the applauded recoveries of cases resolved in a week or
four, and totals what was given this month; without an index on those times each reads
every case or every offer. The measures read a cohort's resolution, follow-up and reopen
events from a date on: an index on the action, then the time, with the case, finds just
those events without reading the log. It replaces the index on the time alone, which no
query uses without an action.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 03:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain index operations: a batch on SQLite may copy a table, and audit_events' triggers with it.
    op.create_index("ix_cases_resolved_at", "cases", ["resolved_at"])
    op.create_index("ix_offers_granted_at", "offers", ["granted_at"])
    op.drop_index("ix_audit_events_at", table_name="audit_events")
    op.create_index("ix_audit_events_action_at_case_id", "audit_events", ["action", "at", "case_id"])


def downgrade() -> None:
    op.drop_index("ix_audit_events_action_at_case_id", table_name="audit_events")
    op.create_index("ix_audit_events_at", "audit_events", ["at"])
    op.drop_index("ix_offers_granted_at", table_name="offers")
    op.drop_index("ix_cases_resolved_at", table_name="cases")
