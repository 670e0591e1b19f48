"""campaigns: holiday events with a points multiplier; the daily cadence's runs

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
UTC_DATETIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "campaigns",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("created_by", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("first_day", sa.Date(), nullable=False),
        sa.Column("last_day", sa.Date(), nullable=False),
        sa.Column("starts_at", UTC_DATETIME, nullable=False),
        sa.Column("ends_at", UTC_DATETIME, nullable=False),
        sa.Column("multiplier_pct", sa.Integer(), nullable=False),
        sa.Column("greeting", sa.Text(), nullable=True),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("greeted_at", UTC_DATETIME, nullable=True),
        sa.Column("thanked_at", UTC_DATETIME, nullable=True),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.ForeignKeyConstraint(["chat_id"], ["chats.id"], name=op.f("fk_campaigns_chat_id_chats")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaigns")),
    )
    op.create_index("ix_campaigns_chat_ends", "campaigns", ["chat_id", "ends_at"])
    op.create_table(
        "cadence_runs",
        sa.Column("chat_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("part", sa.String(length=16), nullable=False),
        sa.Column("fire_time", UTC_DATETIME, nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["chat_id"], ["chats.id"], name=op.f("fk_cadence_runs_chat_id_chats")
        ),
        sa.PrimaryKeyConstraint("chat_id", "part", "fire_time", name=op.f("pk_cadence_runs")),
    )
    with op.batch_alter_table("points_ledger") as batch:
        batch.add_column(sa.Column("campaign_id", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("points_ledger") as batch:
        batch.drop_column("campaign_id")
    op.drop_table("cadence_runs")
    op.drop_index("ix_campaigns_chat_ends", table_name="campaigns")
    op.drop_table("campaigns")
