"""Distributors (分销) through the sandbox: an admin makes a member a distributor with a link of
their own, a fan joins through it, binds their shop nickname and buys; the imported order is
the distributor's, its commission pending in the return window and payable after it (the bot's
clock moved by libfaketime), paid out never beyond what is payable, on the leaderboard and in
the commission export."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from zoneinfo import ZoneInfo

from sandbox.client import Group, SandboxClient, User
from tests.e2e.conftest import Launch
from tests.e2e.test_orders import ask_privately
from tests.e2e.test_shop import send_file, start_privately
from tests.e2e.test_welcome import english_group
from tests.support.processes import ShiftedClock

DAY = 86_400


async def distributor_with_a_buyer(
    sandbox: SandboxClient, now: Callable[[], datetime]
) -> tuple[Group, User, User, str]:
    """Ann sells at 10% with a link; Bob joins through it, binds his shop nickname and buys
    for ¥199.00 a minute after `now()` (the bot's clock): the group, its admin, Ann, her link."""
    group, admin = await english_group(sandbox)
    ann = await sandbox.create_user("Ann", "ann_sells", "en")
    bob = await sandbox.create_user("Bob", "bob_fan", "en")
    await sandbox.set_member_status(group, ann, "member")
    await sandbox.send(group, ann, "hello")
    await sandbox.settle()
    made = await sandbox.ask(group, admin, "/distributor add @ann_sells rate=10%")
    head, link_line, tail = made["text"].splitlines()
    assert head == "✅ Ann now sells for the brand at 10% commission."
    assert link_line.startswith("Their link: https://t.me/+")
    assert tail == "They see their link, codes and commission privately with /commission."
    link = link_line.removeprefix("Their link: ")
    await sandbox.join(group, bob, link)  # the link is a channel: the join is counted as Ann's
    await sandbox.send(group, bob, "hi, Ann sent me")
    await sandbox.settle()
    await sandbox.ask(group, admin, "/bind @bob_fan bob-shop")
    paid = (now() + timedelta(minutes=1)).isoformat(timespec="seconds")
    export = f"order_id,buyer,amount,paid_at,status\nD-1,bob-shop,199.00,{paid},paid\n"
    imported = await send_file(
        sandbox, group, admin, "orders.csv", export.encode(), "/orders import"
    )
    assert imported["text"].splitlines()[1:3] == [
        "🧾 1 new paid order", "👤 1 credited to members, 0 waiting for /bind",
    ]  # fmt: skip
    await start_privately(sandbox, ann)
    return group, admin, ann, link


async def test_a_link_and_a_coupon_bring_commission_pending_then_payable_and_paid_out(
    sandbox: SandboxClient,
) -> None:
    group, admin, ann, link = await distributor_with_a_buyer(sandbox, lambda: datetime.now(UTC))
    mine = await ask_privately(sandbox, ann, "/commission")
    assert mine["text"].splitlines() == [
        "💰 Commission · Tea Fans (10%)",
        "⏳ Pending: ¥19.90 (in the return window)",
        "✅ Payable: ¥0.00",
        "💸 Paid: ¥0.00",
        f"🔗 Your link: {link}",
    ]
    pointer = await sandbox.ask_for_sender(group, ann, "/commission")
    assert pointer["text"] == "Your commission is private: I'll show it in our chat."
    early = await sandbox.ask_for_sender(group, admin, "/payout @ann_sells 19.90 WX-1")
    assert early["text"] == "Ann has nothing payable now."
    bad = await sandbox.ask_for_sender(group, admin, "/distributor add @ann_sells rate=80%")
    assert bad["text"].splitlines()[0] == (
        "A rate is a percentage above 0 and at most 50, such as rate=8% or rate=7.5%."
    )
    refused = await sandbox.ask_for_sender(group, ann, "/payout @ann_sells 5 self")
    assert refused["text"] == "Sorry, only the group's admins can use this command."

    # Her coupon code, on an order of a shop whose return window is now none: payable at once
    await sandbox.ask(group, admin, "/settings orders return_days 0")
    pool = await sandbox.ask(group, admin, "/distributor codes @ann_sells ANN10 =cmd")
    assert pool["text"] == "🎟 2 codes added to Ann's pool."
    paid = datetime.now(UTC).isoformat(timespec="seconds")
    export = f"order_id,buyer,amount,paid_at,status,coupon\nD-2,someone,50.00,{paid},paid,ANN10\n"
    await send_file(sandbox, group, admin, "orders.csv", export.encode(), "/orders import")
    mine = await ask_privately(sandbox, ann, "/commission")
    assert mine["text"].splitlines()[1:4] == [
        "⏳ Pending: ¥19.90 (in the return window)", "✅ Payable: ¥5.00", "💸 Paid: ¥0.00",
    ]  # fmt: skip
    assert mine["text"].splitlines()[5] == "🎟 Your coupon codes: =cmd, ANN10"
    too_much = await sandbox.ask_for_sender(group, admin, "/payout @ann_sells 6 WX-1")
    assert too_much["text"] == "That is more than Ann's payable ¥5.00."
    done = await sandbox.ask(group, admin, "/payout @ann_sells 5 WX-1")
    assert done["text"] == "💸 Paid ¥5.00 to Ann (WX-1). Payable now ¥0.00; paid in all ¥5.00."
    again = await sandbox.ask_for_sender(group, admin, "/payout @ann_sells 1 wx-1")
    assert again["text"] == "A payout with that reference was recorded for Ann already."
    empty = await sandbox.ask_for_sender(group, admin, "/payout @ann_sells 1 WX-2")
    assert empty["text"] == "Ann has nothing payable now."

    board = await sandbox.ask(group, admin, "/stats distributors")
    assert board["text"].splitlines() == [
        "📊 Distributors · Tea Fans",
        "🥇 Ann: 2 orders · GMV ¥249.00 · commission ¥24.90",
        "  pending ¥19.90 · payable ¥0.00 · paid ¥5.00",
        "In all: GMV ¥249.00 · commission ¥24.90",
    ]
    listed = await sandbox.ask(group, admin, "/distributor")
    assert listed["text"].splitlines()[:2] == ["🤝 Distributors", "• Ann — 10% · payable ¥0.00"]

    await start_privately(sandbox, admin)
    before = sandbox.cursor
    exported = await sandbox.ask(group, admin, "/export commission")
    assert exported["text"] == "📄 Sent to you in private."
    (document,) = [
        e for e in await sandbox.events(before) if e["kind"] == "sent" and e["chat_id"] == admin.id
    ]
    data = await sandbox.file(document["document"]["file_id"])
    assert data.startswith(b"\xef\xbb\xbf")  # Excel reads it as UTF-8
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert [(r["reason"], r["order_id"], r["pending_yuan"], r["payable_yuan"], r["paid_yuan"],
             r["reference"]) for r in rows] == [
        ("accrue", "D-1", "19.90", "0.00", "0.00", ""),
        ("accrue", "D-2", "5.00", "0.00", "0.00", ""),
        ("confirm", "D-2", "-5.00", "5.00", "0.00", ""),
        ("payout", "", "0.00", "-5.00", "5.00", "WX-1"),
    ]  # fmt: skip
    assert {r["distributor"] for r in rows} == {"Ann"}
    removed = await sandbox.ask(group, admin, "/distributor remove @ann_sells")
    assert removed["text"].startswith("🚫 Ann is no longer a distributor")


async def test_a_distributors_commission_is_payable_once_the_return_window_closes(
    launch: Launch, tmp_path: Path
) -> None:
    clock = ShiftedClock(tmp_path)
    sandbox, bot = await launch(**clock.env(), BACKGROUND_CHECK_SECONDS="1")
    bots_now = partial(clock.now, ZoneInfo("UTC"))
    _group, _admin, ann, _link = await distributor_with_a_buyer(sandbox, bots_now)
    mine = await ask_privately(sandbox, ann, "/commission")
    assert mine["text"].splitlines()[1:4] == [
        "⏳ Pending: ¥19.90 (in the return window)", "✅ Payable: ¥0.00", "💸 Paid: ¥0.00",
    ]  # fmt: skip
    seen = len(bot.logs())
    await clock.advance(8 * DAY)  # the return window closes: the next background check
    await bot.wait_for_log("made the commission of 1 orders payable", after=seen)
    mine = await ask_privately(sandbox, ann, "/commission")
    assert mine["text"].splitlines()[1:4] == [
        "⏳ Pending: ¥0.00 (in the return window)", "✅ Payable: ¥19.90", "💸 Paid: ¥0.00",
    ]  # fmt: skip
