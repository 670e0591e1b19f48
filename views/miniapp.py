"""What the bot says about the Mini App (积分 / My points) in a private chat; the page's own
texts are `views/member_centre.py`'s."""

from __future__ import annotations

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, MenuButtonWebApp, WebAppInfo
from aiogram.utils.i18n import gettext as _


def mini_app_invitation() -> str:
    return _("💳 Your member centre in every group you are in: points and tier, the sign-in "
             "calendar, your orders and pending points, the shop and your coupons.")  # fmt: skip


def mini_app_keyboard(url: str) -> InlineKeyboardMarkup:
    button = InlineKeyboardButton(text=_("💳 My points"), web_app=WebAppInfo(url=url))
    return InlineKeyboardMarkup(inline_keyboard=[[button]])


def mini_app_menu_button(url: str) -> MenuButtonWebApp:
    """The private chat's menu button; one text for everyone (Telegram keeps one per chat)."""
    return MenuButtonWebApp(text=_("💳 积分 · My points"), web_app=WebAppInfo(url=url))
