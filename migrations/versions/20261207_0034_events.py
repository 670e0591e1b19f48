"""Events (线下活动): the events and their sign-ups, with tickets

Revision ID: 0034_events
Revises: 0033_selling
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0034_events"
down_revision: str | None = "0033_selling"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_DATETIME = sa.DateTime(timezone=True)
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "events",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("program_id", sa.BigInteger(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("place", sa.String(length=200), nullable=True),
        sa.Column("online", sa.Boolean(), nullable=False),
        sa.Column("starts_at", UTC_DATETIME, nullable=False),
        sa.Column("ends_at", UTC_DATETIME, nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=True),
        sa.Column("cost", sa.Integer(), nullable=False),
        sa.Column("guests", sa.Integer(), nullable=False),
        sa.Column("min_tier", sa.String(length=32), nullable=True),
        sa.Column("priority_tier", sa.String(length=32), nullable=True),
        sa.Column("priority_until", UTC_DATETIME, nullable=True),
        sa.Column("keyword", sa.String(length=64), nullable=True),
        sa.Column("photo_file_id", sa.String(length=255), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("message_id", sa.BigInteger(), nullable=True),
        sa.Column("created_by", sa.BigInteger(), nullable=True),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("closed_at", UTC_DATETIME, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_events")),
    )
    op.create_index("ix_events_chat_id", "events", ["chat_id", "id"])
    op.create_index("ix_events_status_starts_at", "events", ["status", "starts_at"])
    op.create_table(
        "event_seats",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("event_id", sa.BigInteger(), nullable=False),
        sa.Column("program_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("seats", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("paid", sa.Integer(), nullable=False),
        sa.Column("offered_until", UTC_DATETIME, nullable=True),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("checked_in_at", UTC_DATETIME, nullable=True),
        sa.Column("checked_in_by", sa.BigInteger(), nullable=True),
        sa.Column("no_show", sa.Boolean(), nullable=False),
        sa.Column("reminded", sa.Integer(), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("changed_at", UTC_DATETIME, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_seats")),
        sa.UniqueConstraint("event_id", "user_id", name=op.f("uq_event_seats_event_id_user_id")),
        sa.UniqueConstraint("code", name=op.f("uq_event_seats_code")),
    )
    op.create_index(
        "ix_event_seats_event_status", "event_seats", ["event_id", "status", "position"]
    )
    op.create_index("ix_event_seats_program_user", "event_seats", ["program_id", "user_id"])


def downgrade() -> None:
    op.drop_table("event_seats")
    op.drop_table("events")
