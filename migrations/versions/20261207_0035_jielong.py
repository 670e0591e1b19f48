"""Solitaire order lists (接龙) and their entries; group buys (拼团) and their members

Revision ID: 0035_jielong
Revises: 0030_quests
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0035_jielong"
down_revision: str | None = "0030_quests"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_DATETIME = sa.DateTime(timezone=True)
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "jielongs",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("options", sa.String(length=400), nullable=False),
        sa.Column("price_fen", sa.BigInteger(), nullable=True),
        sa.Column("limit", sa.Integer(), nullable=True),
        sa.Column("taken", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("ends_at", UTC_DATETIME, nullable=True),
        sa.Column("message_id", sa.BigInteger(), nullable=True),
        sa.Column("created_by", sa.BigInteger(), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("ended_at", UTC_DATETIME, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_jielongs")),
    )
    op.create_index("ix_jielongs_due", "jielongs", ["status", "ends_at"])
    op.create_index(op.f("ix_jielongs_chat_id"), "jielongs", ["chat_id"])
    op.create_table(
        "jielong_entries",
        sa.Column("jielong_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("option", sa.String(length=40), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("updated_at", UTC_DATETIME, nullable=False),
        sa.PrimaryKeyConstraint("jielong_id", "user_id", "option", name=op.f("pk_jielong_entries")),
    )
    op.create_table(
        "group_buys",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("program_id", sa.BigInteger(), nullable=False),
        sa.Column("item", sa.String(length=200), nullable=False),
        sa.Column("tiers", sa.String(length=400), nullable=False),
        sa.Column("reward_id", sa.BigInteger(), nullable=True),
        sa.Column("joined", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("price_fen", sa.BigInteger(), nullable=True),
        sa.Column("ends_at", UTC_DATETIME, nullable=False),
        sa.Column("message_id", sa.BigInteger(), nullable=True),
        sa.Column("created_by", sa.BigInteger(), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("ended_at", UTC_DATETIME, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_group_buys")),
    )
    op.create_index("ix_group_buys_due", "group_buys", ["status", "ends_at"])
    op.create_index(op.f("ix_group_buys_chat_id"), "group_buys", ["chat_id"])
    op.create_table(
        "group_buy_members",
        sa.Column("group_buy_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("joined_at", UTC_DATETIME, nullable=False),
        sa.Column("code", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("group_buy_id", "user_id", name=op.f("pk_group_buy_members")),
    )


def downgrade() -> None:
    op.drop_table("group_buy_members")
    op.drop_index(op.f("ix_group_buys_chat_id"), table_name="group_buys")
    op.drop_index("ix_group_buys_due", table_name="group_buys")
    op.drop_table("group_buys")
    op.drop_table("jielong_entries")
    op.drop_index(op.f("ix_jielongs_chat_id"), table_name="jielongs")
    op.drop_index("ix_jielongs_due", table_name="jielongs")
    op.drop_table("jielongs")
