"""What the bot says about a member's rights over their data: `/mydata`, `/forgetme`, and an
admin's `/forget`. The confirmations say what goes and what stays."""

from __future__ import annotations

from html import escape

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _

from views.keyboards import Button


class ForgetButton(Button, prefix="forget"):
    """Erase (`go`) or cancel; `admin`: an admin's /forget, for the group's program only."""

    user: int
    go: bool
    admin: bool = False


def private_pointer(
    bot_username: str, deep_link: str, text: str
) -> tuple[str, InlineKeyboardMarkup]:
    button = InlineKeyboardButton(
        text=_("📩 Open our chat"), url=f"https://t.me/{bot_username}?start={deep_link}"
    )
    return text, InlineKeyboardMarkup(inline_keyboard=[[button]])


def data_pointer_text() -> str:
    return _("Your data are private: I'll send them in our chat.")


def forget_pointer_text() -> str:
    return _("Erasing your data is done in our private chat, where you confirm it.")


def data_caption() -> str:
    return _(
        "Everything fanbot holds about you, as JSON. Your coupon codes are in it: keep it to "
        "yourself."
    )


def data_file_name(user_id: int) -> str:
    return f"fanbot-mydata-{user_id}.json"


def what_goes_and_stays() -> str:
    return _(
        "<b>Goes:</b> names and usernames, labels and notes the admins wrote, shop nickname "
        "bindings, the reasons given for warnings and bans, gift delivery notes, the buyer "
        "name on orders.\n"
        "<b>Stays:</b> points and their history (the ledger must balance), sign-ins, orders' "
        "amounts, draw entries (past draws stay verifiable; the draw's page says "
        '"erased member"), other members\' history. The bot names you again if you write '
        "again."
    )


def forgetme_confirm_text() -> str:
    return "\n".join([_("⚠️ Erase your personal data from fanbot?"), what_goes_and_stays()])


def forget_confirm_text(name: str) -> str:
    return "\n".join([
        _("⚠️ Erase {name}'s personal data in this group's program?").format(name=escape(name)),
        what_goes_and_stays(),
    ])  # fmt: skip


def forget_keyboard(user_id: int, admin: bool) -> InlineKeyboardMarkup:
    erase = ForgetButton(user=user_id, go=True, admin=admin).pack()
    cancel = ForgetButton(user=user_id, go=False, admin=admin).pack()
    return InlineKeyboardMarkup(inline_keyboard=[[
        InlineKeyboardButton(text=_("🗑 Erase"), callback_data=erase),
        InlineKeyboardButton(text=_("Cancel"), callback_data=cancel),
    ]])  # fmt: skip


def erased_text() -> str:
    return _("✅ Your personal data are erased. Your points stay yours.")


def forgotten_text(user_id: int) -> str:
    return _(
        "✅ The personal data of member {id} are erased in this program (see /modlog)."
    ).format(id=user_id)


def cancelled_text() -> str:
    return _("Cancelled: nothing was erased.")


def not_yours_text() -> str:
    return _("This button is not yours.")


def not_admin_text() -> str:
    return _("Only the group's admins can erase a member's data.")
