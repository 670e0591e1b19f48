"""What `/me` and the Mini App show of missions and badges: the member card's part of them."""

from __future__ import annotations

from typing import Any

from models import Chat
from services.badges import BadgeService
from services.points import PointsService
from services.quest_rules import QuestRules
from services.quests import QuestProgress, QuestService

__all__ = ["QuestProgress", "quest_card"]


async def quest_card(points: PointsService, program_id: int, user_id: int) -> dict[str, Any]:
    """The card's `badges` and `quests` (None when the program has no missions)."""
    session, clock = points.session, points.clock
    badges = tuple(await BadgeService(session, clock).of_member(program_id, user_id))
    founding = await session.get(Chat, program_id)
    rules = QuestRules.from_settings(founding.settings if founding else {})
    if not rules.on or founding is None:
        return {"badges": badges, "quests": None}
    zone = founding.timezone or points.default_timezone
    progress = await QuestService(session, clock, points).progress(program_id, user_id, rules, zone)
    return {"badges": badges, "quests": progress}
