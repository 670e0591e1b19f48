"""members.recent_message_ids: the member's counted messages above a floor, so an older message
handled after a newer one (webhooks deliver over many connections) is still counted

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # NULL: counted up to last_message_id, nothing known above it (what every row meant before).
    with op.batch_alter_table("members") as batch:
        batch.add_column(sa.Column("recent_message_ids", sa.String(length=400), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("members") as batch:
        batch.drop_column("recent_message_ids")
