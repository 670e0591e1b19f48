"""Labels and notes (客户标签): what admins write on a member for themselves (`/tag`, `/note`),
the program's, so every group of a brand sees them; labels pick members wherever segments do
(`/push tag:高潜`, a draw's `tag=高潜`, the console's filter, the members export).

Not Telegram's member tags (`services/member_tags.py`), which a member sees beside their name:
labels and notes are the operator's, and never shown to the member.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from models import Label, MemberNote
from models.queries import insert_for
from services.clock import Clock

MAX_LABEL = 20  # characters
MAX_LABELS = 20  # a member's
MAX_NOTE = 1000  # characters
NOTES_SHOWN = 10  # the newest, in a listing


class LabelError(ValueError):
    """A word that cannot be a label: `reason` is "empty" or "long"."""

    def __init__(self, reason: str, word: str) -> None:
        super().__init__(reason)
        self.reason, self.word = reason, word


def normalise(word: str) -> str:
    """A label as stored: trimmed, without a leading #, Latin letters in lower case (高潜, vip);
    LabelError when nothing is left or it is over MAX_LABEL characters."""
    label = unicodedata.normalize("NFKC", word).strip().lstrip("#").strip().lower()
    if not label or not all(char.isprintable() for char in label):
        raise LabelError("empty", word)
    if len(label) > MAX_LABEL:
        raise LabelError("long", word)
    return label


@dataclass(frozen=True, slots=True)
class Tagged:
    """What `/tag` did: labels given, ones the member had already, ones over the limit."""

    added: list[str] = field(default_factory=list)
    already: list[str] = field(default_factory=list)
    over: list[str] = field(default_factory=list)


def labelled(program_id: int, label: str) -> Select[Any]:
    """The members carrying `label` in the program, as a subquery of user ids."""
    return select(Label.user_id).where(Label.program_id == program_id, Label.label == label)


class LabelService:
    def __init__(self, session: AsyncSession, clock: Clock) -> None:
        self.session = session
        self.clock = clock

    async def add(
        self, program_id: int, user_id: int, labels: Iterable[str], added_by: int | None
    ) -> Tagged:
        """Give the member `labels` (normalised already), up to MAX_LABELS in all."""
        had = set(await self.of_member(program_id, user_id))
        wanted = list(dict.fromkeys(labels))
        already = [label for label in wanted if label in had]
        fresh = [label for label in wanted if label not in had]
        room = max(0, MAX_LABELS - len(had))
        added, over = fresh[:room], fresh[room:]
        if added:
            now = self.clock.now()
            rows = [
                {"program_id": program_id, "user_id": user_id, "label": label,
                 "added_by": added_by, "added_at": now}
                for label in added
            ]  # fmt: skip
            # Two admins tagging at once: the second one's row is simply there already.
            await self.session.execute(
                insert_for(self.session, Label).on_conflict_do_nothing(
                    index_elements=["program_id", "user_id", "label"]
                ),
                rows,
            )
        return Tagged(added, already, over)

    async def remove(
        self, program_id: int, user_id: int, labels: Sequence[str] | None
    ) -> list[str]:
        """Take `labels` (None: every one) off the member; the ones they had."""
        query = delete(Label).where(Label.program_id == program_id, Label.user_id == user_id)
        if labels is not None:
            query = query.where(Label.label.in_(list(labels)))
        removed = await self.session.execute(query.returning(Label.label))
        return sorted(removed.scalars())

    async def of_member(self, program_id: int, user_id: int) -> list[str]:
        found = await self.session.scalars(
            select(Label.label)
            .where(Label.program_id == program_id, Label.user_id == user_id)
            .order_by(Label.label)
        )
        return list(found)

    async def of_members(self, program_id: int, user_ids: Iterable[int]) -> dict[int, list[str]]:
        """Each member's labels, in order, for those who have any."""
        rows = await self.session.execute(
            select(Label.user_id, Label.label)
            .where(Label.program_id == program_id, Label.user_id.in_(list(user_ids)))
            .order_by(Label.user_id, Label.label)
        )
        found: dict[int, list[str]] = {}
        for user_id, label in rows:
            found.setdefault(user_id, []).append(label)
        return found

    async def counts(self, program_id: int) -> list[tuple[str, int]]:
        """The program's labels with how many members carry each, the most used first."""
        members = func.count(Label.user_id)
        rows = await self.session.execute(
            select(Label.label, members)
            .where(Label.program_id == program_id)
            .group_by(Label.label)
            .order_by(members.desc(), Label.label)
        )
        return [(label, int(count)) for label, count in rows]

    async def carried(self, program_id: int, label: str) -> bool:
        """Whether any member of the program carries `label`."""
        found = await self.session.scalar(labelled(program_id, label).limit(1))
        return found is not None

    async def add_note(
        self, program_id: int, user_id: int, text: str, author_id: int | None
    ) -> MemberNote:
        note = MemberNote(
            program_id=program_id, user_id=user_id, text=text.strip()[:MAX_NOTE],
            author_id=author_id, created_at=self.clock.now(),
        )  # fmt: skip
        self.session.add(note)
        await self.session.flush()
        return note

    async def notes(
        self, program_id: int, user_id: int, limit: int = NOTES_SHOWN
    ) -> tuple[list[MemberNote], int]:
        """The member's newest notes, newest first, and how many there are in all."""
        where = (MemberNote.program_id == program_id, MemberNote.user_id == user_id)
        found = await self.session.scalars(
            select(MemberNote).where(*where).order_by(MemberNote.id.desc()).limit(limit)
        )
        total = await self.session.scalar(select(func.count()).where(*where))
        return list(found), int(total or 0)

    async def merge(self, merged_id: int, program_id: int) -> int:
        """A program joined into another: its labels and notes become the other's (a member
        labelled in both keeps one of each; the per-member limit is not applied here); the
        labels moved."""
        existing = select(Label.user_id, Label.label).where(Label.program_id == program_id)
        kept = {(user_id, label) for user_id, label in await self.session.execute(existing)}
        theirs = await self.session.scalars(select(Label).where(Label.program_id == merged_id))
        for row in theirs:
            if (row.user_id, row.label) in kept:
                await self.session.delete(row)
        await self.session.flush()
        moved = await self.session.execute(
            update(Label).where(Label.program_id == merged_id).values(program_id=program_id)
        )
        await self.session.execute(
            update(MemberNote)
            .where(MemberNote.program_id == merged_id)
            .values(program_id=program_id)
        )
        return int(moved.rowcount or 0)  # type: ignore[attr-defined]
