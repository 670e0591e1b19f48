"""Member tags through the sandbox: with `/settings tags on` a member who reaches a tier gets it
as the tag beside their name (once, through a 429), loses it when they leave and gets it back
when they return (or, where the tag outlived the leave, has it replaced by the tier they hold
then); a tag someone chose stays; a missing right is said once, and the tags follow once it is
given."""

from __future__ import annotations

from collections.abc import Callable

from sandbox.client import Event, Group, SandboxClient, User
from sandbox.world import ADMIN_RIGHTS


def tag_set(group: Group, user: User | None = None) -> Callable[[Event], bool]:
    return lambda e: (
        e["kind"] == "tag_set"
        and e["chat_id"] == group.id
        and (user is None or e["user_id"] == user.id)
    )


async def answer(sandbox: SandboxClient, group: Group, user: User, text: str) -> Event:
    """The bot's answer to a command, whether the group sees it or only its sender."""
    sent = await sandbox.send(group, user, text)
    message_id = sent["message"]["message_id"]
    (found,) = await sandbox.wait_for(
        lambda e: (
            e["kind"] in ("sent", "ephemeral")
            and e["chat_id"] == group.id
            and e.get("reply_to") == message_id
        )
    )
    return found


async def tag_group(
    sandbox: SandboxClient, *names: str, bot_rights: dict[str, bool] | None = None
) -> tuple[Group, User, list[User]]:
    admin = await sandbox.create_user("Ada", f"ada_{names[0].lower()}_tags", "en")
    fans = [await sandbox.create_user(name, f"{name.lower()}_tags", "en") for name in names]
    group = await sandbox.create_group(creator=admin, members=fans, bot_rights=bot_rights)
    for fan in fans:
        await sandbox.send(group, fan, "hello")
    await sandbox.settle()
    return group, admin, fans


async def test_a_tier_reached_is_the_tag_until_the_member_leaves(sandbox: SandboxClient) -> None:
    group, admin, (bob, cleo) = await tag_group(sandbox, "Bob", "Cleo")
    on = await answer(sandbox, group, admin, "/settings tags on")
    assert on["text"].startswith("✅ The tag beside each member's name now shows their tier")
    await sandbox.add_fault("429", method="setChatMemberTag", retry_after=1)
    before = sandbox.cursor
    await sandbox.send(group, admin, "/points @bob_tags +150 thanks")
    (tagged,) = await sandbox.wait_for(tag_set(group, bob))
    assert tagged["tag"] == "铜牌"  # Bronze, in the group's language (the default, Chinese)
    assert (await sandbox.chat(group.id))["tags"] == {str(bob.id): "铜牌"}
    since = await sandbox.events(before)
    assert [e["fault"] for e in since if e["kind"] == "fault"] == ["429"]  # retried: set once
    assert len([e for e in since if tag_set(group, bob)(e)]) == 1

    await sandbox.set_member_status(group, bob, "left")
    await sandbox.settle()
    assert (await sandbox.chat(group.id))["tags"] == {}  # gone with the membership
    await sandbox.set_member_status(group, bob, "member")
    (back,) = await sandbox.wait_for(tag_set(group, bob))
    assert back["tag"] == "铜牌"

    # Cleo chose her own tag: her promotion leaves it; and the owner is never tagged.
    await sandbox.set_tag(group, cleo, "Tea lover")
    await sandbox.skip_past()
    await sandbox.send(group, admin, "/points @cleo_tags +600 big thanks")
    await sandbox.send(group, admin, f"/points @{admin.username} +900 the owner too")
    assert await sandbox.quiet_for(4, tag_set(group)) == []
    tags = (await sandbox.chat(group.id))["tags"]
    assert tags == {str(bob.id): "铜牌", str(cleo.id): "Tea lover"}


async def test_a_missing_right_is_said_once_and_the_tags_follow_the_grant(
    sandbox: SandboxClient,
) -> None:
    lacking = {right: right != "can_manage_tags" for right in ADMIN_RIGHTS}
    group, admin, (dan, eve) = await tag_group(sandbox, "Dan", "Eve", bot_rights=lacking)
    on = await answer(sandbox, group, admin, "/settings tags on")
    assert on["text"].splitlines()[-1] == (
        "• I can't set members' tags, so tiers don't show beside their names. "
        "Give me the “Manage tags” right."
    )
    await sandbox.send(group, admin, "/points @dan_tags +150 thanks")
    await sandbox.send(group, admin, "/points @eve_tags +150 thanks")

    def notice(e: Event) -> bool:
        return e["kind"] == "sent" and e["chat_id"] == group.id and "管理标签" in e["text"]

    (told,) = await sandbox.wait_for(notice)
    assert told["text"].startswith("⚠️ 管理员请注意：")
    assert await sandbox.quiet_for(4, notice) == []  # Eve's tag failed too: not told again
    assert (await sandbox.chat(group.id))["tags"] == {}

    await sandbox.set_bot_status(
        group, "administrator", by=admin, rights={**lacking, "can_manage_tags": True}
    )
    tagged = await sandbox.wait_for(tag_set(group), count=2)
    assert sorted((e["user_id"], e["tag"]) for e in tagged) == [(dan.id, "铜牌"), (eve.id, "铜牌")]


async def test_a_tag_that_outlived_leaving_is_replaced_by_the_tier_held_on_return(
    sandbox: SandboxClient,
) -> None:
    """Telegram does not say whether a tag outlives leaving: here the group keeps it, and Fay
    comes back a tier higher; the bot's old tag is recognised as its own and replaced."""
    group, admin, (fay,) = await tag_group(sandbox, "Fay")
    await sandbox.keep_tags(group)
    await answer(sandbox, group, admin, "/settings tags on")
    await sandbox.send(group, admin, "/points @fay_tags +150 thanks")
    (tagged,) = await sandbox.wait_for(tag_set(group, fay))
    assert tagged["tag"] == "铜牌"
    await sandbox.set_member_status(group, fay, "left")
    await sandbox.settle()
    await sandbox.send(group, admin, "/points @fay_tags +400 her order arrived")
    assert await sandbox.quiet_for(3, tag_set(group)) == []  # nothing while she is away
    await sandbox.set_member_status(group, fay, "member")
    (back,) = await sandbox.wait_for(tag_set(group, fay))
    assert back["tag"] == "银牌"
    assert (await sandbox.chat(group.id))["tags"] == {str(fay.id): "银牌"}
