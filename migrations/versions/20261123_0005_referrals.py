"""referrals: members' invite links and the joins through them

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_DATETIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "invite_links",
        sa.Column("link", sa.String(length=255), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["chat_id"], ["chats.id"], name=op.f("fk_invite_links_chat_id_chats")
        ),
        sa.PrimaryKeyConstraint("link", name=op.f("pk_invite_links")),
    )
    op.create_index("ix_invite_links_member", "invite_links", ["chat_id", "user_id"])
    op.create_table(
        "referrals",
        sa.Column("chat_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("invitee_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("inviter_id", sa.BigInteger(), nullable=False),
        sa.Column("link", sa.String(length=255), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("joined_at", UTC_DATETIME, nullable=False),
        sa.Column("settled_at", UTC_DATETIME, nullable=True),
        sa.ForeignKeyConstraint(["chat_id"], ["chats.id"], name=op.f("fk_referrals_chat_id_chats")),
        sa.PrimaryKeyConstraint("chat_id", "invitee_id", name=op.f("pk_referrals")),
    )
    op.create_index("ix_referrals_status_joined", "referrals", ["status", "joined_at"])
    op.create_index("ix_referrals_inviter", "referrals", ["chat_id", "inviter_id", "status"])


def downgrade() -> None:
    op.drop_index("ix_referrals_inviter", table_name="referrals")
    op.drop_index("ix_referrals_status_joined", table_name="referrals")
    op.drop_table("referrals")
    op.drop_index("ix_invite_links_member", table_name="invite_links")
    op.drop_table("invite_links")
