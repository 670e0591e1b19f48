"""topics: topic threads, their replies, members' figures and reactions

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
UTC_DATETIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "topics",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("created_by", sa.BigInteger(), nullable=False),
        sa.Column("title", sa.String(length=128), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("hours", sa.Integer(), nullable=False),
        sa.Column("reward", sa.Integer(), nullable=False),
        sa.Column("cap", sa.Integer(), nullable=False),
        sa.Column("bonuses", sa.JSON(), nullable=False),
        sa.Column("icon_color", sa.Integer(), nullable=True),
        sa.Column("thread_id", sa.BigInteger(), nullable=True),
        sa.Column("anchor_message_id", sa.BigInteger(), nullable=True),
        sa.Column("source_message_id", sa.BigInteger(), nullable=True),
        sa.Column("opens_at", UTC_DATETIME, nullable=True),
        sa.Column("closes_at", UTC_DATETIME, nullable=True),
        sa.Column("closed_at", UTC_DATETIME, nullable=True),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.ForeignKeyConstraint(["chat_id"], ["chats.id"], name=op.f("fk_topics_chat_id_chats")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_topics")),
        sa.UniqueConstraint(
            "chat_id", "source_message_id", name=op.f("uq_topics_chat_id_source_message_id")
        ),
    )
    op.create_index("ix_topics_chat_status", "topics", ["chat_id", "status"])
    op.create_table(
        "topic_replies",
        sa.Column("chat_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("message_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("topic_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("parent_message_id", sa.BigInteger(), nullable=True),
        sa.Column("photo_file_id", sa.String(length=255), nullable=True),
        sa.Column("fingerprint", sa.String(length=16), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["topic_id"], ["topics.id"], name=op.f("fk_topic_replies_topic_id_topics")
        ),
        sa.PrimaryKeyConstraint("chat_id", "message_id", name=op.f("pk_topic_replies")),
    )
    op.create_index("ix_topic_replies_topic", "topic_replies", ["topic_id", "user_id"])
    op.create_index("ix_topic_replies_parent", "topic_replies", ["topic_id", "parent_message_id"])
    op.create_table(
        "topic_members",
        sa.Column("topic_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("replies", sa.Integer(), nullable=False),
        sa.Column("received", sa.Integer(), nullable=False),
        sa.Column("rewarded", sa.Integer(), nullable=False),
        sa.Column("first_reply_at", UTC_DATETIME, nullable=True),
        sa.ForeignKeyConstraint(
            ["topic_id"], ["topics.id"], name=op.f("fk_topic_members_topic_id_topics")
        ),
        sa.PrimaryKeyConstraint("topic_id", "user_id", name=op.f("pk_topic_members")),
    )
    op.create_table(
        "topic_reactions",
        sa.Column("chat_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("message_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.PrimaryKeyConstraint(
            "chat_id", "message_id", "user_id", name=op.f("pk_topic_reactions")
        ),
    )


def downgrade() -> None:
    op.drop_table("topic_reactions")
    op.drop_table("topic_members")
    op.drop_index("ix_topic_replies_parent", table_name="topic_replies")
    op.drop_index("ix_topic_replies_topic", table_name="topic_replies")
    op.drop_table("topic_replies")
    op.drop_index("ix_topics_chat_status", table_name="topics")
    op.drop_table("topics")
