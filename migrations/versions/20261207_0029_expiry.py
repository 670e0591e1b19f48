"""Points that expire (积分有效期): how far ahead each member was warned

Revision ID: 0029_expiry
Revises: 0028_erasures
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0029_expiry"
down_revision: str | None = "0028_erasures"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_DATETIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "points_expiry_warnings",
        sa.Column("program_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("warned_30_earned_by", UTC_DATETIME, nullable=True),
        sa.Column("warned_7_earned_by", UTC_DATETIME, nullable=True),
        sa.PrimaryKeyConstraint("program_id", "user_id", name=op.f("pk_points_expiry_warnings")),
    )


def downgrade() -> None:
    op.drop_table("points_expiry_warnings")
