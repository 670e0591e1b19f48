"""People joining a group (by themselves, through an invite link, or by asking to) and leaving
it, with the updates Telegram sends for each."""

from __future__ import annotations

import time
from typing import Any

from sandbox.errors import bad_request
from sandbox.world import SandboxChat, SandboxUser, World

JOIN_REQUEST_WINDOW = 300  # a join request lets the bot write to the user first for 5 minutes


def join(
    world: World, chat: SandboxChat, user: SandboxUser, invite_link: str | None = None
) -> dict[str, Any]:
    """The user joins: a chat_member update (for an admin bot) and the new_chat_members service
    message; through a link that asks for approval, a chat_join_request instead."""
    membership = chat.members.get(user.id)
    if membership is not None and membership.present:
        raise bad_request("USER_ALREADY_PARTICIPANT")
    if membership is not None and membership.status == "kicked":
        raise bad_request("user is banned from the chat")
    if invite_link is None:
        return world.change_membership(chat, user, "member")
    link = chat.invite_links.get(invite_link)
    if link is None or link.get("is_revoked"):
        raise bad_request("INVITE_HASH_INVALID")
    if link.get("expire_date") and link["expire_date"] <= time.time():
        raise bad_request("INVITE_HASH_EXPIRED")
    if link.get("creates_join_request"):
        return request_join(world, chat, user, invite_link)
    return world.change_membership(chat, user, "member", invite_link=invite_link)


def request_join(
    world: World, chat: SandboxChat, user: SandboxUser, invite_link: str | None = None
) -> dict[str, Any]:
    """The user asks to join a group that approves joins: a `chat_join_request` update, and the
    bot may write to them privately for five minutes. The update goes only to a bot that may
    answer it ("The bot must have the can_invite_users administrator right in the chat to
    receive these updates"); the request waits for the group's admins either way."""
    membership = chat.members.get(user.id)
    if membership is not None and (membership.present or membership.status == "kicked"):
        raise bad_request("user is in the chat or banned from it")
    payload: dict[str, Any] = {
        "chat": chat.to_api(), "from": user.to_api(), "user_chat_id": user.id,
        "date": int(time.time()),
    }  # fmt: skip
    if invite_link is not None:
        payload["invite_link"] = chat.invite_links[invite_link]
    chat.join_requests[user.id] = payload
    world.private_chat(user)
    user.may_message_until = time.time() + JOIN_REQUEST_WINDOW
    may_answer = world.bot_membership(chat).can("can_invite_users")
    update = world.push_update("chat_join_request", payload) if may_answer else None
    return {"update_id": update["update_id"] if update else None, "requested": True}


def leave(world: World, chat: SandboxChat, user: SandboxUser) -> dict[str, Any]:
    membership = chat.members.get(user.id)
    if membership is None or not membership.present:
        raise bad_request("USER_NOT_PARTICIPANT")
    return world.change_membership(chat, user, "left")
