"""Shop: a reward can ask for a badge (`/reward add … badge=<name>`)

Revision ID: 0042_reward_badge
Revises: 0041_event_draws
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0042_reward_badge"
down_revision: str | None = "0041_event_draws"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("rewards") as batch:
        batch.add_column(sa.Column("badge", sa.String(length=20), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("rewards") as batch:
        batch.drop_column("badge")
