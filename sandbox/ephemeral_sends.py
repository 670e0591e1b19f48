"""An ephemeral send (any send method with `ephemeral_message_parameters`): the checks
Telegram makes, then the message kept for its receiver only (`sandbox/ephemeral.py`).

A bot that is not the chat's administrator may send one only within 15 seconds of a press by
the receiver (`callback_query_id`) or of the receiver's ephemeral command
(`reply_parameters.ephemeral_message_id`), as the Bot API's "Ephemeral Messages and Commands"
says; Telegram's wording for that refusal is not documented: `NO_RIGHTS` is ours.
"""

from __future__ import annotations

import time
from typing import Any

from sandbox.ephemeral import WINDOW, Receiver
from sandbox.errors import bad_request
from sandbox.world import SandboxChat, World

QUERY_INVALID = "query is too old and response timeout expired or query ID is invalid"
NO_RIGHTS = "not enough rights to send ephemeral messages"  # our wording


def receiver_of(world: World, chat: SandboxChat, params: dict[str, Any]) -> Receiver | None:
    """The send's ephemeral parameters, checked as Telegram checks them; None for a message to
    everyone (or on an older server, which does not know the parameters)."""
    given = params.get("ephemeral_message_parameters")
    if given is None and params.get("receiver_user_id") is not None:  # the 10.2 form
        given = {key: params.get(key) for key in ("receiver_user_id", "callback_query_id")}
    if given is None or not world.ephemeral.supported:
        return None
    if not isinstance(given, dict) or not isinstance(given.get("receiver_user_id"), int):
        raise bad_request("invalid receiver_user_id specified")
    if not chat.is_group:
        raise bad_request("ephemeral messages can be sent only to group and supergroup chats")
    receiver_id = int(given["receiver_user_id"])
    receiver = world.users.get(receiver_id)
    membership = chat.members.get(receiver_id)
    if receiver is None or receiver.is_bot or membership is None or not membership.present:
        raise bad_request("receiver user is not a member of the chat")
    reply = params.get("reply_parameters") or {}
    if isinstance(reply, dict) and reply.get("chat_id") is not None:
        raise bad_request("reply_parameters.chat_id is not supported for ephemeral messages")
    query_id = given.get("callback_query_id")
    replace = bool(given.get("replace_callback_query_message"))
    admin = world.bot_membership(chat).status in ("administrator", "creator")
    if query_id is not None:
        query = world.callback_queries.get(str(query_id))
        if query is None or query["chat_id"] != chat.id or query.get("user_id") != receiver_id:
            raise bad_request(QUERY_INVALID)
        if not admin and time.time() - query["time"] > WINDOW:
            raise bad_request(QUERY_INVALID)
        if replace and query.get("ephemeral"):
            raise bad_request(
                "replace_callback_query_message must be False for callback queries from "
                "ephemeral messages"
            )
    elif replace:
        raise bad_request("replace_callback_query_message requires callback_query_id")
    elif not admin and not answers_command(world, chat, receiver_id, reply):
        raise bad_request(NO_RIGHTS)
    return Receiver(receiver_id, None if query_id is None else str(query_id), replace)


def answers_command(
    world: World, chat: SandboxChat, receiver_id: int, reply: dict[str, Any]
) -> bool:
    """Whether the send replies to the receiver's ephemeral command of under 15 seconds ago."""
    return command_replied(world, chat, receiver_id, reply.get("ephemeral_message_id")) is not None


def command_replied(
    world: World, chat: SandboxChat, receiver_id: int, ephemeral_id: object
) -> dict[str, Any] | None:
    """The receiver's ephemeral command `ephemeral_id` names, if under 15 seconds old (an
    ephemeral message may only be replied to within 15 seconds of being sent)."""
    if not isinstance(ephemeral_id, int):
        return None
    asked = world.ephemeral.incoming[chat.id].get(ephemeral_id)
    if asked is None or asked[0] != receiver_id or time.time() - asked[1] > WINDOW:
        return None
    return asked[2]


def reply_target(
    world: World, chat: SandboxChat, receiver: Receiver | None, ephemeral_id: object
) -> dict[str, Any]:
    """What `reply_parameters.ephemeral_message_id` answers: only an ephemeral send may, to
    its receiver's ephemeral command (or to an ephemeral message the bot sent them)."""
    if receiver is None:
        raise bad_request("message to be replied not found")
    found = command_replied(world, chat, receiver.user_id, ephemeral_id)
    if found is None:
        kept = world.ephemeral.by_chat[chat.id].get(ephemeral_id)  # type: ignore[call-overload]
        if kept is None or kept[0] != receiver.user_id:
            raise bad_request("message to be replied not found")
        found = kept[1]
    return {key: value for key, value in found.items() if key != "reply_to_message"}


def post(
    world: World,
    chat: SandboxChat,
    receiver: Receiver,
    method_name: str,
    message: dict[str, Any],
    html: str | None,
    markup: dict[str, Any] | None,
) -> dict[str, Any]:
    """Keep `message` (built as any send's) as the receiver's ephemeral message."""
    ephemeral_id = world.ephemeral.next_id(chat.id)
    message.update(
        message_id=0,
        ephemeral_message_id=ephemeral_id,
        receiver_user=world.users[receiver.user_id].to_api(),
    )
    world.ephemeral.by_chat[chat.id][ephemeral_id] = (receiver.user_id, message)
    reply_to = message.get("reply_to_message") or {}
    world.record(
        "ephemeral",
        method=method_name,
        chat_id=chat.id,
        receiver_id=receiver.user_id,
        ephemeral_message_id=ephemeral_id,
        text=message.get("text") or message.get("caption"),
        html=html,
        reply_to=reply_to.get("message_id") or None,
        reply_to_ephemeral=reply_to.get("ephemeral_message_id"),
        reply_markup=markup,
        callback_query_id=receiver.callback_query_id,
        replaces_message=receiver.replace_callback_query_message or None,
        time_sent=time.time(),
    )
    return message
