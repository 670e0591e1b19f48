from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, BigIntId, UTCDateTime


class ConsoleLogin(Base):
    """A one-time console link that was used: the link itself is signed and carries its
    expiry, so only its use is written, and a second use finds the row."""

    __tablename__ = "console_logins"

    nonce: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[int] = mapped_column(BigInteger)
    used_at: Mapped[datetime] = mapped_column(UTCDateTime)


class StaffGrant(Base):
    """Console access a program's owner gave someone who need not be a group admin: `read`
    (pages and downloads) or `full` (what an admin may do there), in every group of the
    program; deleting the row takes it back. Read on every console request, never cached."""

    __tablename__ = "staff"
    __table_args__ = (UniqueConstraint("program_id", "user_id"), Index("ix_staff_user", "user_id"))

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    program_id: Mapped[int] = mapped_column(BigInteger)
    user_id: Mapped[int] = mapped_column(BigInteger)
    role: Mapped[str] = mapped_column(String(8))  # read | full
    granted_by: Mapped[int] = mapped_column(BigInteger)
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime)
