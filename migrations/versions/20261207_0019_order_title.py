"""An order keeps its item title (宝贝标题) from the shop's export or post; orders recorded
before have none (the next import of their file fills it in)

Revision ID: 0019_order_title
Revises: 0018_bind_proof
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019_order_title"
down_revision: str | None = "0018_bind_proof"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("orders") as batch:
        batch.add_column(sa.Column("title", sa.String(length=255), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("orders") as batch:
        batch.drop_column("title")
