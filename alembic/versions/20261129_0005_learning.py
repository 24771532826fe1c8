"""What happens after a lesson: fix-the-system tasks, applause, practice, the after-the-fact review.

Cases gain the root cause chosen from the policy's list (and an index to find a pattern
of them quickly when a case is resolved) and what the customer asked for.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29 01:57:45.439672
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "review_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("manager_id", sa.Integer(), nullable=False),
        sa.Column("week", sa.String(length=10), nullable=False),
        sa.Column("reason", sa.String(length=40), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("employee_id", sa.Integer(), nullable=True),
        sa.Column("case_ids", sa.JSON(), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("status IN ('open', 'looks_fine', 'talked')", name=op.f("ck_review_items_status")),
        sa.ForeignKeyConstraint(
            ["decided_by_id"], ["staff.id"], name=op.f("fk_review_items_decided_by_id_staff")
        ),
        sa.ForeignKeyConstraint(
            ["employee_id"], ["staff.id"], name=op.f("fk_review_items_employee_id_staff")
        ),
        sa.ForeignKeyConstraint(["manager_id"], ["staff.id"], name=op.f("fk_review_items_manager_id_staff")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_items")),
        sa.UniqueConstraint(
            "manager_id",
            "week",
            "reason",
            "subject",
            name=op.f("uq_review_items_manager_id_week_reason_subject"),
        ),
    )
    with op.batch_alter_table("review_items", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_review_items_manager_id"), ["manager_id"], unique=False)

    op.create_table(
        "applause",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_applause_case_id_cases"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["staff_id"], ["staff.id"], name=op.f("fk_applause_staff_id_staff")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_applause")),
        sa.UniqueConstraint("case_id", "staff_id", name=op.f("uq_applause_case_id_staff_id")),
    )
    with op.batch_alter_table("applause", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_applause_case_id"), ["case_id"], unique=False)

    op.create_table(
        "practice_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("offer", sa.String(length=200), nullable=True),
        sa.Column("apology", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_practice_attempts_case_id_cases"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["staff_id"], ["staff.id"], name=op.f("fk_practice_attempts_staff_id_staff")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_practice_attempts")),
    )
    with op.batch_alter_table("practice_attempts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_practice_attempts_staff_id"), ["staff_id"], unique=False)

    op.create_table(
        "tasks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("pattern", sa.String(length=200), nullable=False),
        sa.Column("open_key", sa.String(length=200), nullable=True),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("case_ids", sa.JSON(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("resolution", sa.Text(), nullable=True),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("kind IN ('recurring', 'customer_again')", name=op.f("ck_tasks_kind")),
        sa.CheckConstraint(
            "status IN ('open', 'in_progress', 'done', 'wont_fix')", name=op.f("ck_tasks_status")
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_tasks_case_id_cases"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["owner_id"], ["staff.id"], name=op.f("fk_tasks_owner_id_staff")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tasks")),
        sa.UniqueConstraint("open_key", name=op.f("uq_tasks_open_key")),
    )
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.create_index("ix_tasks_owner_id_status", ["owner_id", "status"], unique=False)

    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("root_cause_key", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("asked_for", sa.Text(), nullable=True))
        batch_op.create_index(
            "ix_cases_category_root_cause_key_created_at",
            ["category", "root_cause_key", "created_at"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_index("ix_cases_category_root_cause_key_created_at")
        batch_op.drop_column("asked_for")
        batch_op.drop_column("root_cause_key")

    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.drop_index("ix_tasks_owner_id_status")

    op.drop_table("tasks")
    with op.batch_alter_table("practice_attempts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_practice_attempts_staff_id"))

    op.drop_table("practice_attempts")
    with op.batch_alter_table("applause", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_applause_case_id"))

    op.drop_table("applause")
    with op.batch_alter_table("review_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_review_items_manager_id"))

    op.drop_table("review_items")
