"""Games (互动游戏): quiz questions, rounds (a quiz poll, a guess-the-price, a dice duel), the
members' entries in them, and what each member won a day (the daily cap)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Date, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, BigIntId, UTCDateTime


class QuizQuestion(Base):
    """One question of a program's quiz bank, imported from CSV (`/quiz import`)."""

    __tablename__ = "quiz_questions"
    __table_args__ = (Index("ix_quiz_questions_program_asked", "program_id", "asked", "id"),)

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    program_id: Mapped[int] = mapped_column(BigInteger)
    question: Mapped[str] = mapped_column(String(300))
    options: Mapped[list[str]] = mapped_column(JSON)
    correct: Mapped[list[int]] = mapped_column(JSON)  # 0-based, increasing
    explanation: Mapped[str] = mapped_column(String(200), default="")
    asked: Mapped[int] = mapped_column(Integer, default=0)  # times posted: the least asked next
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class GameRound(Base):
    """A round of a game in one group: a quiz poll, a guess-the-price, or a dice duel.

    `status`: open (answers taken, or a duel waiting for its opponent), rolling (a duel
    accepted, its dice being thrown), closed (settled), cancelled (stakes given back).
    `key` claims a scheduled quiz once per group and day."""

    __tablename__ = "game_rounds"
    __table_args__ = (
        Index("ix_game_rounds_status_closes", "status", "closes_at"),
        Index("ix_game_rounds_chat_kind", "chat_id", "kind", "id"),
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(8))  # quiz, guess, dice
    status: Mapped[str] = mapped_column(String(12), default="open")
    key: Mapped[str | None] = mapped_column(String(64), unique=True, default=None)
    started_by: Mapped[int | None] = mapped_column(BigInteger, default=None)
    opponent_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    stake: Mapped[int] = mapped_column(Integer, default=0)
    question_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    poll_id: Mapped[str | None] = mapped_column(String(64), unique=True, default=None)
    message_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class GameEntry(Base):
    """A member's one answer in a round: a quiz's options, a guessed price (in cents)."""

    __tablename__ = "game_entries"
    __table_args__ = (UniqueConstraint("round_id", "user_id"),)

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    round_id: Mapped[int] = mapped_column(BigInteger)
    user_id: Mapped[int] = mapped_column(BigInteger)
    value: Mapped[int] = mapped_column(BigInteger)
    correct: Mapped[bool] = mapped_column(Boolean, default=False)
    rank: Mapped[int | None] = mapped_column(Integer, default=None)  # among the correct
    points: Mapped[int] = mapped_column(Integer, default=0)
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime)


class GameDay(Base):
    """What a member won at games on one local day of their program: the daily cap's count."""

    __tablename__ = "game_days"

    program_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    won: Mapped[int] = mapped_column(Integer, default=0)
