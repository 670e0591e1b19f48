"""Moderation: restricting, banning and unbanning members, the chat's own permissions, and join
requests, with the checks and errors Telegram gives."""

from __future__ import annotations

import time
from typing import Any

from sandbox.botapi.core import BotApi, Params, method, user_of
from sandbox.errors import bad_request
from sandbox.world import MEMBER_PERMISSIONS, Membership, SandboxChat, SandboxUser

RESTRICT_RIGHTS = "not enough rights to restrict/unrestrict chat member"
# Telegram treats a restriction or ban of under 30 seconds or over 366 days as forever.
FOREVER_BELOW, FOREVER_ABOVE = 30, 366 * 86_400


def until_of(params: Params) -> int:
    until = params.get("until_date") or 0
    if not isinstance(until, int):
        raise bad_request("invalid value for parameter until_date")
    left = until - time.time()
    return 0 if until and (left < FOREVER_BELOW or left > FOREVER_ABOVE) else until


def target_of(api: BotApi, chat: SandboxChat, params: Params) -> tuple[SandboxUser, Membership]:
    if not chat.is_group:
        raise bad_request("method is available only for supergroups and channel")
    user = user_of(api.world, params.get("user_id"))  # type: ignore[arg-type]
    if user.id == api.world.bot.id:
        raise bad_request("can't restrict self")
    membership = chat.members.get(user.id, Membership("left"))
    if membership.status == "creator":
        raise bad_request("can't remove chat owner")
    if membership.status == "administrator":
        raise bad_request("user is an administrator of the chat")
    return user, membership


def permissions_of(params: Params) -> dict[str, bool]:
    permissions = params.get("permissions")
    if not isinstance(permissions, dict) or not set(permissions) <= set(MEMBER_PERMISSIONS):
        raise bad_request("can't parse permissions JSON object")
    granted = {name: bool(permissions.get(name, False)) for name in MEMBER_PERMISSIONS}
    if not params.get("use_independent_chat_permissions"):
        # The dependent rules, as documented: other messages and previews imply messages and
        # every media permission; polls imply messages.
        media = ("can_send_messages", "can_send_audios", "can_send_documents", "can_send_photos",
                 "can_send_videos", "can_send_video_notes", "can_send_voice_notes")  # fmt: skip
        if granted["can_send_other_messages"] or granted["can_add_web_page_previews"]:
            granted.update(dict.fromkeys(media, True))
        if granted["can_send_polls"]:
            granted["can_send_messages"] = True
    return granted


@method("restrictChatMember")
async def restrict_chat_member(api: BotApi, params: Params) -> Any:
    chat = api.chat_for_bot(params)
    api.require_right(chat, "can_restrict_members", RESTRICT_RIGHTS)
    user, old = target_of(api, chat, params)
    if chat.type != "supergroup":
        raise bad_request("method is available only for supergroups")
    permissions = permissions_of(params)
    if not old.present and old.status != "kicked":
        return True  # Telegram keeps the restriction for when they join; so does nothing here
    until = until_of(params)
    if all(permissions.values()) and all(chat.permissions.values()):
        new = Membership("member")  # everything allowed: the restriction is lifted
    else:
        new = Membership("restricted", permissions=permissions, until_date=until)
    api.world.change_membership(chat, user, new, by=api.world.bot)
    api.world.record(
        "restricted", chat_id=chat.id, user_id=user.id, until_date=until,
        can_send_messages=permissions["can_send_messages"],
    )  # fmt: skip
    return True


@method("banChatMember")
async def ban_chat_member(api: BotApi, params: Params) -> Any:
    chat = api.chat_for_bot(params)
    api.require_right(chat, "can_restrict_members", RESTRICT_RIGHTS)
    user, _old = target_of(api, chat, params)
    until = until_of(params)
    api.world.change_membership(
        chat, user, Membership("kicked", until_date=until), by=api.world.bot
    )
    if params.get("revoke_messages"):
        for message_id, message in chat.messages.items():
            if message.get("from", {}).get("id") == user.id:
                chat.deleted.add(message_id)
    api.world.record("banned", chat_id=chat.id, user_id=user.id, until_date=until)
    return True


@method("unbanChatMember")
async def unban_chat_member(api: BotApi, params: Params) -> Any:
    chat = api.chat_for_bot(params)
    api.require_right(chat, "can_restrict_members", RESTRICT_RIGHTS)
    user, old = target_of(api, chat, params)
    # After the call the user is not in the chat but may join: a member still there is
    # removed too, unless only_if_banned asks to leave them be.
    if old.status == "kicked" or (old.present and not params.get("only_if_banned")):
        api.world.change_membership(chat, user, Membership("left"), by=api.world.bot)
    api.world.record("unbanned", chat_id=chat.id, user_id=user.id)
    return True


@method("setChatPermissions")
async def set_chat_permissions(api: BotApi, params: Params) -> Any:
    chat = api.chat_for_bot(params)
    if not chat.is_group:
        raise bad_request("method is available only for supergroups and channel")
    api.require_right(chat, "can_restrict_members", "not enough rights to change chat permissions")
    permissions = permissions_of(params)
    if permissions == chat.permissions:
        raise bad_request("CHAT_NOT_MODIFIED")
    chat.permissions = permissions
    api.world.record(
        "permissions", chat_id=chat.id, can_send_messages=permissions["can_send_messages"],
        permissions=permissions,
    )  # fmt: skip
    return True


def pending_request(api: BotApi, params: Params) -> tuple[SandboxChat, SandboxUser, dict[str, Any]]:
    """The request, handled now: the bot may no longer write to the requester first (the Bot
    API's `user_chat_id` serves "for 5 minutes ... until the join request is processed")."""
    chat = api.chat_for_bot(params)
    if not chat.is_group:
        raise bad_request("the chat can't have join requests")
    # tdlib's own check, before Telegram is asked: its words, as the Bot API passes them on.
    api.require_right(chat, "can_invite_users", "not enough rights to manage chat join requests")
    user = user_of(api.world, params.get("user_id"))  # type: ignore[arg-type]
    request = chat.join_requests.pop(user.id, None)
    if request is None:
        raise bad_request("HIDE_REQUESTER_MISSING")
    user.may_message_until = 0
    return chat, user, request


@method("approveChatJoinRequest")
async def approve_chat_join_request(api: BotApi, params: Params) -> Any:
    chat, user, request = pending_request(api, params)
    membership = chat.members.get(user.id)
    if membership is not None and membership.present:  # joined meanwhile by another way
        raise bad_request("USER_ALREADY_PARTICIPANT")
    link = (request.get("invite_link") or {}).get("invite_link")
    api.world.change_membership(
        chat, user, "member", by=api.world.bot, invite_link=link, via_join_request=link is None
    )
    api.world.record("join_approved", chat_id=chat.id, user_id=user.id)
    return True


@method("declineChatJoinRequest")
async def decline_chat_join_request(api: BotApi, params: Params) -> Any:
    chat, user, _request = pending_request(api, params)
    api.world.record("join_declined", chat_id=chat.id, user_id=user.id)
    return True
