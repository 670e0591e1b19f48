"""What the admins are told when the bot lacks a right one of its features needs."""

from __future__ import annotations

from collections.abc import Iterable

from aiogram.utils.i18n import gettext as _

INVITE = "can_invite_users"
DELETE = "can_delete_messages"
PIN = "can_pin_messages"
TOPICS = "can_manage_topics"
RESTRICT = "can_restrict_members"
TAGS = "can_manage_tags"


def rights_notice(rights: Iterable[str]) -> str:
    return "\n".join(
        [_("⚠️ <b>Admins:</b>"), *map(missing_right, rights), _("Everything else keeps working.")]
    )


def missing_right(right: str) -> str:
    if right == INVITE:
        return _(
            "• I can't create invite links or answer join requests, so /invite gives members "
            "none and join requests wait for you. Give me the “Invite users via link” right."
        )
    if right == TOPICS:
        return _(
            "• I can't create or close forum topics, so topic threads can't open here. "
            "Give me the “Manage topics” right."
        )
    if right == RESTRICT:
        return _(
            "• I can't restrict or ban members, so verification, anti-flood, mutes and bans "
            "don't work. Give me the “Ban users” right."
        )
    if right == TAGS:
        return _(
            "• I can't set members' tags, so tiers don't show beside their names. "
            "Give me the “Manage tags” right."
        )
    if right == PIN:
        return _(
            "• I can't pin messages, so scheduled posts marked pin go out unpinned. "
            "Give me the “Pin messages” right."
        )
    return _(
        "• I can't delete messages, so spam and quiet sign-ins stay in the chat. "
        "Give me the “Delete messages” right."
    )
