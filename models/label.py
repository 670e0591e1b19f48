from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, BigIntId, UTCDateTime


class Label(Base):
    """A label an admin gave a member (`/tag`, 客户标签): the program's, so every group of the
    brand sees it. Not Telegram's member tags (`MemberTag`), which show beside a name.

    `label` is stored normalised (trimmed, Latin letters in lower case), so 高潜 and VIP are
    one label however they were typed."""

    __tablename__ = "labels"
    __table_args__ = (Index("ix_labels_program_label", "program_id", "label"),)

    program_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    label: Mapped[str] = mapped_column(String(20), primary_key=True)
    added_by: Mapped[int | None] = mapped_column(BigInteger, default=None)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime)


class MemberNote(Base):
    """An admin's note on a member (`/note`), seen only by admins; append-only."""

    __tablename__ = "member_notes"
    __table_args__ = (Index("ix_member_notes_member", "program_id", "user_id", "id"),)

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    program_id: Mapped[int] = mapped_column(BigInteger)
    user_id: Mapped[int] = mapped_column(BigInteger)
    text: Mapped[str] = mapped_column(String(1000))
    author_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
