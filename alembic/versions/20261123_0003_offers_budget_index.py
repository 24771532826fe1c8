"""Index offers by giver and grant time, the way every suggestion reads a person's budget.

The earlier index was on the authoriser, which no query filters by.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 17:15:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("offers") as batch:
        batch.drop_index("ix_offers_authorised_by_id_granted_at")
        batch.create_index("ix_offers_given_by_id_granted_at", ["given_by_id", "granted_at"])


def downgrade() -> None:
    with op.batch_alter_table("offers") as batch:
        batch.drop_index("ix_offers_given_by_id_granted_at")
        batch.create_index("ix_offers_authorised_by_id_granted_at", ["authorised_by_id", "granted_at"])
