"""Distributors and commission (分销): `/distributor` (admins make members distributors, each
with a personal link, a channel, and optionally coupon codes of their own), `/commission` (a
distributor's pending, payable and paid, privately), `/payout` (an admin records money paid,
never more than payable), and the `/stats distributors` and `/export commission` answers
`handlers/stats.py` hands here. Orders become commission in `services/commission.py`."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest
from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.types import BufferedInputFile, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import get_i18n
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.targets import Target, target_of
from infrastructure.commands import CommandSpec, problem_reply, usage_reply
from infrastructure.filters import IsAdmin
from infrastructure.middlewares.commands import ONCE
from infrastructure.sender_only import for_sender
from infrastructure.settings_sections import SettingsSection
from infrastructure.transactions import commit_so_far, commit_update_so_far
from services.channels import BadChannelName, ChannelService
from services.chat_settings import BadSetting
from services.chats import ChatProfile, ChatService
from services.clock import Clock
from services.commission import CommissionService, PayoutRefused
from services.commission_figures import commission_csv, figures
from services.distribution_rules import DistributionRules, set_link_days
from services.distributors import MAX_CODES, DistributorService, parse_rate
from services.order_files import amount_in_fen
from services.reward_codes import generated_codes
from services.reward_specs import ShopInputError
from services.stats import Segment, SegmentService
from services.tiers import TierService
from views import distributors as view
from views.exports import export_needs_private, private_chat_keyboard
from views.settings import out_of_range

KOL = "kol"  # `/distributor add kol`: the KOL segment's top members


async def distributor_command(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    clock: Clock,
    distributors: DistributorService,
    channels: ChannelService,
    tiers: TierService,
    chat_profile: ChatProfile,
    bot: Bot,
) -> None:
    """/distributor · add @user [rate=8%] · add kol · remove @user · codes @user …"""
    action, *words = (command.args or "").split() or [""]
    action = action.lower() if action else ""
    program = chat_profile.program_id
    if not chat_profile.is_group or action not in ("", "add", "remove", "codes"):
        await message.reply(usage_reply("distributor"))
        return
    if action == "":
        board = await figures(session, program)
        rates = {row.user_id: row.rate_bp for row in await distributors.all(program)}
        await message.reply(view.list_text(board, rates))
        return
    rate_bp: int | None = None  # none named: a new distributor's default, else theirs stands
    for word in [w for w in words if w.lower().startswith("rate=")]:
        parsed = parse_rate(word.split("=", 1)[1])
        if parsed is None or action != "add":
            await message.reply(problem_reply(view.bad_rate_text(), "distributor", "add"))
            return
        rate_bp = parsed
        words.remove(word)
    if action == "add" and words[:1] == [KOL]:
        segments = SegmentService(session, clock)
        counted = await segments.counts(chat_profile.id)
        if counted is None or counted.day < clock.today_in(chat_profile.timezone):
            ladder = await tiers.ladder(chat_profile.id)
            await segments.recount(chat_profile.id, chat_profile.timezone, ladder)
        top = await segments.top(chat_profile.id, Segment.KOL)
        made = [Target(row.user_id, row.name) for row in top]
        for target in made:
            await add(message, target, rate_bp, chat_profile, distributors, channels, bot)
        if not made:
            await message.reply(for_sender(_("The KOL segment is empty for now.")))
        return
    found = await target_of(message, words, session, command.command)
    if isinstance(found, str):
        await message.reply(for_sender(found))
        return
    target, rest = found
    if action == "add":
        await add(message, target, rate_bp, chat_profile, distributors, channels, bot)
    elif action == "remove":
        if await distributors.remove(program, target.user_id):
            await message.reply(view.removed_text(target.name))
        else:
            await message.reply(for_sender(view.not_a_distributor_text(target.name)))
    else:
        await add_codes(message, target, rest, program, distributors)


async def add(
    message: Message,
    target: Target,
    rate_bp: int | None,
    profile: ChatProfile,
    distributors: DistributorService,
    channels: ChannelService,
    bot: Bot,
) -> None:
    """Make them a distributor (or change their rate), with a link of their own the first time."""
    by = message.from_user.id if message.from_user else 0
    row, new = await distributors.add(profile.program_id, target.user_id, rate_bp, by=by)
    link = await distributors.link_of(row)
    if link is None:
        name = view.link_name(target.name)
        try:
            await channels.check_name(profile.id, name)
        except BadChannelName:
            name = view.link_name(str(target.user_id))
        await commit_update_so_far()  # on SQLite the open transaction holds the only connection
        try:
            made = await bot.create_chat_invite_link(profile.id, name=name)
        except TelegramBadRequest:
            await message.reply(view.added_text(target.name, row.rate_bp, None, new))
            await message.reply(view.no_link_text())
            return
        channel = await channels.create(
            profile.id, profile.program_id, name, made.invite_link,
            creates_join_request=False, by=by,
        )  # fmt: skip
        if channel is not None:
            await distributors.set_link(row, channel.id)
            link = channel.link
    await message.reply(view.added_text(target.name, row.rate_bp, link, new))


async def add_codes(
    message: Message, target: Target, rest: list[str], program: int, service: DistributorService
) -> None:
    """`codes @user A B C` or `codes @user generate 5 [prefix=ANN]`."""
    if await service.distributor(program, target.user_id) is None:
        await message.reply(for_sender(view.not_a_distributor_text(target.name)))
        return
    codes = rest
    if rest[:1] == ["generate"]:
        prefix = next((w.split("=", 1)[1] for w in rest if w.startswith("prefix=")), "")
        count = rest[1] if len(rest) > 1 else ""
        try:
            codes = generated_codes(int(count) if count.isdigit() else 0, prefix)
        except ShopInputError:
            await message.reply(problem_reply(view.no_codes_text(), "distributor", "codes"))
            return
    if not codes or len(codes) > MAX_CODES or any(len(c) > 64 for c in codes):
        await message.reply(problem_reply(view.no_codes_text(), "distributor", "codes"))
        return
    taken = await service.add_codes(program, target.user_id, codes)
    await message.reply(view.codes_added_text(target.name, len(set(codes)) - len(taken), taken))


async def commission_command(
    message: Message, distributors: DistributorService, chats: ChatService, bot: Bot
) -> None:
    """/commission: privately, what the member earned selling; in a group, a link there."""
    if message.from_user is None:
        return
    if message.chat.type == "private":
        await message.reply(await commission_reading(message.from_user.id, distributors, chats))
        return
    me = await bot.me()
    button = InlineKeyboardButton(
        text=view.open_commission(), url=f"https://t.me/{me.username}?start=commission"
    )
    await message.reply(
        for_sender(view.commission_is_private()),
        reply_markup=InlineKeyboardMarkup(inline_keyboard=[[button]]),
    )


async def commission_by_link(
    message: Message, distributors: DistributorService, chats: ChatService, bot: Bot
) -> None:
    """/start commission: the private chat's button; typed in a group, the pointer (what a
    distributor earns, their link and codes are not for the group)."""
    if message.chat.type != "private":
        await commission_command(message, distributors, chats, bot)
        return
    assert message.from_user is not None
    await message.answer(await commission_reading(message.from_user.id, distributors, chats))


async def commission_reading(
    user_id: int, distributors: DistributorService, chats: ChatService
) -> str:
    standings = await distributors.standings(user_id)
    named = []
    for standing in standings:
        profile = await chats.profile(standing.program_id)
        named.append((standing, profile.title if profile else str(standing.program_id)))
    return view.commission_text(named)


async def payout_command(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    commission: CommissionService,
    distributors: DistributorService,
    chat_profile: ChatProfile,
) -> None:
    """/payout @user <amount> <reference>"""
    words = (command.args or "").split()
    found = await target_of(message, words, session, command.command)
    if not chat_profile.is_group or isinstance(found, str):
        await message.reply(for_sender(found) if isinstance(found, str) else usage_reply("payout"))
        return
    target, rest = found
    if len(rest) < 2:
        await message.reply(usage_reply("payout"))
        return
    fen = amount_in_fen(rest[0])
    if not fen:
        await message.reply(problem_reply(view.bad_amount_text(), "payout"))
        return
    reference = " ".join(rest[1:])[:64]
    by = message.from_user.id if message.from_user else 0
    program = chat_profile.program_id
    try:
        sums = await commission.payout(program, target.user_id, fen, reference, by=by)
    except PayoutRefused as refused:
        row = await distributors.distributor(program, target.user_id)
        text = view.payout_refused_text(str(refused), target.name, row.payable_fen if row else 0)
        await message.reply(for_sender(text))
        return
    await message.reply(view.payout_text(target.name, fen, reference, sums))


async def distributor_stats(
    message: Message, profile: ChatProfile, session: AsyncSession, clock: Clock
) -> None:
    """/stats distributors: orders, GMV and commission by distributor, a leaderboard."""
    await message.reply(view.stats_text(profile.title, await figures(session, profile.program_id)))


async def commission_export(
    message: Message, profile: ChatProfile, session: AsyncSession, clock: Clock
) -> None:
    """/export commission: the commission ledger as CSV, privately to the admin."""
    user, bot = message.from_user, message.bot
    assert bot is not None
    language = get_i18n().current_locale
    data = await commission_csv(session, profile.program_id, profile.timezone, language)
    chats = ChatService(session, clock, profile.timezone)
    started = user is not None and await chats.started_privately(user.id)
    await commit_so_far(session)  # the read is done: nothing waits on the upload
    if data.count(b"\n") <= 1:  # the headers alone
        await message.reply(_("Nothing to export yet."))
        return
    if user is not None and started:
        day = clock.today_in(profile.timezone)
        document = BufferedInputFile(data, filename=f"commission-{day}.csv")
        try:
            await bot.send_document(user.id, document, caption=view.export_caption(profile.title))
            await message.reply(_("📄 Sent to you in private."))
            return
        except TelegramAPIError:
            pass  # blocked since: asked to start again, below
    me = await bot.me()
    await message.reply(
        export_needs_private(), reply_markup=private_chat_keyboard(me.username or "")
    )


async def change_link_days(
    message: Message, setting: list[str], session: AsyncSession, chat_profile: ChatProfile
) -> bool:
    """/settings distribution <days>: the program's, set in its founding group."""
    args = setting[1:]
    if len(args) != 1 or not args[0].isascii() or not args[0].isdigit():
        await message.reply(usage_reply("settings", "distribution"))
        return False
    if chat_profile.joined_program is not None:
        await message.reply(problem_reply(view.in_joined_group(), "settings", "distribution"))
        return False
    try:
        await set_link_days(session, chat_profile.program_id, int(args[0]))
    except BadSetting:
        await message.reply(out_of_range("distribution", DistributionRules.LIMITS))
        return False
    await message.reply(view.link_days_set(int(args[0])))
    return True


def distribution_settings(profile: ChatProfile) -> list[str]:
    if profile.joined_program is not None:  # its own section is not what counts
        return [view.link_days_of_program_line()]
    return [view.link_days_line(profile.rules(DistributionRules).link_days)]


SETTINGS_SECTION = SettingsSection(
    ("distribution",),
    change_link_days,
    distribution_settings,
    usage=(__("/settings distribution <days>"),),
    title=__("Distributors"),
)

COMMANDS = (
    CommandSpec(
        "distributor",
        __("Distributors (分销): a link and codes of their own, commission on what they sell"),
        usage=__(
            "/distributor · /distributor add @user [rate=8%] · /distributor add kol · "
            "/distributor remove @user · /distributor codes @user <code>… | generate <n>"
        ),
        admin=True,
    ),
    CommandSpec(
        "payout",
        __("Record a payout to a distributor, never more than payable"),
        usage=__("/payout @user <amount> <reference>"),
        admin=True,
    ),
    CommandSpec(
        "commission",
        __("Your commission as a distributor (privately)"),
        usage="/commission",
        ephemeral=True,
    ),
)


def create_router() -> Router:
    router = Router(name="distributors")
    router.message.register(
        commission_by_link, CommandStart(deep_link=True, magic=F.args == "commission")
    )
    router.message.register(distributor_command, Command("distributor"), IsAdmin(), flags=ONCE)
    router.message.register(payout_command, Command("payout"), IsAdmin(), flags=ONCE)
    router.message.register(commission_command, Command("commission"))
    return router
