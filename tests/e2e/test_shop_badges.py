"""A shop reward for a badge's holders (`/reward add … badge=<name>`) through the sandbox: a
badge nobody holds is refused when the reward is made, the item says what it asks for, a
member without the badge is refused with nothing taken, and redeems once given it."""

from __future__ import annotations

from sandbox.client import SandboxClient
from tests.e2e.test_first_day import fan_group
from tests.e2e.test_shop import press, redeem_in_shop
from tests.e2e.test_standing import field


async def test_a_badge_reward_refuses_a_member_until_an_admin_gives_the_badge(
    sandbox: SandboxClient,
) -> None:
    group, admin, (bob, cleo) = await fan_group(sandbox, "Bob", "Cleo")
    await sandbox.ask(group, admin, "/settings language en")
    for fan in (bob, cleo):
        await sandbox.send(group, fan, "hi")
    await sandbox.settle()  # known by @username once their messages are handled
    unknown = await sandbox.ask_for_sender(group, admin, "/reward add Mug price=10 badge=tea")
    first = unknown["text"].splitlines()[0]
    assert first.startswith("No such badge: give it first (/badge give), or use one of these:")
    assert "first_buy" in first
    await sandbox.ask(group, admin, "/badge give @cleo_fan tea")
    added = await sandbox.ask(group, admin, "/reward add Mug price=10 kind=gift badge=tea")
    assert added["text"].startswith("✅ Reward #"), added["text"]
    await sandbox.ask(group, admin, "/points @bob_fan +50 welcome")

    shop = await sandbox.ask(group, bob, "/shop")
    assert shop["reply_markup"]["inline_keyboard"][0][0]["text"] == "🔒 🎁 Mug · 10"
    _toast, shown = await press(sandbox, group, shop, bob, "🔒 🎁 Mug")
    assert shown is not None
    assert "🎖 For holders of the badge “tea”" in shown["text"].splitlines()
    refused = await redeem_in_shop(sandbox, group, bob, "🔒 🎁 Mug")
    assert refused["text"] == "Needs the badge “tea” to redeem; the admins give it."
    assert field(await sandbox.ask_for_sender(group, bob, "/me"), "Points:") == "50 (lifetime 50)"

    given = await sandbox.ask(group, admin, "/badge give @bob_fan tea")
    assert given["text"] == "🎖 Bob got the badge tea."
    done = await redeem_in_shop(sandbox, group, bob, "🔒 🎁 Mug")
    assert done["text"].splitlines()[0] == "✅ Redeemed: Mug · -10 points, balance 40."
    rewards = await sandbox.ask(group, admin, "/rewards")
    number, line = rewards["text"].splitlines()[1].split(" ", 1)  # the bot is shared: any #
    assert (number.startswith("#"), line.startswith("🎁 Mug 🎖tea · 10 pts")) == (True, True)
