"""A member's rights over their data (PIPL, GDPR): `/mydata` sends everything fanbot holds
about them as a JSON file, `/forgetme` erases their personal data once they confirm; both in
the private chat (in a group: a button to it). An admin erases a member's on request with
`/forget @user|id`, for the group's program, confirmed and logged in /modlog."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.types import BufferedInputFile, CallbackQuery, Message
from aiogram.utils.i18n import lazy_gettext as __
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.targets import target_of
from infrastructure.commands import CommandSpec
from infrastructure.filters import IsAdmin
from infrastructure.sender_only import for_sender
from services.chats import ChatProfile
from services.erasure import ErasureService
from services.member_data import MemberDataService
from services.moderation import ModerationService
from views import member_rights as view
from workflows.moderation import Moderator


async def my_data(message: Message, member_data: MemberDataService, bot: Bot) -> None:
    """/mydata: privately, the file; in a group, a button to the private chat."""
    if message.from_user is None:
        return
    if message.chat.type != "private":
        await point_to_private(message, bot, "mydata", view.data_pointer_text())
        return
    await send_data(message, member_data)


async def send_data(message: Message, member_data: MemberDataService) -> None:
    """/mydata privately, or /start mydata (the group's button)."""
    assert message.from_user is not None
    data = await member_data.export(message.from_user.id)
    document = BufferedInputFile(data.as_json(), view.data_file_name(data.user_id))
    await message.answer_document(document, caption=view.data_caption())


async def forget_me(message: Message, bot: Bot) -> None:
    """/forgetme: privately, the confirmation; in a group, a button to the private chat."""
    if message.from_user is None:
        return
    if message.chat.type != "private":
        await point_to_private(message, bot, "forgetme", view.forget_pointer_text())
        return
    await ask_to_forget(message)


async def ask_to_forget(message: Message) -> None:
    assert message.from_user is not None
    await message.answer(
        view.forgetme_confirm_text(),
        reply_markup=view.forget_keyboard(message.from_user.id, admin=False),
    )


async def point_to_private(message: Message, bot: Bot, deep_link: str, text: str) -> None:
    me = await bot.me()
    text, keyboard = view.private_pointer(me.username or "", deep_link, text)
    await message.reply(for_sender(text), reply_markup=keyboard)


async def forget_me_pressed(
    query: CallbackQuery, callback_data: view.ForgetButton, erasure: ErasureService
) -> None:
    """Erase or Cancel under the member's own /forgetme: only they can press it."""
    if callback_data.user != query.from_user.id or not isinstance(query.message, Message):
        await query.answer(view.not_yours_text())
        return
    if callback_data.go:
        await erasure.erase(callback_data.user, requested_by=query.from_user.id)
        await query.message.edit_text(view.erased_text())
    else:
        await query.message.edit_text(view.cancelled_text())
    await query.answer()


async def forget_command(message: Message, command: CommandObject, session: AsyncSession) -> None:
    """/forget @user|id (or as a reply): an admin erases a member's data, once confirmed."""
    found = await target_of(message, (command.args or "").split(), session, "forget")
    if isinstance(found, str):
        await message.reply(for_sender(found))
        return
    target, _rest = found
    # In the group, as /push's confirmation is: any admin of it may press, and a press on an
    # answer only the sender sees could not edit it.
    await message.reply(
        view.forget_confirm_text(target.name),
        reply_markup=view.forget_keyboard(target.user_id, admin=True),
    )


async def forget_pressed(
    query: CallbackQuery,
    callback_data: view.ForgetButton,
    erasure: ErasureService,
    moderation: ModerationService,
    moderator: Moderator,
    chat_profile: ChatProfile,
) -> None:
    """Erase or Cancel under an admin's /forget, pressed by an admin of the group."""
    if not isinstance(query.message, Message):
        await query.answer()
        return
    if not callback_data.go:
        await query.message.edit_text(view.cancelled_text())
        await query.answer()
        return
    user = callback_data.user
    await erasure.erase(user, requested_by=query.from_user.id, program_id=chat_profile.program_id)
    await moderator.record(moderation, chat_profile, "forget", user, actor_id=query.from_user.id)
    await query.message.edit_text(view.forgotten_text(user))
    await query.answer()


async def forget_not_admin(query: CallbackQuery) -> None:
    await query.answer(view.not_admin_text(), show_alert=True)


COMMANDS = (
    CommandSpec(
        "mydata",
        __("Everything the bot holds about you, as a file (privately)"),
        usage="/mydata",
        ephemeral=True,
    ),
    CommandSpec(
        "forgetme",
        __("Erase your personal data (privately, confirmed)"),
        usage="/forgetme",
        ephemeral=True,
    ),
)
ADMIN_COMMANDS = (
    CommandSpec(
        "forget",
        __("Erase a member's personal data on their request"),
        usage=__("/forget [@user|id]"),
        admin=True,
    ),
)


def create_router() -> Router:
    router = Router(name="member_rights")
    router.message.register(send_data, CommandStart(deep_link=True, magic=F.args == "mydata"))
    router.message.register(ask_to_forget, CommandStart(deep_link=True, magic=F.args == "forgetme"))
    router.message.register(my_data, Command("mydata"))
    router.message.register(forget_me, Command("forgetme"))
    router.message.register(forget_command, Command("forget"), IsAdmin())
    own = view.ForgetButton.filter(F.admin.is_(False))
    router.callback_query.register(forget_me_pressed, own)
    admins = view.ForgetButton.filter(F.admin.is_(True))
    router.callback_query.register(forget_pressed, admins, IsAdmin())
    router.callback_query.register(forget_not_admin, admins)
    return router
