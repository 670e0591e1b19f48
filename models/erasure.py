from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, BigIntId, UTCDateTime


class Erasure(Base):
    """A member's personal data erased (`/forgetme`, or an admin's `/forget`): who, when, who
    asked and in which program (None: everywhere). No name, no text: the user id is the one the
    ledger and past draws keep, and marks them "erased member" where a name would show."""

    __tablename__ = "erasures"
    __table_args__ = (Index("ix_erasures_user", "user_id"),)

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(BigInteger)
    requested_by: Mapped[int | None] = mapped_column(BigInteger, default=None)
    program_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
