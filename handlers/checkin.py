"""The daily sign-in: /checkin, the keywords (签到, 打卡, checkin), the button on posts, and its
section of /settings (`/settings checkin …`)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from html import escape

from aiogram import Bot, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, Message, User
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __
from aiogram.utils.i18n import ngettext
from sqlalchemy.ext.asyncio import AsyncSession

from infrastructure.commands import CommandSpec, usage_reply
from infrastructure.filters import is_private, refuses_chatter
from infrastructure.middlewares.commands import CommandMiddleware
from infrastructure.sender_only import answer_press, for_sender
from infrastructure.settings_sections import SettingsSection
from infrastructure.transactions import commit_so_far
from services.chat_settings import BadSetting
from services.chats import ChatProfile
from services.checkin_results import (
    AlreadySignedIn,
    MakeupRefused,
    SignedIn,
    SignInRequest,
    Silenced,
    StreakRow,
)
from services.checkin_rules import CheckinRules, set_checkin_rule
from services.checkins import CheckinService, SignInGroupCommit
from views.keyboards import CheckinButton, checkin_keyboard
from views.numbers import number
from views.private import sign_in_in_the_group
from views.settings import out_of_range
from views.wording import listed


@refuses_chatter
async def is_keyword(message: Message, chat_profile: ChatProfile) -> bool:
    """The whole message is one of the chat's sign-in words (any case, spaces around), from a
    member (an anonymous admin or a channel has nobody to sign in)."""
    return (
        message.text is not None
        and message.sender_chat is None
        and chat_profile.checkin_rules.is_keyword(message.text)
    )


async def checkin_command(
    message: Message,
    command: CommandObject,
    checkins: CheckinService,
    sign_ins: SignInGroupCommit,
    session: AsyncSession,
    chat_profile: ChatProfile,
    bot: Bot,
) -> None:
    """/checkin, /checkin makeup, /checkin top"""
    action, user = (command.args or "").strip().lower(), message.from_user
    if user is None or not chat_profile.is_group or action not in ("", "makeup", "top"):
        await message.reply(usage_reply("checkin"))
        return
    if action == "top":
        text = await render_top(checkins, chat_profile)
        await message.reply(text, reply_markup=checkin_keyboard())
        return
    if message.sender_chat is not None:
        await message.reply(_("Anonymous admins can't sign in: send it as yourself."))
        return
    if action == "makeup":
        await message.reply(for_sender(await make_up(checkins, chat_profile, user)))
        return
    await sign_by_message(message, sign_ins, session, chat_profile)


async def keyword_in_private(message: Message) -> None:
    """签到 in a private chat: a sign-in is a public act (today's rank), so it earns nothing
    here and the member hears where it happens."""
    await message.reply(sign_in_in_the_group())


async def checkin_keyword(
    message: Message,
    sign_ins: SignInGroupCommit,
    session: AsyncSession,
    chat_profile: ChatProfile,
) -> None:
    """A sign-in word: the answer is the sender's (`for_sender`); in a quiet group the word
    goes away a minute later."""
    await sign_by_message(message, sign_ins, session, chat_profile)


async def sign_by_message(
    message: Message,
    sign_ins: SignInGroupCommit,
    session: AsyncSession,
    profile: ChatProfile,
) -> Message:
    assert message.from_user is not None
    result = await sign(sign_ins, session, profile, message.from_user)
    return await message.reply(for_sender(result))


async def checkin_button(
    query: CallbackQuery,
    sign_ins: SignInGroupCommit,
    session: AsyncSession,
    chat_profile: ChatProfile,
    bot: Bot,
) -> None:
    """A sign-in by button answers with a toast (or, when longer, only to the presser): the
    group stays quiet."""
    if not chat_profile.is_group:
        await query.answer(_("Sign in inside the group."))
        return
    result = await sign(sign_ins, session, chat_profile, query.from_user)
    await answer_press(query, bot, chat_profile, result)


async def sign(
    sign_ins: SignInGroupCommit,
    session: AsyncSession,
    profile: ChatProfile,
    user: User,
) -> str:
    await commit_so_far(session)  # the sign-in is written in a shared transaction
    request = SignInRequest(
        profile.program_id, user.id, profile.timezone, profile.checkin_rules, group_id=profile.id
    )
    result = await sign_ins.check_in(request)
    if isinstance(result, AlreadySignedIn):
        return already_text(result, sign_ins.clock.now())
    if isinstance(result, Silenced):
        return silenced_text(result.until, sign_ins.clock.now())
    return signed_text(result)  # a tier reached is congratulated through the outbox


def signed_text(result: SignedIn) -> str:
    text = ngettext(
        "✅ Signed in! Day {streak} of your streak · +{points} point · #{rank} today.",
        "✅ Signed in! Day {streak} of your streak · +{points} points · #{rank} today.",
        result.reward,
    ).format(streak=result.streak, points=number(result.reward), rank=result.rank)
    if result.milestone:
        text += "\n" + _("🎉 {days}-day milestone: +{bonus} bonus!").format(
            days=result.streak, bonus=result.milestone
        )
    return text


def already_text(result: AlreadySignedIn, now: datetime) -> str:
    minutes = max(1, int((result.next_at - now).total_seconds() // 60))
    return _(
        "You've already signed in today (#{rank}). Next sign-in in {hours} h {minutes} min."
    ).format(rank=result.rank, hours=minutes // 60, minutes=minutes % 60)


def silenced_text(until: datetime, now: datetime) -> str:
    """A muted or banned member's sign-in (by the morning post's button) pays nothing."""
    minutes = max(1, int((until - now).total_seconds() // 60))
    if minutes > 366 * 24 * 60:
        return _("You are restricted here: sign-ins earn nothing.")
    return _(
        "You are muted here for {hours} h {minutes} min: sign-ins earn nothing meanwhile."
    ).format(hours=minutes // 60, minutes=minutes % 60)


async def make_up(checkins: CheckinService, profile: ChatProfile, user: User) -> str:
    rules = profile.checkin_rules
    try:
        made = await checkins.make_up(profile.program_id, user.id, profile.timezone, rules)
    except MakeupRefused as refused:
        if refused.reason == "points":
            return ngettext(
                "A make-up costs {cost} point; you have {balance}.",
                "A make-up costs {cost} points; you have {balance}.",
                rules.makeup_cost,
            ).format(cost=number(rules.makeup_cost), balance=number(refused.balance))
        if refused.reason == "limit":
            return _("You've used your {limit} make-ups this month.").format(
                limit=rules.makeup_per_month
            )
        return ngettext(
            "No missed day to make up in the last {days} day.",
            "No missed day to make up in the last {days} days.",
            rules.makeup_days,
        ).format(days=rules.makeup_days)
    return ngettext(
        "✅ Made up {day}: -{cost} points. Your streak is {streak} day. Balance: {balance}.",
        "✅ Made up {day}: -{cost} points. Your streak is {streak} days. Balance: {balance}.",
        made.streak,
    ).format(
        day=made.day.strftime("%m-%d"), cost=number(made.cost), streak=made.streak,
        balance=number(made.balance),
    )  # fmt: skip


async def render_top(checkins: CheckinService, profile: ChatProfile) -> str:
    streaks = await checkins.longest_streaks(profile.program_id, profile.timezone)
    first = await checkins.first_today(profile.program_id, profile.timezone)
    count = await checkins.count_today(profile.program_id, profile.timezone)
    lines = [_("🔥 <b>Longest streaks</b>")]
    lines += ranked(streaks, streak_days) or [_("Nobody is on a streak yet.")]
    lines += ["", _("🌅 <b>First today</b> ({count} signed in)").format(count=number(count))]
    lines += ranked(first, None) or [_("Nobody has signed in today yet.")]
    return "\n".join(lines)


def streak_days(days: int) -> str:
    return ngettext("{days} day", "{days} days", days).format(days=days)


def ranked(rows: list[StreakRow], detail: Callable[[int], str] | None) -> list[str]:
    return [
        f"{place}. {escape(row.name or str(row.user_id))}"
        + (f" — {detail(row.streak)}" if detail else "")
        for place, row in enumerate(rows, start=1)
    ]


async def change_checkin_rules(message: Message, setting: list[str], session: AsyncSession) -> bool:
    """/settings checkin <name> <value>: numbers, keywords, milestones."""
    args = setting[1:]
    if len(args) != 2:
        await message.reply(usage_reply("settings", "checkin"))
        return False
    name, value = args[0].lower(), args[1]
    try:
        await set_checkin_rule(session, message.chat.id, name, value)
    except BadSetting:
        limits = CheckinRules.LIMITS.get(name)
        await message.reply(
            out_of_range(name, limits) if limits else usage_reply("settings", "checkin")
        )
        return False
    reply = _("✅ Sign-in setting {name} is now {value}.").format(
        name=f"<code>{name}</code>", value=f"<code>{escape(value)}</code>"
    )
    await message.reply(reply)
    return True


def checkin_summary(profile: ChatProfile) -> list[str]:
    """Sign-in in one line of the `/settings` overview; its page has the rest."""
    rules = profile.checkin_rules
    return [
        _("Sign-in: {base} points, +1 a day up to +{cap}; make-up {cost} points").format(
            base=rules.base, cap=rules.streak_cap, cost=rules.makeup_cost
        )
    ]


def checkin_settings(profile: ChatProfile) -> list[str]:
    rules = profile.checkin_rules
    return [
        _(
            "Sign-in: {base} points, +1 a day up to +{cap}, milestones {milestones}; "
            "words: {keywords}; make-up {cost} points, {days} days back, {limit} a month"
        ).format(
            base=rules.base,
            cap=rules.streak_cap,
            milestones=listed([f"{d}:{b}" for d, b in rules.milestones]),
            keywords=listed([f"<code>{escape(word)}</code>" for word in rules.keywords]),
            cost=rules.makeup_cost,
            days=rules.makeup_days,
            limit=rules.makeup_per_month,
        ),
        _("Quiet sign-ins (messages deleted after a minute): {quiet}").format(
            quiet={"on": _("on"), "off": _("off")}.get(
                rules.quiet, _("automatic (over 200 members)")
            )
        ),
    ]


SETTINGS_SECTION = SettingsSection(
    ("checkin",),
    change_checkin_rules,
    checkin_summary,
    usage=(
        __("/settings checkin base|streak_cap|makeup_cost|makeup_days|makeup_per_month <number>"),
        __("/settings checkin keywords <a,b>"),
        __("/settings checkin milestones <7:20,30:100>"),
    ),
    title=__("Sign-in"),
    details=checkin_settings,
)


COMMANDS = (
    CommandSpec(
        "checkin",
        __("Sign in for today (or say 签到); make up a missed day; streak leaders"),
        usage="/checkin [makeup|top]",
    ),
)


def create_router() -> Router:
    router = Router(name="checkin")
    router.message.middleware(CommandMiddleware())  # outside `commands`: its own sender scope
    router.message.register(checkin_command, Command("checkin"))
    router.message.register(keyword_in_private, is_keyword, is_private)
    router.message.register(checkin_keyword, is_keyword)
    router.callback_query.register(checkin_button, CheckinButton.filter())
    return router
