"""A private chat is not a group: a private sign-in earns nothing and says where it happens;
/me and /points answer for the member's group, or offer a picker of their groups; no member row
and no ledger row is ever written under a private chat's id."""

from __future__ import annotations

from sqlalchemy import func, select

from models import Checkin, LedgerEntry, Member, create_engine
from sandbox.client import SandboxClient, User
from tests.support.processes import BotProcess

SIGN_IN_ELSEWHERE = (
    "签到要在群里进行，大家都能看到谁是第一个：请在群里发“签到”。私聊里不会获得积分。"
)


async def private_answer(sandbox: SandboxClient, user: User, text: str) -> dict:
    await sandbox.send_private(user, text)
    (answer,) = await sandbox.wait_sent(user.id)
    return answer


async def rows_under(bot: BotProcess, chat_id: int) -> int:
    engine = create_engine(bot.env["DATABASE_URL"])
    try:
        async with engine.connect() as connection:
            counts = [
                await connection.scalar(
                    select(func.count()).select_from(table).where(table.chat_id == chat_id)
                )
                for table in (Member, LedgerEntry, Checkin)
            ]
    finally:
        await engine.dispose()
    return sum(count or 0 for count in counts)


async def test_a_private_sign_in_earns_nothing_and_me_speaks_of_the_group(
    sandbox: SandboxClient, shared_bot: BotProcess
) -> None:
    li = await sandbox.create_user("李雷", None, "zh")
    admin = await sandbox.create_user("Ada", None, "en")
    group = await sandbox.create_group("小店粉丝群", creator=admin, members=[li])
    for word in ("签到", "/checkin"):
        assert (await private_answer(sandbox, li, word))["text"] == SIGN_IN_ELSEWHERE
    nowhere = await private_answer(sandbox, li, "/me")  # no group seen yet
    assert nowhere["text"] == "我还没在任何群里见过你：先在你的群里说句话，再来问我。"

    signed = await sandbox.ask_for_sender(group, li, "签到")
    assert signed["text"].startswith("✅ 签到成功！")
    me = (await private_answer(sandbox, li, "/me"))["text"].splitlines()
    assert me[:3] == ["📍 小店粉丝群", "李雷", "💰 积分：5（累计 5）"]
    points = (await private_answer(sandbox, li, "/points"))["text"]
    assert points == "📍 小店粉丝群\n你的积分余额：5（累计获得 5）。"
    top = await private_answer(sandbox, li, "/top")
    assert top["text"] == "/top 要在群里使用：请在群里发送。"
    unbind = await private_answer(sandbox, admin, "/unbind 小红")  # was no answer at all
    assert unbind["text"] == "/unbind works in a group: send it there."
    assert await rows_under(shared_bot, li.id) == 0  # the private chat is nobody's group


async def test_with_two_groups_me_offers_a_picker_whose_buttons_answer(
    sandbox: SandboxClient, shared_bot: BotProcess
) -> None:
    bob = await sandbox.create_user("Bob", None, "en")
    admin = await sandbox.create_user("Ada", None, "en")
    tea = await sandbox.create_group("Tea Fans", creator=admin, members=[bob])
    cake = await sandbox.create_group("Cake Fans", creator=admin, members=[bob])
    await sandbox.ask_for_sender(tea, bob, "/checkin")  # 5 points in Tea Fans, none in Cake Fans
    await sandbox.ask_for_sender(cake, bob, "/me")

    picker = await private_answer(sandbox, bob, "/me")
    assert picker["text"] == "You're in 2 groups: which one?"
    buttons = [row[0] for row in picker["reply_markup"]["inline_keyboard"]]
    assert [button["text"] for button in buttons] == ["Cake Fans", "Tea Fans"]
    balances = ("💰 Points: 0 (lifetime 0)", "💰 Points: 5 (lifetime 5)")
    for button, balance in zip(buttons, balances, strict=True):
        await sandbox.press(bob.id, picker["message_id"], bob, button["callback_data"])
        (answer,) = await sandbox.wait_sent(bob.id)
        assert answer["text"].splitlines()[0] == f"📍 {button['text']}"
        assert balance in answer["text"]

    history = await private_answer(sandbox, bob, "/points history")
    (tea_button,) = [row[0] for row in history["reply_markup"]["inline_keyboard"]
                     if row[0]["text"] == "Tea Fans"]  # fmt: skip
    await sandbox.press(bob.id, history["message_id"], bob, tea_button["callback_data"])
    (answer,) = await sandbox.wait_sent(bob.id)
    assert answer["text"].splitlines()[1] == "Last changes for Bob:"
    assert "+5 sign-in" in answer["text"]

    stranger = await sandbox.create_user("Eve", None, "en")  # a button is checked on a press
    await sandbox.send_private(stranger, "/start")
    (hello,) = await sandbox.wait_sent(stranger.id)
    forged = buttons[1]["callback_data"]
    await sandbox.press(stranger.id, hello["message_id"], stranger, forged, forge=True)
    (toast,) = await sandbox.wait_for(lambda e: e["kind"] == "answered")
    assert toast["text"] == "You're not in that group any more."
    assert await rows_under(shared_bot, bob.id) == 0
