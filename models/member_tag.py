from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime


class MemberTag(Base):
    """A tag the bot gave a member (`setChatMemberTag`): kept so the bot changes and clears
    only the tags it set, never one an admin or the member chose."""

    __tablename__ = "member_tags"

    chat_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("chats.id"), primary_key=True, autoincrement=False
    )
    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    tag: Mapped[str] = mapped_column(String(16))
    set_at: Mapped[datetime] = mapped_column(UTCDateTime)
