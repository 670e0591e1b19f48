"""Orders through the sandbox: a Taobao export imported twice, a member binding their shop
nickname, purchase points pending then paid when the return window closes (the bot's clock moved
with libfaketime), refunds before and after, and orders posted over signed HTTP (and forged)."""

from __future__ import annotations

import asyncio
import csv
import hashlib
import hmac
import io
import json
import re
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import aiohttp

from sandbox.client import Event, SandboxClient, User
from tests.e2e.conftest import Launch
from tests.e2e.test_first_day import fan_group
from tests.e2e.test_shop import (
    campaign_day,
    press,
    send_file,
    start_privately,
    stocked_shop,
)
from tests.support.processes import ShiftedClock, free_port
from tests.support.untranslated import untranslated

TAOBAO = Path(__file__).parent.parent / "fixtures" / "taobao_orders.csv"
DAY = 86_400
SHANGHAI = ZoneInfo("Asia/Shanghai")
EXPORTED = date(2026, 11, 30)  # the fixture's export was made that day: its orders are older
STAMP = re.compile(rb"(\d{4}-\d{2}-\d{2})( \d{2}:\d{2}:\d{2})")


def taobao_export(today: date) -> tuple[bytes, date]:
    """The fixture (GBK) with its dates moved so that it was exported `today`, and the day the
    first order (paid 11-28 at 20:01 in Shanghai, in the fixture) was paid: no test depends on
    the day it runs."""
    moved = today - EXPORTED

    def shift(stamp: re.Match[bytes]) -> bytes:
        day = date.fromisoformat(stamp[1].decode()) + moved
        return day.isoformat().encode() + stamp[2]

    return STAMP.sub(shift, TAOBAO.read_bytes()), date(2026, 11, 28) + moved


SECRET = "shop-secret-0123456789"


async def ask_privately(sandbox: SandboxClient, user: User, text: str) -> Event:
    """Say something in the user's private chat with the bot and wait for its reply."""
    sent = await sandbox.send_private(user, text)
    return await sandbox.reply_to(user.id, sent["message"]["message_id"])


def field(reply: Event, label: str) -> str | None:
    for line in str(reply["text"]).splitlines():
        if label in line:
            return line.split(label, 1)[1].strip()
    return None


async def test_an_imported_order_pays_its_buyer_after_the_return_window_and_refunds_follow(
    launch: Launch, tmp_path: Path
) -> None:
    clock = ShiftedClock(tmp_path)
    sandbox, bot = await launch(**clock.env(), BACKGROUND_CHECK_SECONDS="1")
    group, admin, (bob, cleo) = await fan_group(sandbox, "Bob", "Cleo")
    await sandbox.ask(group, admin, "/settings language en")  # what the group is told too
    for fan in (bob, cleo):
        await sandbox.send(group, fan, "hi")
    for who in (bob, cleo, admin):  # the admin hears privately of a disputed nickname
        await start_privately(sandbox, who)
        if who is bob:  # his /start, answered, opened his 5 commands in 10 s before now
            bobs_window = time.monotonic()

    data, paid = taobao_export(clock.now(SHANGHAI).date())
    imported = await send_file(sandbox, group, admin, "ExportOrderList.csv", data, "/orders import")
    assert imported["text"].splitlines() == [
        "Orders imported (9 rows)",
        "🧾 2 new paid orders",
        "👤 0 credited to members, 2 waiting for /bind",
        "🚫 1 closed or refunded order recorded, without points",  # line 4: 交易关闭
        "📑 1 line repeats an order of this file: counted once",  # line 6 is line 2 again
        "⏳ 1 order not paid yet: skipped",
        "⚠️ 4 lines refused:",
        "line 7: no buyer nickname",
        "line 8: the amount is not a sum of money",
        "line 9: unknown status",
        "line 10: the same order id with another amount",
    ]
    asked = await sandbox.ask(group, admin, "/orders import")  # the file comes as a reply
    assert asked["text"].startswith("Now send the export file as a reply")
    sent = await sandbox.send(
        group, admin, document=("ExportOrderList.csv", data), reply_to=asked["reply_to"]
    )
    again = await sandbox.reply_to(group.id, sent["message"]["message_id"])
    assert again["text"].splitlines()[1:4] == [
        "🧾 No new paid orders",
        "🔁 3 orders already imported before: unchanged",
        "📑 1 line repeats an order of this file: counted once",
    ]

    # A nickname is proven privately, with the number and amount of one of its orders.
    asked = await sandbox.ask(group, bob, "/bind 小明爱喝茶")
    assert asked["text"] == (
        "🔐 A shop nickname is bound with proof that it is yours: I'll ask for it privately."
    )
    (link,) = asked["reply_markup"]["inline_keyboard"][0]
    assert link["url"] == "https://t.me/fanbot_sandbox_bot?start=bind"
    await sandbox.send_private(bob, "/start bind")
    (prompt,) = await sandbox.wait_sent(bob.id)
    assert "\n/bind 小明爱喝茶 3012345678901234567 199.00\n" in prompt["text"]
    # a member's 5 commands in 10 s: Cleo, who knows the nickname but not the amount, tries
    wrong = await ask_privately(sandbox, cleo, "/bind 小明爱喝茶 3012345678901234567 99.00")
    assert wrong["text"] == (
        "No order of 小明爱喝茶 here has that number and amount. A new order counts once the shop "
        "has imported it; an admin can also bind it for you. 4 tries left today."
    )
    stolen = await sandbox.ask_for_sender(
        group, cleo, "/bind @cleo_fan 小明爱喝茶"
    )  # the admin's form
    assert stolen["text"] == "Sorry, only the group's admins can use this command."
    before = sandbox.cursor  # the private note may come before the reply
    bound = await ask_privately(sandbox, bob, "/bind 小明爱喝茶 3012345678901234567 199.00")
    assert bound["text"] == (
        "✅ Shop nickname 小明爱喝茶 bound. 1 earlier order is now yours (199 points)."
    )
    after, sandbox.cursor = sandbox.cursor, before
    (told,) = await sandbox.wait_for(
        lambda e: e["kind"] == "sent" and e["chat_id"] == bob.id and "🛍" in e["text"]
    )
    assert f"It earns 199 points, yours on {paid + timedelta(days=7)}" in told["text"]
    assert told["text"].endswith(" once the return window closes.\n📦 秋冬限定礼盒")
    sandbox.cursor = max(after, sandbox.cursor)
    # Cleo has the proof too (a shared account?): the admins are told privately, not the group
    before = sandbox.cursor
    taken = await ask_privately(sandbox, cleo, "/bind 小明爱喝茶 3012345678901234567 199.00")
    assert taken["text"] == (
        "That shop nickname is already bound to another member; the admins were told."
    )
    after, sandbox.cursor = sandbox.cursor, before
    (notice,) = await sandbox.wait_for(
        lambda e: e["kind"] == "sent" and e["chat_id"] == admin.id and "⚠️" in e["text"]
    )
    assert notice["text"] == (
        f"⚠️ {group.title}: Cleo proved the shop nickname 小明爱喝茶 with one of its orders, but "
        "Bob holds it (proven with an order too). To move it, in the group: /bind @user 小明爱喝茶"
    )
    sandbox.cursor = max(after, sandbox.cursor)
    assert not await sandbox.quiet_for(
        0.5, lambda e: e["kind"] == "sent" and e["chat_id"] == group.id and "⚠️" in e["text"]
    )

    mine = await sandbox.ask_for_sender(group, bob, "/me")
    assert field(mine, "Points:") == "0 (lifetime 0)"
    assert field(mine, "🛍") == "1 order, ¥199.00 · ⏳ 199 points pending"

    seen = len(bot.logs())
    await clock.advance(8 * DAY)  # the window closes: the next background check pays
    await bot.wait_for_log("paid the purchase points of 1 orders", after=seen)
    # Bob's sixth command: past his window, which Redis (when the suite has it) keeps in real
    # time, not the bot's moved clock.
    await asyncio.sleep(max(0.0, bobs_window + 10.5 - time.monotonic()))
    mine = await sandbox.ask_for_sender(group, bob, "/me")
    assert field(mine, "Points:") == "199 (lifetime 199)", mine["text"]
    assert field(mine, "🛍") == "1 order, ¥199.00"

    # refunded after the window: the points are taken back, once
    refund = "order_id,buyer,amount,status\n3012345678901234567,小明爱喝茶,199.00,退款成功\n"
    before = sandbox.cursor
    for _ in range(2):
        done = await send_file(
            sandbox, group, admin, "refunds.csv", refund.encode(), "/orders import"
        )
    assert done["text"].splitlines()[1:] == [  # the first time, 1 refund applied
        "🧾 No new paid orders",
        "🔁 1 order already imported before: unchanged",
    ]
    mine = await sandbox.ask_for_sender(group, bob, "/me")
    assert field(mine, "Points:") == "0 (lifetime 0)"
    after, sandbox.cursor = sandbox.cursor, before  # Bob is told, once, in his language
    (taken_back,) = await sandbox.wait_for(
        lambda e: e["kind"] == "sent" and e["chat_id"] == bob.id and "↩️" in e["text"]
    )
    assert taken_back["text"] == (
        f"↩️ ¥199.00 of your order of ¥199.00 ({group.title}) was refunded: 199 points are "
        "taken back.\n📦 秋冬限定礼盒"  # the item title the shop's export gave
    )
    sandbox.cursor = max(after, sandbox.cursor)
    assert not await sandbox.quiet_for(
        1, lambda e: e["kind"] == "sent" and e["chat_id"] == bob.id and "↩️" in e["text"]
    )

    # an admin's order for Cleo, refunded in the window: nothing is ever paid
    before = sandbox.cursor
    recorded = await sandbox.ask(group, admin, "/order @cleo_fan 100.00 T-1")
    assert recorded["text"] == (
        "🧾 Order T-1: ¥100.00 for Cleo, 100 points waiting for the return window."
    )
    after, sandbox.cursor = sandbox.cursor, before
    await sandbox.wait_for(  # she was told of them: she hears they are cancelled
        lambda e: e["kind"] == "sent" and e["chat_id"] == cleo.id and "🛍" in e["text"]
    )
    sandbox.cursor = max(after, sandbox.cursor)
    before = sandbox.cursor
    refunded = await sandbox.ask(group, admin, "/order refund T-1")
    assert refunded["text"] == "↩️ Order T-1: ¥100.00 of ¥100.00 refunded; its points follow."
    after, sandbox.cursor = sandbox.cursor, before
    (cancelled,) = await sandbox.wait_for(
        lambda e: e["kind"] == "sent" and e["chat_id"] == cleo.id and "↩️" in e["text"]
    )
    assert "¥100.00" in cancelled["text"]  # in the bot's language: an admin's order names none
    sandbox.cursor = max(after, sandbox.cursor)
    theirs = await sandbox.ask_for_sender(group, cleo, "/me")
    assert field(theirs, "🛍") is None  # refunded in full: no order, nothing pending
    bad = await sandbox.ask_for_sender(group, admin, "/order @cleo_fan -5")
    assert bad["text"].startswith("Usage: ")
    member = await sandbox.ask_for_sender(group, bob, "/order @cleo_fan 100")
    assert member["text"] == "Sorry, only the group's admins can use this command."


async def test_a_disputed_nickname_goes_to_the_log_channel_and_proofs_are_a_few_a_day(
    sandbox: SandboxClient,
) -> None:
    group, admin, (bob, cleo) = await fan_group(sandbox, "Bob", "Cleo")
    log = await sandbox.create_group("Shop log", creator=admin)
    for setting in ("language en", f"log_channel {log.id}"):
        await sandbox.ask(group, admin, f"/settings {setting}")
    for fan in (bob, cleo):
        await sandbox.send(group, fan, "hi")
    await sandbox.settle()  # both are known here before the admin names one
    await start_privately(sandbox, cleo)
    export = "order_id,buyer,amount,status\nL-1,shop-bob,50.00,paid\n"
    await send_file(sandbox, group, admin, "orders.csv", export.encode(), "/orders import")
    bound = await sandbox.ask(group, admin, "/bind @bob_fan shop-bob")
    assert (
        bound["text"]
        == "✅ Shop nickname shop-bob bound. 1 earlier order is now yours (50 points)."
    )

    taken = await ask_privately(sandbox, cleo, "/bind shop-bob L-1 50.00")
    assert taken["text"] == (
        "That shop nickname is already bound to another member; the admins were told."
    )
    (notice,) = await sandbox.wait_for(lambda e: e["kind"] == "sent" and e["chat_id"] == log.id)
    assert notice["text"] == (
        f"⚠️ {group.title}: Cleo proved the shop nickname shop-bob with one of its orders, but Bob "
        "holds it (bound by an admin). To move it, in the group: /bind @user shop-bob"
    )
    for left in (3, 2, 1, 0):  # the claim was the first of five tries today
        await asyncio.sleep(2)  # 5 commands in 10 s are allowed
        wrong = await ask_privately(sandbox, cleo, "/bind shop-bob L-1 5.00")
        assert wrong["text"].endswith(
            f" {left} tries left today." if left != 1 else " 1 try left today."
        )
    await asyncio.sleep(2)
    refused = await ask_privately(sandbox, cleo, "/bind shop-bob L-1 50.00")  # right, too late
    assert refused["text"] == (
        "You have used today's 5 tries at binding; try again tomorrow, or ask an admin."
    )


def signed(body: bytes, stamp: int | None = None, secret: str = SECRET) -> dict[str, str]:
    timestamp = str(stamp if stamp is not None else int(time.time()))
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return {
        "X-Fanbot-Timestamp": timestamp,
        "X-Fanbot-Signature": "sha256=" + mac.hexdigest(),
        "Content-Type": "application/json",
    }


async def test_a_signed_order_over_http_is_accepted_once_and_a_forged_one_never(
    launch: Launch,
) -> None:
    port = free_port()
    sandbox, _bot = await launch(
        SHOP_WEBHOOK_SECRET=SECRET, WEBHOOK_HOST="127.0.0.1", WEBHOOK_PORT=str(port)
    )
    group, admin, (bob,) = await fan_group(sandbox, "Bob")
    await sandbox.send(group, bob, "hi")
    await sandbox.settle()  # Bob is known here before the admin names him
    bound = await sandbox.ask(group, admin, "/bind @bob_fan bob-shop")  # no order yet: an admin's
    assert bound["text"] == "✅ Shop nickname bob-shop bound."
    url = f"http://127.0.0.1:{port}/shop/orders"
    # Paid a day ago: its points wait for the return window, whatever day the test runs.
    yesterday = (datetime.now(SHANGHAI) - timedelta(days=1)).isoformat(timespec="seconds")
    order = {"group": group.id, "order_id": "W-1", "buyer": "Bob-Shop", "amount": "88.00",
             "paid_at": yesterday, "status": "paid"}  # fmt: skip
    body = json.dumps(order).encode()
    async with aiohttp.ClientSession() as http:
        for _ in range(2):  # the same order twice: accepted once, the same answer
            async with http.post(url, data=body, headers=signed(body)) as answer:
                assert (answer.status, await answer.json()) == (200, {"ok": True})
        forged = signed(body, secret="another-secret-0123456")
        stale = signed(body, stamp=int(time.time()) - 600)
        for headers in (forged, stale, {"Content-Type": "application/json"}):
            async with http.post(url, data=body, headers=headers) as answer:
                assert answer.status == 401
        changed = json.dumps({**order, "amount": "880.00"}).encode()
        async with http.post(url, data=changed, headers=signed(changed)) as answer:
            assert answer.status == 409
        huge = b"{" + b" " * 70_000 + b"}"
        async with http.post(url, data=huge, headers=signed(huge)) as answer:
            assert answer.status == 413
        broken = b'{"group": '
        async with http.post(url, data=broken, headers=signed(broken)) as answer:
            assert (answer.status, (await answer.json())["error"]) == (400, "bad JSON")
        unknown = json.dumps({**order, "group": -1}).encode()
        async with http.post(url, data=unknown, headers=signed(unknown)) as answer:
            assert answer.status == 404
    mine = await sandbox.ask_for_sender(group, bob, "/me")
    assert field(mine, "🛍") == "1 order, ¥88.00 · ⏳ 88 points pending"
    await start_privately(sandbox, admin)  # an export goes only there
    before = sandbox.cursor
    await sandbox.ask(group, admin, "/export orders")
    (exported,) = [
        e for e in await sandbox.events(before) if e["kind"] == "sent" and e["chat_id"] == admin.id
    ]
    assert exported["text"].endswith(": 1 row.")
    data = (await sandbox.file(exported["document"]["file_id"])).decode("utf-8-sig")
    (row,) = list(csv.DictReader(io.StringIO(data)))
    assert (row["order_id"], row["buyer"], row["amount"], row["source"], row["points"]) == (
        "W-1", "Bob-Shop", "88.00", "http", "88",
    )  # fmt: skip
    assert "coupon" not in data.splitlines()[0].split(",")  # codes are secrets


async def test_a_hostile_order_over_http_gets_its_reason_never_a_500(launch: Launch) -> None:
    port = free_port()
    sandbox, _bot = await launch(
        SHOP_WEBHOOK_SECRET=SECRET, WEBHOOK_HOST="127.0.0.1", WEBHOOK_PORT=str(port)
    )
    group, admin, _fans = await fan_group(sandbox)
    url = f"http://127.0.0.1:{port}/shop/orders"
    order = {"group": group.id, "order_id": "H-1", "buyer": "someone", "amount": "8.00"}
    nested = b"[" * 30_000 + b"]" * 30_000  # 60 KB: past the JSON parser's depth
    cases = [
        (json.dumps({**order, "group": 10**30}).encode(), 400, "bad field: group"),
        (json.dumps({**order, "amount": "0", "status": "paid"}).encode(), 400, "bad field: amount"),
        (json.dumps({**order, "buyer": {"nick": [1]}}).encode(), 400, "bad field: buyer"),
        (nested, 400, "bad JSON"),
        ("é".encode("latin-1"), 400, "bad JSON"),
    ]
    async with aiohttp.ClientSession() as http:
        for body, status, error in cases:
            async with http.post(url, data=body, headers=signed(body)) as answer:
                assert (answer.status, (await answer.json())["error"]) == (status, error), body[:80]
        body = json.dumps(order).encode()
        foreign = {**signed(body), "X-Fanbot-Signature": "sha256=é" + "0" * 63}
        async with http.post(url, data=body, headers=foreign) as answer:
            assert answer.status == 401
    # Nothing was recorded, and the bot logged no traceback (checked when it stops).
    exported = await sandbox.ask(group, admin, "/export orders")
    assert exported["text"] == "Nothing to export for that range."


async def test_a_push_to_paying_members_reaches_those_who_started_the_bot_once_a_day(
    sandbox: SandboxClient,
) -> None:
    group, admin, (bob, cleo) = await fan_group(sandbox, "Bob", "Cleo")
    for fan in (bob, cleo):
        await sandbox.send(group, fan, "hi")
    await start_privately(sandbox, bob)  # Cleo never did: a push cannot reach her
    for handle, order_id in (("@bob_fan", "P-1"), ("@cleo_fan", "P-2")):
        await sandbox.ask(group, admin, f"/order {handle} 59.00 {order_id}")
    unknown = await sandbox.ask_for_sender(group, admin, "/push vip come back!")
    assert unknown["text"].splitlines() == [
        "There is no segment or tier called vip.",
        "Segments: paying, lapsed, new, active, silent, core, kol. "
        "Or a tier (and those above): Member, Bronze, Silver, Gold, Diamond.",
        "Or the members with a label: tag:<label> (/tags lists them).",
        "Usage: /push <paying|lapsed|new|active|silent|core|kol|tier> <text> (or as a reply) "
        "· more: /help push",
    ]
    empty = await sandbox.ask(group, admin, "/push lapsed come back!")
    assert empty["text"] == "lapsed is empty: nobody in this group is in it yet."
    asked = await sandbox.ask(group, admin, "/push paying 新品上架：VIP 优先购！")
    assert asked["text"].splitlines() == [
        "📣 Push to paying: 1 member will get it privately.",
        "1 left out: unsubscribed, pushed to today, or never started the bot.",
        "Today's budget: 10,000 of 10,000 left.",
    ]
    toast, _edited = await press(sandbox, group, asked, bob, "✅ Send")
    assert toast == "Only the group's admins can send or cancel a push."
    before = sandbox.cursor
    toast, edited = await press(sandbox, group, asked, admin, "✅ Send to 1")
    assert toast == "Sent."
    assert edited is not None
    assert edited["text"].startswith("✅ Push #")
    sandbox.cursor = before
    (copy,) = await sandbox.wait_for(
        lambda e: e["kind"] == "sent" and e["chat_id"] == bob.id and "优先购" in e["text"]
    )
    # Whose push it is, in the group's language (none set: the bot's default, zh).
    assert copy["text"] == f"📣 来自「{group.title}」：\n新品上架：VIP 优先购！"
    (unsubscribe,) = copy["reply_markup"]["inline_keyboard"][-1]
    assert unsubscribe["text"] == "退订 / Unsubscribe"
    again, _edited = await press(sandbox, group, asked, admin, "✅ Send to 1", stale=True)
    assert again == "It was sent or cancelled before."
    await sandbox.press(bob.id, copy["message_id"], bob, unsubscribe["callback_data"])
    (answered,) = await sandbox.wait_for(lambda e: e["kind"] == "answered")
    assert answered["text"].startswith("✅ Unsubscribed: no more pushes from 1 group.")
    later = await sandbox.ask(group, admin, "/push paying one more")
    assert later["text"].startswith("Nobody in paying can get a push now (2 ")


async def test_an_early_post_reaches_gold_members_privately_before_the_group(
    launch: Launch,
) -> None:
    sandbox, _bot = await launch(SCHEDULER_ENABLED="true")
    group, admin, (bob, cleo) = await fan_group(sandbox, "Bob", "Cleo")
    for fan in (bob, cleo):
        await sandbox.send(group, fan, "hi")
        await start_privately(sandbox, fan)
    await sandbox.settle()  # the member's message handled first
    await sandbox.ask(group, admin, "/points @bob_fan +2000 VIP")  # Gold; Cleo is not
    bad = await sandbox.ask(group, admin, "/post daily 10:00 early=Platinum:2h hi")
    assert bad["text"].startswith("early= is a tier and how much earlier")
    soon = (datetime.now(ZoneInfo("Asia/Shanghai")) + timedelta(hours=1)).strftime("%Y-%m-%d %H:%M")
    before = sandbox.cursor
    made = await sandbox.ask(group, admin, f"/post at {soon} early=Gold:2h 限量款今晚开抢")
    assert made["text"].startswith("✅ Post #")
    sandbox.cursor = before  # two hours early is now: Gold hears at once, the group in an hour
    (early,) = await sandbox.wait_for(
        lambda e: e["kind"] == "sent" and e["chat_id"] in (bob.id, cleo.id)
        and e["text"].endswith("：\n限量款今晚开抢"),
        timeout=45,
    )  # fmt: skip
    assert early["chat_id"] == bob.id
    assert early["reply_markup"]["inline_keyboard"][-1][0]["text"] == "退订 / Unsubscribe"


async def test_an_order_naming_a_campaigns_coupon_is_its_sale_in_stats_campaign(
    launch: Launch,
) -> None:
    sandbox, _bot = await launch(SCHEDULER_ENABLED="true")  # the campaign's greeting
    group, admin, (bob, _cleo), coffee = await stocked_shop(sandbox)
    await sandbox.ask(group, admin, "/settings language en")
    await sandbox.ask(group, admin, f"/reward codes {coffee} generate 2 prefix=COF")
    await start_privately(sandbox, bob)
    today = await campaign_day(sandbox, group, admin)
    started = await sandbox.ask(
        group, admin, f"/campaign new Double {today} {today} x2 coupon={coffee} Enjoy!"
    )
    campaign_id = re.findall(r"#(\d+)", started["text"])[0]
    (greeting,) = await sandbox.wait_for(
        lambda e: e["kind"] == "sent" and (e["text"] or "").startswith("🎉 Double"), timeout=40
    )
    (button,) = greeting["reply_markup"]["inline_keyboard"][0]
    before = sandbox.cursor
    await sandbox.press(group.id, greeting["message_id"], bob, button["callback_data"])
    sandbox.cursor = before
    (coupon,) = await sandbox.wait_for(
        lambda e: e["kind"] == "sent" and e["chat_id"] == bob.id and "COF-" in (e["text"] or "")
    )
    code = re.findall(r"COF-\w{4}-\w{4}", coupon["text"])[0]
    paid = datetime.now(UTC).isoformat(timespec="seconds")
    export = (
        f"order_id,buyer,amount,paid_at,status,coupon\nC-1,bob-shop,120.00,{paid},paid,{code}\n"
    )
    imported = await send_file(
        sandbox, group, admin, "orders.csv", export.encode(), "/orders import"
    )
    assert imported["text"].splitlines()[1] == "🧾 1 new paid order"
    report = await sandbox.ask(group, admin, f"/stats campaign {campaign_id}")
    assert report["text"].splitlines()[2:] == [
        "🛍 1 order from its coupons · GMV ¥120.00",
        "🎟 Double: 1 issued → 1 used → 1 order, ¥120.00",
    ]
    assert code not in report["text"]
    listing = await sandbox.ask_for_sender(group, admin, "/stats campaign 999")
    assert listing["text"].startswith("There is no such campaign here")


async def test_a_chinese_groups_import_says_what_happened_and_its_orders_export_is_in_chinese(
    sandbox: SandboxClient,
) -> None:
    """The operator's GBK export in a zh group: what each line did, in Chinese; then
    `/export orders` is 订单-<day>.csv with Chinese headers, the item titles kept."""
    group, admin, _fans = await fan_group(sandbox, "Xiaoming", language="zh")
    await sandbox.ask(group, admin, "/settings language zh")
    data, _paid = taobao_export(datetime.now(SHANGHAI).date())
    imported = await send_file(sandbox, group, admin, "ExportOrderList.csv", data, "/orders import")
    assert imported["text"].splitlines() == [
        "订单导入完成（共 9 行）",
        "🧾 新的已付款订单 2 个",
        "👤 已计入成员 0 个，等待 /bind 绑定 2 个",
        "🚫 已关闭或已退款的订单 1 个：已记录，不计积分",
        "📑 本文件内重复的订单行 1 行：只计一次",
        "⏳ 未付款的订单 1 个：已跳过",
        "⚠️ 未导入 4 行：",
        "第 7 行：缺少买家昵称",
        "第 8 行：金额不是有效数字",
        "第 9 行：未知订单状态",
        "第 10 行：同一订单编号但金额不同",
    ]
    assert untranslated(imported["text"]) == []
    # No private chat yet: buyers' orders are not for the group, so it asks for one.
    refused = await sandbox.ask(group, admin, "/export orders")
    assert refused["text"].startswith("🔒 导出文件含有成员资料，只能私聊发送。")
    assert untranslated(refused["text"]) == []
    (button,) = [b for row in refused["reply_markup"]["inline_keyboard"] for b in row]
    assert button["url"] == f"https://t.me/{(await sandbox.bot_state())['user']['username']}"
    await start_privately(sandbox, admin)
    before = sandbox.cursor
    told = await sandbox.ask(group, admin, "/export orders")
    assert told["text"] == "📄 已私信发送给你。"
    (exported,) = [
        e for e in await sandbox.events(before) if e["kind"] == "sent" and e["chat_id"] == admin.id
    ]
    assert exported["document"]["file_name"].startswith("订单-")
    assert untranslated(exported["text"]) == [], exported["text"]
    assert exported["text"].endswith("：共 3 行。")
    table = (await sandbox.file(exported["document"]["file_id"])).decode("utf-8-sig")
    rows = {row["订单编号"]: row for row in csv.DictReader(io.StringIO(table))}
    assert [(row["宝贝标题"], row["订单状态"], row["积分状态"]) for row in rows.values()] == [
        ("秋冬限定礼盒", "已付款", "等待绑定"),
        ("单品茶包", "已付款", "等待绑定"),
        ("单品茶包", "已退款", "不计积分"),
    ]
