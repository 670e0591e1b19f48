"""Referrals: /invite gives a member their own invite link, /invite top ranks the inviters;
`/settings referral <points>` sets what a friend who stays earns them.

Joins and leaves through those links are seen in `handlers/lifecycle.py`; rewards are paid by
`workflows/referrals.py` once the friend has stayed a day and talked.
"""

from __future__ import annotations

from html import escape

from aiogram import Bot, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command, CommandObject
from aiogram.types import Message, User
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __
from aiogram.utils.i18n import ngettext
from sqlalchemy.ext.asyncio import AsyncSession

from infrastructure.commands import CommandSpec, usage_reply
from infrastructure.settings_sections import SettingsSection
from services.chat_settings import BadSetting
from services.chats import ChatProfile
from services.referral_rules import ReferralRules, set_referral_reward
from services.referrals import ReferralService
from views.numbers import MEDALS, number
from views.rights import INVITE
from views.settings import out_of_range
from workflows.rights import RightsNotices

LINK_NAME_LENGTH = 32  # Telegram's limit for an invite link's name


async def invite(
    message: Message,
    command: CommandObject,
    referrals: ReferralService,
    chat_profile: ChatProfile,
    notices: RightsNotices,
    bot: Bot,
) -> None:
    """/invite, /invite top"""
    action, user = (command.args or "").strip().lower(), message.from_user
    if user is None or not chat_profile.is_group or action not in ("", "top"):
        await message.reply(usage_reply("invite"))
        return
    if action == "top":
        await message.reply(await render_top(referrals, chat_profile, user))
        return
    if message.sender_chat is not None:
        await message.reply(_("Anonymous admins can't invite: send it as yourself."))
        return
    link = await referrals.link_of(chat_profile.id, user.id)
    if link is None:
        try:
            created = await bot.create_chat_invite_link(
                chat_profile.id, name=user.full_name[:LINK_NAME_LENGTH]
            )
        except TelegramBadRequest as error:
            await message.reply(_("I can't create invite links here yet; the admins will hear."))
            await notices.failed(bot, chat_profile.id, INVITE, "create an invite link", error)
            return
        link = created.invite_link
        await referrals.save_link(chat_profile.id, user.id, link)
    await message.reply(
        _("🔗 Your invite link: {link}").format(link=escape(link))
        + "\n"
        + ngettext(
            "A friend who joins through it, stays a day and says hello earns you {points} point.",
            "A friend who joins through it, stays a day and says hello earns you {points} points.",
            chat_profile.referral_rules.reward,
        ).format(points=number(chat_profile.referral_rules.reward))
    )


async def render_top(referrals: ReferralService, profile: ChatProfile, user: User) -> str:
    inviters = await referrals.top(profile.id)
    lines = [_("🤝 <b>Top inviters</b>")]
    if not inviters:
        lines.append(_("No confirmed referrals yet. Get your link with /invite."))
    for place, inviter in enumerate(inviters, start=1):
        badge = MEDALS[place - 1] if place <= len(MEDALS) else f"{place}."
        lines.append(
            f"{badge} {escape(inviter.name or str(inviter.user_id))} — {inviter.confirmed}"
        )
    mine = await referrals.counts(profile.id, user.id)
    lines += [
        "",
        _("You: {confirmed} confirmed, {pending} waiting").format(
            confirmed=mine.confirmed, pending=mine.pending
        ),
    ]
    return "\n".join(lines)


async def change_referral_reward(
    message: Message, setting: list[str], session: AsyncSession
) -> bool:
    """/settings referral <points>"""
    args = setting[1:]
    if len(args) != 1 or not args[0].isdigit():
        await message.reply(usage_reply("settings", "referral"))
        return False
    try:
        await set_referral_reward(session, message.chat.id, int(args[0]))
    except BadSetting:
        await message.reply(out_of_range("referral", ReferralRules.LIMITS))
        return False
    await message.reply(
        ngettext(
            "✅ A friend who joins through a member's link now earns them {points} point.",
            "✅ A friend who joins through a member's link now earns them {points} points.",
            int(args[0]),
        ).format(points=number(int(args[0])))
    )
    return True


def referral_settings(profile: ChatProfile) -> list[str]:
    reward = profile.referral_rules.reward
    return [
        ngettext(
            "Referral reward: {points} point per friend who stays a day and talks",
            "Referral reward: {points} points per friend who stays a day and talks",
            reward,
        ).format(points=number(reward))
    ]


SETTINGS_SECTION = SettingsSection(
    ("referral",),
    change_referral_reward,
    referral_settings,
    usage=(__("/settings referral <points>"),),
    title=__("Referrals"),
)


COMMANDS = (
    CommandSpec(
        "invite",
        __("Your own invite link: earn points for friends who join and stay"),
        usage="/invite · /invite top",
    ),
)


def create_router() -> Router:
    router = Router(name="referrals")
    router.message.register(invite, Command("invite"))
    return router
