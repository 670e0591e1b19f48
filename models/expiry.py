from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime


class ExpiryWarning(Base):
    """How far ahead a member of a program was warned that points expire
    (services/points_expiry.py): each lot is in one 30-day warning and one 7-day warning, the
    first whose window reached it; None until the first."""

    __tablename__ = "points_expiry_warnings"

    program_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    warned_30_earned_by: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    warned_7_earned_by: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
