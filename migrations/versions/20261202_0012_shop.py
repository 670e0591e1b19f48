"""shop: rewards bought with points, their code pools, what members received, and the
rewards a draw's prize or a campaign's greeting hands out

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_DATETIME = sa.DateTime(timezone=True)
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "rewards",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("price", sa.Integer(), nullable=False),
        sa.Column("stock", sa.Integer(), nullable=True),
        sa.Column("initial_stock", sa.Integer(), nullable=True),
        sa.Column("limit_count", sa.Integer(), nullable=True),
        sa.Column("limit_per", sa.String(length=8), nullable=False),
        sa.Column("min_tier", sa.String(length=64), nullable=True),
        sa.Column("valid_days", sa.Integer(), nullable=True),
        sa.Column("image_file_id", sa.String(length=255), nullable=True),
        sa.Column("details", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("redeemed", sa.Integer(), nullable=False),
        sa.Column("points_spent", sa.BigInteger(), nullable=False),
        sa.Column("created_by", sa.BigInteger(), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.ForeignKeyConstraint(["chat_id"], ["chats.id"], name=op.f("fk_rewards_chat_id_chats")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rewards")),
    )
    op.create_index(op.f("ix_rewards_chat_id"), "rewards", ["chat_id"])
    op.create_table(
        "reward_codes",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("reward_id", sa.BigInteger(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("added_at", UTC_DATETIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["reward_id"], ["rewards.id"], name=op.f("fk_reward_codes_reward_id_rewards")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reward_codes")),
        sa.UniqueConstraint("chat_id", "code", name=op.f("uq_reward_codes_chat_id_code")),
    )
    op.create_index("ix_reward_codes_free", "reward_codes", ["reward_id", "status"])
    op.create_table(
        "redemptions",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("key", sa.String(length=160), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("reward_id", sa.BigInteger(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("price", sa.Integer(), nullable=False),
        sa.Column("code_id", sa.BigInteger(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.Column("language", sa.String(length=8), nullable=True),
        sa.Column("asked_message_id", sa.BigInteger(), nullable=True),
        sa.Column("expires_at", UTC_DATETIME, nullable=True),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("used_at", UTC_DATETIME, nullable=True),
        sa.ForeignKeyConstraint(
            ["reward_id"], ["rewards.id"], name=op.f("fk_redemptions_reward_id_rewards")
        ),
        sa.ForeignKeyConstraint(
            ["code_id"], ["reward_codes.id"], name=op.f("fk_redemptions_code_id_reward_codes")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_redemptions")),
        sa.UniqueConstraint("key", name=op.f("uq_redemptions_key")),
        sa.UniqueConstraint("code_id", name=op.f("uq_redemptions_code_id")),
    )
    op.create_index("ix_redemptions_member", "redemptions", ["chat_id", "user_id", "reward_id"])
    # A draw's prize and a campaign's greeting may hand out a reward (no foreign key: SQLite
    # cannot add one to a table in place, and a deleted reward keeps its row anyway).
    op.add_column("draws", sa.Column("reward_id", sa.BigInteger(), nullable=True))
    op.add_column("campaigns", sa.Column("coupon_reward_id", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("campaigns") as campaigns:
        campaigns.drop_column("coupon_reward_id")
    with op.batch_alter_table("draws") as draws:
        draws.drop_column("reward_id")
    op.drop_index("ix_redemptions_member", table_name="redemptions")
    op.drop_table("redemptions")
    op.drop_index("ix_reward_codes_free", table_name="reward_codes")
    op.drop_table("reward_codes")
    op.drop_index(op.f("ix_rewards_chat_id"), table_name="rewards")
    op.drop_table("rewards")
