"""Quiz (知识问答): a program's question bank, imported from CSV, asked as Telegram quiz polls
in its groups. Non-anonymous polls send each answer as a `poll_answer`; the first correct
answers are paid (the first more), under the daily cap, nothing for admins, once per member
and poll. The weekly league reads the program's `quiz` ledger rows."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import GameEntry, GameRound, LedgerEntry, Member, QuizQuestion
from models.queries import insert_for
from services.chat_settings import locked_chat
from services.clock import Clock, local_day, start_of
from services.files import TableFileError, table_rows
from services.game_rules import GameRules
from services.games import GameBook, rounds_due
from services.members import Sighting, display_names, record_sightings
from services.points import PointsService

MAX_FILE_BYTES = 2_000_000
MAX_QUESTIONS = 2_000  # lines of one file
HEADERS = {
    "question": ("question", "问题", "题目"),
    "options": ("options", "选项"),
    "answer": ("answer", "answers", "答案"),
    "explanation": ("explanation", "解析", "说明"),
}
SPLIT = re.compile(r"\s*[|｜]\s*")


class QuizOpen(Exception):
    """The group has a quiz open: one at a time."""


class QuizFileError(TableFileError):
    """A question file that cannot be read as a whole (`TableFileError`'s reasons)."""


@dataclass(frozen=True, slots=True)
class QuizImport:
    added: int
    refused: list[tuple[int, str]] = field(default_factory=list)  # (line, reason)


@dataclass(frozen=True, slots=True)
class Question:
    id: int
    question: str
    options: list[str]
    correct: list[int]
    explanation: str


@dataclass(frozen=True, slots=True)
class QuizAnswer:
    chat_id: int
    user_id: int
    correct: bool
    rank: int | None
    points: int


@dataclass(frozen=True, slots=True)
class QuizResult:
    chat_id: int
    message_id: int | None
    question: str
    answer: str  # the correct options' text
    winners: list[tuple[str, int]]  # (name, points), first first
    answered: int
    right: int


def parse_question(cells: dict[str, str]) -> Question | str:
    """A line of the file as a question, or why not."""
    question = cells.get("question", "").strip()
    if not 1 <= len(question) <= 300:
        return "question"
    options = [o for o in SPLIT.split(cells.get("options", "").strip()) if o]
    if not 2 <= len(options) <= 12 or any(len(o) > 100 for o in options):
        return "options"
    if len(set(options)) != len(options):
        return "options"
    correct: set[int] = set()
    for word in re.split(r"[\s|｜,，]+", cells.get("answer", "").strip()):
        if not word:
            continue
        if word.isdigit() and 1 <= int(word) <= len(options):
            correct.add(int(word) - 1)
        elif len(word) == 1 and "A" <= word.upper() <= chr(ord("A") + len(options) - 1):
            correct.add(ord(word.upper()) - ord("A"))
        else:
            return "answer"
    if not correct or len(correct) == len(options):
        return "answer"
    explanation = cells.get("explanation", "").strip()
    if len(explanation) > 200 or explanation.count("\n") > 2:
        return "explanation"
    return Question(0, question, options, sorted(correct), explanation)


def read_questions(data: bytes) -> Iterator[tuple[int, Question | str]]:
    """Each line's question or refusal (line numbers as a spreadsheet shows them)."""
    header, rows = table_rows(data, MAX_FILE_BYTES, QuizFileError)
    names = [cell.strip().lower().lstrip("\ufeff") for cell in header]
    columns = {
        field: next((i for i, name in enumerate(names) if name in aliases), None)
        for field, aliases in HEADERS.items()
    }
    missing = tuple(f for f in ("question", "options", "answer") if columns[f] is None)
    if missing:
        raise QuizFileError("columns", missing)
    for line, row in enumerate(rows, start=2):
        if line > MAX_QUESTIONS + 1:
            raise QuizFileError("too many rows")
        if row is None:
            yield line, "too long"
            continue
        if not any(cell.strip() for cell in row):
            continue
        cells = {
            field: row[index] if index is not None and index < len(row) else ""
            for field, index in columns.items()
        }
        yield line, parse_question(cells)


class QuizService:
    def __init__(self, session: AsyncSession, clock: Clock, points: PointsService) -> None:
        self.session = session
        self.clock = clock
        self.book = GameBook(session, clock, points)

    async def import_questions(self, program_id: int, data: bytes) -> QuizImport:
        """Add the file's questions to the program's bank (one already there is refused)."""
        known = set(
            await self.session.scalars(
                select(QuizQuestion.question).where(QuizQuestion.program_id == program_id)
            )
        )
        added, refused = 0, []
        now = self.clock.now()
        for line, read in read_questions(data):
            if isinstance(read, str):
                refused.append((line, read))
                continue
            if read.question in known:
                refused.append((line, "twice"))
                continue
            known.add(read.question)
            self.session.add(
                QuizQuestion(
                    program_id=program_id, question=read.question, options=read.options,
                    correct=read.correct, explanation=read.explanation, asked=0, created_at=now,
                )
            )  # fmt: skip
            added += 1
        await self.session.flush()
        return QuizImport(added, refused)

    async def bank_size(self, program_id: int) -> int:
        count = await self.session.scalar(
            select(func.count()).where(QuizQuestion.program_id == program_id)
        )
        return int(count or 0)

    async def open_round(
        self,
        chat_id: int,
        program_id: int,
        timezone: str,
        rules: GameRules,
        *,
        started_by: int | None,
        key: str | None = None,
    ) -> tuple[int, Question] | None:
        """A quiz round on the program's least asked question, to be posted (None: the bank is
        empty, or `key`'s round was made before: a scheduled quiz is posted once a day;
        QuizOpen: the group has a quiz open, one at a time). The group's row is locked, so two
        quizzes opened at once are opened one after the other and the second is refused."""
        if key is not None and await self.session.scalar(
            select(GameRound.id).where(GameRound.key == key)
        ):
            return None
        await locked_chat(self.session, chat_id)
        if await self.session.scalar(
            select(GameRound.id).where(
                GameRound.chat_id == chat_id, GameRound.kind == "quiz", GameRound.status == "open"
            )
        ):
            raise QuizOpen(chat_id)
        row = await self.session.scalar(
            select(QuizQuestion)
            .where(QuizQuestion.program_id == program_id)
            .order_by(QuizQuestion.asked, QuizQuestion.id)
            .limit(1)
        )
        if row is None:
            return None
        now = self.clock.now()
        details = {
            "program": program_id, "tz": timezone, "first": rules.quiz_first,
            "next": rules.quiz_next, "paid": rules.quiz_paid, "cap": rules.cap,
            "correct": row.correct,
        }  # fmt: skip
        made = await self.session.scalar(
            insert_for(self.session, GameRound)
            .values(
                chat_id=chat_id, kind="quiz", status="open", key=key, started_by=started_by,
                stake=0, question_id=row.id, details=details, created_at=now,
                closes_at=now + timedelta(minutes=rules.quiz_minutes),
            )
            .on_conflict_do_nothing(index_elements=["key"])
            .returning(GameRound.id)
        )  # fmt: skip
        if made is None:
            return None
        row.asked += 1
        return made, Question(row.id, row.question, row.options, row.correct, row.explanation)

    async def posted(self, round_id: int, poll_id: str, message_id: int) -> None:
        row = await self.session.get(GameRound, round_id)
        if row is not None:
            row.poll_id, row.message_id = poll_id, message_id

    async def not_posted(self, round_id: int) -> None:
        """Telegram refused the poll: the round is called off (the question stays asked)."""
        row = await self.session.get(GameRound, round_id)
        if row is not None and row.status == "open":
            row.status, row.closed_at = "cancelled", self.clock.now()

    async def chat_of_poll(self, poll_id: str) -> int | None:
        """The group a quiz poll was posted in (None: not one of ours)."""
        return await self.session.scalar(
            select(GameRound.chat_id).where(GameRound.poll_id == poll_id)
        )

    async def answer(
        self,
        poll_id: str,
        user_id: int,
        option_ids: Sequence[int],
        *,
        admin: bool,
        name: str = "",
        username: str | None = None,
    ) -> QuizAnswer | None:
        """A member's answer, kept once; the first correct answers paid. None: no open quiz
        has this poll, or the member answered before (a redelivered update)."""
        row = await self.session.scalar(
            select(GameRound)
            .where(GameRound.poll_id == poll_id, GameRound.kind == "quiz")
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        if row is None or row.status != "open" or not option_ids:
            return None
        if not await self._in_group(row.chat_id, user_id):
            return None  # a forwarded copy is the same poll: outsiders' answers count nothing
        details = row.details
        correct = sorted(option_ids) == list(details["correct"])
        now = self.clock.now()
        entry_id = await self.session.scalar(
            insert_for(self.session, GameEntry)
            .values(
                round_id=row.id, user_id=user_id, value=min(option_ids), correct=correct,
                points=0, answered_at=now,
            )
            .on_conflict_do_nothing(index_elements=["round_id", "user_id"])
            .returning(GameEntry.id)
        )  # fmt: skip
        if entry_id is None:
            return None
        program = int(details["program"])
        await record_sightings(self.session, [Sighting(
            chat_id=row.chat_id, user_id=user_id, username=username, display_name=name,
            seen_at=now, program_id=program if program != row.chat_id else None,
        )])  # fmt: skip  # a poll answer comes with no message: the member is seen here
        if not correct or admin:
            return QuizAnswer(row.chat_id, user_id, correct, None, 0)
        before = await self.session.scalar(
            select(func.count()).where(
                GameEntry.round_id == row.id, GameEntry.correct.is_(True),
                GameEntry.rank.is_not(None), GameEntry.id < entry_id,
            )
        )  # fmt: skip
        rank = int(before or 0) + 1
        prize = 0
        if rank <= int(details["paid"]):
            prize = int(details["first"] if rank == 1 else details["next"])
        paid = 0
        if prize > 0:
            paid = await self.book.pay(
                row.chat_id, int(details["program"]), user_id, prize,
                timezone=str(details["tz"]), cap=int(details["cap"]), reason="quiz",
                key=f"quiz:{row.id}:{user_id}", ref=f"quiz:{row.id}",
            )  # fmt: skip
        entry = await self.session.get(GameEntry, entry_id)
        assert entry is not None
        entry.rank, entry.points = rank, paid
        return QuizAnswer(row.chat_id, user_id, True, rank, paid)

    async def _in_group(self, chat_id: int, user_id: int) -> bool:
        """Whether the bot knows the user as in the group (a members row, not left)."""
        found = await self.session.scalar(
            select(Member.user_id).where(
                Member.chat_id == chat_id, Member.user_id == user_id, Member.left_at.is_(None)
            )
        )
        return found is not None

    async def due(self) -> list[int]:
        return await rounds_due(self.session, "quiz", self.clock.now())

    async def open_in(self, chat_id: int) -> int | None:
        """The group's quiz still open, if any."""
        return await self.session.scalar(
            select(GameRound.id)
            .where(GameRound.chat_id == chat_id, GameRound.kind == "quiz")
            .where(GameRound.status == "open", GameRound.poll_id.is_not(None))
            .order_by(GameRound.id.desc())
            .limit(1)
        )

    async def close(self, round_id: int) -> QuizResult | None:
        """Close an open quiz once: its winners, for the post (None: closed before)."""
        row = await self.session.scalar(
            select(GameRound)
            .where(GameRound.id == round_id, GameRound.kind == "quiz")
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        if row is None or row.status != "open":
            return None
        row.status, row.closed_at = "closed", self.clock.now()
        question = await self.session.get(QuizQuestion, row.question_id or 0)
        entries = list(
            await self.session.scalars(
                select(GameEntry).where(GameEntry.round_id == row.id).order_by(GameEntry.id)
            )
        )
        paid = [e for e in entries if e.rank is not None]
        names = await display_names(self.session, row.chat_id, [e.user_id for e in paid])
        options = question.options if question is not None else []
        answer = " / ".join(options[i] for i in row.details["correct"] if i < len(options))
        return QuizResult(
            row.chat_id, row.message_id, question.question if question else "", answer,
            [(names.get(e.user_id, str(e.user_id)), e.points) for e in paid if e.points],
            len(entries), sum(1 for e in entries if e.correct),
        )  # fmt: skip

    async def league(
        self, program_id: int, timezone: str, limit: int = 10
    ) -> list[tuple[str, int]]:
        """This week's quiz league of the program (the week of the group's clock, from
        Monday): each member's quiz points, most first."""
        monday = week_start(self.clock.now(), timezone)
        rows = (
            await self.session.execute(
                select(LedgerEntry.user_id, func.sum(LedgerEntry.delta).label("won"))
                .where(
                    LedgerEntry.chat_id == program_id,
                    LedgerEntry.reason == "quiz",
                    LedgerEntry.created_at >= monday,
                )
                .group_by(LedgerEntry.user_id)
                .order_by(func.sum(LedgerEntry.delta).desc(), LedgerEntry.user_id)
                .limit(limit)
            )
        ).all()
        names = await display_names(self.session, program_id, [user for user, _won in rows])
        return [(names.get(user, str(user)), int(won)) for user, won in rows]


def week_start(now: datetime, timezone: str) -> datetime:
    today = local_day(now, timezone)
    return start_of(today - timedelta(days=today.weekday()), timezone)
