"""A zh group's operator tries the replies issue 34 found in English (through the sandbox, the
real bot): /help and its usage lines, /settings and its section pages, /post and /posts, the
draw wizard, /push to a segment that does not exist or is empty, /tiers, and the private /start
of a stranger, a member and an admin. Each reply passes `tests/support/untranslated.py`."""

from __future__ import annotations

from sandbox.client import Event, Group, SandboxClient, User
from tests.e2e.test_shop import press
from tests.support.untranslated import untranslated


def said(event: Event) -> str:
    """What the bot sent, as HTML when it sent HTML (code spans are what a person types)."""
    return str(event.get("html") or event.get("text") or "")


async def zh_group(sandbox: SandboxClient) -> tuple[Group, User, User]:
    owner = await sandbox.create_user("王店长", "wang_owner", "zh-hans")
    fan = await sandbox.create_user("小明", "xiaoming_fan", "zh-hans")
    group = await sandbox.create_group("粉丝福利群", creator=owner, members=[fan])
    await sandbox.ask(group, owner, "/settings language zh")
    await sandbox.send(group, fan, "大家好，新人报到")
    await sandbox.settle()
    return group, owner, fan


async def replies_to(
    sandbox: SandboxClient, group: Group, user: User, *commands: str
) -> dict[str, Event]:
    """Each command's reply; what is flagged in any of them fails the test, all at once. (A
    group gets 20 bot messages a minute: a test asks a dozen or so.)"""
    replies = {command: await sandbox.ask_any(group, user, command) for command in commands}
    flagged = {
        command: untranslated(said(reply), allow=["vip"]) for command, reply in replies.items()
    }
    assert {command: found for command, found in flagged.items() if found} == {}
    return replies


async def test_help_usage_lines_and_lists_read_as_chinese(sandbox: SandboxClient) -> None:
    group, owner, fan = await zh_group(sandbox)
    replies = await replies_to(
        sandbox, group, owner, "/help", "/help orders", "/help warns", "/help bind",
        "/help settings", "/tiers", "/push vip 测试", "/push lapsed 回来看看", "/draw cancel",
        "/post daily 10:00 早上好", "/posts", "/segments", "/topic queue", "/faq",
    )  # fmt: skip
    assert "2,000+" in replies["/tiers"]["text"]
    assert replies["/posts"]["text"].splitlines()[1].startswith("#1 · 每天 10:00 · ")
    assert replies["/push vip 测试"]["text"].startswith(
        "没有叫 vip 的分组或等级。\n可选分组：付费、"
    )
    assert "（作为导出文件的说明发送，或回复该文件）" in replies["/help orders"]["text"]
    await replies_to(sandbox, group, fan, "/help")


async def test_settings_changes_and_moderation_read_as_chinese(sandbox: SandboxClient) -> None:
    group, owner, _fan = await zh_group(sandbox)
    await replies_to(
        sandbox, group, owner, "/settings checkin", "/settings quiet", "/settings points message 5",
        "/settings checkin quiet on", "/settings checkin base 99999",
        "/settings cadence digest off",
        "/settings verify time 2m", "/settings daily_topic on", "/settings tiers basis spend",
        "/setwelcome delete 2s", "/mute @xiaoming_fan 2m 刷屏", "/warns @xiaoming_fan",
        "/draws", "/campaigns", "/rewards", "/filters", "/modlog",
    )  # fmt: skip


async def test_settings_and_its_sections_read_as_chinese(sandbox: SandboxClient) -> None:
    group, owner, fan = await zh_group(sandbox)
    overview = await sandbox.ask(group, owner, "/settings")
    assert untranslated(said(overview)) == []
    assert "语言：中文" in overview["text"]
    titles = [b["text"] for row in overview["reply_markup"]["inline_keyboard"] for b in row]
    assert titles[:3] == ["时区与语言", "消息积分", "积分有效期"]  # points, then their life
    assert "签到" in titles
    toast, _edited = await press(sandbox, group, overview, fan, "签到")
    assert toast == "只有本群管理员可以打开设置。"
    for title in titles:
        toast, page = await press(sandbox, group, overview, owner, title)
        assert page is not None, title
        assert untranslated(said(page)) == [], (title, said(page))
        assert "修改方法：" in page["text"]
        toast, back = await press(sandbox, group, page, owner, "⬅️")
        assert back is not None
        assert back["text"] == overview["text"]


async def test_the_draw_wizard_reads_as_chinese(sandbox: SandboxClient) -> None:
    group, owner, _fan = await zh_group(sandbox)
    asked = await sandbox.ask(group, owner, "/draw")
    answer = await sandbox.send(group, owner, "限量帆布袋", reply_to=asked["message_id"])
    winners = await sandbox.reply_to(group.id, answer["message"]["message_id"])
    _toast, ends = await press(sandbox, group, winners, owner, "3")
    assert ends is not None
    lengths = [b["text"] for b in ends["reply_markup"]["inline_keyboard"][0]]
    assert lengths == ["30 分钟", "2 小时", "24 小时", "3 天"]
    for event in (asked, winners, ends):
        assert untranslated(said(event)) == []


async def test_a_private_start_reads_as_chinese_for_each_sender(sandbox: SandboxClient) -> None:
    _group, owner, fan = await zh_group(sandbox)
    stranger = await sandbox.create_user("路人", "passer_by", "zh-hans")
    for person, first in (
        (stranger, "👋 你好，路人！我是粉丝群运营助手"),
        (fan, "👋 你好，小明！你所在的群：\n📍 粉丝福利群："),
        (owner, "👋 你好，王店长！你是粉丝福利群的管理员"),
    ):
        await sandbox.send_private(person, "/start")
        (hello,) = await sandbox.wait_sent(person.id)
        assert hello["text"].startswith(first), hello["text"]
        assert untranslated(said(hello)) == [], said(hello)


async def test_a_members_everyday_replies_read_as_chinese(sandbox: SandboxClient) -> None:
    group, owner, fan = await zh_group(sandbox)
    await sandbox.ask(group, owner, "/points @xiaoming_fan +120 新人奖励")
    await sandbox.send(group, owner, "/draw 限量帆布袋 winners=2 ends=2h cost=10 min_tier=铜牌")
    (post,) = await sandbox.wait_for(  # posted, not a reply
        lambda e: e["kind"] == "sent" and e["chat_id"] == group.id and "限量帆布袋" in e["text"]
    )
    assert untranslated(said(post)) == []
    # A member may send 5 commands in 10 s: the rest are asked by the admin, who sees the same.
    await replies_to(sandbox, group, fan, "/me", "/points history", "签到", "/warns", "/shop")
    await replies_to(
        sandbox, group, owner, "/points", "/checkin top", "/top", "/top week", "/invite top",
        "/draws", "/verify", "/rules", "/me", "/stats",
    )  # fmt: skip
