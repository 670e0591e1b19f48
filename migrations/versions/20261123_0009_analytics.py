"""analytics: daily roll-ups per chat, member segments, and the member columns they need

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_DATETIME = sa.DateTime(timezone=True)
COUNTERS = (
    ("messages", sa.BigInteger()),
    ("active_members", sa.Integer()),
    ("joins", sa.Integer()),
    ("leaves", sa.Integer()),
    ("checkins", sa.Integer()),
    ("draw_entries", sa.Integer()),
    ("topic_replies", sa.Integer()),
    ("referral_joins", sa.Integer()),
    ("points_issued", sa.BigInteger()),
    ("points_spent", sa.BigInteger()),
)


def upgrade() -> None:
    op.create_table(
        "daily_stats",
        sa.Column("chat_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        *(sa.Column(name, kind, nullable=False) for name, kind in COUNTERS),
        sa.ForeignKeyConstraint(
            ["chat_id"], ["chats.id"], name=op.f("fk_daily_stats_chat_id_chats")
        ),
        sa.PrimaryKeyConstraint("chat_id", "day", name=op.f("pk_daily_stats")),
    )
    op.create_table(
        "member_segments",
        sa.Column("chat_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("segment", sa.String(length=16), nullable=False),
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("score", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["chat_id"], ["chats.id"], name=op.f("fk_member_segments_chat_id_chats")
        ),
        sa.PrimaryKeyConstraint("chat_id", "segment", "user_id", name=op.f("pk_member_segments")),
    )
    op.create_index("ix_member_segments_rank", "member_segments", ["chat_id", "segment", "score"])
    op.create_table(
        "segment_runs",
        sa.Column("chat_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("computed_at", UTC_DATETIME, nullable=False),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["chat_id"], ["chats.id"], name=op.f("fk_segment_runs_chat_id_chats")
        ),
        sa.PrimaryKeyConstraint("chat_id", name=op.f("pk_segment_runs")),
    )
    with op.batch_alter_table("members") as batch:
        batch.add_column(sa.Column("last_active_day", sa.Date(), nullable=True))
        batch.add_column(sa.Column("active_days", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(
            sa.Column("replies_received", sa.Integer(), nullable=False, server_default="0")
        )
        batch.add_column(sa.Column("last_join_at", UTC_DATETIME, nullable=True))
        batch.add_column(sa.Column("left_at", UTC_DATETIME, nullable=True))
    with op.batch_alter_table("members") as batch:
        batch.alter_column("active_days", server_default=None)
        batch.alter_column("replies_received", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("members") as batch:
        batch.drop_column("left_at")
        batch.drop_column("last_join_at")
        batch.drop_column("replies_received")
        batch.drop_column("active_days")
        batch.drop_column("last_active_day")
    op.drop_table("segment_runs")
    op.drop_index("ix_member_segments_rank", table_name="member_segments")
    op.drop_table("member_segments")
    op.drop_table("daily_stats")
