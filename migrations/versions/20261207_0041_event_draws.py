"""Events: an online session's keyword draw (a draw for those signed up for an event)

Revision ID: 0041_event_draws
Revises: 0035_jielong
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0041_event_draws"
down_revision: str | None = "0035_jielong"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("draws") as batch:
        batch.add_column(sa.Column("event_id", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("draws") as batch:
        batch.drop_column("event_id")
