"""reports: a member's message reported to the admins, once per message, with who reported it

Revision ID: 0022_reports
Revises: 0021_boosts_reactions
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022_reports"
down_revision: str | None = "0021_boosts_reactions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_DATETIME = sa.DateTime(timezone=True)
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "reports",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("message_id", sa.BigInteger(), nullable=False),
        sa.Column("target_id", sa.BigInteger(), nullable=False),
        sa.Column("target_name", sa.String(length=255), nullable=False),
        sa.Column("excerpt", sa.String(length=255), nullable=False),
        sa.Column("reported_by", sa.BigInteger(), nullable=False),
        sa.Column("reporters", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=8), nullable=False),
        sa.Column("handled_by", sa.BigInteger(), nullable=True),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("handled_at", UTC_DATETIME, nullable=True),
        sa.ForeignKeyConstraint(["chat_id"], ["chats.id"], name=op.f("fk_reports_chat_id_chats")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reports")),
        sa.UniqueConstraint("chat_id", "message_id", name=op.f("uq_reports_chat_id_message_id")),
    )
    op.create_table(
        "report_votes",
        sa.Column("report_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("reporter_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["report_id"], ["reports.id"], name=op.f("fk_report_votes_report_id_reports")
        ),
        sa.PrimaryKeyConstraint("report_id", "reporter_id", name=op.f("pk_report_votes")),
    )
    op.create_index(
        "ix_report_votes_reporter", "report_votes", ["chat_id", "reporter_id", "created_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_report_votes_reporter", table_name="report_votes")
    op.drop_table("report_votes")
    op.drop_table("reports")
