"""What the brand question says: the question a join request gets privately, the answers to a
typed answer, and `/captcha`'s lists and confirmations."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext

from services.captcha import BrandQuestion
from views.numbers import number
from views.wording import duration, listed


def question_text(name: str, group: str, question: str, tries: int, seconds: int) -> str:
    """A join request's brand question, in the requester's private chat."""
    return "\n".join([
        _("👋 {name}, you asked to join {group}. Answer this question about us to be let in "
          "(type the answer here):").format(name=escape(name), group=escape(group)),
        f"<b>{escape(question)}</b>",
        ngettext(
            "You have {tries} try and {limit}.", "You have {tries} tries and {limit}.", tries
        ).format(tries=number(tries), limit=duration(seconds)),
    ])  # fmt: skip


def try_again_text(left: int) -> str:
    return ngettext(
        "❌ That's not it. {n} try left.", "❌ That's not it. {n} tries left.", left
    ).format(n=number(left))


def declined_text(group: str) -> str:
    return _(
        "❌ That's not it. Your request to join {group} is declined; you may ask again later."
    ).format(group=escape(group))


def question_added_text(question: BrandQuestion) -> str:
    return ngettext(
        "✅ Question #{id} added, with {n} answer: {question}",
        "✅ Question #{id} added, with {n} answers: {question}",
        len(question.answers),
    ).format(id=question.id, n=number(len(question.answers)), question=escape(question.text))


def question_deleted_text(question: BrandQuestion) -> str:
    return _("🗑 Question #{id} deleted: {question}").format(
        id=question.id, question=escape(question.text)
    )


def no_such_question_text() -> str:
    return _("There is no such question: see /captcha list.")


def questions_text(questions: Sequence[BrandQuestion], asking: bool) -> str:
    """`/captcha list`: each question, its answers hidden behind a spoiler (the group reads
    this too)."""
    if not questions:
        usage = _("/captcha add <question> = <answer>|<another>")
        return _("No brand questions yet. Add one: {usage}").format(
            usage=f"<code>{escape(usage)}</code>"
        )
    head = (
        _("Brand questions, one asked at random of each join request:")
        if asking
        else _("Brand questions (asked once {setting} is on):").format(
            setting="<code>/settings verify question</code>"
        )
    )
    lines = [
        f"#{q.id} {escape(q.text)} → <tg-spoiler>{escape(listed(list(q.answers)))}</tg-spoiler>"
        for q in questions
    ]
    return "\n".join([head, *lines])
