"""Orders: an admin imports the shop's export (/orders import) or records one (/order); a
member binds their shop nickname (/bind) so their orders earn points; what orders pay and how
tiers are reached is their section of /settings (`points purchase`, `orders`, `tiers`)."""

from __future__ import annotations

import re
from html import escape

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.types import Document, Message, User
from aiogram.utils.i18n import I18n, ngettext
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.member_tags import tag_language
from handlers.refusal import admins_only, not_seen_here
from infrastructure.admins import AdminCache
from infrastructure.commands import CommandSpec, problem_reply, usage_reply
from infrastructure.filters import IsAdmin
from infrastructure.i18n import language_of
from infrastructure.middlewares.commands import ONCE
from infrastructure.replies import replied_sender
from infrastructure.settings_sections import SettingsSection
from infrastructure.transactions import after_commit
from services.bindings import MAX_BIND_TRIES, BindingService, BindStatus, Bound, OrderProof
from services.chat_settings import BadSetting
from services.chats import ChatProfile, ChatService
from services.clock import local_day
from services.member_tags import MemberTagService
from services.members import find_member
from services.order_files import (
    MAX_BUYER,
    MAX_FILE_BYTES,
    OrderFileError,
    OrderLine,
    OrderStatus,
    amount_in_fen,
)
from services.order_rules import OrderRules, set_order_rule
from services.orders import OrderService, Source
from services.tiers import TierService
from views.numbers import number, yuan
from views.orders import (
    bind_privately,
    bind_prompt,
    bound_text,
    file_problem,
    import_text,
    no_match_text,
    recorded_text,
    too_many_tries_text,
)
from views.settings import out_of_range
from views.wording import sentences
from workflows.orders import OrderIntake

AMOUNT = r"[¥￥]?[\d,]+(?:\.\d{1,2})?"  # read exactly by `amount_in_fen`
ORDER = re.compile(
    rf"^(?:(?P<target>@\w{{3,32}}|\d{{3,20}})\s+)?(?P<amount>{AMOUNT})"
    r"(?:\s+(?P<order_id>\S{1,64}))?$"
)
REFUND = re.compile(rf"^refund\s+(?P<order_id>\S{{1,64}})(?:\s+(?P<amount>{AMOUNT}))?$")
IMPORT = re.compile(r"^/orders(?:@\w+)?\s+import\s*$", re.IGNORECASE)
ADMIN_BIND = re.compile(r"^(?P<target>@\w{3,32}|\d{3,20})\s+(?P<nickname>\S.*)$")
# A member's proof: the nickname (spaces allowed), an order's number and its amount, last.
PROOF = re.compile(rf"^(?P<nickname>\S.*?)\s+(?P<order_id>\S{{1,64}})\s+(?P<amount>{AMOUNT})$")


async def orders_command(
    message: Message,
    command: CommandObject,
    bot: Bot,
    order_intake: OrderIntake,
    chat_profile: ChatProfile,
) -> None:
    """/orders import, as the caption of the export, in reply to it, or answered by it."""
    if (command.args or "").strip().lower() != "import":
        await message.reply(usage_reply("orders"))
        return
    document = message.document or (
        message.reply_to_message.document if message.reply_to_message else None
    )
    if document is None:
        await message.reply(
            _("Now send the export file as a reply to this /orders import (or with the command "
              "as its caption).")
        )  # fmt: skip
        return
    await import_document(message, document, bot, order_intake, chat_profile)


def answers_an_import(message: Message) -> bool:
    """A file sent as a reply to an `/orders import` that came without one."""
    replied = message.reply_to_message
    return (
        message.document is not None
        and replied is not None
        and IMPORT.match(replied.text or "") is not None
    )


async def import_reply(
    message: Message, bot: Bot, order_intake: OrderIntake, chat_profile: ChatProfile
) -> None:
    assert message.document is not None
    await import_document(message, message.document, bot, order_intake, chat_profile)


async def import_document(
    message: Message,
    document: Document,
    bot: Bot,
    order_intake: OrderIntake,
    chat_profile: ChatProfile,
) -> None:
    if (document.file_size or 0) > MAX_FILE_BYTES:
        await message.reply(file_problem(OrderFileError("too big")))
        return
    try:
        data = await bot.download(document.file_id)
    except TelegramAPIError:
        await message.reply(_("I couldn't download that file; send it again."))
        return
    assert data is not None
    try:
        report = await order_intake.import_file(chat_profile.program_id, data.read())
    except OrderFileError as error:
        await message.reply(file_problem(error))
        return
    await message.reply(import_text(report))


async def order_command(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    orders: OrderService,
    chat_profile: ChatProfile,
    program_profile: ChatProfile,
) -> None:
    """/order @user 199.00 [order id] (or in reply to the member) · /order refund <id> [amount]"""
    args = (command.args or "").strip()
    if refund := REFUND.match(args):
        await refund_order(message, refund["order_id"], refund["amount"], orders, chat_profile)
        return
    found = ORDER.match(args)
    amount = amount_in_fen(found["amount"]) if found else None
    if found is None or not amount:
        reason = _("Give the amount paid in yuan, e.g. 199.00.") if found else None
        await message.reply(problem_reply(reason, "order") if reason else usage_reply("order"))
        return
    if found["target"]:
        member = await find_member(session, message.chat.id, found["target"])
        if member is None:
            await message.reply(not_seen_here(found["target"]))
            return
        user_id, name = member.user_id, member.display_name or found["target"]
    else:
        replied = replied_sender(message)
        if replied is None or replied.is_bot:
            reason = _("Reply to the member's message, or name them.")
            await message.reply(problem_reply(reason, "order"))
            return
        user_id, name = replied.id, replied.full_name
    order_id = found["order_id"] or f"manual-{message.message_id}"
    line = OrderLine(0, order_id, name[:MAX_BUYER], amount, OrderStatus.PAID, None, None)
    tally = await orders.record(
        chat_profile.program_id, [line], source=Source.ADMIN, rules=program_profile.order_rules,
        timezone=chat_profile.timezone, user_id=user_id,
    )  # fmt: skip
    await message.reply(recorded_text(tally, name, amount, order_id))


async def refund_order(
    message: Message,
    order_id: str,
    amount_text: str | None,
    orders: OrderService,
    chat_profile: ChatProfile,
) -> None:
    fen = amount_in_fen(amount_text) if amount_text else None
    if amount_text and not fen:
        await message.reply(problem_reply(_("Give the refund in yuan, e.g. 50.00."), "order"))
        return
    outcome, order = await orders.refund(
        chat_profile.program_id, order_id, fen, chat_profile.timezone
    )
    if outcome == "unknown" or order is None:
        await message.reply(_("There is no order {id} here.").format(id=escape(order_id)))
    elif outcome == "already":
        await message.reply(_("Order {id} is refunded already.").format(id=escape(order_id)))
    elif outcome == "too much":
        left = order.amount_fen - order.refunded_fen
        await message.reply(
            _("Only {left} of order {id} is left to refund.").format(
                left=yuan(left), id=escape(order_id)
            )
        )
    else:
        await message.reply(
            _("↩️ Order {id}: {refunded} of {amount} refunded; its points follow.").format(
                id=escape(order_id), refunded=yuan(order.refunded_fen),
                amount=yuan(order.amount_fen),
            )
        )  # fmt: skip


async def bind_command(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    bindings: BindingService,
    chat_profile: ChatProfile,
    program_profile: ChatProfile,
    chats: ChatService,
    bot: Bot,
    admin_cache: AdminCache,
) -> None:
    """/bind @user <nickname> (an admin, in the group) · /bind <nickname> <order number>
    <amount> (a member, privately: the group's /bind sends them there)"""
    user = message.from_user
    if user is None:
        return
    args = (command.args or "").strip()
    if message.chat.type == "private":
        await bind_with_proof(message, user, args, bindings, chats, chat_profile, bot, admin_cache)
        return
    target = ADMIN_BIND.match(args)
    if target is None:
        text, markup = bind_privately((await bot.me()).username or "")
        await message.reply(text, reply_markup=markup)
        return
    if not await admin_cache.is_admin(bot, message.chat, user, message):
        await admins_only(message)  # the admin's form, from a member
        return
    nickname = target["nickname"].strip()
    if len(nickname) > MAX_BUYER or not nickname.isprintable():
        await message.reply(usage_reply("bind"))
        return
    member = await find_member(session, message.chat.id, target["target"])
    if member is None:
        await message.reply(not_seen_here(target["target"]))
        return
    bound = await bindings.bind(
        chat_profile.program_id, member.user_id, nickname, by=user.id,
        rules=program_profile.order_rules,
        timezone=chat_profile.timezone, admin=True,
    )  # fmt: skip
    await message.reply(bound_text(bound))


async def bind_with_proof(
    message: Message,
    user: User,
    args: str,
    bindings: BindingService,
    chats: ChatService,
    chat_profile: ChatProfile,
    bot: Bot,
    admin_cache: AdminCache,
) -> None:
    """Privately: the nickname is bound in each of the member's groups where the proof is one
    of its orders; a few tries a day (counted right or wrong, before the check)."""
    found = PROOF.match(args)
    amount = amount_in_fen(found["amount"]) if found else None
    nickname = found["nickname"].strip() if found else ""
    if found is None or not amount or len(nickname) > MAX_BUYER or not nickname.isprintable():
        named = args if args and ADMIN_BIND.match(args) is None and len(args) <= MAX_BUYER else None
        await message.reply(bind_prompt(named if named and named.isprintable() else None,
                                        MAX_BIND_TRIES))  # fmt: skip
        return
    groups = await bindings.orders.groups_of(user.id)
    if not groups:
        await message.reply(_("I haven't seen you in any group yet: write there first."))
        return
    used = await bindings.count_try(user.id, local_day(bindings.clock.now(), chat_profile.timezone))
    if used > MAX_BIND_TRIES:
        await message.reply(too_many_tries_text(MAX_BIND_TRIES))
        return
    proof = OrderProof(found["order_id"], amount)
    replies = []
    programs: set[int] = set()
    for chat_id, title in groups:
        profile = await chats.profile(chat_id)
        assert profile is not None
        if profile.program_id in programs:
            continue  # bound once for the program its groups share
        programs.add(profile.program_id)
        rules = (await chats.profile(profile.program_id) or profile).order_rules
        bound = await bindings.bind(
            profile.program_id, user.id, nickname, by=user.id, rules=rules,
            timezone=profile.timezone, proof=proof, language=language_of(user),
        )  # fmt: skip
        if bound.status is BindStatus.NO_MATCH:
            continue
        told = bound.status is not BindStatus.TAKEN or await tell_admins(
            bound, user.id, profile, bindings, bot, admin_cache
        )
        replies.append(bound_text(bound, title if len(groups) > 1 else None, admins_told=told))
    await message.reply(
        "\n".join(replies) if replies else no_match_text(nickname, MAX_BIND_TRIES - used)
    )


async def tell_admins(
    bound: Bound,
    claimant: int,
    profile: ChatProfile,
    bindings: BindingService,
    bot: Bot,
    admin_cache: AdminCache,
) -> bool:
    """A proven claim on a nickname another member holds goes to the group's admins."""
    try:
        admins = await admin_cache.admins_of(bot, bound.chat_id)
    except TelegramAPIError:  # the bot was removed: the log channel may still hear
        admins = frozenset()
    return await bindings.tell_claimed(
        bound, claimant, admins=admins, log_channel=profile.moderation.log_channel
    )


async def bind_by_link(message: Message) -> None:
    """`/start bind`: the link a member's /bind in the group gave; what proof to send."""
    await message.answer(bind_prompt(None, MAX_BIND_TRIES))


async def unbind_command(
    message: Message,
    command: CommandObject,
    bindings: BindingService,
    bot: Bot,
    admin_cache: AdminCache,
    chat_profile: ChatProfile,
) -> None:
    """/unbind <nickname>: the member who holds it, or an admin; their orders stay theirs."""
    nickname = (command.args or "").strip()
    if not nickname or message.from_user is None:
        await message.reply(usage_reply("unbind"))
        return
    holder = await bindings.holder(chat_profile.program_id, nickname)
    if holder is None:
        await message.reply(_("No member has bound that nickname here."))
        return
    mine = holder == message.from_user.id
    if not mine and not await admin_cache.is_admin(bot, message.chat, message.from_user, message):
        await message.reply(_("Only its holder or an admin can unbind that nickname."))
        return
    await bindings.unbind(chat_profile.program_id, nickname)
    await message.reply(_("✅ Unbound; the orders credited before stay credited."))


def create_file_router() -> Router:
    """A file answering an `/orders import` (a plain message: it reaches no command router)."""
    router = Router(name="order-files")
    router.message.register(import_reply, answers_an_import, IsAdmin())
    return router


async def change_order_rules(
    message: Message,
    setting: list[str],
    session: AsyncSession,
    tiers: TierService,
    member_tags: MemberTagService,
    chat_profile: ChatProfile,
    i18n: I18n,
) -> bool:
    """/settings points purchase <n> · orders return_days <n> · tiers basis points|spend"""
    section = setting[0].lower()
    if len(setting) != 3:
        await message.reply(usage_reply("settings", section))
        return False
    name, raw = setting[1].lower(), setting[2].lower()
    wanted = {"points": "purchase", "orders": "return_days", "tiers": "basis"}[section]
    if name != wanted or (name != "basis" and not (raw.isascii() and raw.isdigit())):
        await message.reply(usage_reply("settings", section))
        return False
    try:
        if name == "basis":
            await set_order_rule(session, chat_profile.program_id, "tier_basis", raw)
        else:
            await set_order_rule(session, chat_profile.program_id, name, int(raw))
    except BadSetting:
        if name == "basis":
            await message.reply(usage_reply("settings", section))
        else:
            await message.reply(out_of_range(name, OrderRules.LIMITS[name]))
        return False
    # The ladder cache keeps the basis.
    after_commit(session, lambda: tiers.forget(chat_profile.program_id))
    if name == "basis":
        moved = await tiers.rerank(chat_profile.program_id, raw)
        await member_tags.resync(message.chat.id, tag_language(chat_profile, i18n))
        reply = (
            _("✅ Tiers now go by what members paid in the shop (thresholds in yuan).")
            if raw == "spend"
            else _("✅ Tiers now go by lifetime points.")
        )
        reply = sentences(
            reply,
            ngettext("{n} member changed tier.", "{n} members changed tier.", moved).format(
                n=number(moved)
            ),
        )
    elif name == "purchase":
        reply = ngettext(
            "✅ Orders now earn {points} point per yuan paid.",
            "✅ Orders now earn {points} points per yuan paid.",
            int(raw),
        ).format(points=number(int(raw)))
    else:
        reply = ngettext(
            "✅ Purchase points now count {days} day after payment.",
            "✅ Purchase points now count {days} days after payment.",
            int(raw),
        ).format(days=int(raw))
    await message.reply(reply)
    return True


def order_settings(profile: ChatProfile) -> list[str]:
    rules = profile.order_rules
    return [
        ngettext(
            "Orders: {points} point per yuan, counted {days} days after payment; tiers by {basis}",
            "Orders: {points} points per yuan, counted {days} days after payment; tiers by {basis}",
            rules.purchase,
        ).format(
            points=number(rules.purchase),
            days=rules.return_days,
            basis=_("spend (yuan)") if rules.tier_basis == "spend" else _("lifetime points"),
        )
    ]


SETTINGS_SECTION = SettingsSection(
    ("orders", "tiers", "points purchase"),
    change_order_rules,
    order_settings,
    listed_as="orders|tiers",
    usage=(
        __("/settings points purchase <points per yuan>"),
        __("/settings orders return_days <days>"),
        "/settings tiers basis points|spend",
    ),
    title=__("Orders and tiers"),
)


MEMBER_COMMANDS = (
    CommandSpec(
        "bind",
        __("Bind your shop nickname (买家会员名): your orders earn points"),
        usage=(
            __(
                "/bind <shop nickname> <order number> <amount> (privately) · "
                "/bind @user <nickname> (admins)"
            )
        ),
    ),
    CommandSpec("unbind", __("Unbind a shop nickname"), usage=__("/unbind <shop nickname>")),
)

ADMIN_COMMANDS = (
    CommandSpec(
        "orders",
        __("Import the shop's orders: a Taobao/Tmall export or a plain CSV"),
        usage=__("/orders import (as the file's caption, or in reply to it)"),
        admin=True,
    ),
    CommandSpec(
        "order",
        __("Record a member's order by hand, or refund one"),
        usage=__("/order @user 199.00 [order id] · /order refund <order id> [amount]"),
        admin=True,
    ),
)


def create_router() -> Router:
    router = Router(name="orders")
    router.message.register(orders_command, Command("orders"), IsAdmin(), flags=ONCE)
    router.message.register(order_command, Command("order"), IsAdmin(), flags=ONCE)
    # The link a member's /bind in the group gives; before the `start` router.
    router.message.register(bind_by_link, CommandStart(deep_link=True, magic=F.args == "bind"))
    router.message.register(bind_command, Command("bind"), flags=ONCE)
    router.message.register(unbind_command, Command("unbind"), flags=ONCE)  # privately: private.py
    return router
