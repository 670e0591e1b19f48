"""Buttons that more than one feature posts, and `Button`, the base of every button's data."""

from __future__ import annotations

from typing import Any

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from pydantic import field_validator

from services.untrusted import fits_bigint


class Button(CallbackData, prefix="button"):
    """The callback data of every button fanbot posts. A press's data is as easy to forge as a
    message: a number that no database column holds (`claim:99999999999999999999`) does not
    parse, so the press falls through to "This button no longer works" instead of raising
    OverflowError inside a query."""

    @field_validator("*")
    @classmethod
    def _fits_the_database(cls, value: Any) -> Any:
        if isinstance(value, int) and not fits_bigint(value):
            raise ValueError("a number beyond 64 bits")
        return value


class CheckinButton(Button, prefix="checkin"):
    """The "签到 / Check in" button that posts carry (sign-in lists, the morning post, the
    reminder); pressing it signs the presser in."""


def checkin_keyboard() -> InlineKeyboardMarkup:
    button = InlineKeyboardButton(text="签到 / Check in", callback_data=CheckinButton().pack())
    return InlineKeyboardMarkup(inline_keyboard=[[button]])
