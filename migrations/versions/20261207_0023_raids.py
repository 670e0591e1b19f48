"""Raid mode: a group's raids and who joined during each; a join request's brand question
counts its wrong answers

Revision ID: 0023_raids
Revises: 0022_reports
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0023_raids"
down_revision: str | None = "0022_reports"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_DATETIME = sa.DateTime(timezone=True)
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "raids",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("started_at", UTC_DATETIME, nullable=False),
        sa.Column("started_by", sa.BigInteger(), nullable=True),
        sa.Column("ends_at", UTC_DATETIME, nullable=False),
        sa.Column("ended_at", UTC_DATETIME, nullable=True),
        sa.Column("ended_by", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(["chat_id"], ["chats.id"], name=op.f("fk_raids_chat_id_chats")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_raids")),
    )
    op.create_index("ix_raids_open", "raids", ["ended_at", "ends_at"])
    op.create_index("ix_raids_chat", "raids", ["chat_id", "id"])
    op.create_table(
        "raid_joins",
        sa.Column("raid_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("joined_at", UTC_DATETIME, nullable=False),
        sa.Column("restricted", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["raid_id"], ["raids.id"], name=op.f("fk_raid_joins_raid_id_raids")
        ),
        sa.PrimaryKeyConstraint("raid_id", "user_id", name=op.f("pk_raid_joins")),
    )
    with op.batch_alter_table("verifications") as batch:
        batch.add_column(sa.Column("tries", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("verifications") as batch:
        batch.drop_column("tries")
    op.drop_table("raid_joins")
    op.drop_index("ix_raids_chat", table_name="raids")
    op.drop_index("ix_raids_open", table_name="raids")
    op.drop_table("raids")
