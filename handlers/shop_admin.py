"""The shop's admin commands: stocking it (/reward add|edit|pause|resume|del|codes, /rewards)
and seeing to what members redeemed (/coupon used, /gifts, /gift sent)."""

from __future__ import annotations

from html import escape

from aiogram import Bot, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import Command, CommandObject
from aiogram.types import Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __

from handlers.refusal import admins_only
from infrastructure.commands import CommandSpec, problem_reply, usage_reply
from infrastructure.filters import IsAdmin
from infrastructure.middlewares.commands import ONCE
from services.chats import ChatProfile
from services.fulfilment import FulfilmentService
from services.reward_codes import MAX_FILE_BYTES, generated_codes, read_codes
from services.reward_specs import ShopInputError, parse_changes, parse_reward
from services.shop import RewardNotFound, ShopService
from services.tiers import TierService
from views.shop import gifts_for_admins, imported, input_problem, shelf_for_admins

ACTIONS = ("add", "edit", "pause", "resume", "del", "codes")


async def is_management(message: Message, command: CommandObject) -> bool:
    words = (command.args or "").split(maxsplit=1)
    return bool(words) and words[0].lower() in ACTIONS


async def manage_reward(
    message: Message,
    command: CommandObject,
    shop: ShopService,
    tiers: TierService,
    chat_profile: ChatProfile,
    bot: Bot,
) -> None:
    """/reward add|edit|pause|resume|del|codes …"""
    if not chat_profile.is_group:
        await message.reply(_("The shop runs inside a group."))
        return
    action, _space, rest = (command.args or "").strip().partition(" ")
    action, rest = action.lower(), rest.strip()
    chat_id = chat_profile.program_id  # the shop is the program's
    try:
        if action == "add":
            spec = parse_reward(rest, await tiers.ladder(chat_id))
            replied = message.reply_to_message
            image = replied.photo[-1].file_id if replied and replied.photo else None
            assert message.from_user is not None
            reward = await shop.add(chat_id, message.from_user.id, spec, image)
            reply = _("✅ Reward #{id} added: {name}.").format(id=reward.id, name=escape(spec.name))
            if spec.kind == "coupon":
                reply += "\n" + _(
                    "Add its codes: send a file with the caption /reward codes {id}, "
                    "or /reward codes {id} generate 100."
                ).format(id=reward.id)
        elif action == "edit":
            reward_id, options = reward_id_and_rest(rest)
            changes = parse_changes(options, await tiers.ladder(chat_id))
            reward = await shop.edit(chat_id, reward_id, changes)
            reply = _("✅ Reward #{id} changed.").format(id=reward.id)
        elif action in ("pause", "resume"):
            reward_id, extra = reward_id_and_rest(rest)
            if extra:
                raise ShopInputError("id")
            reward = await shop.set_paused(chat_id, reward_id, action == "pause")
            reply = (
                _("⏸ Reward #{id} is paused.")
                if action == "pause"
                else _("▶️ Reward #{id} is back.")
            ).format(id=reward.id)
        elif action == "del":
            reward_id, extra = reward_id_and_rest(rest)
            if extra:
                raise ShopInputError("id")
            reward = await shop.delete(chat_id, reward_id)
            reply = _("🗑 Reward #{id} is off the shelf; codes already issued stay valid.").format(
                id=reward.id
            )
        else:
            reply = await add_codes(message, rest, shop, chat_id, bot)
    except ShopInputError as bad:
        reply = problem_reply(input_problem(bad), "reward", action)
    except RewardNotFound as missing:
        reply = _("There is no reward #{id} here. /rewards lists them.").format(id=missing.args[0])
    await message.reply(reply)


async def add_codes(message: Message, rest: str, shop: ShopService, chat_id: int, bot: Bot) -> str:
    """`codes <id>` with a file (the message's or the one it replies to), or `codes <id>
    generate N [prefix=X]`."""
    reward_id, extra = reward_id_and_rest(rest)
    words = extra.split()
    if words and words[0].lower() == "generate":
        if len(words) not in (2, 3) or not words[1].isdigit():
            raise ShopInputError("count")
        prefix = words[2].removeprefix("prefix=") if len(words) == 3 else ""
        codes = generated_codes(int(words[1]), prefix)
        file = read_codes("\n".join(codes).encode())
    elif words:
        raise ShopInputError("file", "no file")
    else:
        document = message.document or (
            message.reply_to_message.document if message.reply_to_message else None
        )
        if document is None:
            raise ShopInputError("file", "no file")
        if (document.file_size or 0) > MAX_FILE_BYTES:
            raise ShopInputError("file", "too big")
        await shop.reward(chat_id, reward_id)  # an unknown reward before a download
        try:
            data = await bot.download(document.file_id)
        except TelegramAPIError:
            raise ShopInputError("file", "unreadable") from None
        assert data is not None
        file = read_codes(data.read())
    result = await shop.add_codes(chat_id, reward_id, file)
    reward = await shop.reward(chat_id, reward_id)
    free = (await shop.free_codes([reward_id])).get(reward_id, 0)
    return imported(result, reward, free)


def reward_id_and_rest(text: str) -> tuple[int, str]:
    first, _space, rest = text.partition(" ")
    first = first.removeprefix("#")
    if not first.isascii() or not first.isdigit() or len(first) > 12:
        raise ShopInputError("id")
    return int(first), rest.strip()


async def mark_used(
    message: Message,
    command: CommandObject,
    fulfilment: FulfilmentService,
    chat_profile: ChatProfile,
) -> None:
    """/coupon used <code>: an admin saw the coupon used (until orders mark it themselves).
    The answer never repeats the code: it is a group message."""
    words = (command.args or "").split()
    if len(words) != 2 or words[0].lower() != "used" or len(words[1]) > 64:
        await message.reply(usage_reply("coupon"))
        return
    if message.chat.type == "private":
        await message.reply(_("Mark coupons used in their group."))
        return
    outcome, redemption = await fulfilment.mark_used(chat_profile.program_id, words[1])
    if outcome == "unknown":
        reply = _("No coupon of this group has that code.")
    elif outcome == "free":
        reply = _("That code was never handed out; it is still in the pool.")
    elif outcome == "already" and redemption is not None and redemption.used_at is not None:
        reply = _("That coupon was already marked used on {day}.").format(
            day=redemption.used_at.strftime("%Y-%m-%d")
        )
    else:
        reply = _("✅ Coupon marked used.")
    await message.reply(reply)


async def list_gifts(
    message: Message, fulfilment: FulfilmentService, chat_profile: ChatProfile
) -> None:
    """/gifts: what members redeemed and wait for, with the details they left."""
    if not chat_profile.is_group:
        await message.reply(_("The shop runs inside a group."))
        return
    await message.reply(gifts_for_admins(await fulfilment.gifts_to_send(chat_profile.program_id)))


async def gift_sent(
    message: Message,
    command: CommandObject,
    fulfilment: FulfilmentService,
    chat_profile: ChatProfile,
) -> None:
    """/gift sent <number>: the gift went out; its member is told privately."""
    words = (command.args or "").split()
    if len(words) != 2 or words[0].lower() != "sent" or not words[1].lstrip("#").isdigit():
        await message.reply(usage_reply("gift"))
        return
    done = await fulfilment.gift_sent(chat_profile.program_id, int(words[1].lstrip("#")))
    if done is None:
        await message.reply(_("No gift #{id} waits to be sent here. /gifts lists them.").format(
            id=words[1].lstrip("#")[:12]))  # fmt: skip
        return
    await message.reply(_("📦 Gift #{id} marked sent.").format(id=done.id))


async def reward_usage(message: Message) -> None:
    await message.reply(usage_reply("reward"))


async def list_rewards(message: Message, shop: ShopService, chat_profile: ChatProfile) -> None:
    rewards = await shop.shelf(chat_profile.program_id, with_paused=True)
    free = await shop.free_codes([reward.id for reward in rewards])
    await message.reply(shelf_for_admins(rewards, free))


COMMANDS = (
    CommandSpec(
        "reward",
        __("Stock the points shop: add, edit, pause or delete a reward; add its codes"),
        usage=__(
            "/reward add <name> price=<points> [stock=N] [limit=N] [per=day|week|month|ever] "
            "[min_tier=<tier>] [badge=<badge>] [kind=coupon|gift|perk] [valid=30d] · "
            "/reward edit <id> <options> · "
            "/reward pause|resume|del <id> · "
            "/reward codes <id> (with a file) · "
            "/reward codes <id> generate 100 [prefix=FAN]"
        ),
        admin=True,
    ),
    CommandSpec(
        "rewards",
        __("The shop's rewards: stock, redeemed, points spent"),
        usage="/rewards",
        admin=True,
    ),
    CommandSpec(
        "coupon",
        __("Mark a coupon used by hand (its code is not repeated)"),
        usage=__("/coupon used <code>"),
        admin=True,
    ),
    CommandSpec(
        "gifts",
        __("The redeemed gifts waiting to be sent, with their details"),
        usage="/gifts",
        admin=True,
    ),
    CommandSpec(
        "gift",
        __("Mark a gift sent: its member is told privately"),
        usage=__("/gift sent <number>"),
        admin=True,
    ),
)


def create_router() -> Router:
    router = Router(name="shop_admin")
    router.message.register(manage_reward, Command("reward"), is_management, IsAdmin(), flags=ONCE)
    router.message.register(admins_only, Command("reward"), is_management)
    router.message.register(reward_usage, Command("reward"), IsAdmin())
    router.message.register(list_rewards, Command("rewards"), IsAdmin())
    router.message.register(mark_used, Command("coupon"), IsAdmin(), flags=ONCE)
    router.message.register(list_gifts, Command("gifts"), IsAdmin())
    router.message.register(gift_sent, Command("gift"), IsAdmin(), flags=ONCE)
    return router
