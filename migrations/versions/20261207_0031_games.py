"""Games (互动游戏): quiz questions, rounds, entries, and what each member won a day

Revision ID: 0031_games
Revises: 0029_expiry
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0031_games"
down_revision: str | None = "0029_expiry"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_DATETIME = sa.DateTime(timezone=True)
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "quiz_questions",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("program_id", sa.BigInteger(), nullable=False),
        sa.Column("question", sa.String(length=300), nullable=False),
        sa.Column("options", sa.JSON(), nullable=False),
        sa.Column("correct", sa.JSON(), nullable=False),
        sa.Column("explanation", sa.String(length=200), nullable=False),
        sa.Column("asked", sa.Integer(), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quiz_questions")),
    )
    op.create_index(
        "ix_quiz_questions_program_asked", "quiz_questions", ["program_id", "asked", "id"]
    )
    op.create_table(
        "game_rounds",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=True),
        sa.Column("started_by", sa.BigInteger(), nullable=True),
        sa.Column("opponent_id", sa.BigInteger(), nullable=True),
        sa.Column("stake", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.BigInteger(), nullable=True),
        sa.Column("poll_id", sa.String(length=64), nullable=True),
        sa.Column("message_id", sa.BigInteger(), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("closes_at", UTC_DATETIME, nullable=True),
        sa.Column("closed_at", UTC_DATETIME, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_game_rounds")),
        sa.UniqueConstraint("key", name=op.f("uq_game_rounds_key")),
        sa.UniqueConstraint("poll_id", name=op.f("uq_game_rounds_poll_id")),
    )
    op.create_index("ix_game_rounds_status_closes", "game_rounds", ["status", "closes_at"])
    op.create_index("ix_game_rounds_chat_kind", "game_rounds", ["chat_id", "kind", "id"])
    op.create_table(
        "game_entries",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("round_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.Column("correct", sa.Boolean(), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=True),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("answered_at", UTC_DATETIME, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_game_entries")),
        sa.UniqueConstraint("round_id", "user_id", name=op.f("uq_game_entries_round_id_user_id")),
    )
    op.create_table(
        "game_days",
        sa.Column("program_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("won", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("program_id", "user_id", "day", name=op.f("pk_game_days")),
    )


def downgrade() -> None:
    op.drop_table("game_days")
    op.drop_table("game_entries")
    op.drop_index("ix_game_rounds_chat_kind", table_name="game_rounds")
    op.drop_index("ix_game_rounds_status_closes", table_name="game_rounds")
    op.drop_table("game_rounds")
    op.drop_index("ix_quiz_questions_program_asked", table_name="quiz_questions")
    op.drop_table("quiz_questions")
