"""How new members are greeted and the group's rules: the `welcome` and `rules` settings
sections (`/setwelcome`, `/setrules`)."""

from __future__ import annotations

from dataclasses import dataclass
from string import Formatter
from typing import Any, ClassVar

from sqlalchemy.ext.asyncio import AsyncSession

from services.chat_settings import BadSetting, update_section


@dataclass(frozen=True, slots=True)
class Welcome:
    """How new members are greeted (`/setwelcome`), and the group's rules (`/setrules`)."""

    enabled: bool = True
    text: str | None = None  # None: the built-in welcome, in the group's language
    delete_after: int = 600  # seconds; 0 keeps the welcome
    rules: str | None = None

    DELETE_AFTER: ClassVar[tuple[int, int]] = (5, 172_800)  # seconds, when not 0
    PLACEHOLDERS: ClassVar[tuple[str, ...]] = ("name", "group", "count")
    MAX_TEXT: ClassVar[int] = 1000
    MAX_RULES: ClassVar[int] = 3500  # room for a heading within Telegram's 4,096

    @classmethod
    def from_settings(cls, settings: dict[str, Any]) -> Welcome:
        stored = settings.get("welcome") or {}
        return cls(
            enabled=bool(stored.get("enabled", True)),
            text=stored.get("text"),
            delete_after=int(stored.get("delete_after", 600)),
            rules=(settings.get("rules") or {}).get("text"),
        )

    @classmethod
    def check_template(cls, text: str) -> str:
        """The welcome text as stored; BadSetting("empty" | "long" | "placeholder:<name>")."""
        text = text.strip()
        if not text:
            raise BadSetting("empty")
        if len(text) > cls.MAX_TEXT:
            raise BadSetting("long")
        try:
            fields = [field for _, field, _, _ in Formatter().parse(text) if field is not None]
        except ValueError:
            raise BadSetting("placeholder:{") from None
        unknown = next((field for field in fields if field not in cls.PLACEHOLDERS), None)
        if unknown is not None:
            raise BadSetting(f"placeholder:{unknown}")
        return text


async def set_welcome(
    session: AsyncSession, chat_id: int, text: str | None, enabled: bool = True
) -> None:
    """A new welcome text (checked), or only on/off keeping the text."""
    values: dict[str, Any] = {} if text is None else {"text": Welcome.check_template(text)}
    await update_section(session, chat_id, "welcome", {**values, "enabled": enabled})


async def set_welcome_deletion(session: AsyncSession, chat_id: int, seconds: int) -> None:
    """Delete welcomes this long after posting them; 0 keeps them."""
    low, high = Welcome.DELETE_AFTER
    if seconds and not low <= seconds <= high:
        raise BadSetting("delete_after")
    await update_section(session, chat_id, "welcome", {"delete_after": seconds})


async def set_rules(session: AsyncSession, chat_id: int, text: str) -> None:
    text = text.strip()
    if not text:
        raise BadSetting("empty")
    if len(text) > Welcome.MAX_RULES:
        raise BadSetting("long")
    await update_section(session, chat_id, "rules", {"text": text})
