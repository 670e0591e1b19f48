from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, BigIntId, UTCDateTime


class Program(Base):
    """A brand's loyalty programme: the member accounts its groups share (balances, ledger,
    tiers, sign-ins, shop, codes, orders, bindings).

    Its id is its founding group's chat id, so a group on its own is the program of its own
    with no row rewritten: account data stays keyed by that id in each table's `chat_id`.
    A group's program is `chats.program_id` (None: its own)."""

    __tablename__ = "programs"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(String(255), default="")
    # Who may give console access to staff besides OWNER_IDS: the admin who made the program
    # (None for a group's own: then its Telegram creator).
    owner_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ProgramMerge(Base):
    """One program joined into another (`/program join`): who did it, when, and what the
    merge found for an admin to settle (bindings of one nickname to two members ...)."""

    __tablename__ = "program_merges"
    __table_args__ = (Index("ix_program_merges_program", "program_id", "id"),)

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    program_id: Mapped[int] = mapped_column(BigInteger)  # the one that stays
    merged_id: Mapped[int] = mapped_column(BigInteger)  # the one whose accounts moved in
    merged_by: Mapped[int] = mapped_column(BigInteger)
    members: Mapped[int] = mapped_column(BigInteger, default=0)  # accounts moved
    points: Mapped[int] = mapped_column(BigInteger, default=0)  # their balances, added up
    report: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
