"""The admins' message tools as Telegram answers them: deleting a message or several at once,
and unpinning every pinned message; and what a member may post under the chat's permissions (a
sticker, a GIF, a poll, media), checked when the sandbox's member posts."""

from __future__ import annotations

import time
from typing import Any

from sandbox.botapi.core import BotApi, Params, method
from sandbox.botapi.messages import PIN_RIGHTS
from sandbox.errors import bad_request
from sandbox.world import SandboxChat, World

DELETABLE_FOR = 48 * 3600  # seconds: Telegram lets a message be deleted for 48 hours
CANT_DELETE = "message can't be deleted"


# deleteMessage: "Service messages about a supergroup, channel, or forum topic creation can't be
# deleted" (a forum's General topic has no opening message of its own: the group's creation is it).
CREATION_SERVICE = ("forum_topic_created", "supergroup_chat_created", "channel_chat_created")


def deletable(world: World, chat: SandboxChat, message: dict[str, Any]) -> bool:
    """deleteMessage's limitations: 48 hours; no chat's or topic's creation; the bot's own
    messages, or any with the right."""
    if time.time() - message["date"] > DELETABLE_FOR:
        return False
    if any(key in message for key in CREATION_SERVICE):
        return False
    own = message.get("from", {}).get("id") == world.bot.id
    return own or not chat.is_group or world.bot_membership(chat).can("can_delete_messages")


@method("deleteMessage")
async def delete_message(api: BotApi, params: Params) -> Any:
    chat = api.chat_for_bot(params)
    message = api.live_message(chat, params.get("message_id"), "message to delete not found")
    if not deletable(api.world, chat, message):
        raise bad_request(CANT_DELETE)
    chat.deleted.add(message["message_id"])
    api.world.record("deleted", chat_id=chat.id, message_id=message["message_id"])
    return True


@method("deleteMessages")
async def delete_messages(api: BotApi, params: Params) -> Any:
    """1 to 100 ids; those not found are skipped (as documented); one the bot may not delete
    refuses the whole call, deleting none (as Telegram's server checks every id first)."""
    chat = api.chat_for_bot(params)
    ids = params.get("message_ids")
    if not isinstance(ids, list) or not ids:
        raise bad_request("message identifiers are not specified")
    if len(ids) > 100:
        raise bad_request("too many message identifiers specified")
    if not all(isinstance(message_id, int) for message_id in ids):
        raise bad_request("can't parse message identifiers")
    found = [
        chat.messages[message_id]
        for message_id in dict.fromkeys(ids)
        if message_id in chat.messages and message_id not in chat.deleted
    ]
    if not all(deletable(api.world, chat, message) for message in found):
        raise bad_request(CANT_DELETE)
    for message in found:
        chat.deleted.add(message["message_id"])
        api.world.record("deleted", chat_id=chat.id, message_id=message["message_id"])
    return True


@method("unpinAllChatMessages")
async def unpin_all_chat_messages(api: BotApi, params: Params) -> Any:
    chat = api.chat_for_bot(params)
    api.require_right(chat, "can_pin_messages", PIN_RIGHTS)
    unpinned, chat.pinned = chat.pinned, []
    api.world.record("unpinned_all", chat_id=chat.id, count=len(unpinned))
    return True


# What a member's message holds, and the permission Telegram asks of them to send it.
CONTENT_PERMISSIONS = {
    "sticker": "can_send_other_messages",
    "animation": "can_send_other_messages",
    "poll": "can_send_polls",
    "photo": "can_send_photos",
    "video": "can_send_videos",
    "document": "can_send_documents",
    "voice": "can_send_voice_notes",
    "text": "can_send_messages",
}


def may_post(chat: SandboxChat, user_id: int, content: str) -> bool:
    """Whether the member may send this kind of message now: the chat's permissions and their
    own restriction both allow it (admins may post anything)."""
    membership = chat.members.get(user_id)
    if membership is None or membership.status in ("creator", "administrator"):
        return membership is not None
    if not chat.may_send(user_id) and content == "text":
        return False
    permission = CONTENT_PERMISSIONS[content]
    own = membership.permissions if membership.status == "restricted" else {}
    return bool(own.get(permission, True) and chat.permissions.get(permission, True))


def member_content(data: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The kind of a member's post in the control API's request, and its Message fields
    (`sticker`: an emoji; `animation`: true; `poll`: a question)."""
    if data.get("sticker"):
        sticker = {
            "file_id": f"sticker-{data['sticker']}", "file_unique_id": "sticker", "type": "regular",
            "width": 512, "height": 512, "is_animated": False, "is_video": False,
            "emoji": str(data["sticker"]),
        }  # fmt: skip
        return "sticker", {"sticker": sticker}
    if data.get("animation"):
        animation = {
            "file_id": "animation", "file_unique_id": "animation", "width": 320, "height": 240,
            "duration": 3,
        }  # fmt: skip
        return "animation", {"animation": animation, "document": None}
    if data.get("poll"):
        poll = {
            "id": str(time.time_ns()), "question": str(data["poll"]), "options": [
                {"text": "👍", "voter_count": 0}, {"text": "👎", "voter_count": 0}],
            "total_voter_count": 0, "is_closed": False, "is_anonymous": True, "type": "regular",
            "allows_multiple_answers": False,
        }  # fmt: skip
        return "poll", {"poll": poll}
    if data.get("photo"):
        return "photo", {}
    if data.get("document"):
        return "document", {}
    return "text", {}
