"""Labels and notes (客户标签): what admins write on a member, the program's; a draw's label

Revision ID: 0027_labels
Revises: 0025_channels
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0027_labels"
down_revision: str | None = "0026_staff"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_DATETIME = sa.DateTime(timezone=True)
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "labels",
        sa.Column("program_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("label", sa.String(length=20), nullable=False),
        sa.Column("added_by", sa.BigInteger(), nullable=True),
        sa.Column("added_at", UTC_DATETIME, nullable=False),
        sa.PrimaryKeyConstraint("program_id", "user_id", "label", name=op.f("pk_labels")),
    )
    op.create_index("ix_labels_program_label", "labels", ["program_id", "label"])
    op.create_table(
        "member_notes",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("program_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("text", sa.String(length=1000), nullable=False),
        sa.Column("author_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_member_notes")),
    )
    op.create_index("ix_member_notes_member", "member_notes", ["program_id", "user_id", "id"])
    with op.batch_alter_table("draws") as batch:
        batch.add_column(sa.Column("label", sa.String(length=20), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("draws") as batch:
        batch.drop_column("label")
    op.drop_index("ix_member_notes_member", table_name="member_notes")
    op.drop_table("member_notes")
    op.drop_index("ix_labels_program_label", table_name="labels")
    op.drop_table("labels")
