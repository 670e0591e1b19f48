"""Member tags (Bot API 9.5): `setChatMemberTag`, answered as Telegram's Bot API server does.

The server (tdlib/telegram-bot-api) checks only that the chat is a group; the rest comes from
Telegram as its error codes, passed on upper-case: a bot without `can_manage_tags` gets
`CHAT_ADMIN_REQUIRED`, an administrator's tag (their custom title) `CHAT_CREATOR_REQUIRED`,
someone not in the group `USER_NOT_PARTICIPANT`, a tag over 16 characters `TAG_INVALID` and
one with an emoji `TAG_EMOJI_NOT_ALLOWED`.
"""

from __future__ import annotations

from typing import Any

from sandbox.botapi.core import BotApi, Params, method, user_of
from sandbox.errors import bad_request

TAG_LIMIT = 16
# Emoji as Unicode's emoji charts place them (pictographs, dingbats, arrows and geometric
# symbols that take emoji presentation, flags), and the marks that build sequences.
EMOJI_RANGES = (
    (0x1F000, 0x1FAFF), (0x2600, 0x27BF), (0x2300, 0x23FF), (0x2B00, 0x2BFF),
    (0x1F1E6, 0x1F1FF), (0xFE0F, 0xFE0F), (0x200D, 0x200D), (0x20E3, 0x20E3),
    (0x2194, 0x21AA), (0x3030, 0x3030), (0x303D, 0x303D), (0x3297, 0x3299),
    (0x00A9, 0x00A9), (0x00AE, 0x00AE), (0x2122, 0x2122), (0xE0020, 0xE007F),
    (0x203C, 0x203C), (0x2049, 0x2049), (0x2139, 0x2139), (0x24C2, 0x24C2),
)  # fmt: skip


def has_emoji(text: str) -> bool:
    return any(low <= ord(c) <= high for c in text for low, high in EMOJI_RANGES)


@method("setChatMemberTag")
async def set_chat_member_tag(api: BotApi, params: Params) -> Any:
    chat = api.chat_for_bot(params)
    if not chat.is_group:
        raise bad_request("method is available only for groups and supergroups")
    user = user_of(api.world, params.get("user_id"))  # type: ignore[arg-type]
    if not api.world.bot_membership(chat).can("can_manage_tags"):
        raise bad_request("CHAT_ADMIN_REQUIRED")
    tag = params.get("tag") or ""
    if not isinstance(tag, str) or len(tag.encode("utf-16-le")) // 2 > TAG_LIMIT:
        raise bad_request("TAG_INVALID")
    if has_emoji(tag):
        raise bad_request("TAG_EMOJI_NOT_ALLOWED")
    membership = chat.members.get(user.id)
    if membership is None or not membership.present:
        raise bad_request("USER_NOT_PARTICIPANT")
    if membership.status in ("creator", "administrator"):
        raise bad_request("CHAT_CREATOR_REQUIRED")  # a bot may not edit another admin's title
    membership.tag = tag
    api.world.record("tag_set", chat_id=chat.id, user_id=user.id, tag=tag)
    return True
