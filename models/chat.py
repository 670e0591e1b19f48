from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime


class Chat(Base):
    """A group (or a private chat) the bot works in, with its own settings."""

    __tablename__ = "chats"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    title: Mapped[str] = mapped_column(String(255), default="")
    type: Mapped[str] = mapped_column(String(16))
    timezone: Mapped[str | None] = mapped_column(String(64), default=None)
    # None: answer each member in their own Telegram language.
    language: Mapped[str | None] = mapped_column(String(8), default=None)
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The program (models/program.py) whose member accounts the group uses; None: its own.
    program_id: Mapped[int | None] = mapped_column(BigInteger, default=None, index=True)
