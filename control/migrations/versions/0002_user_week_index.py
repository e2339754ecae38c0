"""One index for a user's week of debits.

Every debit and stream start sums one user's debits for the week. With two single-column
indexes SQLite chose the week one and read every user's rows: 364 → 130 debits/s after a
day's use (benchmarks/control.py).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 00:25:24.145521
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("usage_debits", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_usage_debits_user_id"))
        batch_op.drop_index(batch_op.f("ix_usage_debits_week_start"))
        batch_op.create_index("ix_usage_debits_user_week", ["user_id", "week_start"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("usage_debits", schema=None) as batch_op:
        batch_op.drop_index("ix_usage_debits_user_week")
        batch_op.create_index(
            batch_op.f("ix_usage_debits_week_start"), ["week_start"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_usage_debits_user_id"), ["user_id"], unique=False)
