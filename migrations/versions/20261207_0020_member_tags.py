"""The tags the bot gave members (`/settings tags on`): what it set, so it changes and clears
only its own

Revision ID: 0020_member_tags
Revises: 0019_order_title
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020_member_tags"
down_revision: str | None = "0019_order_title"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "member_tags",
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("tag", sa.String(length=16), nullable=False),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["chat_id"], ["chats.id"], name=op.f("fk_member_tags_chat_id_chats")
        ),
        sa.PrimaryKeyConstraint("chat_id", "user_id", name=op.f("pk_member_tags")),
    )


def downgrade() -> None:
    op.drop_table("member_tags")
