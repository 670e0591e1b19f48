"""Staff: console access a program's owner gives besides the Telegram admins, read or full

Revision ID: 0026_staff
Revises: 0025_channels
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0026_staff"
down_revision: str | None = "0025_channels"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_DATETIME = sa.DateTime(timezone=True)
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "staff",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("program_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("role", sa.String(length=8), nullable=False),
        sa.Column("granted_by", sa.BigInteger(), nullable=False),
        sa.Column("granted_at", UTC_DATETIME, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff")),
        sa.UniqueConstraint("program_id", "user_id", name=op.f("uq_staff_program_id_user_id")),
    )
    op.create_index("ix_staff_user", "staff", ["user_id"])


def downgrade() -> None:
    op.drop_index("ix_staff_user", table_name="staff")
    op.drop_table("staff")
