"""What /help says: the command lists, rendered once per language and kind of reader (each
description is a lazy translation; twenty of them rendered per /help cost more than the rest
of the reply)."""

from __future__ import annotations

from functools import lru_cache
from html import escape

from aiogram.utils.i18n import get_i18n
from aiogram.utils.i18n import gettext as _

from infrastructure.commands import commands_for


def help_text(reader: str) -> str:
    """The /help answer for a member in a group, an admin there, or someone in private, in the
    language of the update being answered."""
    return _rendered(get_i18n().current_locale, reader)


@lru_cache(maxsize=32)
def _rendered(locale: str, reader: str) -> str:
    # `locale` is the key only: the translations below read the same current locale.
    lines = [_("<b>Commands</b>")]
    lines += [
        f"/{spec.name} — {escape(str(spec.description))}" for spec in commands_for(admin=False)
    ]
    if reader == "admin":
        lines += ["", _("<b>Admin commands</b>")]
        lines += [f"/{spec.name} — {escape(str(spec.description))}"
                  for spec in commands_for(admin=True) if spec.admin]  # fmt: skip
    elif reader == "private":
        lines += ["", _("Admins see their commands when they send /help in their group.")]
    lines += ["", _("/help &lt;command&gt; shows how to use one.")]
    return "\n".join(lines)
