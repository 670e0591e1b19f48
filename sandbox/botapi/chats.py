"""Chats, members, commands, invite links and forum topics."""

from __future__ import annotations

import re
import secrets
import time
from typing import Any

from sandbox.botapi.core import BotApi, Params, method
from sandbox.errors import bad_request
from sandbox.world import Membership, SandboxChat


@method("getChat")
async def get_chat(api: BotApi, params: Params) -> Any:
    return api.chat_for_bot(params).full_info()


@method("getChatMember")
async def get_chat_member(api: BotApi, params: Params) -> Any:
    chat = api.chat_for_bot(params)
    user = api.world.users.get(params.get("user_id"))  # type: ignore[arg-type]
    if user is None:
        raise bad_request("user not found")
    membership = chat.members.get(user.id)
    if membership is None:
        membership = Membership("left")
    return membership.to_api(user)


@method("getChatMemberCount")
async def get_chat_member_count(api: BotApi, params: Params) -> Any:
    chat = api.chat_for_bot(params)
    return sum(1 for membership in chat.members.values() if membership.present)


@method("getChatAdministrators")
async def get_chat_administrators(api: BotApi, params: Params) -> Any:
    chat = api.chat_for_bot(params)
    if chat.type == "private":
        raise bad_request("there are no administrators in the private chat")
    return [
        membership.to_api(api.world.users[user_id])
        for user_id, membership in chat.members.items()
        if membership.status in ("creator", "administrator")
    ]


def commands_key(params: Params) -> tuple[str, str]:
    """Commands are kept per scope type and language, as Telegram keeps them."""
    scope = (params.get("scope") or {}).get("type", "default")
    return scope, params.get("language_code") or ""


@method("setMyCommands")
async def set_my_commands(api: BotApi, params: Params) -> Any:
    commands = params.get("commands")
    if not isinstance(commands, list) or len(commands) > 100:
        raise bad_request("commands must be an array of at most 100 BotCommand")
    for command in commands:
        name, description = command.get("command", ""), command.get("description", "")
        if not re.fullmatch(r"[a-z0-9_]{1,32}", name):
            raise bad_request("BOT_COMMAND_INVALID")
        if not 1 <= len(description) <= 256:
            raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        if not isinstance(command.get("is_ephemeral", False), bool):  # kept as given
            raise bad_request("can't parse BotCommand: is_ephemeral must be a Boolean")
    language = params.get("language_code") or ""
    if language and not re.fullmatch(r"[a-z]{2}", language):
        raise bad_request("invalid language code specified")
    if not api.world.ephemeral.supported:  # an older server keeps only the fields it knows
        commands = [{k: v for k, v in c.items() if k != "is_ephemeral"} for c in commands]
    api.world.commands[commands_key(params)] = commands
    api.world.record("commands_set", key=commands_key(params), count=len(commands))
    return True


@method("setChatMenuButton")
async def set_chat_menu_button(api: BotApi, params: Params) -> Any:
    button = params.get("menu_button") or {"type": "default"}
    if not isinstance(button, dict) or button.get("type") not in ("commands", "web_app", "default"):
        raise bad_request("can't parse menu button JSON object")
    if button["type"] == "web_app":
        url = (button.get("web_app") or {}).get("url", "")
        if not button.get("text") or not str(url).startswith("https://"):
            raise bad_request("BUTTON_URL_INVALID")
    chat_id = params.get("chat_id")
    api.world.menu_buttons[chat_id] = button
    api.world.record("menu_button_set", chat_id=chat_id, button=button)
    return True


@method("getChatMenuButton")
async def get_chat_menu_button(api: BotApi, params: Params) -> Any:
    return api.world.menu_buttons.get(params.get("chat_id"), {"type": "commands"})


@method("getMyCommands")
async def get_my_commands(api: BotApi, params: Params) -> Any:
    return api.world.commands.get(commands_key(params), [])


@method("deleteMyCommands")
async def delete_my_commands(api: BotApi, params: Params) -> Any:
    api.world.commands.pop(commands_key(params), None)
    return True


@method("createChatInviteLink")
async def create_chat_invite_link(api: BotApi, params: Params) -> Any:
    chat = api.chat_for_bot(params)
    if not chat.is_group:
        raise bad_request("can't invite members to a private chat")
    api.require_right(chat, "can_invite_users", "not enough rights to manage chat invite links")
    name = params.get("name")
    if name is not None and len(name) > 32:
        raise bad_request("invite link name is too long")
    limit = params.get("member_limit")
    if limit is not None and not 1 <= limit <= 99_999:
        raise bad_request("member limit must be between 1 and 99999")
    # "If True, member_limit can't be specified" (the Bot API on creates_join_request)
    if limit is not None and params.get("creates_join_request"):
        raise bad_request(
            "member limit can't be specified for links requiring administrator approval"
        )
    expire = params.get("expire_date")
    if expire is not None and expire <= time.time():
        raise bad_request("EXPIRE_DATE_INVALID")
    link: dict[str, Any] = {
        "invite_link": f"https://t.me/+{secrets.token_urlsafe(12)}",
        "creator": api.world.bot.to_api(),
        "creates_join_request": bool(params.get("creates_join_request")),
        "is_primary": False,
        "is_revoked": False,
    }
    for key in ("name", "expire_date", "member_limit"):
        if params.get(key) is not None:
            link[key] = params[key]
    chat.invite_links[link["invite_link"]] = link
    api.world.record("invite_link", chat_id=chat.id, link=link)
    return link


@method("revokeChatInviteLink")
async def revoke_chat_invite_link(api: BotApi, params: Params) -> Any:
    """Revoke a link the bot created: it joins nobody after; the revoked link is returned."""
    chat = api.chat_for_bot(params)
    if not chat.is_group:
        raise bad_request("can't invite members to a private chat")
    api.require_right(chat, "can_invite_users", "not enough rights to manage chat invite links")
    link = chat.invite_links.get(params.get("invite_link") or "")
    if link is None:
        raise bad_request("INVITE_HASH_EXPIRED")
    if link["creator"]["id"] != api.world.bot.id:
        raise bad_request("CHAT_ADMIN_REQUIRED")  # another admin's link: theirs to revoke
    link["is_revoked"] = True
    api.world.record("invite_link_revoked", chat_id=chat.id, link=link)
    return link


def forum_for_bot(api: BotApi, params: Params) -> SandboxChat:
    chat = api.chat_for_bot(params)
    if not chat.is_forum:
        raise bad_request("the chat is not a forum")
    return chat


TOPIC_COLORS = {7322096, 16766590, 13338331, 9367192, 16749490, 16478047}


@method("createForumTopic")
async def create_forum_topic(api: BotApi, params: Params) -> Any:
    chat = forum_for_bot(api, params)
    api.require_right(chat, "can_manage_topics", "not enough rights to create a topic")
    name = params.get("name") or ""
    if not 1 <= len(name) <= 128:
        raise bad_request("TOPIC_NAME_INVALID" if name else "topic name is empty")
    color = params.get("icon_color", 7322096)
    if color not in TOPIC_COLORS:
        raise bad_request("invalid icon_color")
    service = api.world.new_message(
        chat, api.world.bot, forum_topic_created={"name": name, "icon_color": color}
    )
    topic = {"message_thread_id": service["message_id"], "name": name, "icon_color": color}
    chat.topics[service["message_id"]] = {**topic, "closed": False}
    api.world.record("topic_created", chat_id=chat.id, topic=topic)
    return topic


@method("closeForumTopic")
async def close_forum_topic(api: BotApi, params: Params) -> Any:
    chat = forum_for_bot(api, params)
    topic = chat.topics.get(params.get("message_thread_id"))  # type: ignore[arg-type]
    if topic is None:
        raise bad_request("TOPIC_ID_INVALID")
    api.require_right(chat, "can_manage_topics", "not enough rights to manage topics")
    if topic["closed"]:
        raise bad_request("TOPIC_NOT_MODIFIED")
    topic["closed"] = True
    api.world.record("topic_closed", chat_id=chat.id, thread_id=topic["message_thread_id"])
    return True
