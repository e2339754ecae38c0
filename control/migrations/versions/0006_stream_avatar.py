"""Which avatar each stream went live with.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26 00:39:52.020071
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("stream_sessions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("avatar_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            "fk_stream_sessions_avatar_id", "avatars", ["avatar_id"], ["id"], ondelete="SET NULL"
        )


def downgrade() -> None:
    with op.batch_alter_table("stream_sessions", schema=None) as batch_op:
        batch_op.drop_constraint("fk_stream_sessions_avatar_id", type_="foreignkey")
        batch_op.drop_column("avatar_id")
