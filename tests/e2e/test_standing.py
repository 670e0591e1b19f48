"""Message points, /me, /top, /tiers and tier-up congratulations, through the sandbox."""

from __future__ import annotations

from sandbox.client import Event, Group, SandboxClient, User

ADMIN_ONLY = "Sorry, only the group's admins can use this command."


async def fan_group(sandbox: SandboxClient, *fans: str) -> tuple[Group, User, list[User]]:
    admin = await sandbox.create_user("Ada", None, "en")
    members = [await sandbox.create_user(name, name.lower() + "_fan", "en") for name in fans]
    group = await sandbox.create_group(creator=admin, members=members)
    return group, admin, members


def field(reply: Event, label: str) -> str:
    """The rest of the /me line that starts with `label`."""
    text: str = reply["text"]
    line = next(line for line in text.splitlines() if label in line)
    return line.split(label, 1)[1].strip()


async def test_messages_earn_points_once_and_me_shows_them(sandbox: SandboxClient) -> None:
    group, _admin, (bob,) = await fan_group(sandbox, "Bob")
    await sandbox.send(group, bob, "love the new colours")
    await sandbox.send(group, bob, "love the new colours")  # a repeat, in the cooldown too
    await sandbox.send(group, bob, "ok")
    reply = await sandbox.ask_for_sender(group, bob, "/me")
    lines = reply["text"].splitlines()
    assert lines[0] == "Bob"
    assert lines[1] == "💰 Points: 1 (lifetime 1)"
    assert lines[2] == "🏅 Tier: Member"
    assert lines[3] == "▱▱▱▱▱▱▱▱▱▱ 1% 99 to Bronze"
    assert lines[4] == "📊 Rank: #1"
    assert lines[5] == "🔥 Streak: 0 days · 💬 Messages: 3"


async def test_me_in_reply_shows_the_other_member(sandbox: SandboxClient) -> None:
    group, admin, (bob,) = await fan_group(sandbox, "Bob")
    sent = await sandbox.send(group, bob, "my first haul")
    await sandbox.settle()  # Bob's message, paid, before the admin's points
    await sandbox.ask(group, admin, "/points @bob_fan +150 great haul")
    ask = await sandbox.send(group, admin, "/me", reply_to=sent["message"]["message_id"])
    reply = await sandbox.answer_to_sender(group.id, admin, ask["message"]["message_id"])
    assert reply["text"].splitlines()[0] == "Bob"
    assert field(reply, "Points:") == "151 (lifetime 151)"
    assert field(reply, "Tier:") == "Bronze"
    assert reply["text"].splitlines()[3] == "▰▱▱▱▱▱▱▱▱▱ 13% 349 to Silver"


async def test_admins_change_the_message_rules(sandbox: SandboxClient) -> None:
    group, admin, (bob, cleo) = await fan_group(sandbox, "Bob", "Cleo")
    await sandbox.send(group, bob, "hello")
    await sandbox.settle()
    reply = await sandbox.ask(group, admin, "/settings points message 5")
    assert reply["text"] == "✅ Points setting message is now 5."
    await sandbox.send(group, cleo, "hello all")
    assert field(await sandbox.ask_for_sender(group, cleo, "/me"), "Points:") == "5 (lifetime 5)"
    shown = await sandbox.ask(group, admin, "/settings")
    assert "Message points: 5 per message, at most one every 60 s, up to 30 a day" in shown["text"]
    refused = await sandbox.ask_for_sender(group, bob, "/settings points message 50")
    assert refused["text"] == ADMIN_ONLY
    for bad in ("/settings points message lots", "/settings points speed 3"):
        assert (await sandbox.ask_for_sender(group, admin, bad))["text"].startswith(
            "Usage: /settings"
        )
    too_long = await sandbox.ask(group, admin, "/settings points cooldown 999999")
    assert too_long["text"] == "cooldown must be between 0 and 86,400."


async def test_the_ladder_is_shown_and_edited_by_admins(sandbox: SandboxClient) -> None:
    group, admin, (bob,) = await fan_group(sandbox, "Bob")
    ladder = await sandbox.ask(group, bob, "/tiers")
    assert ladder["text"].splitlines()[:3] == [
        "VIP tiers (by lifetime points)",
        "• Member — 0+",
        "   Daily sign-in, draws and topics",
    ]
    moved = await sandbox.ask(group, admin, "/tiers set 金牌 2500 金牌会员专享9折")
    assert moved["text"] == "✅ Gold now starts at 2,500 lifetime points."
    assert (
        "• Gold — 2,500+\n   金牌会员专享9折" in (await sandbox.ask(group, bob, "/tiers"))["text"]
    )
    assert (await sandbox.ask_for_sender(group, bob, "/tiers set Gold 1 free"))[
        "text"
    ] == ADMIN_ONLY
    taken = await sandbox.ask(group, admin, "/tiers set Gold 500")
    assert taken["text"] == "Silver already starts at 500; choose another number."
    assert (await sandbox.ask_for_sender(group, admin, "/tiers set Gold many"))["text"].startswith(
        "Usage:"
    )
    unknown = await sandbox.ask(group, admin, "/tiers del Platinum")
    assert unknown["text"] == "There is no tier called Platinum. See /tiers."
    removed = await sandbox.ask(group, admin, "/tiers del bronze")
    assert removed["text"] == "🗑 Bronze removed from the ladder."


async def test_tier_ups_close_together_share_one_congratulation(sandbox: SandboxClient) -> None:
    group, admin, (bob, cleo) = await fan_group(sandbox, "Bob", "Cleo")
    await sandbox.send(group, bob, "hi")
    await sandbox.send(group, cleo, "hi")
    await sandbox.settle()
    await sandbox.ask(group, admin, "/points @bob_fan +100 thanks")
    await sandbox.ask(group, admin, "/points @cleo_fan +600 big thanks")
    (congratulation,) = await sandbox.wait_for(
        lambda e: e["kind"] == "sent" and e["chat_id"] == group.id and e["reply_to"] is None
    )
    # A group-wide message speaks the group's language: here the default, Chinese.
    assert congratulation["text"] == "🎉 恭喜以下会员升级！\n• Bob → 铜牌\n• Cleo → 银牌"
    await sandbox.ask(group, admin, "/points @bob_fan +10 again")  # still Bronze: no message
    later = await sandbox.quiet_for(
        3, lambda e: e["kind"] == "sent" and e["chat_id"] == group.id and e["reply_to"] is None
    )
    assert later == []


async def test_top_pages_and_periods(sandbox: SandboxClient) -> None:
    names = [f"Fan{n:02d}" for n in range(12)]
    group, admin, fans = await fan_group(sandbox, *names)
    await sandbox.ask(group, admin, "/settings points cooldown 0")
    for n, fan in enumerate(fans):  # Fan00 earns 2 points, Fan11 earns 13
        for k in range(n + 2):
            await sandbox.send(group, fan, f"message {k} from {fan.first_name}")
    for fan in fans:  # each member's updates are handled in order: /me comes after them all
        await sandbox.ask_for_sender(group, fan, "/me")
    listing = await sandbox.ask(group, fans[0], "/top week")
    lines = listing["text"].splitlines()
    assert lines[0] == "🏆 Top members · This week"
    assert lines[1:4] == ["🥇 Fan11 — 13", "🥈 Fan10 — 12", "🥉 Fan09 — 11"]
    assert lines[-1] == "You: #12 · 2 points"
    buttons = [b for row in listing["reply_markup"]["inline_keyboard"] for b in row]
    assert [b["text"] for b in buttons] == ["▶", "Today", "• This week •", "This month", "All time"]

    await sandbox.press(group.id, listing["message_id"], fans[0], buttons[0]["callback_data"])
    (page,) = await sandbox.wait_for(lambda e: e["kind"] == "edited")
    assert page["text"].splitlines()[1:3] == ["11. Fan01 — 3", "12. Fan00 — 2"]

    await sandbox.press(group.id, listing["message_id"], fans[1], buttons[4]["callback_data"])
    (toast,) = await sandbox.wait_for(lambda e: e["kind"] == "answered")
    assert toast["text"] == "Send /top to see your own list."
    forged = "top:decade:0:" + str(fans[0].id)
    await sandbox.press(group.id, listing["message_id"], fans[0], forged, forge=True)
    (stale,) = await sandbox.wait_for(lambda e: e["kind"] == "answered")
    assert stale["text"] == "This button is out of date."
    beyond = f"top:week:7:{fans[0].id}"
    await sandbox.press(group.id, listing["message_id"], fans[0], beyond, forge=True)
    (empty,) = await sandbox.wait_for(lambda e: e["kind"] == "answered")
    assert empty["text"] == "No more members on that page."
    assert (await sandbox.ask_for_sender(group, fans[0], "/top decade"))["text"].startswith(
        "Usage: /top"
    )


async def test_top_in_chinese_for_an_empty_period(sandbox: SandboxClient) -> None:
    li = await sandbox.create_user("李雷", "li_lei2", "zh")
    group = await sandbox.create_group(creator=li, members=[])
    reply = await sandbox.ask(group, li, "/top 今天")
    assert reply["text"].splitlines() == [
        "🏆 积分排行 · 今日",
        "还没有人获得积分。",
        "",
        "你在这段时间还没有获得积分。",
    ]
