from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, BigIntId, UTCDateTime


class ScheduledPost(Base):
    """A post an admin scheduled with `/post`: when, and the content itself (kept, so deleting
    the source message changes nothing)."""

    __tablename__ = "scheduled_posts"
    __table_args__ = (Index("ix_scheduled_posts_chat", "chat_id", "id"),)

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    chat_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("chats.id"))
    created_by: Mapped[int] = mapped_column(BigInteger)
    # "daily 09:00", "weekly mon,thu 20:00", "at 2026-12-01 10:00", "cron 0 9 * * 1-5": in the
    # chat's time zone, read by `services.posts.Schedule`.
    schedule: Mapped[str] = mapped_column(String(120))
    text: Mapped[str | None] = mapped_column(Text, default=None)
    entities: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    photo_file_id: Mapped[str | None] = mapped_column(String(255), default=None)
    buttons: Mapped[list[list[str]]] = mapped_column(JSON, default=list)  # [[text, url], ...]
    thread_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    pin: Mapped[bool] = mapped_column(Boolean, default=False)
    # 优先购: this tier and those above get the post privately this many minutes earlier
    early_tier: Mapped[str | None] = mapped_column(String(64), default=None)
    early_minutes: Mapped[int | None] = mapped_column(Integer, default=None)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    disabled_reason: Mapped[str | None] = mapped_column(String(64), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class PostRun(Base):
    """One firing of a post: the row is written before the post is sent, so a restart, a retry
    or a second scheduler never sends a slot twice."""

    __tablename__ = "post_runs"

    post_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("scheduled_posts.id"), primary_key=True, autoincrement=False
    )
    fire_time: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)
    status: Mapped[str] = mapped_column(String(16))  # claimed, sent, skipped, failed
    message_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
