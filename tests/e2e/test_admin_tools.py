"""The admin tools members of Rose- and Combot-run groups expect, through the sandbox: /report
reaching the admins privately once per message (a second report counts, tells no one again)
with buttons that act; a purge of 30 messages in one paced deleteMessages call with no 429;
/del, /pin and /unpin; locks by Telegram's permissions (a sticker refused by the sandbox) and by
the guards (a link deleted), /locks and /unlock; the zh replies in Chinese; in a forum topic, a
command that replies to nothing (Telegram makes it a reply to the topic's opening message) acts
on nothing, and a purge across a topic's opening message deletes all the rest."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from sandbox.client import Event, Group, SandboxClient, SandboxError, User
from tests.e2e.conftest import Launch
from tests.e2e.test_first_day import fan_group
from tests.support.untranslated import untranslated


def answer_to(group: Group, user: User, message_id: int) -> Callable[[Event], bool]:
    """The bot's answer to a member's message: a reply, or one only they see (ephemeral)."""
    return lambda e: (
        e.get("chat_id") == group.id
        and e.get("reply_to") == message_id
        and (e["kind"] == "sent" or (e["kind"] == "ephemeral" and e.get("receiver_id") == user.id))
    )


async def answered(
    sandbox: SandboxClient,
    group: Group,
    user: User,
    text: str,
    reply_to: int | None = None,
    thread_id: int | None = None,
) -> str:
    sent = await sandbox.send(group, user, text, reply_to=reply_to, thread_id=thread_id)
    (answer,) = await sandbox.wait_for(answer_to(group, user, sent["message"]["message_id"]))
    return str(answer.get("html") or answer["text"])


def private_to(user: User) -> Callable[[Event], bool]:
    return lambda e: e["kind"] == "sent" and e["chat_id"] == user.id


async def test_a_report_reaches_the_admins_privately_once_and_their_button_acts(
    sandbox: SandboxClient,
) -> None:
    ada, ben, cleo = [await sandbox.create_user(n, None, "en") for n in ("Ada", "Ben", "Cleo")]
    bob, carl, eve = [await sandbox.create_user(n, None, "en") for n in ("Bob", "Carl", "Eve")]
    group = await sandbox.create_group(creator=ada, admins=[ben, cleo], members=[bob, carl, eve])
    await sandbox.ask(group, ada, "/settings language en")
    for admin in (ada, ben):  # Cleo never started the bot: Telegram won't let it write to her
        await sandbox.send_private(admin, "/start")
        await sandbox.wait_for(private_to(admin))
    await sandbox.block_bot(ben)  # Ben blocked it since: his copy is refused, and skipped
    spam = (await sandbox.send(group, eve, "加微信 cheap tea"))["message"]["message_id"]

    sent = await sandbox.send(group, bob, "/report", reply_to=spam)
    answer, notice = await sandbox.wait_for_each(
        answer_to(group, bob, sent["message"]["message_id"]), private_to(ada)
    )
    assert answer["text"] == "✅ Reported to the admins."
    assert notice["text"].startswith("🚩 Report in Fans\nBob reported a message by Eve:")
    assert "加微信 cheap tea" in notice["text"]
    buttons = [b for row in notice["reply_markup"]["inline_keyboard"] for b in row]
    assert buttons[0]["url"] == f"https://t.me/c/{-group.id - 1_000_000_000_000}/{spam}"
    assert [b["text"] for b in buttons[1:]] == ["🗑 Delete", "🔇 Mute 24 h", "⛔ Ban", "✅ Handled"]

    again = await answered(sandbox, group, carl, "@admin spam here", reply_to=spam)
    assert again == "✅ Reported to the admins (2 members have reported this message)."
    assert await answered(sandbox, group, bob, "/report", reply_to=spam) == (
        "You reported this message already; the admins have it."
    )
    assert await sandbox.quiet_for(1, private_to(ada)) == []  # told once, not three times
    assert await sandbox.quiet_for(0, lambda e: e.get("chat_id") in (ben.id, cleo.id)) == []
    mine = (await sandbox.send(group, ada, "Welcome all!"))["message"]["message_id"]
    assert await answered(sandbox, group, carl, "/report", reply_to=mine) == (
        "Admins' messages (and mine) can't be reported."
    )

    delete = next(b for b in buttons if b["text"] == "🗑 Delete")
    await sandbox.press(ada.id, notice["message_id"], ada, delete["callback_data"])
    _deleted, edited = await sandbox.wait_for_each(
        lambda e: e["kind"] == "deleted" and e["chat_id"] == group.id and e["message_id"] == spam,
        lambda e: e["kind"] == "edited" and e["chat_id"] == ada.id,
    )
    assert edited["text"] == (
        "🚩 Report in Fans\n✅ Ada deleted the message.\nReported by 2 members."
    )
    assert "Eve · message deleted · Ada" in (await sandbox.ask(group, ada, "/modlog"))["text"]


async def test_a_purge_of_thirty_messages_is_one_paced_call_and_no_429(
    launch: Launch, tmp_path: Path
) -> None:
    sandbox, bot = await launch()
    await sandbox.set_limits(enabled=True)  # Telegram's flood limits, as the sandbox knows them
    group, ada, (bob,) = await fan_group(sandbox, "Bob")
    await sandbox.ask(group, ada, "/settings language en")
    ids = [
        (await sandbox.send(group, bob, f"flood {n}"))["message"]["message_id"] for n in range(30)
    ]
    before = (await sandbox.stats())["calls"].get("delete_messages", 0)
    sent = await sandbox.send(group, ada, "/purge", reply_to=ids[0])
    command = sent["message"]["message_id"]
    gone = await sandbox.wait_for(
        lambda e: e["kind"] == "deleted" and e["chat_id"] == group.id, count=31
    )
    assert sorted(e["message_id"] for e in gone) == [*ids, command]
    stats = await sandbox.stats()
    assert stats["calls"]["delete_messages"] - before == 1  # 31 ids, one call of up to 100
    assert stats["rejected_429"] == 0
    assert "429 on" not in bot.logs()  # the pacing layer's warning (a timestamp may hold 429)

    kept = (await sandbox.send(group, bob, "keep me"))["message"]["message_id"]
    rude = (await sandbox.send(group, bob, "rude words"))["message"]["message_id"]
    delete = (await sandbox.send(group, ada, "/del", reply_to=rude))["message"]["message_id"]
    await sandbox.wait_for_each(
        lambda e: e["kind"] == "deleted" and e["message_id"] == rude,
        lambda e: e["kind"] == "deleted" and e["message_id"] == delete,
    )
    assert await answered(sandbox, group, ada, "/pin", reply_to=kept) == "📌 Pinned quietly."
    assert (await sandbox.chat(group.id))["pinned"] == [kept]
    assert await answered(sandbox, group, ada, "/unpin") == "Unpinned."
    assert (await sandbox.chat(group.id))["pinned"] == []
    assert await answered(sandbox, group, bob, "/purge", reply_to=kept) == (
        "Sorry, only the group's admins can use this command."
    )

    # Telegram answers 429 past the pacing layer's five retries: the purge's row waits its
    # retry_after and goes again, each message deleted once, none left.
    await sandbox.add_fault("429", "deleteMessages", count=6, retry_after=1)
    wave = [
        (await sandbox.send(group, bob, f"wave {n}"))["message"]["message_id"] for n in range(3)
    ]
    anonymous = await sandbox.send(group, None, "/purge", reply_to=wave[0])  # an anonymous admin
    purged = [*wave, anonymous["message"]["message_id"]]  # (its note is deleted on its own)
    again = await sandbox.wait_for(
        lambda e: e["kind"] == "deleted" and e["message_id"] in purged, count=4, timeout=60
    )
    assert sorted(e["message_id"] for e in again) == purged
    twice = await sandbox.quiet_for(
        2, lambda e: e["kind"] == "deleted" and e["message_id"] in purged
    )
    assert twice == []
    refused = [e for e in await sandbox.events() if e["kind"] == "fault"]
    assert [e["method"] for e in refused] == ["deleteMessages"] * 6  # all six 429s were met


async def test_locks_by_permission_and_by_the_guard_and_unlocked_again(
    sandbox: SandboxClient,
) -> None:
    group, ada, (bob,) = await fan_group(sandbox, "Bob")
    await sandbox.ask(group, ada, "/settings language en")
    await sandbox.ask(group, ada, "/settings links off")  # so only the lock deletes a link
    locked = await answered(sandbox, group, ada, "/lock gifs links forwards")
    assert locked == "🔒 Locked: stickers and GIFs, links, forwards."
    (permissions,) = [
        e for e in await sandbox.events() if e["kind"] == "permissions" and e["chat_id"] == group.id
    ]  # set before the answer
    assert permissions["permissions"]["can_send_other_messages"] is False
    assert permissions["permissions"]["can_send_polls"] is True  # what was not locked stays
    with pytest.raises(SandboxError, match="restricted"):
        await sandbox.send(group, bob, sticker="😀")
    assert (await sandbox.send(group, ada, sticker="👑"))["message"]  # admins are exempt
    link = (await sandbox.send(group, bob, "cheap tea at spam-shop.example"))["message"]
    _deleted, notice = await sandbox.wait_for_each(
        lambda e: e["kind"] == "deleted" and e["message_id"] == link["message_id"],
        lambda e: e["kind"] == "sent" and e["chat_id"] == group.id and "locked" in e["text"],
    )
    assert notice["text"] == "🧹 Bob, links are locked here."
    assert (await sandbox.send(group, ada, "our shop: tea.example"))["message"]
    shown = await answered(sandbox, group, ada, "/locks")
    assert shown == (
        "🔒 <b>Locked here</b>\n• stickers and GIFs: members can't send them (Telegram's "
        "permissions)\n• links, forwards: I delete them\nAdmins are exempt. /unlock lifts a lock."
    )
    await sandbox.skip_past()
    assert await answered(sandbox, group, ada, "/unlock stickers links") == (
        "🔓 Unlocked: stickers and GIFs, links."
    )
    sticker = (await sandbox.send(group, bob, sticker="😀"))["message"]
    assert sticker["sticker"]
    text = (await sandbox.send(group, bob, "see tea.example"))["message"]
    bobs = {sticker["message_id"], text["message_id"]}  # not the bot's own tidying up
    deleted = await sandbox.quiet_for(1, lambda e: e["kind"] == "deleted")
    assert [e for e in deleted if e["message_id"] in bobs] == []


async def test_a_zh_operator_locks_and_reports_in_chinese(sandbox: SandboxClient) -> None:
    owner = await sandbox.create_user("王店长", "wang_locks", "zh-hans")
    li = await sandbox.create_user("李运营", "li_ops", "zh-hans")  # an admin who gets reports
    fan, eve = [await sandbox.create_user(n, None, "zh-hans") for n in ("小明", "小红")]
    group = await sandbox.create_group("粉丝福利群", creator=owner, admins=[li], members=[fan, eve])
    await sandbox.ask(group, owner, "/settings language zh")
    replies = [
        await answered(sandbox, group, owner, "/lock 贴纸 投票"),
        await answered(sandbox, group, owner, "/locks"),
        await answered(sandbox, group, owner, "/lock 表情包"),
        await answered(sandbox, group, owner, "/purge"),
    ]
    assert replies[0] == "🔒 已锁定：贴纸和动图、投票。"
    assert replies[2].startswith("没有叫 表情包 的锁定项。")
    spam = (await sandbox.send(group, eve, "加我微信"))["message"]["message_id"]
    replies.append(await answered(sandbox, group, fan, "/report", reply_to=spam))
    assert replies[-1].startswith("✅ 已举报。")  # no admin has started the bot yet
    await sandbox.send_private(li, "/start")
    await sandbox.wait_for(private_to(li))
    more = (await sandbox.send(group, eve, "私聊我有优惠"))["message"]["message_id"]
    sent = await sandbox.send(group, fan, "@管理员 又来了", reply_to=more)
    answer, notice = await sandbox.wait_for_each(
        answer_to(group, fan, sent["message"]["message_id"]), private_to(li)
    )
    replies += [str(answer.get("html") or answer["text"]), str(notice["html"])]
    assert replies[-2] == "✅ 已举报给管理员。"
    assert notice["text"].startswith("🚩 「粉丝福利群」有人举报\n小明 举报了 小红 的一条消息：")
    labels = [b["text"] for row in notice["reply_markup"]["inline_keyboard"] for b in row]
    assert labels == ["↗️ 查看消息", "🗑 删除", "🔇 禁言 24 小时", "⛔ 封禁", "✅ 已处理"]
    assert {reply: untranslated(reply) for reply in replies if untranslated(reply)} == {}


async def test_in_a_forum_topic_a_command_that_replies_to_nothing_acts_on_nothing(
    sandbox: SandboxClient,
) -> None:
    ada, ben = [await sandbox.create_user(n, None, "en") for n in ("Ada", "Ben")]
    bob, eve = [await sandbox.create_user(n, None, "en") for n in ("Bob", "Eve")]
    forum = await sandbox.create_group(
        "Tea Forum", creator=ada, admins=[ben], members=[bob, eve], is_forum=True
    )
    await sandbox.ask(forum, ada, "/settings language en")
    await sandbox.send_private(ada, "/start")  # so a report could reach her
    await sandbox.wait_for(private_to(ada))
    thread = await sandbox.open_topic(forum, bob, "Tea talk")  # Bob opened it: not reportable
    spam = (await sandbox.send(forum, eve, "加微信 cheap tea", thread_id=thread))["message"]
    assert spam["reply_to_message"]["message_id"] == thread  # as Telegram sends it

    reply_needed = "Reply to the message you mean.\nUsage: <code>/{}</code> (as a reply)"
    purge = await answered(sandbox, forum, ada, "/purge", thread_id=thread)
    assert purge == reply_needed.format("purge")
    delete = await answered(sandbox, forum, ben, "/del", thread_id=thread)
    assert delete == reply_needed.format("del")
    report = await answered(sandbox, forum, bob, "/report", thread_id=thread)
    assert report.startswith("Reply to the message you want to report.\nUsage: <code>/report")
    await sandbox.send(forum, bob, "@admin anyone here?", thread_id=thread)  # no reply: chatter
    assert await sandbox.quiet_for(2, private_to(ada)) == []  # nobody reported
    assert await sandbox.quiet_for(0, lambda e: e["kind"] == "deleted") == []

    pinned = await answered(
        sandbox, forum, ada, "/pin", reply_to=spam["message_id"], thread_id=thread
    )
    assert pinned == "📌 Pinned quietly."  # a real reply in a topic is one
    assert (await sandbox.chat(forum.id))["pinned"] == [spam["message_id"]]
    unpinned = await answered(sandbox, forum, ada, "/unpin", thread_id=thread)
    assert unpinned == "Unpinned."  # the most recent pinned message, not the topic's opening
    assert (await sandbox.chat(forum.id))["pinned"] == []


async def test_a_purge_across_a_topics_opening_message_deletes_everything_else(
    sandbox: SandboxClient,
) -> None:
    ada, bob = [await sandbox.create_user(n, None, "en") for n in ("Ada", "Bob")]
    forum = await sandbox.create_group("Tea Forum", creator=ada, members=[bob], is_forum=True)
    await sandbox.ask(forum, ada, "/settings language en")
    first = (await sandbox.send(forum, bob, "in General"))["message"]["message_id"]
    thread = await sandbox.open_topic(forum, bob, "Tea talk")
    in_topic = [
        (await sandbox.send(forum, bob, f"in the topic {n}", thread_id=thread))["message"]
        for n in range(2)
    ]
    before = (await sandbox.stats())["calls"]
    command = (await sandbox.send(forum, ada, "/purge", reply_to=first))["message"]["message_id"]
    purged = [first, *(m["message_id"] for m in in_topic), command]
    gone = await sandbox.wait_for(
        lambda e: e["kind"] == "deleted" and e["message_id"] in purged, count=4
    )
    assert sorted(e["message_id"] for e in gone) == purged
    state = await sandbox.chat(forum.id)
    assert thread not in state["deleted"]  # Telegram never deletes a topic's opening message
    calls = (await sandbox.stats())["calls"]
    assert calls["delete_messages"] - before.get("delete_messages", 0) == 1  # refused whole
    assert calls["delete_message"] - before.get("delete_message", 0) == 5  # then one by one
