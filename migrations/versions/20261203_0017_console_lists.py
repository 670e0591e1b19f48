"""The console's shop and draws pages: a group's latest redemptions and draws, and its gifts
still to send, by index, not by reading every one the group ever had

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-03
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_redemptions_chat", "redemptions", ["chat_id", "id"])
    op.create_index("ix_draws_chat", "draws", ["chat_id", "id"])
    op.create_index("ix_redemptions_reward_status", "redemptions", ["reward_id", "status"])


def downgrade() -> None:
    op.drop_index("ix_redemptions_reward_status", table_name="redemptions")
    op.drop_index("ix_draws_chat", table_name="draws")
    op.drop_index("ix_redemptions_chat", table_name="redemptions")
