"""Missions (任务), badges (徽章) and seasons (赛季): the program's records of each (issue 37).

Progress itself is never stored: it is read from what fanbot records already (the ledger, draw
entries, topic replies, `quest_events`), so the message hot path does nothing new."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime


class QuestCompletion(Base):
    """A mission (or a whole set: `quest` "set:daily"/"set:weekly") a member completed in a
    period (`d:2026-12-07`, `w:2026-W49`): written once, in the transaction of its ledger row,
    whose key names the same four (`quest:<program>:<user>:<period>:<quest>`)."""

    __tablename__ = "quest_completions"

    program_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    period: Mapped[str] = mapped_column(String(16), primary_key=True)
    quest: Mapped[str] = mapped_column(String(24), primary_key=True)
    points: Mapped[int] = mapped_column(Integer)
    streak: Mapped[int] = mapped_column(Integer, default=0)  # a weekly set: weeks in a row
    completed_at: Mapped[datetime] = mapped_column(UTCDateTime)


class QuestEvent(Base):
    """Something another feature reports for missions (`QuestService.record`): an event
    attended, say. Append-only."""

    __tablename__ = "quest_events"
    __table_args__ = (Index("ix_quest_events_member", "program_id", "user_id", "at"),)

    key: Mapped[str] = mapped_column(String(120), primary_key=True)  # once per occurrence
    program_id: Mapped[int] = mapped_column(BigInteger)
    user_id: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class QuestCursor(Base):
    """How far the missions' background look has read a program's ledger (its last row id)."""

    __tablename__ = "quest_cursors"

    program_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    ledger_id: Mapped[int] = mapped_column(BigInteger, default=0)
    looked_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Badge(Base):
    """A badge a member holds in a program: a milestone's (`source` "milestone") or an
    admin's grant (`/badge give`). `badge` is a milestone's key or the normalised name."""

    __tablename__ = "badges"
    __table_args__ = (Index("ix_badges_program_badge", "program_id", "badge"),)

    program_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    badge: Mapped[str] = mapped_column(String(20), primary_key=True)
    source: Mapped[str] = mapped_column(String(12))
    given_by: Mapped[int | None] = mapped_column(BigInteger, default=None)
    given_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SeasonResult(Base):
    """A closed season's leaderboard place: written once when the period ended, so a restart
    or a second worker closes it once (prizes keyed by the same period)."""

    __tablename__ = "season_results"

    program_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    period: Mapped[str] = mapped_column(String(16), primary_key=True)
    rank: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    user_id: Mapped[int | None] = mapped_column(BigInteger, default=None)  # None: nobody
    points: Mapped[int] = mapped_column(BigInteger, default=0)
    closed_at: Mapped[datetime] = mapped_column(UTCDateTime)
