"""Studio looks: each user's chosen background, framing and mirror mode.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-26 04:40:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "studio_looks",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("background_id", sa.Integer(), nullable=True),
        sa.Column("framing", sa.String(length=16), nullable=True),
        sa.Column("mirror", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["background_id"], ["backgrounds.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("user_id"),
    )


def downgrade() -> None:
    op.drop_table("studio_looks")
