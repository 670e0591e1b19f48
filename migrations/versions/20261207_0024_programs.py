"""Programs: a brand's member accounts shared by its groups; every group is its own at first

Revision ID: 0024_programs
Revises: 0023_raids
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0024_programs"
down_revision: str | None = "0023_raids"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_DATETIME = sa.DateTime(timezone=True)
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "programs",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("owner_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_programs")),
    )
    op.create_table(
        "program_merges",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("program_id", sa.BigInteger(), nullable=False),
        sa.Column("merged_id", sa.BigInteger(), nullable=False),
        sa.Column("merged_by", sa.BigInteger(), nullable=False),
        sa.Column("members", sa.BigInteger(), nullable=False),
        sa.Column("points", sa.BigInteger(), nullable=False),
        sa.Column("report", sa.JSON(), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_program_merges")),
    )
    op.create_index("ix_program_merges_program", "program_merges", ["program_id", "id"])
    with op.batch_alter_table("chats") as batch:
        batch.add_column(sa.Column("program_id", sa.BigInteger(), nullable=True))
        batch.create_index(batch.f("ix_chats_program_id"), ["program_id"])
    with op.batch_alter_table("points_ledger") as batch:
        batch.add_column(sa.Column("lifetime_delta", sa.BigInteger(), nullable=True))
    # Every group becomes a program of its own, named after it: its accounts are already
    # keyed by its id, so nothing else moves.
    op.execute(
        "INSERT INTO programs (id, name, owner_id, created_at) "
        "SELECT id, title, NULL, created_at FROM chats WHERE type IN ('group', 'supergroup')"
    )


def downgrade() -> None:
    with op.batch_alter_table("points_ledger") as batch:
        batch.drop_column("lifetime_delta")
    with op.batch_alter_table("chats") as batch:
        batch.drop_index(batch.f("ix_chats_program_id"))
        batch.drop_column("program_id")
    op.drop_index("ix_program_merges_program", table_name="program_merges")
    op.drop_table("program_merges")
    op.drop_table("programs")
