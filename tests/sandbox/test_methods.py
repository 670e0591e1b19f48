"""The rest of the Bot API surface fanbot uses: topics, invite links, copies, deletes, members."""

from __future__ import annotations

import pytest

from sandbox.client import SandboxError
from sandbox.world import ADMIN_RIGHTS
from tests.sandbox.test_server import call


async def test_forum_topics_are_created_posted_in_and_closed(server) -> None:
    url, sandbox = server
    owner = await sandbox.create_user("Owner")
    forum = await sandbox.create_group("Forum", creator=owner, is_forum=True)
    _, created = await call(url, "createForumTopic", chat_id=forum.id, name="晒单 Show-off")
    thread = created["result"]["message_thread_id"]
    assert created["result"]["icon_color"] in (
        7322096,
        16766590,
        13338331,
        9367192,
        16749490,
        16478047,
    )
    _, posted = await call(
        url, "sendMessage", chat_id=forum.id, text="welcome", message_thread_id=thread
    )
    assert posted["result"]["message_thread_id"] == thread
    reply = await sandbox.send(forum, owner, "my photo", thread_id=thread)
    assert reply["message"]["is_topic_message"] is True
    assert (await call(url, "closeForumTopic", chat_id=forum.id, message_thread_id=thread))[1][
        "result"
    ]
    _, body = await call(url, "closeForumTopic", chat_id=forum.id, message_thread_id=thread)
    assert body["description"] == "Bad Request: TOPIC_NOT_MODIFIED"
    _status, body = await call(
        url, "sendMessage", chat_id=forum.id, text="x", message_thread_id=999
    )
    assert body["description"] == "Bad Request: message thread not found"


async def test_topics_need_a_forum_and_the_right_to_manage_them(server) -> None:
    url, sandbox = server
    owner = await sandbox.create_user("Owner")
    plain = await sandbox.create_group(creator=owner)
    assert (await call(url, "createForumTopic", chat_id=plain.id, name="t"))[1]["description"] == (
        "Bad Request: the chat is not a forum"
    )
    forum = await sandbox.create_group(
        creator=owner, is_forum=True, bot_rights={"can_manage_topics": False}
    )
    _, body = await call(url, "createForumTopic", chat_id=forum.id, name="t")
    assert body["description"] == "Bad Request: not enough rights to create a topic"


async def test_invite_links_carry_joins_into_chat_member_updates(server) -> None:
    url, sandbox = server
    owner, friend = await sandbox.create_user("Owner"), await sandbox.create_user("Friend")
    group = await sandbox.create_group(creator=owner)
    await call(url, "getUpdates", allowed_updates=["message", "chat_member"])
    _, link = await call(url, "createChatInviteLink", chat_id=group.id, name="Owner's link")
    invite = link["result"]["invite_link"]
    assert invite.startswith("https://t.me/+")
    assert link["result"]["name"] == "Owner's link"
    await sandbox.set_member_status(group, friend, "member", invite_link=invite)
    _, updates = await call(url, "getUpdates")
    joined = next(u["chat_member"] for u in updates["result"] if "chat_member" in u)
    assert joined["invite_link"]["invite_link"] == invite
    assert joined["old_chat_member"]["status"] == "left"
    assert joined["new_chat_member"]["status"] == "member"
    service = next(u["message"] for u in updates["result"] if "message" in u)
    assert service["new_chat_members"][0]["id"] == friend.id

    no_rights = await sandbox.create_group(creator=owner, bot_rights={})
    _, body = await call(url, "createChatInviteLink", chat_id=no_rights.id)
    assert body["description"] == "Bad Request: not enough rights to manage chat invite links"


async def test_named_links_join_as_the_bot_api_says_and_revoked_ones_do_not(server) -> None:
    url, sandbox = server
    owner, ann, bob, cid = [
        await sandbox.create_user(name) for name in ("Owner", "Ann", "Bob", "Cid")
    ]
    group = await sandbox.create_group(creator=owner)
    await call(url, "getUpdates", allowed_updates=["chat_member", "chat_join_request"])
    _, long_name = await call(url, "createChatInviteLink", chat_id=group.id, name="x" * 33)
    assert long_name["description"] == "Bad Request: invite link name is too long"
    _, both = await call(url, "createChatInviteLink", chat_id=group.id, creates_join_request=True,
                         member_limit=5)  # fmt: skip
    assert both["description"] == (
        "Bad Request: member limit can't be specified for links requiring administrator approval"
    )
    _, parcel = await call(url, "createChatInviteLink", chat_id=group.id, name="x" * 32)
    _, asks = await call(url, "createChatInviteLink", chat_id=group.id, name="live",
                         creates_join_request=True)  # fmt: skip
    parcel_link, asks_link = parcel["result"]["invite_link"], asks["result"]["invite_link"]
    assert asks["result"]["creates_join_request"] is True

    await sandbox.join(group, ann, parcel_link)
    await sandbox.join(group, bob, asks_link)  # asks first
    _, updates = await call(url, "getUpdates")
    joined = next(u["chat_member"] for u in updates["result"] if "chat_member" in u)
    assert (joined["new_chat_member"]["user"]["id"], joined["invite_link"]["invite_link"]) == (
        ann.id, parcel_link,
    )  # fmt: skip
    request = next(u["chat_join_request"] for u in updates["result"] if "chat_join_request" in u)
    assert request["invite_link"]["invite_link"] == asks_link
    last = updates["result"][-1]["update_id"]
    await call(url, "approveChatJoinRequest", chat_id=group.id, user_id=bob.id)
    _, updates = await call(url, "getUpdates", offset=last + 1)
    approved = next(u["chat_member"] for u in updates["result"] if "chat_member" in u)
    assert approved["invite_link"]["invite_link"] == asks_link

    _, revoked = await call(url, "revokeChatInviteLink", chat_id=group.id, invite_link=parcel_link)
    assert revoked["result"]["is_revoked"] is True
    with pytest.raises(SandboxError, match="INVITE_HASH_INVALID"):
        await sandbox.join(group, cid, parcel_link)
    _, unknown = await call(url, "revokeChatInviteLink", chat_id=group.id,
                            invite_link="https://t.me/+nothing")  # fmt: skip
    assert unknown["description"] == "Bad Request: INVITE_HASH_EXPIRED"


async def test_delete_copy_and_member_lookups(server) -> None:
    url, sandbox = server
    owner, fan = await sandbox.create_user("Owner"), await sandbox.create_user("Fan")
    group = await sandbox.create_group(creator=owner, members=[fan])
    said = (await sandbox.send(group, fan, "hello"))["message"]
    _, copy = await call(
        url, "copyMessage", chat_id=group.id, from_chat_id=group.id, message_id=said["message_id"]
    )
    assert copy["result"]["message_id"] > said["message_id"]
    assert (await call(url, "deleteMessage", chat_id=group.id, message_id=said["message_id"]))[1][
        "result"
    ]
    _, body = await call(url, "deleteMessage", chat_id=group.id, message_id=said["message_id"])
    assert body["description"] == "Bad Request: message to delete not found"
    _, member = await call(url, "getChatMember", chat_id=group.id, user_id=fan.id)
    assert member["result"]["status"] == "member"
    _, admins = await call(url, "getChatAdministrators", chat_id=group.id)
    statuses = {a["user"]["id"]: a["status"] for a in admins["result"]}
    assert statuses[owner.id] == "creator"
    _, count = await call(url, "getChatMemberCount", chat_id=group.id)
    assert count["result"] == 3  # the owner, the fan and the bot
    state = await sandbox.chat(group.id)
    assert said["message_id"] in state["deleted"]


async def test_edits_and_photos(server) -> None:
    url, sandbox = server
    owner = await sandbox.create_user("Owner")
    group = await sandbox.create_group(creator=owner)
    _, sent = await call(url, "sendMessage", chat_id=group.id, text="Entrants: 1")
    message_id = sent["result"]["message_id"]
    _, edited = await call(
        url, "editMessageText", chat_id=group.id, message_id=message_id, text="Entrants: 2"
    )
    assert edited["result"]["text"] == "Entrants: 2"
    assert "edit_date" in edited["result"]
    markup = '{"inline_keyboard": [[{"text": "Join", "callback_data": "join"}]]}'
    _, body = await call(
        url, "editMessageReplyMarkup", chat_id=group.id, message_id=message_id, reply_markup=markup
    )
    assert body["result"]["reply_markup"]["inline_keyboard"][0][0]["text"] == "Join"
    force = '{"force_reply": true, "selective": true}'
    _, asked = await call(url, "sendMessage", chat_id=group.id, text="Prize?", reply_markup=force)
    assert "reply_markup" not in asked["result"]  # a Message carries inline keyboards only
    _, photo = await call(
        url, "sendPhoto", chat_id=group.id, photo="https://example.org/a.png", caption="x" * 1025
    )
    assert photo["description"] == "Bad Request: message caption is too long"
    _, photo = await call(
        url, "sendPhoto", chat_id=group.id, photo="https://example.org/a.png", caption="new"
    )
    assert photo["result"]["photo"][0]["file_id"].startswith("sandbox-photo-")
    _, bad = await call(url, "sendPhoto", chat_id=group.id, photo="no-such-file-id")
    assert bad["description"] == "Bad Request: wrong file identifier/HTTP URL specified"


async def test_a_restricted_member_cannot_post_until_lifted_and_bans_remove(server) -> None:
    url, sandbox = server
    owner, bob = await sandbox.create_user("Owner"), await sandbox.create_user("Bob")
    group = await sandbox.create_group(creator=owner, members=[bob])
    silent = {"can_send_messages": False}
    _, body = await call(url, "restrictChatMember", chat_id=group.id, user_id=bob.id,
                         permissions=silent)  # fmt: skip
    assert body["result"] is True
    with pytest.raises(SandboxError, match="restricted"):
        await sandbox.send(group, bob, "hello?")
    member = (await call(url, "getChatMember", chat_id=group.id, user_id=bob.id))[1]["result"]
    assert (member["status"], member["can_send_messages"]) == ("restricted", False)
    allowed = dict.fromkeys(["can_send_messages", "can_send_photos", "can_invite_users"], True)
    await call(url, "restrictChatMember", chat_id=group.id, user_id=bob.id, permissions=allowed,
               use_independent_chat_permissions=True)  # fmt: skip
    assert (await sandbox.send(group, bob, "back"))["message"]["text"] == "back"
    _, owner_ban = await call(url, "banChatMember", chat_id=group.id, user_id=owner.id)
    assert owner_ban["description"] == "Bad Request: can't remove chat owner"
    await call(url, "banChatMember", chat_id=group.id, user_id=bob.id)
    assert (await sandbox.chat(group.id))["members"][str(bob.id)] == "kicked"
    await call(url, "unbanChatMember", chat_id=group.id, user_id=bob.id, only_if_banned=True)
    assert (await sandbox.chat(group.id))["members"][str(bob.id)] == "left"


async def test_chat_permissions_close_the_group_and_join_requests_are_answered(server) -> None:
    url, sandbox = server
    owner, bob, eve = [await sandbox.create_user(n) for n in ("Owner", "Bob", "Eve")]
    group = await sandbox.create_group(creator=owner, members=[bob])
    closed = {"can_send_messages": False}
    assert (await call(url, "setChatPermissions", chat_id=group.id, permissions=closed))[1][
        "result"
    ]
    _, again = await call(url, "setChatPermissions", chat_id=group.id, permissions=closed)
    assert again["description"] == "Bad Request: CHAT_NOT_MODIFIED"
    chat = (await call(url, "getChat", chat_id=group.id))[1]["result"]
    assert chat["permissions"]["can_send_messages"] is False
    assert (await sandbox.send(group, owner, "admins still talk"))["message"]
    await call(url, "getUpdates", allowed_updates=["chat_join_request", "message"])
    requested = await sandbox.request_join(group, eve)
    assert requested["update_id"] is not None
    _, note = await call(url, "sendMessage", chat_id=eve.id, text="Press the button")
    assert note["ok"] is True  # the bot may write first to someone asking to join
    assert (await call(url, "approveChatJoinRequest", chat_id=group.id, user_id=eve.id))[1][
        "result"
    ]
    _, twice = await call(url, "approveChatJoinRequest", chat_id=group.id, user_id=eve.id)
    assert twice["description"] == "Bad Request: HIDE_REQUESTER_MISSING"
    assert (await sandbox.chat(group.id))["members"][str(eve.id)] == "member"


async def test_a_handled_join_request_closes_the_private_window_and_a_member_cannot_be_approved(
    server,
) -> None:
    url, sandbox = server
    owner, eve, finn = [await sandbox.create_user(n) for n in ("Owner", "Eve", "Finn")]
    group = await sandbox.create_group(creator=owner)
    await call(url, "getUpdates", allowed_updates=["chat_join_request", "message"])
    for user in (eve, finn):
        await sandbox.request_join(group, user)
    assert (await call(url, "declineChatJoinRequest", chat_id=group.id, user_id=eve.id))[1][
        "result"
    ]
    # user_chat_id serves "for 5 minutes ... until the join request is processed".
    status, late = await call(url, "sendMessage", chat_id=eve.id, text="Sorry!")
    assert (status, late["description"]) == (
        403,
        "Forbidden: bot can't initiate conversation with a user",
    )
    await sandbox.set_member_status(group, finn, "member")  # let in by an admin meanwhile
    _, joined = await call(url, "approveChatJoinRequest", chat_id=group.id, user_id=finn.id)
    assert joined["description"] == "Bad Request: USER_ALREADY_PARTICIPANT"


async def test_join_requests_reach_only_a_bot_that_may_answer_them(server) -> None:
    """ "The bot must have the can_invite_users administrator right in the chat to receive
    these updates"; without it, answering one is refused as tdlib refuses it."""
    url, sandbox = server
    owner, gia, hal = [await sandbox.create_user(n) for n in ("Owner", "Gia", "Hal")]
    lacking = {right: right != "can_invite_users" for right in ADMIN_RIGHTS}
    group = await sandbox.create_group(creator=owner, bot_rights=lacking)
    plain = await sandbox.create_group(creator=owner, bot="member")
    await call(url, "getUpdates", allowed_updates=["chat_join_request", "message"])
    assert (await sandbox.request_join(group, gia))["update_id"] is None
    assert (await sandbox.request_join(plain, hal))["update_id"] is None
    for method in ("approveChatJoinRequest", "declineChatJoinRequest"):
        status, refused = await call(url, method, chat_id=group.id, user_id=gia.id)
        assert (status, refused["description"]) == (
            400, "Bad Request: not enough rights to manage chat join requests"
        )  # fmt: skip
    _, private = await call(url, "approveChatJoinRequest", chat_id=gia.id, user_id=gia.id)
    assert private["description"] == "Bad Request: the chat can't have join requests"
    # Granted later: the request still waits (the admins' to answer, or now the bot's).
    await sandbox.set_bot_status(group, "administrator", by=owner, rights=None)
    assert (await call(url, "approveChatJoinRequest", chat_id=group.id, user_id=gia.id))[1][
        "result"
    ]
    assert (await sandbox.chat(group.id))["members"][str(gia.id)] == "member"
