"""The points shop through the sandbox: stocking it with a code file, a member's first
redemption (catalogue → item → confirm → the code in private, by deep link or by the
outbox), refusals, and buttons pressed twice, by someone else or forged."""

from __future__ import annotations

import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sandbox.client import Event, Group, SandboxClient, User
from tests.e2e.conftest import Launch
from tests.e2e.test_first_day import fan_group


async def stocked_shop(sandbox: SandboxClient) -> tuple[Group, User, list[User], int]:
    group, admin, fans = await fan_group(sandbox, "Bob", "Cleo")
    for fan in fans:  # seen once, so an admin can name them by @username
        await sandbox.send(group, fan, "hi")
    await sandbox.settle()
    added = await sandbox.ask(group, admin, "/reward add Coffee coupon price=100 valid=30d")
    found = re.match(r"✅ Reward #(\d+) added: Coffee coupon\.", added["text"])
    assert found is not None, added["text"]
    return group, admin, fans, int(found[1])


async def campaign_day(sandbox: SandboxClient, group: Group, admin: User) -> date:
    """Today in a time zone the group is set to where today is not about to end: a campaign
    of today runs now, and does not end while the test runs (Shanghai's 23:00 is London's
    15:00)."""
    for zone in ("Asia/Shanghai", "Europe/London"):
        if datetime.now(ZoneInfo(zone)).hour < 23:
            await sandbox.ask(group, admin, f"/settings timezone {zone}")
            return datetime.now(ZoneInfo(zone)).date()
    raise AssertionError("no zone whose day goes on")


async def send_file(
    sandbox: SandboxClient, group: Group, admin: User, name: str, data: bytes, caption: str
) -> Event:
    sent = await sandbox.send(group, admin, document=(name, data), caption=caption)
    return await sandbox.answer_any(group.id, sent["message"]["message_id"])  # a usage: theirs


async def press(
    sandbox: SandboxClient,
    group: Group,
    message: Event,
    user: User,
    label: str,
    stale: bool = False,
) -> tuple[str, Event | None]:
    """Press the button whose text starts with `label` (`stale`: the message has lost it since,
    as a second tap on a slow client): the toast, and the message as edited (None when the
    press changed nothing)."""
    buttons = [b for row in message["reply_markup"]["inline_keyboard"] for b in row]
    (button,) = [b for b in buttons if b["text"].startswith(label)]
    await sandbox.press(group.id, message["message_id"], user, button["callback_data"], stale)
    (toast,) = await sandbox.wait_for(lambda e: e["kind"] == "answered")
    edits = [
        e for e in await sandbox.events()
        if e["kind"] == "edited" and e["message_id"] == message["message_id"]
        and e["seq"] < toast["seq"] and e["seq"] > message["seq"]
    ]  # fmt: skip
    return str(toast["text"] or ""), edits[-1] if edits else None


async def start_privately(sandbox: SandboxClient, member: User) -> None:
    """The member opens a private chat with the bot (so codes can reach them unasked)."""
    await sandbox.send_private(member, "/start")
    await sandbox.wait_for(lambda e: e["kind"] == "sent" and e["chat_id"] == member.id)


async def redeem_in_shop(sandbox: SandboxClient, group: Group, member: User, label: str) -> Event:
    """/shop, the item, Redeem, Confirm: the shop window's last state."""
    shop = await sandbox.ask(group, member, "/shop")
    _toast, shown = await press(sandbox, group, shop, member, label)
    assert shown is not None
    _toast, asked = await press(sandbox, group, shown, member, "兑换 / Redeem")
    assert asked is not None
    _toast, done = await press(sandbox, group, asked, member, "✅ Confirm")
    assert done is not None
    return done


def codes_in_the_group(events: list[Event], group: Group) -> list[Event]:
    return [
        e for e in events
        if e["kind"] in ("sent", "edited") and e.get("chat_id") == group.id
        and re.search(r"COF-\w", e.get("text") or "")
    ]  # fmt: skip


async def test_a_members_first_redemption_reaches_them_privately_and_never_the_group(
    sandbox: SandboxClient,
) -> None:
    group, admin, (bob, cleo), coffee = await stocked_shop(sandbox)
    pool = "券码\nCOF-1\nCOF-2\nCOF-2\nCOF 3\n".encode("gbk")  # a Taobao export's header
    answer = await send_file(sandbox, group, admin, "codes.csv", pool, f"/reward codes {coffee}")
    assert answer["text"].splitlines() == [
        f"✅ 2 codes added to #{coffee} Coffee coupon.",
        "2 free codes in the pool.",
        "2 lines skipped:",
        "• line 4: twice in the file",
        "• line 5: not a code",
    ]
    xlsx = b"PK\x03\x04\x14\x00\x00\x00\x08\x00"
    refused = await send_file(sandbox, group, admin, "codes.xlsx", xlsx, f"/reward codes {coffee}")
    assert refused["text"].splitlines()[0] == (
        "That file is not text: send a CSV or one code a line (UTF-8 or GBK)."
    )
    await sandbox.ask(group, admin, "/points @bob_fan +150 welcome")

    shop = await sandbox.ask(group, bob, "/shop")
    assert shop["text"].startswith("🛍 Points shop")
    first = shop["reply_markup"]["inline_keyboard"][0][0]["text"]
    assert first == "🎟 Coffee coupon · 100 · 2 left"
    toast, shown = await press(sandbox, group, shop, cleo, "🎟 Coffee")
    assert (toast, shown) == ("This is someone else's shop window: send /shop for your own.", None)
    _toast, shown = await press(sandbox, group, shop, bob, "🎟 Coffee")
    assert shown is not None
    assert shown["text"].splitlines()[:3] == ["🎟 Coffee coupon", "Price: 100 points", "2 left"]
    _toast, asked = await press(sandbox, group, shown, bob, "兑换 / Redeem")
    assert asked is not None
    assert asked["text"] == "Redeem Coffee coupon for 100 points?"
    toast, done = await press(sandbox, group, asked, bob, "✅ Confirm")
    assert toast == "✅ Redeemed!"
    assert done is not None
    assert done["text"].splitlines() == [
        "✅ Redeemed: Coffee coupon · -100 points, balance 50.",
        "Press the button to get your code in a private chat.",
    ]
    link = done["reply_markup"]["inline_keyboard"][0][0]["url"]
    found = re.fullmatch(r"https://t\.me/\w+\?start=(r\d+)", link)
    assert found is not None, link
    _toast, again = await press(sandbox, group, asked, bob, "✅ Confirm", stale=True)  # twice
    assert again is not None
    assert again["text"].startswith("⏭ Already redeemed with this button: Coffee coupon.")

    await sandbox.send_private(bob, f"/start {found[1]}")  # the deep link, opened
    (private,) = await sandbox.wait_for(lambda e: e["kind"] == "sent" and e["chat_id"] == bob.id)
    assert private["text"].splitlines()[:2] == [
        "🎁 Coffee coupon from Fans",
        "Your code: COF-1",
    ]

    # Cleo has started the bot: her code comes through the outbox, unasked.
    await start_privately(sandbox, cleo)
    await sandbox.ask(group, admin, "/points @cleo_fan +100 welcome")
    done = await redeem_in_shop(sandbox, group, cleo, "🎟 Coffee")
    assert done["text"].splitlines()[1] == "Your code is in our private chat."
    (delivered,) = await sandbox.wait_for(
        lambda e: e["kind"] == "sent" and e["chat_id"] == cleo.id, timeout=15
    )
    assert "Your code: COF-2" in delivered["text"]

    sold_out = await sandbox.ask(group, bob, "/shop")
    assert sold_out["reply_markup"]["inline_keyboard"][0][0]["text"].endswith("· sold out")
    mine = await sandbox.ask_for_sender(group, bob, "/mycoupons")
    assert mine["text"] == "Your codes are private: I'll show them in our chat."
    listed = await sandbox.send_private(bob, "/mycoupons")
    (listing,) = await sandbox.wait_for(
        lambda e: e["kind"] == "sent" and e["chat_id"] == bob.id
        and e["reply_to"] in (None, listed["message"]["message_id"])
    )  # fmt: skip
    assert listing["text"].splitlines()[1].startswith("• Coffee coupon COF-1 · until ")
    assert codes_in_the_group(await sandbox.events(), group) == []
    rewards = await sandbox.ask(group, admin, "/rewards")
    assert rewards["text"].splitlines()[1] == (
        f"#{coffee} 🎟 Coffee coupon · 100 pts · sold out · 2 redeemed · 200 pts spent"
    )


async def test_tier_only_limits_pauses_and_bad_input_are_refused_with_their_reason(
    sandbox: SandboxClient,
) -> None:
    group, admin, (bob, cleo), _coffee = await stocked_shop(sandbox)
    box = await sandbox.ask(group, admin, "/reward add Gold box price=10 kind=gift min_tier=gold")
    assert box["text"].startswith("✅ Reward #")
    sticker = await sandbox.ask(group, admin, "/reward add Sticker price=1 kind=perk limit=1")
    sticker_id = int(re.findall(r"#(\d+)", sticker["text"])[0])
    bad = await sandbox.ask_for_sender(group, admin, "/reward add Mug price=lots")
    assert bad["text"].splitlines()[0] == "The price is a whole number of points, 0 to 1,000,000."
    member = await sandbox.ask_for_sender(group, bob, "/reward add Mine price=1")
    assert "admins" in member["text"]
    await sandbox.ask(group, admin, "/points @bob_fan +150 welcome")

    async def redeem(label: str) -> str:
        return str((await redeem_in_shop(sandbox, group, bob, label))["text"])

    assert await redeem("🔒 🎁 Gold box") == "Only Gold members and above can redeem this."
    assert (await redeem("✨ Sticker")).startswith("✅ Redeemed: Sticker · -1 point, balance 149.")
    assert await redeem("✨ Sticker") == "You've reached this reward's limit (1 per member)."
    assert (await redeem("🎟 Coffee")) == "Sold out, sorry."  # no codes in its pool
    paused = await sandbox.ask(group, admin, f"/reward pause {sticker_id}")
    assert paused["text"] == f"⏸ Reward #{sticker_id} is paused."
    shop = await sandbox.ask(group, cleo, "/shop")
    labels = [row[0]["text"] for row in shop["reply_markup"]["inline_keyboard"]]
    assert not any("Sticker" in label for label in labels)

    await sandbox.press(group.id, shop["message_id"], cleo, "redeem:1:1:ffff:confirm", forge=True)
    (forged,) = await sandbox.wait_for(lambda e: e["kind"] == "answered")
    assert forged["text"] == "This is someone else's shop window: send /shop for your own."
    missing = await sandbox.ask(group, admin, "/reward del 999")
    assert missing["text"] == "There is no reward #999 here. /rewards lists them."


async def test_a_draw_prize_and_a_campaign_coupon_hand_out_codes_once_each(
    launch: Launch,
) -> None:
    sandbox, _bot = await launch(SCHEDULER_ENABLED="true")  # the campaign's greeting
    group, admin, (bob, cleo), coffee = await stocked_shop(sandbox)
    await sandbox.ask(group, admin, "/settings language en")  # what the group is told
    made = await sandbox.ask(group, admin, f"/reward codes {coffee} generate 3 prefix=COF")
    assert made["text"].splitlines()[0] == f"✅ 3 codes added to #{coffee} Coffee coupon."
    await start_privately(sandbox, bob)  # Bob has a private chat with the bot; Cleo not

    refused = await sandbox.ask(group, admin, "/draw Mug reward=999")
    assert refused["text"].splitlines()[0] == (
        "reward= names a reward of this group's shop by its number (/rewards)."
    )
    await sandbox.send(group, admin, f"/draw Coffee for one winners=1 reward={coffee}")
    (post,) = await sandbox.wait_for(
        lambda e: e["kind"] == "sent" and "Lucky draw" in (e["text"] or "")
    )
    join = post["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    await sandbox.press(group.id, post["message_id"], bob, join)
    await sandbox.wait_for(lambda e: e["kind"] == "answered")
    draw_id = re.findall(r"#(\d+)", post["text"])[0]
    await sandbox.send(group, admin, f"/draw end {draw_id}")
    (result,) = await sandbox.wait_for(
        lambda e: e["kind"] == "sent" and e["reply_to"] == post["message_id"], timeout=20
    )
    claim = result["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    await sandbox.press(group.id, result["message_id"], bob, claim)
    (toast,) = await sandbox.wait_for(lambda e: e["kind"] == "answered")
    assert toast["text"] == "🎉 Claimed! Your prize is in our private chat."
    (prize,) = await sandbox.wait_for(
        lambda e: e["kind"] == "sent" and e["chat_id"] == bob.id, timeout=15
    )
    assert re.search(r"Your code: COF-\w{4}-\w{4}", prize["text"])

    today = await campaign_day(sandbox, group, admin)
    started = await sandbox.ask(
        group, admin, f"/campaign new Double {today} {today} x2 coupon={coffee} Enjoy!"
    )
    assert started["text"].startswith("✅ Campaign #")
    (greeting,) = await sandbox.wait_for(
        lambda e: e["kind"] == "sent" and (e["text"] or "").startswith("🎉 Double"), timeout=40
    )
    assert greeting["text"].splitlines()[-1] == "Enjoy!"  # coupon= is not part of the text
    (button,) = greeting["reply_markup"]["inline_keyboard"][0]
    assert button["text"] == "领券 / Get coupon"
    answers = []
    for member in (bob, bob, cleo):
        await sandbox.press(group.id, greeting["message_id"], member, button["callback_data"])
        (answer,) = await sandbox.wait_for(lambda e: e["kind"] == "answered")
        answers.append(answer["text"])
    assert answers == [
        "🎟 Your coupon is in our private chat.",
        "You already have this campaign's coupon: /mycoupons.",
        "🎟 It's yours! Start a private chat with me and send /mycoupons for the code.",
    ]
    await sandbox.send_private(cleo, "/mycoupons")
    (listing,) = await sandbox.wait_for(lambda e: e["kind"] == "sent" and e["chat_id"] == cleo.id)
    assert re.search(r"• Coffee coupon COF-\w{4}-\w{4} · until ", listing["text"])
    assert codes_in_the_group(await sandbox.events(), group) == []


async def test_a_gift_asks_its_winner_for_details_privately_and_says_when_it_is_sent(
    sandbox: SandboxClient,
) -> None:
    group, admin, (_bob, cleo), _coffee = await stocked_shop(sandbox)
    added = await sandbox.ask(group, admin, "/reward add Hoodie price=50 kind=gift stock=3")
    hoodie = int(re.findall(r"#(\d+)", added["text"])[0])
    await start_privately(sandbox, cleo)
    await sandbox.ask(group, admin, "/points @cleo_fan +80 welcome")
    done = await redeem_in_shop(sandbox, group, cleo, "🎁 Hoodie")
    assert done["text"].splitlines()[1] == "The admins will contact you to send it."
    (question,) = await sandbox.wait_for(
        lambda e: e["kind"] == "sent" and e["chat_id"] == cleo.id, timeout=15
    )
    assert question["text"].splitlines()[1].startswith("Reply to this message with your size")
    await sandbox.send_private(cleo, "XL, 上海市徐汇区 1 号", reply_to=question["message_id"])
    (noted,) = await sandbox.wait_for(lambda e: e["kind"] == "sent" and e["chat_id"] == cleo.id)
    assert noted["text"] == "✅ Noted. The admins will send your gift."
    waiting = await sandbox.ask(group, admin, "/gifts")
    line = waiting["text"].splitlines()[1]
    assert line.endswith("Hoodie · Cleo · XL, 上海市徐汇区 1 号")
    number = line.split()[0].lstrip("#")
    before = sandbox.cursor
    sent = await sandbox.ask(group, admin, f"/gift sent {number}")
    assert sent["text"] == f"📦 Gift #{number} marked sent."
    sandbox.cursor = before  # the outbox's message may come before the reply
    (told,) = await sandbox.wait_for(
        lambda e: e["kind"] == "sent" and e["chat_id"] == cleo.id, timeout=15
    )
    assert told["text"] == "📦 Your Hoodie from Fans is on its way."
    assert (await sandbox.ask(group, admin, "/gifts"))["text"] == "No gifts waiting to be sent."
    assert hoodie > 0
