from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime


class InviteLink(Base):
    """A member's personal invite link (`/invite`); a join through it names the inviter."""

    __tablename__ = "invite_links"
    __table_args__ = (Index("ix_invite_links_member", "chat_id", "user_id"),)

    # Keyed by the link itself: two /invite at once may create two links, and both must count.
    link: Mapped[str] = mapped_column(String(255), primary_key=True)
    chat_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("chats.id"))
    user_id: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Referral(Base):
    """Someone who joined through a member's link; one per invitee and chat, ever.

    `pending` until the invitee has stayed `STAY` and sent a counted message (then `confirmed`,
    and the inviter is paid once), or `left` if they leave first.
    """

    __tablename__ = "referrals"
    __table_args__ = (
        Index("ix_referrals_status_joined", "status", "joined_at"),
        Index("ix_referrals_inviter", "chat_id", "inviter_id", "status"),
    )

    chat_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("chats.id"), primary_key=True, autoincrement=False
    )
    invitee_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    inviter_id: Mapped[int] = mapped_column(BigInteger)
    link: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(16))
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime)
    settled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
