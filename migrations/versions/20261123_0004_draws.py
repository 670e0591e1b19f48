"""draws: lucky draws with a committed seed, and their entries

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
UTC_DATETIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "draws",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("created_by", sa.BigInteger(), nullable=False),
        sa.Column("prize", sa.String(length=200), nullable=False),
        sa.Column("winners", sa.Integer(), nullable=False),
        sa.Column("ends_at", UTC_DATETIME, nullable=False),
        sa.Column("min_tier", sa.String(length=64), nullable=True),
        sa.Column("min_lifetime", sa.Integer(), nullable=False),
        sa.Column("min_points", sa.Integer(), nullable=False),
        sa.Column("cost", sa.Integer(), nullable=False),
        sa.Column("min_member_days", sa.Integer(), nullable=False),
        sa.Column("min_messages", sa.Integer(), nullable=False),
        sa.Column("seed", sa.String(length=64), nullable=False),
        sa.Column("commitment", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("entrants", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.BigInteger(), nullable=True),
        sa.Column("winner_ids", sa.JSON(), nullable=False),
        sa.Column("next_counter", sa.Integer(), nullable=False),
        sa.Column("claimed_ids", sa.JSON(), nullable=False),
        sa.Column("rerolls", sa.JSON(), nullable=False),
        sa.Column("result_message_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("ended_at", UTC_DATETIME, nullable=True),
        sa.ForeignKeyConstraint(["chat_id"], ["chats.id"], name=op.f("fk_draws_chat_id_chats")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_draws")),
    )
    op.create_index("ix_draws_status_ends_at", "draws", ["status", "ends_at"])
    op.create_table(
        "draw_entries",
        sa.Column("draw_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("paid", sa.Integer(), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["draw_id"], ["draws.id"], name=op.f("fk_draw_entries_draw_id_draws")
        ),
        sa.PrimaryKeyConstraint("draw_id", "user_id", name=op.f("pk_draw_entries")),
    )


def downgrade() -> None:
    op.drop_table("draw_entries")
    op.drop_index("ix_draws_status_ends_at", table_name="draws")
    op.drop_table("draws")
