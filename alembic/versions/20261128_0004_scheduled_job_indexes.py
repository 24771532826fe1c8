"""Index open cases by age, and a case's deliveries by kind and due time, for the reminder job.

Every minute the job looks for open cases past the reminder age that have no reminder
due within that age: an anti-join that both indexes answer on their own, without
reading the tables. Each new index starts with the column of an older one (the case's
status; the delivery's case), so it replaces it.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28 23:30:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.drop_index("ix_cases_status")
        batch.create_index("ix_cases_status_created_at", ["status", "created_at", "id", "opened_by_id"])
    with op.batch_alter_table("deliveries") as batch:
        batch.drop_index("ix_deliveries_case_id")
        batch.create_index("ix_deliveries_case_id_kind_due_at", ["case_id", "kind", "due_at"])


def downgrade() -> None:
    with op.batch_alter_table("deliveries") as batch:
        batch.drop_index("ix_deliveries_case_id_kind_due_at")
        batch.create_index("ix_deliveries_case_id", ["case_id"])
    with op.batch_alter_table("cases") as batch:
        batch.drop_index("ix_cases_status_created_at")
        batch.create_index("ix_cases_status", ["status"])
