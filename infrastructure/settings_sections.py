"""A feature's section of `/settings`, declared once beside the feature's handlers; the
`/settings` router (`handlers/settings.py`) lists the sections, sends each
`/settings <word> …` to the one it names, and shows their lines in the list's order."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from babel.support import LazyProxy

from services.chats import ChatProfile


def no_lines(profile: ChatProfile) -> list[str]:
    return []


@dataclass(frozen=True, slots=True)
class SettingsSection:
    """`words` name the section: `/settings <word> …` in any case; a phrase ("points purchase")
    as typed, and over a section named by its first word alone. `change` is a handler (its
    parameters injected as any handler's) given the command's words as `setting`; it replies
    and returns whether it saved a change (then the group's cached profile is dropped).
    `title` names it on its button and page (a lazy translation); `lines` are what the
    `/settings` overview shows of it (a line or two), `details` what its own page shows (its
    lines unless said). `usage` is its forms in the usage of `/settings` (lazy translations:
    placeholders are translated, what is typed is not), and `listed_as` what names it in the
    first form's list of sections (its first word unless said)."""

    words: tuple[str, ...]
    change: Callable[..., Awaitable[bool]]
    lines: Callable[[ChatProfile], list[str]] = no_lines
    usage: tuple[str | LazyProxy, ...] = ()
    listed_as: str = ""
    title: str | LazyProxy = ""
    details: Callable[[ChatProfile], list[str]] | None = None

    @property
    def listed(self) -> str:
        return self.listed_as or self.words[0]

    @property
    def key(self) -> str:
        """What its button's data names it by."""
        return self.words[0] if len(self.words) == 1 else self.listed.split("|")[0]

    def page_lines(self, profile: ChatProfile) -> list[str]:
        return (self.details or self.lines)(profile)

    def claims(self, setting: Sequence[str]) -> int:
        """How many of the command's words name this section (0: it is not named)."""
        claimed = 0
        for word in self.words:
            phrase = word.split()
            typed = list(setting[: len(phrase)])
            if typed == phrase or (len(phrase) == 1 and typed and typed[0].lower() == word):
                claimed = max(claimed, len(phrase))
        return claimed


def section_named(
    sections: Sequence[SettingsSection], setting: Sequence[str]
) -> SettingsSection | None:
    """The section `/settings <setting …>` is for: the one that claims the most of its words."""
    claimed, named = max(
        ((section.claims(setting), section) for section in sections),
        key=lambda pair: pair[0],
        default=(0, None),
    )
    return named if claimed else None
