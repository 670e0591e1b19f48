"""Quick answers: the `faq` settings section (`/faq add <keywords> | <answer>`, `/faq del <id>`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from sqlalchemy.ext.asyncio import AsyncSession

from services.chat_settings import BadSetting, locked_chat


@dataclass(frozen=True, slots=True)
class FaqEntry:
    id: int
    keywords: tuple[str, ...]
    answer: str


@dataclass(frozen=True, slots=True)
class Faq:
    """Quick answers (`/faq add <keywords> | <answer>`): a question naming a keyword gets one."""

    entries: tuple[FaqEntry, ...] = ()

    MAX_ENTRIES: ClassVar[int] = 50
    MAX_ANSWER: ClassVar[int] = 1000

    @classmethod
    def from_settings(cls, settings: dict[str, Any]) -> Faq:
        stored = (settings.get("faq") or {}).get("entries") or []
        return cls(
            tuple(FaqEntry(int(e["id"]), tuple(e["keywords"]), str(e["answer"])) for e in stored)
        )

    @staticmethod
    def parse(raw: str) -> tuple[list[str], str]:
        """`<keywords, comma separated> | <answer>`; BadSetting("format" | "keyword" | "long")."""
        keywords_part, bar, answer = raw.partition("|")
        answer = answer.strip()
        keywords = [k.strip() for k in keywords_part.replace("，", ",").split(",") if k.strip()]
        if not bar or not answer or not keywords or len(keywords) > 10:
            raise BadSetting("format")
        if any(len(keyword) < 2 or len(keyword) > 30 for keyword in keywords):
            raise BadSetting("keyword")
        if len(answer) > Faq.MAX_ANSWER:
            raise BadSetting("long")
        return keywords, answer

    def answer_for(self, text: str) -> tuple[FaqEntry, str] | None:
        """The first entry with a keyword in `text` (any case), and that keyword."""
        folded = text.casefold()
        for entry in self.entries:
            for keyword in entry.keywords:
                if keyword.casefold() in folded:
                    return entry, keyword
        return None


async def add_faq(session: AsyncSession, chat_id: int, raw: str) -> FaqEntry:
    keywords, answer = Faq.parse(raw)
    chat = await locked_chat(session, chat_id)
    stored = chat.settings.get("faq") or {}
    entries = list(stored.get("entries") or [])
    if len(entries) >= Faq.MAX_ENTRIES:
        raise BadSetting("full")
    entry_id = int(stored.get("next_id", 1))  # ids are never reused
    entries.append({"id": entry_id, "keywords": keywords, "answer": answer})
    chat.settings = {**chat.settings, "faq": {"entries": entries, "next_id": entry_id + 1}}
    await session.flush()
    return FaqEntry(entry_id, tuple(keywords), answer)


async def delete_faq(session: AsyncSession, chat_id: int, entry_id: int) -> bool:
    """False when there is no such entry; an explicit admin command deletes it."""
    chat = await locked_chat(session, chat_id)
    stored = chat.settings.get("faq") or {}
    entries = list(stored.get("entries") or [])
    kept = [entry for entry in entries if int(entry["id"]) != entry_id]
    if len(kept) == len(entries):
        return False
    chat.settings = {**chat.settings, "faq": {**stored, "entries": kept}}
    await session.flush()
    return True
