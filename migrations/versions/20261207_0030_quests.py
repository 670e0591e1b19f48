"""Missions, badges and seasons (任务、徽章、赛季): completions, reported events, the
missions' ledger cursor, badges held and closed seasons (issue 37)

Revision ID: 0030_quests
Revises: 0032_vip
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0030_quests"
down_revision: str | None = "0032_vip"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_DATETIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "quest_completions",
        sa.Column("program_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("period", sa.String(length=16), nullable=False),
        sa.Column("quest", sa.String(length=24), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("streak", sa.Integer(), nullable=False),
        sa.Column("completed_at", UTC_DATETIME, nullable=False),
        sa.PrimaryKeyConstraint(
            "program_id", "user_id", "period", "quest", name=op.f("pk_quest_completions")
        ),
    )
    op.create_table(
        "quest_events",
        sa.Column("key", sa.String(length=120), nullable=False),
        sa.Column("program_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("at", UTC_DATETIME, nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_quest_events")),
    )
    op.create_index("ix_quest_events_member", "quest_events", ["program_id", "user_id", "at"])
    op.create_table(
        "quest_cursors",
        sa.Column("program_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("ledger_id", sa.BigInteger(), nullable=False),
        sa.Column("looked_at", UTC_DATETIME, nullable=False),
        sa.PrimaryKeyConstraint("program_id", name=op.f("pk_quest_cursors")),
    )
    op.create_table(
        "badges",
        sa.Column("program_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("badge", sa.String(length=20), nullable=False),
        sa.Column("source", sa.String(length=12), nullable=False),
        sa.Column("given_by", sa.BigInteger(), nullable=True),
        sa.Column("given_at", UTC_DATETIME, nullable=False),
        sa.PrimaryKeyConstraint("program_id", "user_id", "badge", name=op.f("pk_badges")),
    )
    op.create_index("ix_badges_program_badge", "badges", ["program_id", "badge"])
    op.create_table(
        "season_results",
        sa.Column("program_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("period", sa.String(length=16), nullable=False),
        sa.Column("rank", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=True),
        sa.Column("points", sa.BigInteger(), nullable=False),
        sa.Column("closed_at", UTC_DATETIME, nullable=False),
        sa.PrimaryKeyConstraint("program_id", "period", "rank", name=op.f("pk_season_results")),
    )


def downgrade() -> None:
    op.drop_table("season_results")
    op.drop_index("ix_badges_program_badge", table_name="badges")
    op.drop_table("badges")
    op.drop_table("quest_cursors")
    op.drop_index("ix_quest_events_member", table_name="quest_events")
    op.drop_table("quest_events")
    op.drop_table("quest_completions")
