"""points: message points state on members, VIP tiers, period totals for /top

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
UTC_DATETIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("members") as batch:
        batch.add_column(
            sa.Column("last_message_id", sa.BigInteger(), nullable=False, server_default="0")
        )
        batch.add_column(sa.Column("last_message_digest", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("message_points_at", UTC_DATETIME, nullable=True))
        batch.add_column(sa.Column("message_points_day", sa.Date(), nullable=True))
        batch.add_column(
            sa.Column("message_points_today", sa.Integer(), nullable=False, server_default="0")
        )
    with op.batch_alter_table("members") as batch:
        batch.alter_column("last_message_id", server_default=None)
        batch.alter_column("message_points_today", server_default=None)
    op.create_index(
        "ix_members_chat_lifetime", "members", ["chat_id", "lifetime_points", "user_id"]
    )
    op.create_table(
        "tiers",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=True),
        sa.Column("threshold", sa.BigInteger(), nullable=False),
        sa.Column("perks", sa.String(length=255), nullable=True),
        sa.ForeignKeyConstraint(["chat_id"], ["chats.id"], name=op.f("fk_tiers_chat_id_chats")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tiers")),
        sa.UniqueConstraint("chat_id", "key", name=op.f("uq_tiers_chat_id_key")),
        sa.UniqueConstraint("chat_id", "threshold", name=op.f("uq_tiers_chat_id_threshold")),
    )
    op.create_table(
        "points_periods",
        sa.Column("chat_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("period", sa.String(length=16), nullable=False),
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("earned", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["chat_id"], ["chats.id"], name=op.f("fk_points_periods_chat_id_chats")
        ),
        sa.PrimaryKeyConstraint("chat_id", "period", "user_id", name=op.f("pk_points_periods")),
    )
    op.create_index(
        "ix_points_periods_rank", "points_periods", ["chat_id", "period", "earned", "user_id"]
    )


def downgrade() -> None:
    op.drop_index("ix_points_periods_rank", table_name="points_periods")
    op.drop_table("points_periods")
    op.drop_table("tiers")
    op.drop_index("ix_members_chat_lifetime", table_name="members")
    with op.batch_alter_table("members") as batch:
        batch.drop_column("message_points_today")
        batch.drop_column("message_points_day")
        batch.drop_column("message_points_at")
        batch.drop_column("last_message_digest")
        batch.drop_column("last_message_id")
