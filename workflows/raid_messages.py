"""Raid mode's news to the admins (the payloads: `services/raid_messages.py`; the words:
`views/raids.py`): in an admin's private chat, the group's log channel, or the group."""

from __future__ import annotations

from infrastructure.i18n import reply_language
from services.chats import ChatProfile
from services.raid_messages import RaidAlert, RaidSummary
from services.raids import RaidRules, RaidService
from views.posts import PostMessage
from views.raids import raid_alert, raid_summary
from workflows.delivery import Delivery, RenderContext, Renderers

renderers = Renderers()


@renderers.register(RaidAlert)
async def alert(context: RenderContext, profile: ChatProfile, news: RaidAlert) -> Delivery | None:
    return await _render(context, profile, news)


@renderers.register(RaidSummary)
async def summary(
    context: RenderContext, profile: ChatProfile, news: RaidSummary
) -> Delivery | None:
    return await _render(context, profile, news)


async def _render(
    context: RenderContext, profile: ChatProfile, news: RaidAlert | RaidSummary
) -> Delivery | None:
    """In the group's language, wherever the row goes (an admin's private chat is `profile`)."""
    background = context.background
    async with background.session_pool() as session:
        raids = RaidService(session, background.clock)
        raid = await raids.raid(news.raid_id)
        if raid is None:
            raise LookupError("no such raid")
        group = await background.services.chats(session).profile(raid.chat_id)
        tally = await raids.tally(raid.id) if isinstance(news, RaidSummary) else None
    if group is None:
        raise LookupError("no such group")
    channel = group.moderation.log_channel
    if news.to_log and channel is None:
        return None  # the log channel was unset since
    with background.i18n.use_locale(reply_language(group, None, background.i18n.default_locale)):
        if tally is None:
            text = raid_alert(group.title, raid, group.rules(RaidRules), group.timezone)
        else:
            text = raid_summary(group.title, raid, tally, group.timezone)
    if news.to_log and channel is not None:
        return Delivery("", post=PostMessage(channel, text, None, None, None, None))
    return Delivery(text)
