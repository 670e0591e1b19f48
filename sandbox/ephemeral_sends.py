"""An ephemeral send (any send method with `ephemeral_message_parameters`): the checks
Telegram makes, then the message kept for its receiver only (`sandbox/ephemeral.py`)."""

from __future__ import annotations

import time
from typing import Any

from sandbox.ephemeral import Receiver
from sandbox.errors import bad_request
from sandbox.world import SandboxChat, World

QUERY_INVALID = "query is too old and response timeout expired or query ID is invalid"


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
    query_id = given.get("callback_query_id")
    replace = bool(given.get("replace_callback_query_message"))
    if query_id is not None:
        query = world.callback_queries.get(str(query_id))
        if query is None or query["chat_id"] != chat.id or query.get("user_id") != receiver_id:
            raise bad_request(QUERY_INVALID)
        if replace and query.get("ephemeral"):
            raise bad_request(
                "replace_callback_query_message must be False for callback queries from "
                "ephemeral messages"
            )
    elif replace:
        raise bad_request("replace_callback_query_message requires callback_query_id")
    return Receiver(receiver_id, None if query_id is None else str(query_id), replace)


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
        reply_markup=markup,
        callback_query_id=receiver.callback_query_id,
        replaces_message=receiver.replace_callback_query_message or None,
        time_sent=time.time(),
    )
    return message
