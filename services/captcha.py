"""The brand question (`/settings verify question`): admins write a few questions about the
brand with their answers (`/captcha add|list|del`, kept in the `captcha` section of the chat's
settings), and a join request is asked one at random in a private chat; a script that presses
buttons cannot answer it. Answers are compared folded (`guards.fold`: case, full-width forms,
spaces and punctuation do not matter). Asking and settling are `workflows/verification.py`'s.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any, ClassVar

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from models import Verification
from services.chat_settings import BadSetting, locked_chat
from services.guards import fold

QUESTION_TRIES = 3  # wrong answers before the request is declined
# The Bot API lets a bot write first to someone who asked to join for 5 minutes, until the
# request is handled: the question goes at once, and waits that long for its answer.
QUESTION_SECONDS = 300
ASKED = "q"  # a verification's `answer` is "q<number>": the question asked


@dataclass(frozen=True, slots=True)
class BrandQuestion:
    id: int
    text: str
    answers: tuple[str, ...]

    def accepts(self, answer: str) -> bool:
        folded = fold(answer)
        return bool(folded) and any(folded == fold(right) for right in self.answers)

    @property
    def asked_as(self) -> str:
        return f"{ASKED}{self.id}"


@dataclass(frozen=True, slots=True)
class CaptchaQuestions:
    questions: tuple[BrandQuestion, ...] = ()

    MAX: ClassVar[int] = 20
    MAX_QUESTION: ClassVar[int] = 200
    MAX_ANSWER: ClassVar[int] = 60
    MAX_ANSWERS: ClassVar[int] = 5

    @classmethod
    def from_settings(cls, settings: dict[str, Any]) -> CaptchaQuestions:
        stored = (settings.get("captcha") or {}).get("questions") or ()
        return cls(
            tuple(BrandQuestion(int(q["id"]), str(q["text"]), tuple(q["answers"])) for q in stored)
        )

    def asked(self, verification: Verification) -> BrandQuestion | None:
        """The question a verification asked (None: not a brand question, or deleted since)."""
        answer = verification.answer or ""
        if not answer.startswith(ASKED) or not answer[1:].isdigit():
            return None
        return next((q for q in self.questions if q.id == int(answer[1:])), None)

    def pick(self, rng: random.Random | None = None) -> BrandQuestion | None:
        return (rng or random.SystemRandom()).choice(self.questions) if self.questions else None


def parse_question(text: str) -> tuple[str, list[str]]:
    """`<question> = <answer>|<other answer>` (full-width ＝ and ｜ too); BadSetting("form" |
    "long")."""
    question, equals, answers = text.replace("＝", "=").partition("=")
    question = " ".join(question.split())
    accepted = [" ".join(a.split()) for a in answers.replace("｜", "|").split("|")]
    accepted = [a for a in accepted if fold(a)]
    if not equals or not question or not accepted or len(accepted) > CaptchaQuestions.MAX_ANSWERS:
        raise BadSetting("form")
    if len(question) > CaptchaQuestions.MAX_QUESTION or any(
        len(a) > CaptchaQuestions.MAX_ANSWER for a in accepted
    ):
        raise BadSetting("long")
    return question, accepted


async def add_question(session: AsyncSession, chat_id: int, text: str) -> BrandQuestion:
    """A new question (numbered after the last ever added); BadSetting("form" | "long" |
    "full")."""
    question, answers = parse_question(text)
    chat = await locked_chat(session, chat_id)
    stored = chat.settings.get("captcha") or {}
    questions = list(stored.get("questions") or [])
    if len(questions) >= CaptchaQuestions.MAX:
        raise BadSetting("full")
    number = int(stored.get("next", 1))
    questions.append({"id": number, "text": question, "answers": answers})
    chat.settings = {
        **chat.settings,
        "captcha": {**stored, "questions": questions, "next": number + 1},
    }
    await session.flush()
    return BrandQuestion(number, question, tuple(answers))


async def delete_question(session: AsyncSession, chat_id: int, number: int) -> BrandQuestion | None:
    chat = await locked_chat(session, chat_id)
    stored = chat.settings.get("captcha") or {}
    questions = list(stored.get("questions") or [])
    gone = next((q for q in questions if int(q["id"]) == number), None)
    if gone is None:
        return None
    kept = [q for q in questions if q is not gone]
    chat.settings = {**chat.settings, "captcha": {**stored, "questions": kept}}
    await session.flush()
    return BrandQuestion(number, str(gone["text"]), tuple(gone["answers"]))


async def question_waiting(session: AsyncSession, user_id: int) -> Verification | None:
    """The brand question this person was asked last and has not answered (they may have asked
    to join several groups: the newest is the one in front of them)."""
    found: Verification | None = await session.scalar(
        select(Verification)
        .where(
            Verification.user_id == user_id,
            Verification.kind == "request",
            Verification.state == "pending",
            Verification.answer.startswith(ASKED),
        )
        .order_by(Verification.created_at.desc())
        .limit(1)
    )
    return found


async def missed(session: AsyncSession, chat_id: int, user_id: int) -> int | None:
    """One more wrong answer: how many now, or None when the question is no longer pending."""
    tries = await session.scalar(
        update(Verification)
        .where(
            Verification.chat_id == chat_id,
            Verification.user_id == user_id,
            Verification.state == "pending",
        )
        .values(tries=Verification.tries + 1)
        .returning(Verification.tries)
    )
    return None if tries is None else int(tries)
