"""What the bot says about the Mini App (积分 / My points) in a private chat, and the member's
card as the Mini App's page reads it (`web/static/miniapp.js`)."""

from __future__ import annotations

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, MenuButtonWebApp, WebAppInfo
from aiogram.utils.i18n import gettext as _

from services.member_card import MemberCard


def mini_app_invitation() -> str:
    return _("💳 Your points, tier, coupons, sign-in calendar and the shop, for every group "
             "you are in: open your card.")  # fmt: skip


def mini_app_keyboard(url: str) -> InlineKeyboardMarkup:
    button = InlineKeyboardButton(text=_("💳 My points"), web_app=WebAppInfo(url=url))
    return InlineKeyboardMarkup(inline_keyboard=[[button]])


def mini_app_menu_button(url: str) -> MenuButtonWebApp:
    """The private chat's menu button; one text for everyone (Telegram keeps one per chat)."""
    return MenuButtonWebApp(text=_("💳 积分 · My points"), web_app=WebAppInfo(url=url))


def card_fields(card: MemberCard, language: str) -> dict[str, object]:
    """The card's fields the page shows (the same card as /me's), named as the page reads them."""
    return {
        "balance": card.points,
        "streak": card.streak,
        "tier": card.tier.label(language) if card.tier else None,
        "next_tier": card.next_tier.label(language) if card.next_tier else None,
        "to_next": card.to_next,
        "progress": round(card.progress, 4),
    }
