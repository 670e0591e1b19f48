"""moderation: the action log, warnings, join verifications, bans and linked groups' ban
lists, and members silenced until a time

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_DATETIME = sa.DateTime(timezone=True)
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def chat_key(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["chat_id"], ["chats.id"], name=op.f(f"fk_{table}_chat_id_chats")
    )


def upgrade() -> None:
    op.create_table(
        "mod_actions",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("target_id", sa.BigInteger(), nullable=True),
        sa.Column("actor_id", sa.BigInteger(), nullable=True),
        sa.Column("rule", sa.String(length=32), nullable=True),
        sa.Column("reason", sa.String(length=255), nullable=True),
        sa.Column("until", UTC_DATETIME, nullable=True),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        chat_key("mod_actions"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mod_actions")),
    )
    op.create_index("ix_mod_actions_chat", "mod_actions", ["chat_id", "id"])
    op.create_table(
        "warnings",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("actor_id", sa.BigInteger(), nullable=True),
        sa.Column("reason", sa.String(length=255), nullable=True),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("lifted_at", UTC_DATETIME, nullable=True),
        chat_key("warnings"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_warnings")),
    )
    op.create_index("ix_warnings_member", "warnings", ["chat_id", "user_id"])
    op.create_table(
        "verifications",
        sa.Column("chat_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("state", sa.String(length=8), nullable=False),
        sa.Column("answer", sa.String(length=8), nullable=True),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("message_id", sa.BigInteger(), nullable=True),
        sa.Column("deadline", UTC_DATETIME, nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        chat_key("verifications"),
        sa.PrimaryKeyConstraint("chat_id", "user_id", name=op.f("pk_verifications")),
    )
    op.create_index("ix_verifications_due", "verifications", ["state", "deadline"])
    op.create_table(
        "bans",
        sa.Column("chat_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("until", UTC_DATETIME, nullable=True),
        sa.Column("reason", sa.String(length=255), nullable=True),
        sa.Column("origin_chat_id", sa.BigInteger(), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        chat_key("bans"),
        sa.PrimaryKeyConstraint("chat_id", "user_id", name=op.f("pk_bans")),
    )
    op.create_table(
        "ban_networks",
        sa.Column("chat_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("network_id", sa.BigInteger(), nullable=False),
        sa.Column("linked_by", sa.BigInteger(), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        chat_key("ban_networks"),
        sa.PrimaryKeyConstraint("chat_id", name=op.f("pk_ban_networks")),
    )
    op.create_index("ix_ban_networks_network", "ban_networks", ["network_id"])
    op.add_column("members", sa.Column("silenced_until", UTC_DATETIME, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("members") as members:
        members.drop_column("silenced_until")
    op.drop_index("ix_ban_networks_network", table_name="ban_networks")
    op.drop_table("ban_networks")
    op.drop_table("bans")
    op.drop_index("ix_verifications_due", table_name="verifications")
    op.drop_table("verifications")
    op.drop_index("ix_warnings_member", table_name="warnings")
    op.drop_table("warnings")
    op.drop_index("ix_mod_actions_chat", table_name="mod_actions")
    op.drop_table("mod_actions")
