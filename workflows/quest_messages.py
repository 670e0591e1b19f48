"""Missions told privately, and a season's winners in the group (the payloads:
`services/quest_messages.py`, `services/season_messages.py`; the words: `views/quests.py`)."""

from __future__ import annotations

from collections.abc import Sequence

from infrastructure.i18n import reply_language
from models import Reward
from services.chats import ChatProfile
from services.members import display_names
from services.quest_messages import QuestDone
from services.season_messages import SeasonWinners
from services.seasons import Placing
from views.quests import quest_done_text, season_winners_text
from workflows.delivery import Delivery, RenderContext, Renderers

renderers = Renderers()


@renderers.register_gathered(QuestDone)
async def quest_done(
    context: RenderContext, profile: ChatProfile, done: Sequence[QuestDone]
) -> Delivery:
    """In the member's private chat (`profile`), in the language of the program's group."""
    background = context.background
    async with background.session_pool() as session:
        group = await background.services.chats(session).profile(done[0].program_id)
    if group is None:
        raise LookupError("no such program")
    with background.i18n.use_locale(reply_language(group, None, background.i18n.default_locale)):
        return Delivery(
            quest_done_text([(d.quest, d.points, d.streak) for d in done], group.title or "")
        )


@renderers.register(SeasonWinners)
async def season_winners(
    context: RenderContext, profile: ChatProfile, post: SeasonWinners
) -> Delivery:
    """In the group, the winners by their names now."""
    async with context.background.session_pool() as session:
        names = await display_names(session, post.program_id, post.winners)
        reward = await session.get(Reward, post.reward_id) if post.reward_id else None
    board = [Placing(user, points) for user, points in zip(post.winners, post.points, strict=False)]
    return Delivery(season_winners_text(post.period, board, names, reward.name if reward else None))
