"""Selling through the group (分销): distributors, their codes, commissions and their ledger

Revision ID: 0033_selling
Revises: 0031_games
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0033_selling"
down_revision: str | None = "0031_games"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_DATETIME = sa.DateTime(timezone=True)
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "distributors",
        sa.Column("program_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("rate_bp", sa.Integer(), nullable=False),
        sa.Column("channel_id", sa.BigInteger(), nullable=True),
        sa.Column("pending_fen", sa.BigInteger(), nullable=False),
        sa.Column("payable_fen", sa.BigInteger(), nullable=False),
        sa.Column("paid_fen", sa.BigInteger(), nullable=False),
        sa.Column("added_by", sa.BigInteger(), nullable=False),
        sa.Column("added_at", UTC_DATETIME, nullable=False),
        sa.Column("removed_at", UTC_DATETIME, nullable=True),
        sa.PrimaryKeyConstraint("program_id", "user_id", name=op.f("pk_distributors")),
    )
    op.create_table(
        "distributor_codes",
        sa.Column("program_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("added_at", UTC_DATETIME, nullable=False),
        sa.PrimaryKeyConstraint("program_id", "code", name=op.f("pk_distributor_codes")),
    )
    op.create_index("ix_distributor_codes_member", "distributor_codes", ["program_id", "user_id"])
    op.create_table(
        "commissions",
        sa.Column("order_row", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("program_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("via", sa.String(length=8), nullable=False),
        sa.Column("rate_bp", sa.Integer(), nullable=False),
        sa.Column("order_fen", sa.BigInteger(), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("counted_fen", sa.BigInteger(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("confirm_at", UTC_DATETIME, nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.PrimaryKeyConstraint("order_row", name=op.f("pk_commissions")),
    )
    op.create_index("ix_commissions_due", "commissions", ["state", "confirm_at"])
    op.create_index("ix_commissions_distributor", "commissions", ["program_id", "user_id"])
    op.create_table(
        "commission_entries",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("key", sa.String(length=160), nullable=False),
        sa.Column("program_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("reason", sa.String(length=16), nullable=False),
        sa.Column("pending_delta", sa.BigInteger(), nullable=False),
        sa.Column("payable_delta", sa.BigInteger(), nullable=False),
        sa.Column("paid_delta", sa.BigInteger(), nullable=False),
        sa.Column("order_row", sa.BigInteger(), nullable=True),
        sa.Column("reference", sa.String(length=64), nullable=True),
        sa.Column("actor", sa.BigInteger(), nullable=True),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_commission_entries")),
        sa.UniqueConstraint("key", name=op.f("uq_commission_entries_key")),
    )
    op.create_index(
        "ix_commission_entries_distributor", "commission_entries", ["program_id", "user_id"]
    )


def downgrade() -> None:
    op.drop_index("ix_commission_entries_distributor", table_name="commission_entries")
    op.drop_table("commission_entries")
    op.drop_index("ix_commissions_distributor", table_name="commissions")
    op.drop_index("ix_commissions_due", table_name="commissions")
    op.drop_table("commissions")
    op.drop_index("ix_distributor_codes_member", table_name="distributor_codes")
    op.drop_table("distributor_codes")
    op.drop_table("distributors")
