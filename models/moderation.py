from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, BigIntId, UTCDateTime


class ModAction(Base):
    """One moderation action, by an admin (`actor_id`) or by a rule (`rule`: filter, flood,
    links, warns, verify, night, network); the log `/modlog` reads. Append-only."""

    __tablename__ = "mod_actions"
    __table_args__ = (Index("ix_mod_actions_chat", "chat_id", "id"),)

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    chat_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("chats.id"))
    action: Mapped[str] = mapped_column(String(16))  # warn, mute, ban, kick, delete, ...
    target_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    actor_id: Mapped[int | None] = mapped_column(BigInteger, default=None)  # None: the bot
    rule: Mapped[str | None] = mapped_column(String(32), default=None)
    reason: Mapped[str | None] = mapped_column(String(255), default=None)
    until: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class MemberWarning(Base):
    """A warning; `/unwarn` lifts the newest (it stays, marked lifted), reaching the group's
    limit takes its action and lifts them all."""

    __tablename__ = "warnings"
    __table_args__ = (Index("ix_warnings_member", "chat_id", "user_id"),)

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    chat_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("chats.id"))
    user_id: Mapped[int] = mapped_column(BigInteger)
    actor_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    reason: Mapped[str | None] = mapped_column(String(255), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    lifted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class Verification(Base):
    """A newcomer's challenge: in the group after a join (`join`) or privately after a join
    request (`request`); `state` pending, passed or failed (timed out)."""

    __tablename__ = "verifications"
    __table_args__ = (Index("ix_verifications_due", "state", "deadline"),)

    chat_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("chats.id"), primary_key=True, autoincrement=False
    )
    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    kind: Mapped[str] = mapped_column(String(8))
    state: Mapped[str] = mapped_column(String(8))
    # A sum's result, or "q<n>": the brand question asked (`services/captcha.py`)
    answer: Mapped[str | None] = mapped_column(String(8), default=None)
    tries: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # wrong answers
    name: Mapped[str] = mapped_column(String(255), default="")
    message_id: Mapped[int | None] = mapped_column(BigInteger, default=None)  # the challenge
    deadline: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Ban(Base):
    """A member banned from a group (until a time, or for good); a linked group's ban is a row
    in each group of the network. `/unban` deletes the rows (the log keeps the history)."""

    __tablename__ = "bans"

    chat_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("chats.id"), primary_key=True, autoincrement=False
    )
    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    until: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    reason: Mapped[str | None] = mapped_column(String(255), default=None)
    origin_chat_id: Mapped[int] = mapped_column(BigInteger)  # where the ban was given
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class NetworkMember(Base):
    """Groups linked into one ban list (`/link`): the network is named by its first group."""

    __tablename__ = "ban_networks"
    __table_args__ = (Index("ix_ban_networks_network", "network_id"),)

    chat_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("chats.id"), primary_key=True, autoincrement=False
    )
    network_id: Mapped[int] = mapped_column(BigInteger)
    linked_by: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
