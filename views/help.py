"""What /help says: the command lists, rendered once per language and kind of reader (each
description is a lazy translation; twenty of them rendered per /help cost more than the rest
of the reply)."""

from __future__ import annotations

import re
from functools import lru_cache
from html import escape, unescape

from aiogram.utils.i18n import get_i18n
from aiogram.utils.i18n import gettext as _

from infrastructure.commands import commands_for

# Telegram's limit for a message's text, counted after its HTML is parsed.
MESSAGE_LIMIT = 4096


def help_texts(reader: str) -> tuple[str, ...]:
    """The /help answer for a member in a group, an admin there, or someone in private, in the
    language of the update being answered: one message, or (an admin's, once the lists
    outgrow a message) the member and admin commands in one each."""
    return _rendered(get_i18n().current_locale, reader)


@lru_cache(maxsize=32)
def _rendered(locale: str, reader: str) -> tuple[str, ...]:
    # `locale` is the key only: the translations below read the same current locale.
    parts = [[_("<b>Commands</b>")]]
    parts[0] += [
        f"/{spec.name} — {escape(str(spec.description))}" for spec in commands_for(admin=False)
    ]
    if reader == "admin":
        parts.append([_("<b>Admin commands</b>")])
        parts[-1] += [f"/{spec.name} — {escape(str(spec.description))}"
                      for spec in commands_for(admin=True) if spec.admin]  # fmt: skip
    elif reader == "private":
        parts[0] += ["", _("Admins see their commands when they send /help in their group.")]
    parts[-1] += ["", _("/help &lt;command&gt; shows how to use one.")]
    whole = "\n\n".join("\n".join(part) for part in parts)
    if shown_length(whole) <= MESSAGE_LIMIT:
        return (whole,)
    return tuple("\n".join(part) for part in parts)


def shown_length(html: str) -> int:
    """The length of `html`'s text as Telegram counts it (UTF-16 code units, tags left out)."""
    text = unescape(re.sub(r"<[^>]+>", "", html))
    return len(text.encode("utf-16-le")) // 2
