"""The games' settings: the `games` section of `chats.settings` (`/settings games …`), each
group's own. The daily cap counts what a member won in all the program's groups."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any, ClassVar

from sqlalchemy.ext.asyncio import AsyncSession

from services.chat_settings import BadSetting, update_section

GAMES = ("quiz", "guess", "dice")
TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


@dataclass(frozen=True, slots=True)
class GameRules:
    """Which games a group plays, and what they pay. Quiz and guess the price are started by
    admins, so they are on; dice is a member's own wager, so a group turns it on."""

    quiz: bool = True
    guess: bool = True
    dice: bool = False
    cap: int = 100  # points a member may win at games a day (0: games pay nothing)
    quiz_first: int = 20  # the first correct answer
    quiz_next: int = 10  # the next correct answers, up to `quiz_paid` in all
    quiz_paid: int = 5
    quiz_minutes: int = 10  # a quiz poll stays open this long
    quiz_at: str | None = None  # "20:00": a quiz posted each day at this local time
    guess_points: int = 50
    guess_minutes: int = 30
    dice_max: int = 50  # the largest stake of one duel

    LIMITS: ClassVar[dict[str, tuple[int, int]]] = {
        "cap": (0, 100_000),
        "quiz_first": (0, 10_000),
        "quiz_next": (0, 10_000),
        "quiz_minutes": (1, 1440),
        "guess_points": (0, 10_000),
        "guess_minutes": (1, 1440),
        "dice_max": (1, 100_000),
    }

    @classmethod
    def from_settings(cls, settings: dict[str, Any]) -> GameRules:
        stored = settings.get("games") or {}
        rules = cls()
        known = {
            name: stored[name]
            for name in ("quiz", "guess", "dice", "quiz_at", *cls.LIMITS)
            if name in stored
        }
        return replace(rules, **known)

    def plays(self, game: str) -> bool:
        return bool(getattr(self, game))


async def set_game_on(session: AsyncSession, chat_id: int, game: str, on: bool) -> None:
    if game not in GAMES:
        raise BadSetting(game)
    await update_section(session, chat_id, "games", {game: on})


async def set_game_number(session: AsyncSession, chat_id: int, name: str, value: int) -> None:
    await set_game_numbers(session, chat_id, {name: value})


async def set_game_numbers(session: AsyncSession, chat_id: int, values: dict[str, int]) -> None:
    """Each figure checked first, then all written (BadSetting names the first out of range)."""
    for name, value in values.items():
        low, high = GameRules.LIMITS[name]
        if not low <= value <= high:
            raise BadSetting(name)
    await update_section(session, chat_id, "games", values)


async def set_quiz_time(session: AsyncSession, chat_id: int, at: str | None) -> None:
    if at is not None and not TIME.match(at):
        raise BadSetting("quiz_at")
    await update_section(session, chat_id, "games", {"quiz_at": at})
