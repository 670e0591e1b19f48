"""The brand question through the sandbox, in a zh group: the admins write it (its answer not
left in the group), a join request is asked it privately, an answer typed with spaces and in
full-width is let in, and three wrong answers are declined; a request left unanswered is declined
and logged; a right answer the bot lost the right to approve is told so, never "approved"."""

from __future__ import annotations

from pathlib import Path

from sandbox.client import Event, SandboxClient
from sandbox.world import ADMIN_RIGHTS
from tests.e2e.conftest import Launch
from tests.e2e.test_moderation import event, happened
from tests.e2e.test_raids import sender_answer
from tests.e2e.test_welcome import english_group
from tests.e2e.test_zh_replies import zh_group
from tests.support.processes import ShiftedClock
from tests.support.untranslated import untranslated


async def test_a_join_request_answers_the_brand_question_privately(
    sandbox: SandboxClient,
) -> None:
    group, owner, _fan = await zh_group(sandbox)
    early = await sender_answer(sandbox, group, owner, "/settings verify question")
    assert early["text"].startswith("请先添加品牌问题：/captcha add <问题> = <答案>|<其他答案>")
    added = await sandbox.send(group, owner, "/captcha add 我们店叫什么名字？ = 茶小铺 | Tea Shop")
    reply = await sandbox.reply_to(group.id, added["message"]["message_id"])
    assert reply["text"] == "✅ 已添加问题 #1（2 个答案）：我们店叫什么名字？"
    await sandbox.wait_for(
        lambda e: e["kind"] == "deleted" and e["message_id"] == added["message"]["message_id"]
    )  # its answer does not stay in the group
    listed = await sandbox.ask(group, owner, "/captcha list")
    assert listed["text"].splitlines()[1] == "#1 我们店叫什么名字？ → 茶小铺、Tea Shop"
    assert "<tg-spoiler>" in listed["html"]
    saved = await sandbox.ask(group, owner, "/settings verify question")
    assert saved["text"].startswith("✅")
    shown = (await sandbox.ask(group, owner, "/settings moderation"))["text"]
    assert "入群验证：品牌问题" in shown

    eve = await sandbox.create_user("小红", None, "zh-hans")
    frank = await sandbox.create_user("阿强", None, "zh-hans")
    for user in (eve, frank):
        await sandbox.request_join(group, user)
    asked = await sandbox.wait_for(
        lambda e: e["kind"] == "sent" and e["chat_id"] in (eve.id, frank.id), count=2
    )
    for question in asked:
        assert "<b>我们店叫什么名字？</b>" in question["html"]
        assert question["text"].endswith("你有 3 次机会，限时 5 分钟。")
        assert question["reply_markup"] is None  # typed, not pressed
        assert untranslated(question["text"]) == []
    answered = await sandbox.send_private(eve, "ｔｅａ  shop")  # full-width, any case, spaced
    right = await sandbox.reply_to(eve.id, answered["message"]["message_id"])
    assert right["text"] == "✅ 谢谢！你加入 粉丝福利群 的申请已通过。"
    assert await happened(sandbox, event("join_approved", group.id, eve.id))
    assert (await sandbox.chat(group.id))["members"][str(eve.id)] == "member"

    said = []
    for guess in ("奶茶店", "咖啡店", "不知道"):
        wrong = await sandbox.send_private(frank, guess)
        said.append((await sandbox.reply_to(frank.id, wrong["message"]["message_id"]))["text"])
    assert said == [
        "❌ 答案不对，还可以再试 2 次。",
        "❌ 答案不对，还可以再试 1 次。",
        "❌ 答案不对，你加入 粉丝福利群 的申请已被拒绝，可以稍后重新申请。",
    ]
    assert all(untranslated(text) == [] for text in said)
    assert await happened(sandbox, event("join_declined", group.id, frank.id))
    assert str(frank.id) not in (await sandbox.chat(group.id))["members"]
    late = await sandbox.send_private(frank, "茶小铺")  # no question waits any more
    assert (
        await sandbox.quiet_for(
            2, lambda e: e["kind"] == "sent" and e["reply_to"] == late["message"]["message_id"]
        )
        == []
    )
    log = (await sandbox.ask(group, owner, "/modlog"))["text"]
    assert "小红 · " in log
    assert "阿强 · " in log


async def test_a_brand_question_left_unanswered_declines_the_request(
    launch: Launch, tmp_path: Path
) -> None:
    clock = ShiftedClock(tmp_path)
    sandbox, _bot = await launch(**clock.env(), BACKGROUND_CHECK_SECONDS="1")
    group, admin = await english_group(sandbox)
    log = await sandbox.create_group("Mod log", creator=admin)
    await sandbox.ask(group, admin, f"/settings log_channel {log.id}")
    await sandbox.ask(group, admin, "/captcha add What do we sell? = tea")
    assert (await sandbox.ask(group, admin, "/settings verify question"))["text"].startswith("✅")
    gus = await sandbox.create_user("Gus", None, "en")
    await sandbox.request_join(group, gus)
    (question,) = await sandbox.wait_for(lambda e: e["kind"] == "sent" and e["chat_id"] == gus.id)
    assert question["text"].endswith("You have 3 tries and 5 minutes.")
    await clock.advance(310)  # the five minutes pass
    await sandbox.wait_for(event("join_declined", group.id, gus.id), timeout=40)
    # Logged once Telegram took the decline (an admin may have let Gus in meanwhile).
    await sandbox.wait_for(
        lambda e: e["kind"] == "sent" and e["chat_id"] == log.id and "Gus" in e["text"]
    )
    said = (await sandbox.ask(group, admin, "/modlog"))["text"]
    assert "Gus · join request declined" in said


async def test_a_right_answer_the_bot_can_no_longer_approve_is_not_called_approved(
    sandbox: SandboxClient,
) -> None:
    group, admin = await english_group(sandbox)
    await sandbox.ask(group, admin, "/captcha add What do we sell? = tea")
    assert (await sandbox.ask(group, admin, "/settings verify question"))["text"].startswith("✅")
    hana = await sandbox.create_user("Hana", None, "en")
    await sandbox.request_join(group, hana)
    await sandbox.wait_for(lambda e: e["kind"] == "sent" and e["chat_id"] == hana.id)
    # An owner takes "Add members" away before Hana answers: the admins are told then.
    lacking = {right: right != "can_invite_users" for right in ADMIN_RIGHTS}
    await sandbox.set_bot_status(group, "administrator", by=admin, rights=lacking)

    def notice(e: Event) -> bool:
        return e["kind"] == "sent" and e["chat_id"] == group.id and "join requests" in e["text"]

    (told,) = await sandbox.wait_for(notice)
    assert told["text"].startswith("⚠️ Admins:")
    answered = await sandbox.send_private(hana, "Tea")
    said = await sandbox.reply_to(hana.id, answered["message"]["message_id"])
    assert said["text"] == (
        "✅ Right! But Tea Fans can't let you in just now: I lack a right there. The admins "
        "have been told; your request waits for them."
    )
    assert await sandbox.quiet_for(3, notice) == []  # told once
    assert str(hana.id) not in (await sandbox.chat(group.id))["members"]
