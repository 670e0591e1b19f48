"""first day: command receipts (a redelivered command is not run twice), and rank ties (when a
member's period total and lifetime points last grew)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_DATETIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "command_receipts",
        sa.Column("chat_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("message_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("command", sa.String(length=32), nullable=False),
        sa.Column("handled_at", UTC_DATETIME, nullable=False),
        sa.PrimaryKeyConstraint("chat_id", "message_id", name=op.f("pk_command_receipts")),
    )
    with op.batch_alter_table("points_periods") as batch:
        batch.add_column(sa.Column("reached_at", UTC_DATETIME, nullable=True))
    with op.batch_alter_table("members") as batch:
        batch.add_column(sa.Column("lifetime_reached_at", UTC_DATETIME, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("members") as batch:
        batch.drop_column("lifetime_reached_at")
    with op.batch_alter_table("points_periods") as batch:
        batch.drop_column("reached_at")
    op.drop_table("command_receipts")
