"""orders: the shop's sales, buyers' nicknames bound to members, purchase points owed back,
and targeted pushes

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_DATETIME = sa.DateTime(timezone=True)
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "orders",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("order_id", sa.String(length=64), nullable=False),
        sa.Column("buyer", sa.String(length=64), nullable=False),
        sa.Column("buyer_key", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=True),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("refunded_fen", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("paid_at", UTC_DATETIME, nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("coupon_code", sa.String(length=64), nullable=True),
        sa.Column("redemption_id", sa.BigInteger(), nullable=True),
        sa.Column("coupon_source", sa.String(length=16), nullable=True),
        sa.Column("campaign_id", sa.BigInteger(), nullable=True),
        sa.Column("points", sa.BigInteger(), nullable=False),
        sa.Column("points_state", sa.String(length=16), nullable=False),
        sa.Column("points_campaign_id", sa.BigInteger(), nullable=True),
        sa.Column("confirm_at", UTC_DATETIME, nullable=True),
        sa.Column("clawed_back", sa.BigInteger(), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("updated_at", UTC_DATETIME, nullable=False),
        sa.ForeignKeyConstraint(["chat_id"], ["chats.id"], name=op.f("fk_orders_chat_id_chats")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_orders")),
        sa.UniqueConstraint("chat_id", "order_id", name=op.f("uq_orders_chat_id_order_id")),
    )
    op.create_index("ix_orders_buyer", "orders", ["chat_id", "buyer_key"])
    op.create_index("ix_orders_member", "orders", ["chat_id", "user_id"])
    op.create_index("ix_orders_paid", "orders", ["chat_id", "paid_at"])
    op.create_index("ix_orders_due", "orders", ["points_state", "confirm_at"])
    op.create_table(
        "buyer_bindings",
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("buyer_key", sa.String(length=64), nullable=False),
        sa.Column("buyer", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("bound_by", sa.BigInteger(), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.PrimaryKeyConstraint("chat_id", "buyer_key", name=op.f("pk_buyer_bindings")),
    )
    op.create_index("ix_buyer_bindings_member", "buyer_bindings", ["chat_id", "user_id"])
    op.create_table(
        "pushes",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("audience", sa.String(length=80), nullable=False),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("entities", sa.JSON(), nullable=False),
        sa.Column("photo_file_id", sa.String(length=255), nullable=True),
        sa.Column("buttons", sa.JSON(), nullable=False),
        sa.Column("post_id", sa.BigInteger(), nullable=True),
        sa.Column("key", sa.String(length=120), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("recipients", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.BigInteger(), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("sent_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(["chat_id"], ["chats.id"], name=op.f("fk_pushes_chat_id_chats")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pushes")),
        sa.UniqueConstraint("key", name=op.f("uq_pushes_key")),
    )
    op.create_index(op.f("ix_pushes_chat_id"), "pushes", ["chat_id"])
    zero = sa.text("0")
    with op.batch_alter_table("members") as members:
        members.add_column(
            sa.Column("points_owed", sa.BigInteger(), nullable=False, server_default=zero)
        )
        members.add_column(
            sa.Column("spent_fen", sa.BigInteger(), nullable=False, server_default=zero)
        )
        members.add_column(
            sa.Column("orders_paid", sa.Integer(), nullable=False, server_default=zero)
        )
        members.add_column(sa.Column("last_order_at", UTC_DATETIME, nullable=True))
        members.add_column(
            sa.Column("pushes_off", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        members.add_column(sa.Column("last_push_day", sa.Date(), nullable=True))
    op.add_column("redemptions", sa.Column("campaign_id", sa.BigInteger(), nullable=True))
    op.add_column("scheduled_posts", sa.Column("early_tier", sa.String(length=64), nullable=True))
    op.add_column("scheduled_posts", sa.Column("early_minutes", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("scheduled_posts") as posts:
        posts.drop_column("early_minutes")
        posts.drop_column("early_tier")
    with op.batch_alter_table("redemptions") as redemptions:
        redemptions.drop_column("campaign_id")
    with op.batch_alter_table("members") as members:
        for column in (
            "last_push_day", "pushes_off", "last_order_at", "orders_paid", "spent_fen",
            "points_owed",
        ):  # fmt: skip
            members.drop_column(column)
    op.drop_index(op.f("ix_pushes_chat_id"), table_name="pushes")
    op.drop_table("pushes")
    op.drop_index("ix_buyer_bindings_member", table_name="buyer_bindings")
    op.drop_table("buyer_bindings")
    for index in ("ix_orders_due", "ix_orders_paid", "ix_orders_member", "ix_orders_buyer"):
        op.drop_index(index, table_name="orders")
    op.drop_table("orders")
