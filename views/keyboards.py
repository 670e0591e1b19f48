"""Buttons that more than one feature posts."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup


class CheckinButton(CallbackData, prefix="checkin"):
    """The "签到 / Check in" button that posts carry (sign-in lists, the morning post, the
    reminder); pressing it signs the presser in."""


def checkin_keyboard() -> InlineKeyboardMarkup:
    button = InlineKeyboardButton(text="签到 / Check in", callback_data=CheckinButton().pack())
    return InlineKeyboardMarkup(inline_keyboard=[[button]])
