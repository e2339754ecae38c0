"""Operations: compute usage per stream, and the system log of warnings and errors.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26 00:40:35.441902
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "system_logs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("logger", sa.String(length=128), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("worker", sa.String(length=128), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("system_logs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_system_logs_at"), ["at"], unique=False)

    op.create_table(
        "compute_usage",
        sa.Column("stream_session_id", sa.String(length=32), nullable=False),
        sa.Column("worker", sa.String(length=128), nullable=False),
        sa.Column("live_seconds", sa.Float(), nullable=False),
        sa.Column("frames_out", sa.BigInteger(), nullable=False),
        sa.Column("frames_dropped", sa.BigInteger(), nullable=False),
        sa.Column("tracking_fps", sa.Float(), nullable=False),
        sa.Column("encoder", sa.String(length=32), nullable=False),
        sa.Column("process_cpu_s", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(["stream_session_id"], ["stream_sessions.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("stream_session_id"),
    )


def downgrade() -> None:
    op.drop_table("compute_usage")
    with op.batch_alter_table("system_logs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_system_logs_at"))

    op.drop_table("system_logs")
