"""setChatMemberTag as Telegram's Bot API server answers it: the tag shows in getChatMember and
the chat's state, goes with the member when they leave (or, in a group set to keep tags, is
found again on their return), and is refused with Telegram's codes."""

from __future__ import annotations

from typing import Any

from tests.sandbox.test_server import call


async def test_a_tag_is_set_shown_cleared_and_gone_with_the_member(server) -> None:
    url, sandbox = server
    owner, fan = await sandbox.create_user("Owner"), await sandbox.create_user("Fan")
    group = await sandbox.create_group(creator=owner, members=[fan])
    _, body = await call(url, "setChatMemberTag", chat_id=group.id, user_id=fan.id, tag="金牌")
    assert body == {"ok": True, "result": True}
    _, member = await call(url, "getChatMember", chat_id=group.id, user_id=fan.id)
    assert member["result"]["tag"] == "金牌"
    assert (await sandbox.chat(group.id))["tags"] == {str(fan.id): "金牌"}
    await sandbox.set_member_status(group, fan, "restricted")  # a restriction keeps it
    assert (await sandbox.chat(group.id))["tags"] == {str(fan.id): "金牌"}
    await call(url, "setChatMemberTag", chat_id=group.id, user_id=fan.id)  # no tag: cleared
    _, member = await call(url, "getChatMember", chat_id=group.id, user_id=fan.id)
    assert "tag" not in member["result"]
    await call(url, "setChatMemberTag", chat_id=group.id, user_id=fan.id, tag="Gold")
    await sandbox.set_member_status(group, fan, "left")
    await sandbox.set_member_status(group, fan, "member")
    assert (await sandbox.chat(group.id))["tags"] == {}
    # A group whose tags outlive leaving (Telegram does not say which it is): found on return.
    await sandbox.keep_tags(group)
    await call(url, "setChatMemberTag", chat_id=group.id, user_id=fan.id, tag="Gold")
    await sandbox.set_member_status(group, fan, "left")
    _, away = await call(url, "getChatMember", chat_id=group.id, user_id=fan.id)
    assert (away["result"]["status"], away["result"].get("tag")) == ("left", None)
    assert (await sandbox.chat(group.id))["tags"] == {}
    await sandbox.set_member_status(group, fan, "member")
    _, back = await call(url, "getChatMember", chat_id=group.id, user_id=fan.id)
    assert back["result"]["tag"] == "Gold"


async def test_tags_are_refused_as_telegram_refuses_them(server) -> None:
    url, sandbox = server
    owner, fan = await sandbox.create_user("Owner"), await sandbox.create_user("Fan")
    admin, stranger = await sandbox.create_user("Admin"), await sandbox.create_user("Stranger")
    group = await sandbox.create_group(creator=owner, admins=[admin], members=[fan])

    async def refusal(**params: Any) -> str:
        status, body = await call(url, "setChatMemberTag", chat_id=group.id, **params)
        assert status == 400
        return str(body["description"])

    assert await refusal(user_id=fan.id, tag="x" * 17) == "Bad Request: TAG_INVALID"
    assert await refusal(user_id=fan.id, tag="Gold 💎") == "Bad Request: TAG_EMOJI_NOT_ALLOWED"
    assert await refusal(user_id=stranger.id, tag="Gold") == "Bad Request: USER_NOT_PARTICIPANT"
    assert await refusal(user_id=admin.id, tag="Gold") == "Bad Request: CHAT_CREATOR_REQUIRED"
    assert await refusal(user_id=owner.id, tag="Gold") == "Bad Request: CHAT_CREATOR_REQUIRED"
    assert await refusal(user_id=999, tag="Gold") == "Bad Request: user not found"
    assert (await call(url, "setChatMemberTag", chat_id=group.id, user_id=fan.id, tag="x" * 16))[
        0
    ] == 200  # 16 is the limit
    await sandbox.set_bot_status(group, "administrator", rights={"can_manage_tags": False})
    assert await refusal(user_id=fan.id, tag="Gold") == "Bad Request: CHAT_ADMIN_REQUIRED"
    await sandbox.set_bot_status(group, "member")
    assert await refusal(user_id=fan.id, tag="Gold") == "Bad Request: CHAT_ADMIN_REQUIRED"
    await sandbox.send_private(fan, "/start")
    _, body = await call(url, "setChatMemberTag", chat_id=fan.id, user_id=fan.id, tag="Gold")
    assert body["description"] == "Bad Request: method is available only for groups and supergroups"
