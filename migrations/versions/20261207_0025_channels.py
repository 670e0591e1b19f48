"""Channels (渠道活码): named invite links of a group, and the channel that brought each member

Revision ID: 0025_channels
Revises: 0024_programs
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0025_channels"
down_revision: str | None = "0024_programs"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_DATETIME = sa.DateTime(timezone=True)
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "channels",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("program_id", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("name_key", sa.String(length=64), nullable=False),
        sa.Column("link", sa.String(length=255), nullable=False),
        sa.Column("creates_join_request", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.BigInteger(), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("revoked_at", UTC_DATETIME, nullable=True),
        sa.ForeignKeyConstraint(["chat_id"], ["chats.id"], name=op.f("fk_channels_chat_id_chats")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_channels")),
        sa.UniqueConstraint("chat_id", "name_key", name=op.f("uq_channels_chat_id_name_key")),
        sa.UniqueConstraint("link", name=op.f("uq_channels_link")),
    )
    op.create_table(
        "channel_joins",
        sa.Column("program_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("channel_id", sa.BigInteger(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("joined_at", UTC_DATETIME, nullable=False),
        sa.Column("left_at", UTC_DATETIME, nullable=True),
        sa.ForeignKeyConstraint(
            ["channel_id"], ["channels.id"], name=op.f("fk_channel_joins_channel_id_channels")
        ),
        sa.PrimaryKeyConstraint("program_id", "user_id", name=op.f("pk_channel_joins")),
    )
    op.create_index("ix_channel_joins_channel", "channel_joins", ["channel_id"])


def downgrade() -> None:
    op.drop_index("ix_channel_joins_channel", table_name="channel_joins")
    op.drop_table("channel_joins")
    op.drop_table("channels")
