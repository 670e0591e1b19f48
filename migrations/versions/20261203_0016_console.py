"""The web console: used one-time login links, and the members list's sort orders by index
(points, last seen) so that a page of a 100,000-member group costs what one of 1,000 does

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "console_logins",
        sa.Column("nonce", sa.String(length=32), primary_key=True),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_members_chat_points", "members", ["chat_id", "points", "user_id"])
    op.create_index("ix_members_chat_seen", "members", ["chat_id", "last_seen_at", "user_id"])


def downgrade() -> None:
    op.drop_index("ix_members_chat_seen", table_name="members")
    op.drop_index("ix_members_chat_points", table_name="members")
    op.drop_table("console_logins")
