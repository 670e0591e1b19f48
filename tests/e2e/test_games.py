"""Games through the sandbox: a quiz poll answered by members (`poll_answer` updates), the
first correct answer paid more than the second, an admin's and a wrong answer nothing, the
poll stopped; a dice duel accepted with the button, the dice drawn by the sandbox, the stakes
settled once, and the daily cap refusing a stake past it. The audit after every e2e bot run
covers the game rows."""

from __future__ import annotations

from sandbox.client import SandboxClient
from sandbox.games_client import answer_poll, fix_dice, poll_state
from tests.e2e.test_first_day import fan_group
from tests.e2e.test_shop import press, send_file

QUESTIONS = (
    "问题,选项,答案,解析\n"
    "Where was tea first grown?,Yunnan|Fujian|Zhejiang,1,Tea trees come from Yunnan\n"
    "Which are green teas?,Longjing|Pu'er|Biluochun,A|C,\n"
    "Bad line,Only one,1,\n"
).encode()


async def test_a_quiz_pays_the_first_correct_answer_more(sandbox: SandboxClient) -> None:
    group, admin, (bob, cleo, dan) = await fan_group(sandbox, "Bob", "Cleo", "Dan")
    for fan in (bob, cleo, dan):
        await sandbox.send(group, fan, "hi")
    refused = await sandbox.ask_for_sender(group, bob, "/quiz")
    assert refused["text"] == "Sorry, only the group's admins can use this command."
    empty = await sandbox.ask_for_sender(group, admin, "/quiz")
    assert empty["text"].startswith("The question bank is empty")

    imported = await send_file(sandbox, group, admin, "quiz.csv", QUESTIONS, "/quiz import")
    assert imported["text"].splitlines() == [
        "🧠 2 questions added; the bank holds 2.",
        "⚠️ 1 line refused:",
        "line 4: 2-12 different options, each up to 100 characters",
    ]
    await sandbox.send(group, admin, "/quiz")
    (posted,) = await sandbox.wait_for(lambda e: e["kind"] == "poll" and e["chat_id"] == group.id)
    assert posted["question"] == "Where was tea first grown?"
    assert posted["poll_type"] == "quiz"
    assert posted["correct"] == [0]
    poll_id = posted["poll_id"]
    state = await poll_state(sandbox, poll_id)
    assert state["poll"]["is_anonymous"] is False

    for member, option in ((bob, 0), (cleo, 0), (dan, 2), (admin, 0)):
        await answer_poll(sandbox, poll_id, member, [option])
        await sandbox.settle()  # one after another: who was first is what is tested

    ended = await sandbox.ask(group, admin, "/quiz end")
    assert ended["text"].splitlines() == [
        "🧠 Quiz closed: Where was tea first grown?",
        "✅ Answer: Yunnan",
        "3 of 4 answers were right.",
        "🥇 Bob +20",
        "🥈 Cleo +10",
    ]
    assert (await poll_state(sandbox, poll_id))["poll"]["is_closed"] is True
    assert (await sandbox.ask_for_sender(group, bob, "/points"))["text"] == (
        "Your balance: 20 points (lifetime 20)."
    )
    league = await sandbox.ask_for_sender(group, dan, "/quiz top")
    assert league["text"].splitlines() == [
        "🧠 This week's quiz league:",
        "🥇 Bob · 20 points",
        "🥈 Cleo · 10 points",
    ]


async def test_a_dice_duel_settles_once_and_the_daily_cap_holds(sandbox: SandboxClient) -> None:
    group, admin, (bob, cleo, dan) = await fan_group(sandbox, "Bob", "Cleo", "Dan")
    for fan in (bob, cleo, dan):
        await sandbox.send(group, fan, "hi")
    off = await sandbox.ask_for_sender(group, bob, "/dice 30")
    assert off["text"].startswith("Dice is off in this group")
    await sandbox.ask(group, admin, "/settings games dice on")
    await sandbox.ask(group, admin, "/settings games cap 40")
    for fan in (bob, cleo):
        await sandbox.ask(group, admin, f"/points @{fan.username} +100 welcome")

    said = await sandbox.send(group, admin, "Good luck!")
    named = await sandbox.send(group, cleo, "/dice 10", reply_to=said["message"]["message_id"])
    refused = await sandbox.answer_to_sender(group.id, cleo, named["message"]["message_id"])
    assert refused["text"].splitlines()[0] == "Admins don't play: challenge a member, or the bot."
    poor = await sandbox.ask_for_sender(group, dan, "/dice 30")
    assert poor["text"].splitlines()[0] == "You have only 0 points."
    challenge = await sandbox.ask(group, bob, "/dice 30")
    assert challenge["text"].startswith("🎲 Bob puts up 30 points at dice")
    held = await sandbox.ask_for_sender(group, bob, "/points")
    assert held["text"] == "Your balance: 70 points (lifetime 100)."  # the stake is held

    await fix_dice(sandbox, 5, 2)
    toast, _edited = await press(sandbox, group, challenge, cleo, "🎲 Accept")
    assert toast == "🎲 Accepted: rolling…"
    thrown = await sandbox.wait_for(
        lambda e: e["kind"] == "dice" and e["chat_id"] == group.id, count=2
    )
    assert [e["value"] for e in thrown] == [5, 2]
    (result,) = await sandbox.wait_for(
        lambda e: e["kind"] == "sent" and e["chat_id"] == group.id and "🎲 Bob" in (e["text"] or "")
    )
    assert result["text"].splitlines() == ["🎲 Bob 5 : 2 Cleo", "Bob wins 30 points."]

    # A second press (the button is gone; a stale client sends it anyway) settles nothing.
    data = challenge["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    await sandbox.press(group.id, challenge["message_id"], dan, data, forge=True)
    (again,) = await sandbox.wait_for(lambda e: e["kind"] == "answered")
    assert again["text"] == "This duel is over or already taken."

    balances = {
        fan.first_name: (await sandbox.ask_for_sender(group, fan, "/points"))["text"]
        for fan in (bob, cleo)
    }
    assert balances == {  # a duel moves no lifetime
        "Bob": "Your balance: 130 points (lifetime 100).",
        "Cleo": "Your balance: 70 points (lifetime 100).",
    }
    capped = await sandbox.ask_for_sender(group, bob, "/dice 20")
    assert capped["text"].splitlines()[0] == (
        "You can win only 10 points more at games today: stake at most that."
    )
    admins = await sandbox.ask_for_sender(group, admin, "/dice 10")
    assert admins["text"] == "Admins run the games; they don't play for points."


async def test_a_guess_the_price_round_reveals_the_closest_guess(sandbox: SandboxClient) -> None:
    group, admin, (bob, cleo, dan) = await fan_group(sandbox, "Bob", "Cleo", "Dan")
    for fan in (bob, cleo, dan):
        await sandbox.send(group, fan, "hi")
    shown = await sandbox.send(group, admin, photo=True, caption="/guess 199 Tea set")
    (posted,) = await sandbox.wait_for(
        lambda e: e["kind"] == "sent" and e["chat_id"] == group.id and e["method"] == "sendPhoto"
    )
    assert posted["text"].startswith("🏷 Guess the price: Tea set\nSend /guess and your price")
    assert "199" not in posted["text"]
    gone = [e for e in await sandbox.events() if e["kind"] == "deleted"]
    assert shown["message"]["message_id"] in [
        m
        for e in gone
        if e["chat_id"] == group.id
        for m in e.get("message_ids", [e.get("message_id")])
    ]

    kept = await sandbox.ask_for_sender(group, bob, "/guess 188")
    assert kept["text"] == "Your guess ¥188.00 is in; the answer comes when the round closes."
    command = await sandbox.send_ephemeral_command(group, cleo, "/guess 250")
    privately = await sandbox.answer_to_ephemeral(
        group.id, cleo, command["message"]["ephemeral_message_id"]
    )
    assert privately["text"].startswith("Your guess ¥250.00 is in")
    await sandbox.ask_for_sender(group, dan, "/guess 210")
    again = await sandbox.ask_for_sender(group, bob, "/guess 100")
    assert again["text"] == "You guessed ¥188.00 already: one guess each."
    await sandbox.settle()
    for member in (cleo, dan):  # nobody reads another's guess
        seen = await sandbox.seen_by(group, member)
        assert not [m for m in seen if "188" in str(m.get("text"))], member

    revealed = await sandbox.ask(group, admin, "/guess end")
    assert revealed["text"].splitlines() == [  # Bob and Dan are both 11 off: Bob was first
        "🏷 Tea set: the price was ¥199.00.",
        "🏆 Bob guessed ¥188.00 and wins 50 points.",
        "Guesses: Bob ¥188.00 · Dan ¥210.00 · Cleo ¥250.00",
    ]
    assert (await sandbox.ask_for_sender(group, bob, "/points"))["text"] == (
        "Your balance: 50 points (lifetime 50)."
    )
    over = await sandbox.ask_for_sender(group, dan, "/guess 150")
    assert over["text"] == "No guess-the-price round is open here."


async def test_no_guess_round_starts_while_the_price_stays_shown(sandbox: SandboxClient) -> None:
    admin = await sandbox.create_user("Ada", None, "en")
    rights = {"can_pin_messages": True, "can_restrict_members": True}  # no deleting
    group = await sandbox.create_group(creator=admin, bot_rights=rights)
    await sandbox.send(group, admin, photo=True, caption="/guess 199 Tea set")
    (told,) = await sandbox.wait_for(
        lambda e: e["kind"] in ("sent", "ephemeral") and "no round started" in str(e.get("text"))
    )
    assert told["text"].startswith("I couldn't delete your message, and it shows the price")
    await sandbox.settle()
    photos = [
        e
        for e in await sandbox.events()
        if e.get("method") == "sendPhoto" and e.get("chat_id") == group.id
    ]
    assert photos == []
    assert (await sandbox.ask_for_sender(group, admin, "/guess end"))["text"] == (
        "No guess-the-price round is open here."
    )
