"""VIP rooms and paid membership through the sandbox: a brand's VIP Lounge lets in through join
requests only who qualifies (Gold, or a paid plan) and tells the others why; a Stars
subscription bought, redelivered, renewed, cancelled and refunded, each recorded once; a
pre-checkout answered too late never charges; a member whose paid Gold lapses is told, then
removed after the grace period, on a fixed clock."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from sandbox.client import Event, Group, SandboxClient, User
from sandbox.vip_client import cancel_in_telegram, charges, pay, redeliver, renew
from tests.e2e import test_web
from tests.e2e.conftest import Launch
from tests.e2e.test_shop import press
from tests.e2e.test_web import console_http, init_data, signed_in
from tests.support.processes import ShiftedClock

# test_web's bot serving the console and its sandbox client (each module gets a bot of its own)
web_bot, web, sandbox = test_web.web_bot, test_web.web, test_web.sandbox

DAY = 86_400


async def brand_with_lounge(sandbox: SandboxClient) -> tuple[Group, Group, User, dict[str, User]]:
    """Tea Fans with Bob and Cleo, and its VIP Lounge (of the same program), made by Ada."""
    admin = await sandbox.create_user("Ada", "ada_vip", "en")
    fans = {name: await sandbox.create_user(name, f"{name.lower()}_vip", "en")
            for name in ("Bob", "Cleo")}  # fmt: skip
    group = await sandbox.create_group("Tea Fans", creator=admin, members=list(fans.values()))
    lounge = await sandbox.create_group("VIP Lounge", creator=admin)
    for chat in (group, lounge):
        await sandbox.ask(chat, admin, "/settings language en")
    for fan in fans.values():
        await sandbox.send(group, fan, "hello tea friends")
    await sandbox.settle()
    asked = await sandbox.ask(lounge, admin, f"/program join {group.id}", timeout=60)
    _toast, joined = await press(sandbox, lounge, asked, admin, "✅ Join")
    assert joined is not None
    return group, lounge, admin, fans


def private_to(user: User) -> Callable[[Event], bool]:
    return lambda e: e["kind"] == "sent" and e["chat_id"] == user.id


async def make_room(sandbox: SandboxClient, lounge: Group, admin: User, rule: str) -> str:
    made = await sandbox.ask(lounge, admin, f"/vip room {rule}")
    lines = made["text"].splitlines()
    assert lines[0].startswith("👑 This group is now the VIP room."), made["text"]
    return str(lines[1].split(": ", 1)[1])


async def test_a_gold_member_is_let_in_and_one_short_of_gold_is_told_why(
    sandbox: SandboxClient,
) -> None:
    group, lounge, admin, fans = await brand_with_lounge(sandbox)
    bob, cleo = fans["Bob"], fans["Cleo"]
    await sandbox.ask(group, admin, "/points @bob_vip +2000 loyal fan")
    link = await make_room(sandbox, lounge, admin, "gold or paid")
    made = await sandbox.ask(lounge, admin, "/vip room gold or paid")
    assert made["text"].splitlines() == [
        "👑 This group is now the VIP room. Who may come in: Gold or above or a paid membership.",
        f"Join requests only: {link}",
        "Members who stop qualifying are told, then removed after 3 days.",
    ]
    bad = await sandbox.ask_for_sender(lounge, admin, "/vip room platinum")
    assert bad["text"].splitlines()[0] == (
        "“platinum” is no tier of the ladder (/tiers), nor spend>=<yuan>, tag:<label>, paid."
    )

    await sandbox.join(lounge, bob, link)
    await sandbox.wait_for(lambda e: e["kind"] == "join_approved" and e["user_id"] == bob.id)
    await sandbox.join(lounge, cleo, link)
    told, declined = await sandbox.wait_for_each(
        private_to(cleo),
        lambda e: e["kind"] == "join_declined" and e["user_id"] == cleo.id,
    )
    assert told["seq"] < declined["seq"]  # told while the request still let the bot write
    assert told["text"].splitlines() == [
        "Your request to join VIP Lounge was declined: it is for VIP members.",
        "What would let you in:",
        "• 1,999 more points to reach Gold",
        "• a paid membership: /membership",
    ]
    members = (await sandbox.chat(lounge.id))["members"]
    assert members[str(bob.id)] == "member"
    assert str(cleo.id) not in members


async def test_a_subscription_bought_renewed_cancelled_and_refunded_is_recorded_once(
    sandbox: SandboxClient,
) -> None:
    group, _lounge, admin, fans = await brand_with_lounge(sandbox)
    bob, cleo = fans["Bob"], fans["Cleo"]
    made = await sandbox.ask(group, admin, "/vip plan Gold Club 100 tier=gold points=50")
    first, line, link = made["text"].splitlines()
    assert first == "✅ Plan “Gold Club” on sale."
    assert line == "• Gold Club · 100 Stars a month · Gold perks · +50 points a month"
    assert link.strip().startswith("https://t.me/$")
    link = link.strip()
    shop = await sandbox.ask(group, cleo, "/shop")  # the shop ends with the plans on sale
    assert shop["reply_markup"]["inline_keyboard"][-1] == [
        {"text": "👑 Gold Club · 100 ⭐", "url": link}
    ]

    # Too late: Telegram gave up before the bot's answer came, so nothing is charged.
    await pay(sandbox, cleo, link, answer_within=0)
    await sandbox.wait_for(lambda e: e["kind"] == "checkout_expired" and e["user_id"] == cleo.id)
    assert not [c for c in (await charges(sandbox)).values() if c["user_id"] == cleo.id]

    await pay(sandbox, bob, link)
    (paid,) = await sandbox.wait_for(lambda e: e["kind"] == "star_payment")
    (thanks,) = await sandbox.wait_for(private_to(bob))
    assert thanks["text"].startswith("👑 Welcome to Gold Club! Your membership lasts until ")
    charge_id = paid["charge_id"]
    await redeliver(sandbox, charge_id)  # a second delivery of the same payment
    await sandbox.settle()
    card = await sandbox.ask_for_sender(group, bob, "/me")
    assert "Gold" in card["text"], card["text"]
    mine = await sandbox.ask_for_sender(group, bob, "/membership")
    assert mine["text"].splitlines()[0].startswith("👑 Gold Club: until ")

    renewed = await renew(sandbox, charge_id)
    assert renewed["renewed"] is True
    (again,) = await sandbox.wait_for(private_to(bob))
    assert again["text"].startswith("👑 Gold Club renewed: your membership lasts until ")

    stopped = await sandbox.ask_for_sender(group, bob, "/membership cancel")
    assert stopped["text"].startswith("Cancelled: no further payments. Your membership lasts")
    (edited,) = [e for e in await sandbox.events() if e["kind"] == "subscription_edited"]
    assert edited["is_canceled"] is True
    assert edited["charge_id"] == charge_id
    assert (await renew(sandbox, charge_id))["renewed"] is False
    await cancel_in_telegram(sandbox, charge_id)

    stats = await sandbox.ask(group, admin, "/vip stats")
    assert stats["text"].splitlines()[1:] == [
        "Gold Club: 1 active",
        "New 1 · renewed 1 · lapsed 0 · refunded 0",
        "Stars this month: 200",
    ]
    refunded = await sandbox.ask(group, admin, "/vip refund @bob_vip changed their mind")
    # The renewal refunded; the first month, not over yet (the sandbox renews at once), is
    # still paid for. The group is not shown the member's charge id.
    assert refunded["text"] == (
        "↩️ Refunded 100 Stars to Bob; another payment still pays for the membership."
    ), refunded["text"]
    refunds = [e["charge_id"] for e in await sandbox.events() if e["kind"] == "star_refund"]
    assert refunds == [renewed["charge_id"]]  # the newest payment
    await sandbox.settle()
    after = await sandbox.ask(group, admin, "/vip stats")
    assert after["text"].splitlines()[1:] == [
        "Gold Club: 1 active",
        "New 1 · renewed 1 · lapsed 0 · refunded 1",
        "Stars this month: 100",
    ]
    # Two payments and one refund, each once: 1 for hello, +50 twice, -50 taken back.
    balance = await sandbox.ask_for_sender(group, bob, "/points")
    assert balance["text"] == "Your balance: 51 points (lifetime 51).", balance["text"]
    assert len([c for c in (await charges(sandbox)).values() if c["user_id"] == bob.id]) == 2
    twice = f"/vip refund {renewed['charge_id']} again"
    gone = await sandbox.ask_for_sender(group, admin, twice)
    assert gone["text"].splitlines()[0] == "No payment of theirs to refund."


async def test_a_refund_stops_the_subscription_so_telegram_charges_no_more(
    sandbox: SandboxClient,
) -> None:
    group, _lounge, admin, fans = await brand_with_lounge(sandbox)
    bob = fans["Bob"]
    made = await sandbox.ask(group, admin, "/vip plan Silver Club 50 tier=silver")
    await pay(sandbox, bob, made["text"].splitlines()[-1].strip())
    (paid,) = await sandbox.wait_for(
        lambda e: e["kind"] == "star_payment" and e["user_id"] == bob.id
    )
    await sandbox.settle()
    refunded = await sandbox.ask(group, admin, "/vip refund @bob_vip asked for it")
    assert refunded["text"] == "↩️ Refunded 50 Stars to Bob; the membership has ended."
    (edited,) = [e for e in await sandbox.events()
                 if e["kind"] == "subscription_edited" and e["user_id"] == bob.id]  # fmt: skip
    assert (edited["charge_id"], edited["is_canceled"]) == (paid["charge_id"], True)
    assert (await renew(sandbox, paid["charge_id"]))["renewed"] is False


async def test_a_lapsed_paid_gold_is_told_then_removed_after_the_grace_period(
    launch: Launch, tmp_path: Path
) -> None:
    clock = ShiftedClock(tmp_path)
    sandbox, _bot = await launch(**clock.env(), BACKGROUND_CHECK_SECONDS="1")
    group, lounge, admin, fans = await brand_with_lounge(sandbox)
    bob = fans["Bob"]
    await sandbox.send_private(bob, "/start")  # the room may write to him
    await sandbox.settle()
    made = await sandbox.ask(group, admin, "/vip plan Gold Club 100 tier=gold")
    link = made["text"].splitlines()[-1].strip()
    room_link = await make_room(sandbox, lounge, admin, "gold")
    await pay(sandbox, bob, link)
    (invite,) = await sandbox.wait_for(lambda e: private_to(bob)(e) and "You qualify" in e["text"])
    assert invite["text"] == (
        f"👑 You qualify for VIP Lounge, the VIP room. Ask to join here: {room_link}"
    )
    await sandbox.join(lounge, bob, room_link)
    await sandbox.wait_for(lambda e: e["kind"] == "join_approved" and e["user_id"] == bob.id)

    await clock.advance(32 * DAY)  # no renewal came in a day: the paid Gold lapses, tier drops
    (warned,) = await sandbox.wait_for(
        lambda e: private_to(bob)(e) and "no longer qualify" in e["text"],
        timeout=60,
    )
    assert (
        warned["text"]
        .splitlines()[0]
        .startswith("You no longer qualify for VIP Lounge. You may stay until ")
    )
    assert "• 1,999 more points to reach Gold" in warned["text"].splitlines()
    await clock.advance(3 * DAY + 60)
    banned, unbanned = await sandbox.wait_for_each(
        lambda e: e["kind"] == "banned" and e["user_id"] == bob.id,
        lambda e: e["kind"] == "unbanned" and e["user_id"] == bob.id,
        timeout=60,
    )
    assert banned["seq"] < unbanned["seq"]  # removed, free to ask again
    await sandbox.wait_for(
        lambda e: private_to(bob)(e) and "You were removed" in e["text"],
        timeout=60,
    )
    admins_stay = [e for e in await sandbox.events() if e["kind"] == "banned"
                   and e["user_id"] == admin.id]  # fmt: skip
    assert admins_stay == []


async def test_the_console_shows_the_plans_the_month_and_the_rooms(
    sandbox: SandboxClient, web: str
) -> None:
    group, lounge, admin, fans = await brand_with_lounge(sandbox)
    made = await sandbox.ask(group, admin, "/vip plan Gold <b>Club</b> 100 tier=gold")
    link = made["text"].splitlines()[-1].strip()
    await make_room(sandbox, lounge, admin, "gold or paid")
    await pay(sandbox, fans["Bob"], link)
    await sandbox.wait_for(lambda e: e["kind"] == "star_payment")
    await sandbox.settle()
    async with console_http() as http:
        await signed_in(http, web, admin)
        async with http.get(f"{web}/console/{group.id}/vip?lang=en") as answer:
            page = await answer.text()
    assert "<b>Gold &lt;b&gt;Club&lt;/b&gt;</b>" in page
    assert link in page
    assert "<b>VIP Lounge</b>: Gold or above or a paid membership" in page
    async with console_http() as http:  # the Mini App offers the plan, and says until when
        headers = {"Authorization": f"tma {init_data(fans['Bob'])}"}
        async with http.post(f"{web}/app/api/me", json={}, headers=headers) as answer:
            centre = await answer.json()
    assert centre["plans"] == [{"name": "Gold <b>Club</b>", "price": "100 Stars a month",
                                "link": link, "button": "Subscribe"}]  # fmt: skip
    assert any(fact.startswith("👑 Gold <b>Club</b> until ") for fact in centre["header"]["facts"])
