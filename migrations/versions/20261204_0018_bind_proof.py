"""Shop nicknames are bound with proof: how each binding was made (an order's number and amount,
an admin, or unproven for those made before), and each member's tries of the day

Revision ID: 0018_bind_proof
Revises: 0017
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018_bind_proof"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Bindings made before proof was asked stay theirs, marked unproven (nothing is taken).
    with op.batch_alter_table("buyer_bindings") as batch:
        batch.add_column(
            sa.Column("proof", sa.String(length=16), nullable=False, server_default="unproven")
        )
        batch.add_column(sa.Column("proof_order", sa.String(length=64), nullable=True))
    with op.batch_alter_table("buyer_bindings") as batch:
        batch.alter_column("proof", server_default=None)
    op.create_table(
        "bind_tries",
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("tries", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_bind_tries")),
    )


def downgrade() -> None:
    op.drop_table("bind_tries")
    with op.batch_alter_table("buyer_bindings") as batch:
        batch.drop_column("proof_order")
        batch.drop_column("proof")
