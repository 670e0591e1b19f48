"""VIP rooms and paid membership: rooms, seats, plans, memberships and the payments ledger

Revision ID: 0032_vip
Revises: 0034_events
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0032_vip"
down_revision: str | None = "0034_events"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_DATETIME = sa.DateTime(timezone=True)
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "vip_rooms",
        sa.Column("chat_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("program_id", sa.BigInteger(), nullable=False),
        sa.Column("rule", sa.String(length=200), nullable=False),
        sa.Column("link", sa.String(length=255), nullable=True),
        sa.Column("grace_days", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.BigInteger(), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.PrimaryKeyConstraint("chat_id", name=op.f("pk_vip_rooms")),
    )
    op.create_index(op.f("ix_vip_rooms_program_id"), "vip_rooms", ["program_id"])
    op.create_table(
        "vip_seats",
        sa.Column("chat_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("invited_at", UTC_DATETIME, nullable=True),
        sa.Column("warned_at", UTC_DATETIME, nullable=True),
        sa.Column("grace_until", UTC_DATETIME, nullable=True),
        sa.Column("removed_at", UTC_DATETIME, nullable=True),
        sa.PrimaryKeyConstraint("chat_id", "user_id", name=op.f("pk_vip_seats")),
    )
    op.create_table(
        "vip_plans",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("program_id", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("name_key", sa.String(length=64), nullable=False),
        sa.Column("stars", sa.Integer(), nullable=False),
        sa.Column("tier", sa.String(length=32), nullable=True),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("link", sa.String(length=255), nullable=True),
        sa.Column("on_sale", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.BigInteger(), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vip_plans")),
        sa.UniqueConstraint(
            "program_id", "name_key", name=op.f("uq_vip_plans_program_id_name_key")
        ),
    )
    op.create_table(
        "vip_memberships",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("program_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("plan_id", sa.BigInteger(), nullable=False),
        sa.Column("charge_id", sa.String(length=255), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("started_at", UTC_DATETIME, nullable=False),
        sa.Column("expires_at", UTC_DATETIME, nullable=False),
        sa.Column("canceled", sa.Boolean(), nullable=False),
        sa.Column("ended_at", UTC_DATETIME, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vip_memberships")),
        sa.UniqueConstraint(
            "program_id",
            "user_id",
            "plan_id",
            name=op.f("uq_vip_memberships_program_id_user_id_plan_id"),
        ),
    )
    op.create_index("ix_vip_memberships_status", "vip_memberships", ["status", "expires_at"])
    op.create_table(
        "vip_payments",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("charge_id", sa.String(length=255), nullable=False),
        sa.Column("program_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("plan_id", sa.BigInteger(), nullable=False),
        sa.Column("membership_id", sa.BigInteger(), nullable=False),
        sa.Column("stars", sa.Integer(), nullable=False),
        sa.Column("first", sa.Boolean(), nullable=False),
        sa.Column("paid_at", UTC_DATETIME, nullable=False),
        sa.Column("expires_at", UTC_DATETIME, nullable=False),
        sa.Column("refunded_at", UTC_DATETIME, nullable=True),
        sa.Column("refund_reason", sa.String(length=200), nullable=True),
        sa.Column("refunded_by", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vip_payments")),
        sa.UniqueConstraint("charge_id", name=op.f("uq_vip_payments_charge_id")),
    )
    op.create_index("ix_vip_payments_program", "vip_payments", ["program_id", "paid_at"])


def downgrade() -> None:
    op.drop_index("ix_vip_payments_program", table_name="vip_payments")
    op.drop_table("vip_payments")
    op.drop_index("ix_vip_memberships_status", table_name="vip_memberships")
    op.drop_table("vip_memberships")
    op.drop_table("vip_plans")
    op.drop_table("vip_seats")
    op.drop_index(op.f("ix_vip_rooms_program_id"), table_name="vip_rooms")
    op.drop_table("vip_rooms")
