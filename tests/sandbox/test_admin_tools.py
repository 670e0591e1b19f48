"""The admins' message tools as the Bot API documents them: deleteMessages (1–100 ids, the
missing skipped, one undeletable refusing all), a forum topic's opening message never deleted,
unpinAllChatMessages, and chat permissions a member's sticker, GIF or poll must pass
(independent or dependent, as setChatPermissions says)."""

from __future__ import annotations

import pytest

from sandbox.client import SandboxError
from tests.sandbox.test_server import call


async def test_delete_messages_skips_the_missing_and_checks_the_right(server) -> None:
    url, sandbox = server
    owner, bob = await sandbox.create_user("Owner"), await sandbox.create_user("Bob")
    group = await sandbox.create_group(creator=owner, members=[bob])
    ids = [(await sandbox.send(group, bob, f"spam {n}"))["message"]["message_id"] for n in range(3)]
    _, body = await call(url, "deleteMessages", chat_id=group.id, message_ids=[*ids, 99_999])
    assert body["result"] is True
    chat = await call(url, "deleteMessages", chat_id=group.id, message_ids=ids)
    assert chat[1]["result"] is True  # gone already: skipped, still True
    too_many = list(range(1, 102))
    for wrong, said in (([], "message identifiers are not specified"),
                        (too_many, "too many message identifiers specified")):  # fmt: skip
        _, refused = await call(url, "deleteMessages", chat_id=group.id, message_ids=wrong)
        assert refused["description"] == f"Bad Request: {said}"
    limited = await sandbox.create_group(
        creator=owner, members=[bob], bot_rights={"can_delete_messages": False}
    )
    theirs = (await sandbox.send(limited, bob, "hi"))["message"]["message_id"]
    _, mine = await call(url, "sendMessage", chat_id=limited.id, text="mine")
    both = [theirs, mine["result"]["message_id"]]
    _, refused = await call(url, "deleteMessages", chat_id=limited.id, message_ids=both)
    assert refused["description"] == "Bad Request: message can't be deleted"
    deleted = [e for e in await sandbox.events() if e["kind"] == "deleted"]
    assert sorted(e["message_id"] for e in deleted if e["chat_id"] == group.id) == ids
    assert not [e for e in deleted if e["chat_id"] == limited.id]  # all or nothing


async def test_a_topics_opening_message_can_not_be_deleted_alone_or_in_a_batch(server) -> None:
    url, sandbox = server
    owner, bob = await sandbox.create_user("Owner"), await sandbox.create_user("Bob")
    forum = await sandbox.create_group("Forum", creator=owner, members=[bob], is_forum=True)
    thread = await sandbox.open_topic(forum, bob, "Tea talk")
    _, made = await call(url, "createForumTopic", chat_id=forum.id, name="By the bot")
    own_topic = made["result"]["message_thread_id"]  # the bot's own service message, still
    said = (await sandbox.send(forum, bob, "hi", thread_id=thread))["message"]
    assert said["reply_to_message"]["forum_topic_created"]["name"] == "Tea talk"
    for opening in (thread, own_topic):
        _, refused = await call(url, "deleteMessage", chat_id=forum.id, message_id=opening)
        assert refused["description"] == "Bad Request: message can't be deleted"
    both = [thread, said["message_id"]]
    _, refused = await call(url, "deleteMessages", chat_id=forum.id, message_ids=both)
    assert refused["description"] == "Bad Request: message can't be deleted"
    assert (await sandbox.chat(forum.id))["deleted"] == []  # all or nothing
    _, alone = await call(url, "deleteMessage", chat_id=forum.id, message_id=said["message_id"])
    assert alone["result"] is True


async def test_unpin_all_and_unpin_the_latest_by_date(server) -> None:
    url, sandbox = server
    owner = await sandbox.create_user("Owner")
    group = await sandbox.create_group(creator=owner)
    first, second = [(await sandbox.send(group, owner, t))["message"]["message_id"] for t in "ab"]
    await call(url, "pinChatMessage", chat_id=group.id, message_id=second)
    await call(url, "pinChatMessage", chat_id=group.id, message_id=first, disable_notification=True)
    await call(url, "unpinChatMessage", chat_id=group.id)  # the most recent by sending date
    assert (await sandbox.chat(group.id))["pinned"] == [first]
    assert (await call(url, "unpinAllChatMessages", chat_id=group.id))[1]["result"] is True
    assert (await sandbox.chat(group.id))["pinned"] == []


async def test_a_sticker_or_a_poll_needs_its_permission(server) -> None:
    url, sandbox = server
    owner, bob = await sandbox.create_user("Owner"), await sandbox.create_user("Bob")
    group = await sandbox.create_group(creator=owner, members=[bob])
    assert (await sandbox.send(group, bob, sticker="😀"))["message"]["sticker"]["emoji"] == "😀"
    everything = {
        "can_send_messages": True, "can_send_photos": True, "can_send_polls": False,
        "can_send_other_messages": False, "can_add_web_page_previews": True,
    }  # fmt: skip
    await call(url, "setChatPermissions", chat_id=group.id, permissions=everything,
               use_independent_chat_permissions=True)  # fmt: skip
    for kind in ({"sticker": "😀"}, {"animation": True}, {"poll": "Tea or coffee?"}):
        with pytest.raises(SandboxError, match="restricted"):
            await sandbox.send(group, bob, **kind)
    assert (await sandbox.send(group, bob, "text still goes"))["message"]
    assert (await sandbox.send(group, owner, sticker="👑"))["message"]  # admins are exempt
    # Without independent permissions, previews imply every media permission (as documented).
    await call(url, "setChatPermissions", chat_id=group.id,
               permissions={"can_add_web_page_previews": True})  # fmt: skip
    chat = (await call(url, "getChat", chat_id=group.id))[1]["result"]["permissions"]
    implied = ("can_send_messages", "can_send_photos", "can_send_documents")
    assert [chat[name] for name in implied] == [True, True, True]
    assert [chat["can_send_polls"], chat["can_send_other_messages"]] == [False, False]
