from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime


class CommandReceipt(Base):
    """A command that changes state, handled: written in the transaction of its change, so a
    redelivered update (the bot died after committing, before Telegram heard it was handled)
    is recognised instead of run, or answered as a success, a second time."""

    __tablename__ = "command_receipts"

    chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    message_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    command: Mapped[str] = mapped_column(String(32))
    handled_at: Mapped[datetime] = mapped_column(UTCDateTime)
