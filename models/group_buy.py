from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, BigIntId, UTCDateTime


class GroupBuy(Base):
    """A group buy (拼团) posted in a group: the more join by its end, the lower the price;
    each participant then gets a coupon code for the price reached (from the program's shop
    pool `reward_id`, or generated), or is told it did not form."""

    __tablename__ = "group_buys"
    __table_args__ = (Index("ix_group_buys_due", "status", "ends_at"),)

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    chat_id: Mapped[int] = mapped_column(BigInteger, index=True)
    program_id: Mapped[int] = mapped_column(BigInteger)  # whose shop pool the codes come from
    item: Mapped[str] = mapped_column(String(200))
    tiers: Mapped[str] = mapped_column(String(400))  # "2:9900,5:8900": members:price in fen
    reward_id: Mapped[int | None] = mapped_column(BigInteger, default=None)  # the code pool
    joined: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | formed | failed
    price_fen: Mapped[int | None] = mapped_column(BigInteger, default=None)  # reached, at the end
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    message_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    created_by: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)

    @property
    def price_tiers(self) -> list[tuple[int, int]]:
        """(members, price in fen), fewest members first."""
        pairs = (part.split(":") for part in self.tiers.split(","))
        return [(int(count), int(fen)) for count, fen in pairs]


class GroupBuyMember(Base):
    """A participant, and the code they were given once it formed (given once: never again)."""

    __tablename__ = "group_buy_members"

    group_buy_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime)
    code: Mapped[str | None] = mapped_column(String(64), default=None)
