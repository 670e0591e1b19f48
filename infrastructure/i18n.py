"""gettext i18n read straight from the .po catalogues, so there is no compiled file to go stale."""

from __future__ import annotations

import gettext
from collections.abc import Iterator
from contextlib import contextmanager
from io import BytesIO
from pathlib import Path
from typing import Any

from aiogram.types import TelegramObject, User
from aiogram.utils.i18n import I18n, I18nMiddleware
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from services.chats import LANGUAGES, ChatProfile

LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"


class CatalogI18n(I18n):
    def find_locales(self) -> dict[str, gettext.GNUTranslations]:
        translations: dict[str, gettext.GNUTranslations] = {}
        for po_path in sorted(self.path.glob(f"*/LC_MESSAGES/{self.domain}.po")):
            with po_path.open("rb") as po_file:
                catalog = read_po(po_file, locale=po_path.parent.parent.name)
            buffer = BytesIO()
            write_mo(buffer, catalog)
            buffer.seek(0)
            translations[po_path.parent.parent.name] = gettext.GNUTranslations(buffer)
        return translations


# aiogram's `gettext` helpers read I18n's own context variable, and every subclass of its
# ContextInstanceMixin gets a new one: share the base class's, or `_()` finds no context.
_CONTEXT_VARIABLE = "_ContextInstanceMixin__context_instance"
setattr(CatalogI18n, _CONTEXT_VARIABLE, getattr(I18n, _CONTEXT_VARIABLE))


def create_i18n(default_language: str) -> CatalogI18n:
    return CatalogI18n(path=LOCALES_DIR, default_locale=default_language, domain="messages")


def language_of(user: User | None) -> str | None:
    return spoken(user.language_code) if user is not None else None


def spoken(language_code: str | None) -> str | None:
    """Telegram's `language_code` ("zh-hans", "en-US") reduced to a language fanbot speaks."""
    if not language_code:
        return None
    code = language_code.split("-")[0].lower()
    return code if code in LANGUAGES else None


def reply_language(profile: ChatProfile | None, user: User | None, default: str) -> str:
    """The chat's language if an admin set one, else the sender's, else the default."""
    if profile is not None and profile.language:
        return profile.language
    return language_of(user) or default


@contextmanager
def speaking(i18n: I18n, profile: ChatProfile | None) -> Iterator[None]:
    """gettext in the group's language outside any update (posts nobody's message asked for)."""
    with i18n.context(), i18n.use_locale(reply_language(profile, None, i18n.default_locale)):
        yield


class ChatLanguageMiddleware(I18nMiddleware):
    async def get_locale(self, event: TelegramObject, data: dict[str, Any]) -> str:
        return reply_language(
            data.get("chat_profile"), data.get("event_from_user"), self.i18n.default_locale
        )
