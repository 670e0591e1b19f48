"""The points shop through the sandbox: stocking it with a code file, a member's first
redemption (catalogue → item → confirm → the code in private, by deep link or by the
outbox), refusals, and buttons pressed twice, by someone else or forged."""

from __future__ import annotations

import re

from sandbox.client import Event, Group, SandboxClient, User
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


async def send_file(
    sandbox: SandboxClient, group: Group, admin: User, name: str, data: bytes, caption: str
) -> Event:
    sent = await sandbox.send(group, admin, document=(name, data), caption=caption)
    return await sandbox.reply_to(group.id, sent["message"]["message_id"])


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


def codes_in_the_group(events: list[Event], group: Group) -> list[Event]:
    return [
        e for e in events
        if e["kind"] in ("sent", "edited") and e.get("chat_id") == group.id
        and "COF-" in (e.get("text") or "")
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
    await sandbox.send_private(cleo, "/start")
    await sandbox.wait_for(lambda e: e["kind"] == "sent" and e["chat_id"] == cleo.id)
    await sandbox.ask(group, admin, "/points @cleo_fan +100 welcome")
    shop = await sandbox.ask(group, cleo, "/shop")
    _toast, shown = await press(sandbox, group, shop, cleo, "🎟 Coffee")
    assert shown is not None
    _toast, asked = await press(sandbox, group, shown, cleo, "兑换 / Redeem")
    assert asked is not None
    _toast, done = await press(sandbox, group, asked, cleo, "✅ Confirm")
    assert done is not None
    assert done["text"].splitlines()[1] == "Your code is in our private chat."
    (delivered,) = await sandbox.wait_for(
        lambda e: e["kind"] == "sent" and e["chat_id"] == cleo.id, timeout=15
    )
    assert "Your code: COF-2" in delivered["text"]

    sold_out = await sandbox.ask(group, bob, "/shop")
    assert sold_out["reply_markup"]["inline_keyboard"][0][0]["text"].endswith("· sold out")
    mine = await sandbox.ask(group, bob, "/mycoupons")
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
    bad = await sandbox.ask(group, admin, "/reward add Mug price=lots")
    assert bad["text"].splitlines()[0] == "The price is a whole number of points, 0 to 1,000,000."
    member = await sandbox.ask(group, bob, "/reward add Mine price=1")
    assert "admins" in member["text"]
    await sandbox.ask(group, admin, "/points @bob_fan +150 welcome")

    async def redeem(label: str) -> str:
        shop = await sandbox.ask(group, bob, "/shop")
        _toast, shown = await press(sandbox, group, shop, bob, label)
        assert shown is not None
        _toast, asked = await press(sandbox, group, shown, bob, "兑换 / Redeem")
        assert asked is not None
        _toast, done = await press(sandbox, group, asked, bob, "✅ Confirm")
        assert done is not None
        return str(done["text"])

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
