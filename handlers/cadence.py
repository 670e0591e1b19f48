"""The daily posts' times: the `/settings cadence` section. The posts themselves are planned by
`scheduler/cadence.py` and rendered by `views/cadence.py`."""

from __future__ import annotations

from aiogram.types import Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __
from sqlalchemy.ext.asyncio import AsyncSession

from infrastructure.commands import usage_reply
from infrastructure.settings_sections import SettingsSection
from infrastructure.transactions import after_commit
from scheduler.core import Scheduler
from services.cadence_rules import set_cadence
from services.chat_settings import BadSetting
from services.chats import ChatProfile


async def change_cadence(
    message: Message, setting: list[str], session: AsyncSession, scheduler: Scheduler
) -> bool:
    """/settings cadence morning|reminder|digest <HH:MM|off>"""
    args = setting[1:]
    if len(args) != 2:
        await message.reply(usage_reply("settings", "cadence"))
        return False
    part = args[0].lower()
    try:
        at = await set_cadence(session, message.chat.id, part, args[1])
    except BadSetting:
        await message.reply(usage_reply("settings", "cadence"))
        return False
    after_commit(session, scheduler.reload_soon)  # the jobs follow the chats' times
    names = {"morning": _("The morning post"), "reminder": _("The sign-in reminder"),
             "digest": _("The evening digest")}  # fmt: skip
    reply = (
        _("✅ {part} goes out at {time}.").format(part=names[part], time=at)
        if at
        else _("✅ {part} is off.").format(part=names[part])
    )
    await message.reply(reply)
    return True


def cadence_settings(profile: ChatProfile) -> list[str]:
    cadence = profile.cadence
    return [
        _("Daily posts: morning {morning}, sign-in reminder {reminder}, digest {digest}").format(
            morning=cadence.morning or _("off"),
            reminder=cadence.reminder or _("off"),
            digest=cadence.digest or _("off"),
        )
    ]


SETTINGS_SECTION = SettingsSection(
    ("cadence",),
    change_cadence,
    cadence_settings,
    usage=(__("/settings cadence morning|reminder|digest <HH:MM|off>"),),
    title=__("Daily posts"),
)
