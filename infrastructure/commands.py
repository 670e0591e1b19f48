"""What fanbot knows of its commands: /help, each command's usage and setMyCommands are built
from one list, the features' commands as the handlers package gathers them."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from html import escape

from aiogram import Bot
from aiogram.types import (
    BotCommand,
    BotCommandScopeAllChatAdministrators,
    BotCommandScopeAllGroupChats,
    BotCommandScopeAllPrivateChats,
    BotCommandScopeDefault,
)
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _
from babel.support import LazyProxy

from infrastructure.sender_only import for_sender


@dataclass(frozen=True, slots=True)
class CommandSpec:
    """`usage` is every form of the command, separated by " · ", as a lazy translation: what
    is typed stays as typed, the placeholders (`<prize>`, `<奖品>`) and a form's closing note
    in brackets (`(admins)`, `（管理员）`) are translated, and the note is shown as text.
    `ephemeral`: its use is private (/me, /mycoupons): a group's command menu marks it
    `is_ephemeral`, and its answers are the sender's (`for_sender`)."""

    name: str
    description: LazyProxy
    usage: str | LazyProxy = ""
    admin: bool = False
    ephemeral: bool = False


# Every command, in the order /help and the command menus show them. Each feature declares its
# commands beside its handlers; the handlers package gathers them and hands them here once
# (`use_commands`), as this layer sits below the handlers and cannot import them.
_commands: list[CommandSpec] = []


def use_commands(commands: Iterable[CommandSpec]) -> None:
    _commands[:] = commands


def listed_commands() -> tuple[CommandSpec, ...]:
    return tuple(_commands)


BRIEF = 80  # characters: a usage line in a busy group is one short line; /help has the rest


def spec_of(name: str) -> CommandSpec | None:
    return next((spec for spec in _commands if spec.name == name.lower()), None)


# A form's closing note, in half-width brackets in English and full-width ones in Chinese.
NOTE = re.compile(r"\s*(\([^()]*\)|（[^（）]*）)$")


def shown_form(form: str) -> str:
    """One form as HTML: what is typed as code, its closing note as text after it."""
    note = NOTE.search(form)
    if note is None:
        return f"<code>{escape(form)}</code>"
    typed, said = form[: note.start()], note.group(0)
    return f"<code>{escape(typed)}</code>{escape(said)}"


def usage_of(name: str) -> str:
    """The command's whole usage as HTML (every form), inside a sentence."""
    return " · ".join(shown_form(form) for form in forms_of(name))


def forms_of(name: str) -> list[str]:
    """The command's forms in the reader's language."""
    spec = spec_of(name)
    assert spec is not None, name
    return str(spec.usage).split(" · ") if spec.usage else [f"/{name}"]


def brief_usage(name: str, form: str | None = None) -> tuple[str, bool]:
    """One form of the usage (the one for `form`, e.g. "timezone", else the first), cut to a
    short line; and whether anything was left out."""
    forms = forms_of(name)
    words = len(form.split()) if form else 1  # a phrase ("points expire") names its own form
    chosen = next(
        (
            f
            for f in forms
            if form
            and f.split()[1:2]
            and " ".join(f.split()[1 : 1 + words]).startswith(form.lower())
        ),
        forms[0],
    )
    if len(chosen) > BRIEF:  # keep whole options: "/draw <prize> [winners=1] …"
        kept = ""
        for word in chosen.split(" "):
            if len(kept) + len(word) + 1 > BRIEF - 2:
                break
            kept = f"{kept} {word}" if kept else word
        chosen = kept + " …"
    return chosen, len(forms) > 1 or chosen.endswith(" …")


def usage_reply(name: str, form: str | None = None) -> str:
    """What a command answers to input it cannot read: one short usage line, and where to find
    the rest when it was shortened (Telegram allows a group 20 bot messages a minute)."""
    brief, shortened = brief_usage(name, form)
    text = _("Usage: {usage}").format(usage=shown_form(brief))
    if shortened:
        text += " · " + _("more: /help {name}").format(name=name)
    return for_sender(text)


def problem_reply(reason: str, name: str, form: str | None = None) -> str:
    """Input that was understood but cannot be used: the reason first, then the usage line."""
    return for_sender(f"{reason}\n{usage_reply(name, form)}")


def commands_for(*, admin: bool) -> list[CommandSpec]:
    return [spec for spec in _commands if admin or not spec.admin]


def admin_command_names() -> list[str]:
    return [spec.name for spec in _commands if spec.admin]


async def register_commands(bot: Bot, i18n: I18n) -> None:
    """setMyCommands for each language, members in every chat and admins in groups; in the
    group scopes a command whose use is private is marked `is_ephemeral` (Bot API 10.2: a
    private chat has no one else to hide an answer from)."""
    scopes = (  # (scope, admin, in groups)
        (BotCommandScopeDefault(), False, False),
        (BotCommandScopeAllPrivateChats(), False, False),
        (BotCommandScopeAllGroupChats(), False, True),
        (BotCommandScopeAllChatAdministrators(), True, True),
    )
    languages: list[str | None] = [None, *i18n.available_locales]
    for scope, admin, in_groups in scopes:
        for language in languages:
            with i18n.context(), i18n.use_locale(language or i18n.default_locale):
                commands = [
                    BotCommand(
                        command=spec.name,
                        description=str(spec.description),
                        is_ephemeral=True if in_groups and spec.ephemeral else None,
                    )
                    for spec in commands_for(admin=admin)
                ]
            await bot.set_my_commands(commands, scope=scope, language_code=language)
