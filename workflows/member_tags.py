"""Setting a member's tag (the payload: `services/member_tag_messages.py`; what it should be:
`services/member_tags.py`). Nothing is said in the chat: the renderer makes the Bot API call
itself, paced by the rows' due times, and returns no message.

Telegram's tag is the member's to keep unless the bot set it: before changing one, the
renderer reads it (`getChatMember`), and a tag that is neither the bot's last one nor the one
wanted was chosen by someone else (an admin, or the member), so it stays and the bot forgets
its own. A member who left keeps the bot's record: if the server kept their tag, it is still
the bot's to replace when they return (a record older than that return is read, not
trusted). Admins are never touched: their tag is their custom title, and Telegram refuses a bot
that sets it (`CHAT_CREATOR_REQUIRED`).
"""

from __future__ import annotations

import logging

from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError
from aiogram.types import (
    ChatMemberBanned,
    ChatMemberLeft,
    ChatMemberMember,
    ChatMemberRestricted,
)

from infrastructure.i18n import reply_language
from services.chats import ChatProfile
from services.member_tag_messages import MemberTagSync
from views.rights import TAGS
from workflows.delivery import Delivery, RenderContext, Renderers

logger = logging.getLogger(__name__)
renderers = Renderers()


@renderers.register(MemberTagSync)
async def sync_tag(
    context: RenderContext, profile: ChatProfile, sync: MemberTagSync
) -> Delivery | None:
    """Give the member the tag they should carry now (or clear the bot's), once."""
    bot, chat_id, user_id = context.bot, profile.id, sync.user_id
    language = reply_language(profile, None, context.background.i18n.default_locale)
    async with context.background.session_pool() as session:
        wanted = await context.background.services.member_tags(session).wanted(
            chat_id, user_id, language
        )
    if wanted.tag == wanted.recorded and wanted.settled:
        return None  # as it should be: a row that came twice, or a move and back
    try:
        membership = await bot.get_chat_member(chat_id, user_id)
    except (TelegramBadRequest, TelegramForbiddenError) as error:
        logger.info("chat %s: no tag for %s: %s", chat_id, user_id, error)
        await _record(context, chat_id, user_id, None)
        return None
    if isinstance(membership, ChatMemberLeft | ChatMemberBanned) or (
        isinstance(membership, ChatMemberRestricted) and not membership.is_member
    ):
        return None  # gone: the record waits for their return
    if not isinstance(membership, ChatMemberMember | ChatMemberRestricted):
        await _record(context, chat_id, user_id, None)  # an admin: their tag is their title
        return None
    current = membership.tag or None
    if current == wanted.tag:
        await _record(context, chat_id, user_id, current)  # set before a restart, or by hand
        return None
    if current is not None and current != wanted.recorded:
        await _record(context, chat_id, user_id, None)  # someone else's choice: it stays
        return None
    try:
        await bot.set_chat_member_tag(chat_id, user_id, tag=wanted.tag or "")
    except TelegramBadRequest as error:
        if context.notices is not None:
            await context.notices.failed(bot, chat_id, TAGS, f"tag member {user_id}", error)
        return None
    await _record(context, chat_id, user_id, wanted.tag)
    return None


async def _record(context: RenderContext, chat_id: int, user_id: int, tag: str | None) -> None:
    async with context.background.session_pool() as session, session.begin():
        await context.background.services.member_tags(session).record(chat_id, user_id, tag)
