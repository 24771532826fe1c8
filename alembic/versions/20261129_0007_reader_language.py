"""Remember each person's language: the directory's choice, and what each platform says.

A reply is written in the language of the person who acts, and a delivery in its
recipient's, rendered when it is sent: so the language a platform reported (Slack's
users.info locale, a Teams activity's locale) is kept on the person's account there,
and the directory may set one for people whose platform says nothing.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29 04:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Nullable columns without a default: PostgreSQL adds them without rewriting the table.
    op.add_column("staff", sa.Column("locale", sa.String(20), nullable=True))
    op.add_column("staff_identities", sa.Column("locale", sa.String(20), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("staff_identities") as batch:
        batch.drop_column("locale")
    with op.batch_alter_table("staff") as batch:
        batch.drop_column("locale")
