"""/settings: an admin reads or changes the group's time zone, language and points rules."""

from __future__ import annotations

from html import escape

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import Message
from aiogram.utils.i18n import I18n, ngettext
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from infrastructure.commands import problem_reply, usage_of, usage_reply
from infrastructure.directory import ChatDirectory
from infrastructure.filters import IsAdmin
from infrastructure.middlewares.commands import ONCE
from infrastructure.transactions import after_commit, forget_after_commit
from scheduler.core import Scheduler
from services.cadence_rules import set_cadence as set_cadence_in
from services.chat_settings import BadSetting
from services.chats import LANGUAGES, ChatProfile, ChatService, UnknownLanguage, UnknownTimezone
from services.checkin_rules import CheckinRules
from services.checkin_rules import set_checkin_rule as set_checkin_rule_in
from services.guards import MODERATION_SECTIONS, BadRule, parse_rule
from services.message_rules import MessageRules
from services.message_rules import set_points_rule as set_points_rule_in
from services.moderation_settings import set_moderation as set_moderation_in
from services.order_rules import OrderRules
from services.order_rules import set_order_rule as set_order_rule_in
from services.referral_rules import ReferralRules
from services.referral_rules import set_referral_reward as set_referral_reward_in
from services.tiers import TierService
from services.topic_rules import set_daily_topic as set_daily_topic_in
from views.moderation import moderation_settings
from views.numbers import number


async def settings(
    message: Message,
    command: CommandObject,
    chats: ChatService,
    chat_profile: ChatProfile,
    session: AsyncSession,
    directory: ChatDirectory,
    scheduler: Scheduler,
    tiers: TierService,
    i18n: I18n,
) -> None:
    """/settings, /settings timezone <tz>, /settings language <zh|en|auto>, and sections."""
    args = (command.args or "").split()
    if not args:
        await message.reply(render_settings(chat_profile))
        return
    if args[0].lower() in ("orders", "tiers") or args[:2] == ["points", "purchase"]:
        if await set_order_rule(message, args, session, tiers):
            forget_after_commit(session, directory, message.chat.id)
            after_commit(session, lambda: tiers.forget(message.chat.id))
        return
    if args[0].lower() == "points":
        await set_points_rule(message, args[1:], session)
        forget_after_commit(session, directory, message.chat.id)
        return
    if args[0].lower() == "checkin":
        await set_checkin_rule(message, args[1:], session)
        forget_after_commit(session, directory, message.chat.id)
        return
    if args[0].lower() == "cadence":
        if await set_cadence(message, args[1:], session):
            forget_after_commit(session, directory, message.chat.id)
            after_commit(session, scheduler.reload_soon)
        return
    if args[0].lower() == "daily_topic":
        if len(args) != 2 or args[1].lower() not in ("on", "off"):
            await message.reply(usage_reply("settings", "daily_topic"))
            return
        daily = args[1].lower() == "on"
        await set_daily_topic_in(session, message.chat.id, daily)
        forget_after_commit(session, directory, message.chat.id)
        await message.reply(
            _("✅ The morning post now opens the next queued topic (see /topic queue).")
            if daily
            else _("✅ The morning post no longer opens a topic.")
        )
        return
    if args[0].lower() in MODERATION_SECTIONS:
        await set_moderation_rule(message, args[0].lower(), args[1:], session)
        forget_after_commit(session, directory, message.chat.id)
        return
    if args[:1] == ["moderation"] and len(args) == 1:
        await message.reply("\n".join(moderation_settings(chat_profile.moderation)))
        return
    if args[0].lower() == "referral":
        await set_referral_reward(message, args[1:], session)
        forget_after_commit(session, directory, message.chat.id)
        return
    if len(args) != 2 or args[0].lower() not in ("timezone", "language"):
        await message.reply(usage_reply("settings", args[0]))
        return
    name, value = args[0].lower(), args[1]
    try:
        if name == "timezone":
            await chats.set_timezone(message.chat.id, value)
            reply = _("Time zone set to {timezone}.").format(timezone=escape(value))
        else:
            language = None if value.lower() == "auto" else value.lower()
            await chats.set_language(message.chat.id, language)
            with i18n.use_locale(language or i18n.current_locale):
                reply = _("Language set to {language}.").format(language=language_name(language))
    except UnknownTimezone:
        reason = _('Unknown time zone "{name}"; e.g. Asia/Shanghai or Europe/London.').format(
            name=escape(value[:64])
        )
        await message.reply(problem_reply(reason, "settings", "timezone"))
        return
    except UnknownLanguage:
        reason = _("I don't speak \"{name}\": zh, en, or auto (each member's own).").format(
            name=escape(value[:16])
        )
        await message.reply(problem_reply(reason, "settings", "language"))
        return
    forget_after_commit(session, directory, message.chat.id)
    await message.reply(reply)


async def set_points_rule(message: Message, args: list[str], session: AsyncSession) -> None:
    """/settings points message|cooldown|daily_cap <number>"""
    if len(args) != 2 or args[0].lower() not in MessageRules.LIMITS or not args[1].isdigit():
        await message.reply(usage_reply("settings", "points"))
        return
    name, value = args[0].lower(), int(args[1])
    try:
        await set_points_rule_in(session, message.chat.id, name, value)
    except BadSetting:
        await message.reply(out_of_range(name, MessageRules.LIMITS[name]))
        return
    await message.reply(
        _("✅ Points setting {name} is now {value}.").format(name=name, value=value)
    )


async def set_order_rule(
    message: Message, args: list[str], session: AsyncSession, tiers: TierService
) -> bool:
    """/settings points purchase <n> · orders return_days <n> · tiers basis points|spend"""
    section = args[0].lower()
    if len(args) != 3:
        await message.reply(usage_reply("settings", section))
        return False
    name, raw = args[1].lower(), args[2].lower()
    wanted = {"points": "purchase", "orders": "return_days", "tiers": "basis"}[section]
    if name != wanted or (name != "basis" and not (raw.isascii() and raw.isdigit())):
        await message.reply(usage_reply("settings", section))
        return False
    try:
        if name == "basis":
            await set_order_rule_in(session, message.chat.id, "tier_basis", raw)
        else:
            await set_order_rule_in(session, message.chat.id, name, int(raw))
    except BadSetting:
        if name == "basis":
            await message.reply(usage_reply("settings", section))
        else:
            await message.reply(out_of_range(name, OrderRules.LIMITS[name]))
        return False
    if name == "basis":
        moved = await tiers.rerank(message.chat.id, raw)
        reply = (
            _("✅ Tiers now go by what members paid in the shop (thresholds in yuan).")
            if raw == "spend"
            else _("✅ Tiers now go by lifetime points.")
        )
        reply += " " + ngettext(
            "{n} member changed tier.", "{n} members changed tier.", moved
        ).format(n=number(moved))
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


async def set_checkin_rule(message: Message, args: list[str], session: AsyncSession) -> None:
    """/settings checkin <name> <value>: numbers, keywords, milestones."""
    if len(args) != 2:
        await message.reply(usage_reply("settings", "checkin"))
        return
    name, value = args[0].lower(), args[1]
    try:
        await set_checkin_rule_in(session, message.chat.id, name, value)
    except BadSetting:
        limits = CheckinRules.LIMITS.get(name)
        await message.reply(
            out_of_range(name, limits) if limits else usage_reply("settings", "checkin")
        )
        return
    reply = _("✅ Sign-in setting {name} is now {value}.").format(name=name, value=escape(value))
    await message.reply(reply)


async def set_cadence(message: Message, args: list[str], session: AsyncSession) -> bool:
    """/settings cadence morning|reminder|digest <HH:MM|off>"""
    if len(args) != 2:
        await message.reply(usage_reply("settings", "cadence"))
        return False
    part = args[0].lower()
    try:
        at = await set_cadence_in(session, message.chat.id, part, args[1])
    except BadSetting:
        await message.reply(usage_reply("settings", "cadence"))
        return False
    names = {"morning": _("The morning post"), "reminder": _("The sign-in reminder"),
             "digest": _("The evening digest")}  # fmt: skip
    reply = (
        _("✅ {part} goes out at {time}.").format(part=names[part], time=at)
        if at
        else _("✅ {part} is off.").format(part=names[part])
    )
    await message.reply(reply)
    return True


async def set_moderation_rule(
    message: Message, section: str, args: list[str], session: AsyncSession
) -> None:
    """/settings verify|flood|links|warns|log_channel|night …"""
    try:
        values = parse_rule(section, args)
    except BadRule:
        await message.reply(usage_reply("settings", section))
        return
    await set_moderation_in(session, message.chat.id, values)
    await message.reply(_("✅ Saved. /settings moderation shows every moderation setting."))


async def set_referral_reward(message: Message, args: list[str], session: AsyncSession) -> None:
    """/settings referral <points>"""
    if len(args) != 1 or not args[0].isdigit():
        await message.reply(usage_reply("settings", "referral"))
        return
    try:
        await set_referral_reward_in(session, message.chat.id, int(args[0]))
    except BadSetting:
        await message.reply(out_of_range("referral", ReferralRules.LIMITS))
        return
    await message.reply(
        ngettext(
            "✅ A friend who joins through a member's link now earns them {points} point.",
            "✅ A friend who joins through a member's link now earns them {points} points.",
            int(args[0]),
        ).format(points=number(int(args[0])))
    )


def out_of_range(name: str, limits: tuple[int, int]) -> str:
    low, high = limits
    return _("{name} must be between {low} and {high}.").format(name=name, low=low, high=high)


def language_name(language: str | None) -> str:
    names = {"zh": "中文", "en": "English"}
    return names.get(language or "", _("each member's own"))


def render_settings(profile: ChatProfile) -> str:
    return "\n".join(
        [
            _("<b>Settings for {title}</b>").format(title=escape(profile.title)),
            _("Time zone: {timezone}").format(timezone=escape(profile.timezone)),
            _("Language: {language}").format(language=language_name(profile.language)),
            _(
                "Message points: {points} per message, at most one every {cooldown} s, "
                "up to {cap} a day"
            ).format(
                points=profile.message_rules.points,
                cooldown=profile.message_rules.cooldown,
                cap=profile.message_rules.daily_cap,
            ),
            _(
                "Sign-in: {base} points, +1 a day up to +{cap}, milestones {milestones}; "
                "words: {keywords}; make-up {cost} points, {days} days back, {limit} a month"
            ).format(
                base=profile.checkin_rules.base,
                cap=profile.checkin_rules.streak_cap,
                milestones=", ".join(f"{d}:{b}" for d, b in profile.checkin_rules.milestones),
                keywords=escape(", ".join(profile.checkin_rules.keywords)),
                cost=profile.checkin_rules.makeup_cost,
                days=profile.checkin_rules.makeup_days,
                limit=profile.checkin_rules.makeup_per_month,
            ),
            _("Quiet sign-ins (messages deleted after a minute): {quiet}").format(
                quiet=profile.checkin_rules.quiet
            ),
            ngettext(
                "Referral reward: {points} point per friend who stays a day and talks",
                "Referral reward: {points} points per friend who stays a day and talks",
                profile.referral_rules.reward,
            ).format(points=number(profile.referral_rules.reward)),
            _(
                "Daily posts: morning {morning}, sign-in reminder {reminder}, digest {digest}"
            ).format(
                morning=profile.cadence.morning or _("off"),
                reminder=profile.cadence.reminder or _("off"),
                digest=profile.cadence.digest or _("off"),
            ),
            _("Daily topic from the queue: {daily}").format(
                daily=_("on") if profile.topic_rules.daily else _("off")
            ),
            ngettext(
                "Orders: {points} point per yuan, counted {days} days after payment; "
                "tiers by {basis}",
                "Orders: {points} points per yuan, counted {days} days after payment; "
                "tiers by {basis}",
                profile.order_rules.purchase,
            ).format(
                points=number(profile.order_rules.purchase),
                days=profile.order_rules.return_days,
                basis=_("spend (yuan)")
                if profile.order_rules.tier_basis == "spend"
                else _("lifetime points"),
            ),
            "",
            _("Change them with {usage}").format(usage=usage_of("settings")),
            _("Languages: {languages}, or auto").format(languages=", ".join(LANGUAGES)),
        ]
    )


def create_router() -> Router:
    router = Router(name="settings")
    router.message.register(settings, Command("settings"), IsAdmin(), flags=ONCE)
    return router
