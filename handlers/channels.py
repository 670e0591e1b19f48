"""Channels (渠道活码): `/invitelink` lists the group's channels, `/invitelink new <name>
[requests]` makes a named invite link for one place the group is shown, `/invitelink revoke
<name>` stops it. Joins through them are noted in `handlers/lifecycle.py`; `/stats channels`
(`handlers/stats.py`) and the console's Channels page show what each brought.

Links are not secret (they are printed on parcel cards), so the answers go to the group.
"""

from __future__ import annotations

from aiogram import Bot, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command, CommandObject
from aiogram.types import Message
from aiogram.utils.i18n import lazy_gettext as __

from infrastructure.commands import CommandSpec, problem_reply, usage_reply
from infrastructure.filters import IsAdmin
from infrastructure.middlewares.commands import ONCE
from services.channels import BadChannelName, ChannelService
from services.chats import ChatProfile
from views import channels as view
from views.rights import INVITE
from workflows.rights import RightsNotices

REQUESTS = "requests"  # the word that makes a link ask to join


async def invitelink(
    message: Message,
    command: CommandObject,
    channels: ChannelService,
    chat_profile: ChatProfile,
    notices: RightsNotices,
    bot: Bot,
) -> None:
    """/invitelink · /invitelink new <name> [requests] · /invitelink revoke <name>"""
    action, _space, rest = (command.args or "").strip().partition(" ")
    action, rest = action.lower(), " ".join(rest.split())
    if not chat_profile.is_group or action not in ("", "new", "revoke"):
        await message.reply(usage_reply("invitelink"))
        return
    if action == "":
        await message.reply(view.channel_list(await channels.of_group(chat_profile.id)))
    elif action == "new":
        name, asks = rest, False
        if name.lower() == REQUESTS or name.lower().endswith(" " + REQUESTS):
            name, asks = name[: -len(REQUESTS)].rstrip(), True
        await new_channel(message, name, asks, channels, chat_profile, notices, bot)
    else:
        await revoke_channel(message, rest, channels, chat_profile, notices, bot)


async def new_channel(
    message: Message,
    name: str,
    asks: bool,
    channels: ChannelService,
    profile: ChatProfile,
    notices: RightsNotices,
    bot: Bot,
) -> None:
    try:
        await channels.check_name(profile.id, name)
    except BadChannelName as bad:
        await message.reply(problem_reply(view.name_problem(str(bad)), "invitelink", "new"))
        return
    try:
        made = await bot.create_chat_invite_link(
            profile.id, name=name, creates_join_request=asks or None
        )
    except TelegramBadRequest as error:
        await message.reply(await refused(bot, profile, notices, "create an invite link", error))
        return
    by = message.from_user.id if message.from_user else 0
    channel = await channels.create(
        profile.id, profile.program_id, name, made.invite_link, creates_join_request=asks, by=by
    )
    if channel is None:  # another admin took the name meanwhile: their link stays, not this one
        await bot.revoke_chat_invite_link(profile.id, made.invite_link)
        await message.reply(problem_reply(view.name_problem("taken"), "invitelink", "new"))
        return
    await message.reply(view.channel_made(channel))


async def revoke_channel(
    message: Message,
    name: str,
    channels: ChannelService,
    profile: ChatProfile,
    notices: RightsNotices,
    bot: Bot,
) -> None:
    channel = await channels.named(profile.id, name) if name else None
    if channel is None:
        reason = view.no_such_channel(name) if name else view.name_problem("empty")
        await message.reply(problem_reply(reason, "invitelink", "revoke"))
        return
    if channel.revoked_at is not None:
        await message.reply(view.already_revoked(channel))
        return
    try:
        await bot.revoke_chat_invite_link(profile.id, channel.link)
    except TelegramBadRequest as error:
        await message.reply(await refused(bot, profile, notices, "revoke an invite link", error))
        return
    await channels.revoke(channel)
    await message.reply(view.channel_revoked(channel, await channels.joins(channel.id)))


async def refused(
    bot: Bot, profile: ChatProfile, notices: RightsNotices, what: str, error: TelegramBadRequest
) -> str:
    """Why Telegram said no: the missing right (the admins hear of it once too), or its words."""
    if await notices.failed(bot, profile.id, INVITE, what, error):
        return view.cannot_invite()
    return view.telegram_refused(error.message)


async def channel_stats(message: Message, profile: ChatProfile, channels: ChannelService) -> None:
    """/stats channels: what each channel brought."""
    figures = await channels.figures(profile.id, profile.program_id)
    await message.reply(view.channel_stats(profile.title, figures))


COMMANDS = (
    CommandSpec(
        "invitelink",
        __("Channels: a named invite link for each place you show the group, and its joins"),
        usage=__("/invitelink · /invitelink new <name> [requests] · /invitelink revoke <name>"),
        admin=True,
    ),
)


def create_router() -> Router:
    router = Router(name="channels")
    router.message.register(invitelink, Command("invitelink"), IsAdmin(), flags=ONCE)
    return router
