"""boosts and reactions earn: the group's boosts, who wrote recent messages (a reaction names
only the reactor) and the reactions that paid a member each day

Revision ID: 0021_boosts_reactions
Revises: 0020_member_tags
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021_boosts_reactions"
down_revision: str | None = "0020_member_tags"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_DATETIME = sa.DateTime(timezone=True)


def chat_key(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["chat_id"], ["chats.id"], name=op.f(f"fk_{table}_chat_id_chats")
    )


def upgrade() -> None:
    op.create_table(
        "chat_boosts",
        sa.Column("chat_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("boost_id", sa.String(length=128), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("added_at", UTC_DATETIME, nullable=False),
        sa.Column("expires_at", UTC_DATETIME, nullable=False),
        sa.Column("removed_at", UTC_DATETIME, nullable=True),
        sa.Column("paid", sa.Boolean(), nullable=False),
        chat_key("chat_boosts"),
        sa.PrimaryKeyConstraint("chat_id", "boost_id", name=op.f("pk_chat_boosts")),
    )
    op.create_index("ix_chat_boosts_added", "chat_boosts", ["chat_id", "added_at"])
    op.create_table(
        "message_authors",
        sa.Column("chat_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("message_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("sent_at", UTC_DATETIME, nullable=False),
        chat_key("message_authors"),
        sa.PrimaryKeyConstraint("chat_id", "message_id", name=op.f("pk_message_authors")),
    )
    op.create_index("ix_message_authors_sent", "message_authors", ["sent_at"])
    op.create_table(
        "reaction_days",
        sa.Column("chat_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("paid", sa.Integer(), nullable=False),
        chat_key("reaction_days"),
        sa.PrimaryKeyConstraint("chat_id", "user_id", "day", name=op.f("pk_reaction_days")),
    )


def downgrade() -> None:
    op.drop_table("reaction_days")
    op.drop_index("ix_message_authors_sent", table_name="message_authors")
    op.drop_table("message_authors")
    op.drop_index("ix_chat_boosts_added", table_name="chat_boosts")
    op.drop_table("chat_boosts")
