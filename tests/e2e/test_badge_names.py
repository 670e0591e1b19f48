"""A milestone badge typed by its Chinese name (issue 37): in a zh group `/reward add …
badge=首次购物` makes a reward for the `first_buy` milestone's holders, shown by its name, and
`/badge give @user 首次购物` gives that milestone, not a new badge of the same name."""

from __future__ import annotations

from sandbox.client import SandboxClient
from tests.e2e.test_first_day import fan_group
from tests.e2e.test_shop import press


async def test_a_milestone_typed_by_its_chinese_name_is_the_milestone(
    sandbox: SandboxClient,
) -> None:
    group, admin, (bob,) = await fan_group(sandbox, "Bob", language="zh")
    await sandbox.ask(group, admin, "/settings language zh")
    await sandbox.send(group, bob, "你好")
    await sandbox.settle()
    added = await sandbox.ask(group, admin, "/reward add 马克杯 price=10 kind=gift badge=首次购物")
    assert added["text"].startswith("✅ 已添加奖励 #"), added["text"]
    rewards = await sandbox.ask(group, admin, "/rewards")
    assert "🎖首次购物" in rewards["text"].splitlines()[1]
    shop = await sandbox.ask(group, bob, "/shop")
    _toast, shown = await press(sandbox, group, shop, bob, "🔒 🎁 马克杯")
    assert shown is not None
    assert "🎖 持有徽章「首次购物」的成员专享" in shown["text"].splitlines()

    given = await sandbox.ask(group, admin, "/badge give @bob_fan ＦＩＲＳＴ_ＢＵＹ")
    assert given["text"] == "🎖 Bob 获得徽章「首次购物」。"
    again = await sandbox.ask(group, admin, "/badge give @bob_fan 首次购物")
    assert again["text"] == "🎖 Bob 已有徽章「首次购物」。"
    counts = await sandbox.ask_for_sender(group, admin, "/badges")
    assert counts["text"].count("首次购物") == 1
    taken = await sandbox.ask(group, admin, "/badge take @bob_fan First_purchase")
    assert taken["text"] == "🎖 已收回 Bob 的徽章「首次购物」。"
