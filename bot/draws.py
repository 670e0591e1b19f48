"""Draw posts in the group's language (they speak to everyone), kept current: throttled
entrant counts, endings on time, and result posts.

A draw whose end passed while the bot was down ends at start-up (`run` checks every few
seconds); a draw that ended but whose result never reached the group (a crash in between) gets
its result posted `DRAW_RESULT_GRACE_SECONDS` after its end, with the same (stored) winners.
"""

from __future__ import annotations

import asyncio
import logging
import time
from contextlib import AbstractContextManager
from datetime import timedelta
from functools import partial
from html import escape
from zoneinfo import ZoneInfo

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest
from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, ReplyParameters
from aiogram.utils.i18n import I18n, ngettext
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from bot.background import Background
from bot.periodic import every
from models import Draw
from services.chats import ChatProfile
from services.draws import DrawClosed, DrawNotFound, DrawService, Ended
from services.members import display_names
from services.points import PointsService
from services.tiers import Tier
from views.numbers import number

logger = logging.getLogger(__name__)
EDIT_EVERY = 5.0  # seconds between two edits of one draw's post
CHECK_EVERY = 5.0  # seconds between two looks for draws that are due


class DrawKeeper:
    def __init__(
        self, background: Background, edit_every: float = EDIT_EVERY, result_grace: float = 60
    ) -> None:
        self.background = background
        self.edit_every = edit_every
        self.result_grace = timedelta(seconds=result_grace)
        self._edited: dict[int, float] = {}
        self._edits: dict[int, asyncio.Task[None]] = {}

    def entrants_changed(self, bot: Bot, draw_id: int) -> None:
        """Edit the post's count soon: at most once per `edit_every` seconds per draw."""
        if draw_id in self._edits:
            return  # the pending edit will read the newest count
        wait = max(0.0, self._edited.get(draw_id, 0.0) + self.edit_every - time.monotonic())
        self._edits[draw_id] = asyncio.create_task(self._edit_later(bot, draw_id, wait))

    async def post(self, bot: Bot, draw: Draw, profile: ChatProfile) -> None:
        """Post a new draw with its button, in the group's language, and remember the post."""
        with self._language(profile):
            text = render_post(draw, profile.timezone)
        message = await bot.send_message(draw.chat_id, text, reply_markup=join_keyboard(draw.id))
        async with self.background.session_pool() as session, session.begin():
            await self._service(session).posted(draw.id, message.message_id)
        draw.message_id = message.message_id

    async def end(self, bot: Bot, chat_id: int, draw_id: int) -> Ended:
        """Choose the winners (committed before anything is posted), then post them."""
        async with self.background.session_pool() as session, session.begin():
            ended = await self._service(session).end(chat_id, draw_id)
        await self.announce(bot, ended.draw, ended.entrants)
        return ended

    async def announce(self, bot: Bot, draw: Draw, entrants: int) -> None:
        text, post = await self._render_result(draw, entrants)
        await self._edit(bot, draw, post)
        reply = (
            ReplyParameters(message_id=draw.message_id, allow_sending_without_reply=True)
            if draw.message_id is not None
            else None
        )
        markup = claim_keyboard(draw.id) if draw.winner_ids else None
        message = await bot.send_message(
            draw.chat_id, text, reply_parameters=reply, reply_markup=markup
        )
        async with self.background.session_pool() as session, session.begin():
            await self._service(session).result_posted(draw.id, message.message_id)

    async def show_result(self, bot: Bot, draw: Draw) -> None:
        """Edit the result post to the current winners (after a reroll or a claim)."""
        if draw.result_message_id is None:
            return
        text, _post = await self._render_result(draw, draw.entrants)
        try:
            await bot.edit_message_text(
                text=text, chat_id=draw.chat_id, message_id=draw.result_message_id,
                reply_markup=claim_keyboard(draw.id),
            )  # fmt: skip
        except TelegramBadRequest as error:
            if "not modified" not in str(error):
                logger.warning("draw %s: could not edit its result: %s", draw.id, error)

    async def _render_result(self, draw: Draw, entrants: int) -> tuple[str, str]:
        """The result's text and the draw post's, in the group's language."""
        async with self.background.session_pool() as session:
            profile = await self._profile(session, draw.chat_id)
            names = await display_names(session, draw.chat_id, draw.winner_ids)
        with self._language(profile):
            text = render_result(draw, entrants, names)
            post = render_post(draw, self.background.timezone_of(profile))
        return text, post

    async def show(self, bot: Bot, draw: Draw) -> None:
        """Bring the post up to date now (after a cancel)."""
        async with self.background.session_pool() as session:
            profile = await self._profile(session, draw.chat_id)
        with self._language(profile):
            post = render_post(draw, self.background.timezone_of(profile))
        await self._edit(bot, draw, post)

    async def run(self, bot: Bot) -> None:
        """End due draws and post orphaned results, every `CHECK_EVERY` seconds, forever."""
        await every(CHECK_EVERY, partial(self.catch_up, bot), "end the draws that are due")

    async def catch_up(self, bot: Bot) -> None:
        async with self.background.session_pool() as session:
            due = await self._service(session).due(self.result_grace)
        for draw in due:
            try:
                if draw.status == "open":
                    await self.end(bot, draw.chat_id, draw.id)
                else:
                    async with self.background.session_pool() as session:
                        entrants = len(await self._service(session).entrants(draw.id))
                    await self.announce(bot, draw, entrants)
            except (DrawClosed, DrawNotFound):
                continue  # another worker got there first
            except TelegramAPIError as error:
                logger.warning("draw %s: could not post its result: %s", draw.id, error)

    async def stop(self) -> None:
        for task in self._edits.values():
            task.cancel()
        self._edits.clear()

    async def _edit_later(self, bot: Bot, draw_id: int, wait: float) -> None:
        try:
            await asyncio.sleep(wait)
            self._edited[draw_id] = time.monotonic()
            async with self.background.session_pool() as session:
                draw = await session.get(Draw, draw_id)
                profile = await self._profile(session, draw.chat_id) if draw else None
            if draw is None or draw.status != "open":
                return
            with self._language(profile):
                post = render_post(draw, self.background.timezone_of(profile))
            await self._edit(bot, draw, post)
        finally:
            self._edits.pop(draw_id, None)

    async def _edit(self, bot: Bot, draw: Draw, post: str) -> None:
        if draw.message_id is None:
            return
        markup = join_keyboard(draw.id) if draw.status == "open" else None
        try:
            await bot.edit_message_text(
                text=post, chat_id=draw.chat_id, message_id=draw.message_id, reply_markup=markup
            )
        except TelegramBadRequest as error:
            if "not modified" not in str(error):
                logger.warning("draw %s: could not edit its post: %s", draw.id, error)

    def _service(self, session: AsyncSession) -> DrawService:
        return DrawService(
            session, self.background.clock, PointsService(session, self.background.clock)
        )

    async def _profile(self, session: AsyncSession, chat_id: int) -> ChatProfile | None:
        return await self.background.chats(session).profile(chat_id)

    def _language(self, profile: ChatProfile | None) -> AbstractContextManager[None]:
        return self.background.speaking(profile)


class DrawButton(CallbackData, prefix="draw"):
    """The "参加 / Join" button on a draw's post."""

    id: int


class ClaimButton(CallbackData, prefix="claim"):
    """The "领奖 / Claim" button on a draw's result: winners say they are there."""

    id: int


def claim_keyboard(draw_id: int) -> InlineKeyboardMarkup:
    button = InlineKeyboardButton(text="领奖 / Claim", callback_data=ClaimButton(id=draw_id).pack())
    return InlineKeyboardMarkup(inline_keyboard=[[button]])


def join_keyboard(draw_id: int) -> InlineKeyboardMarkup:
    button = InlineKeyboardButton(text="参加 / Join", callback_data=DrawButton(id=draw_id).pack())
    return InlineKeyboardMarkup(inline_keyboard=[[button]])


def render_post(draw: Draw, timezone: str) -> str:
    language = I18n.get_current(no_error=False).current_locale
    ends = draw.ends_at.astimezone(ZoneInfo(timezone)).strftime("%Y-%m-%d %H:%M")
    lines = [
        _("🎁 <b>Lucky draw #{id}</b>: {prize}").format(id=draw.id, prize=escape(draw.prize)),
        _("Winners: {count} · Ends: {ends} ({timezone})").format(
            count=draw.winners, ends=ends, timezone=timezone
        ),
    ]
    needs = requirements(draw, language)
    if needs:
        lines.append(_("Requirements: {list}").format(list=", ".join(needs)))
    if draw.cost:
        lines.append(
            ngettext("Entry: {cost} point", "Entry: {cost} points", draw.cost).format(
                cost=number(draw.cost)
            )
        )
    lines.append(_("Entrants: {count}").format(count=number(draw.entrants)))
    lines.append(_("Seed commitment (SHA-256): <code>{hash}</code>").format(hash=draw.commitment))
    if draw.status == "ended":
        lines.append(_("🏁 Ended. /verify {id}").format(id=draw.id))
    elif draw.status == "cancelled":
        lines.append(_("❌ Cancelled; entry costs were refunded."))
    return "\n".join(lines)


def requirements(draw: Draw, language: str) -> list[str]:
    needs = []
    if draw.min_tier:
        tier = Tier(draw.min_tier, draw.min_lifetime).label(language)
        needs.append(_("{tier} or above").format(tier=escape(tier)))
    if draw.min_points:
        needs.append(_("{points}+ points").format(points=draw.min_points))
    if draw.min_member_days:
        needs.append(_("in the group {days}+ days").format(days=draw.min_member_days))
    if draw.min_messages:
        needs.append(_("{count}+ messages").format(count=draw.min_messages))
    return needs


def render_result(draw: Draw, entrants: int, names: dict[int, str]) -> str:
    head = _("🏁 <b>Draw #{id} has ended</b>: {prize}").format(id=draw.id, prize=escape(draw.prize))
    if not draw.winner_ids:
        return "\n".join([head, _("No entrants, so no winners.")])
    mentions = [
        f'{place}. <a href="tg://user?id={user}">{escape(names.get(user) or str(user))}</a>'
        + (" ✅" if user in draw.claimed_ids else "")
        for place, user in enumerate(draw.winner_ids, start=1)
    ]
    lines = [head, _("🎉 Winners (press Claim to collect):"), *mentions]
    if entrants < draw.winners:
        lines.append(_("Fewer entrants than prizes: every entrant wins."))
    elif entrants == draw.winners:
        lines.append(_("As many entrants as prizes: every entrant wins."))
    lines += [
        ngettext("{count} entrant", "{count} entrants", entrants).format(count=number(entrants)),
        _("Seed: <code>{seed}</code>").format(seed=draw.seed),
        _("Anyone can check the winners: send /verify {id}").format(id=draw.id),
    ]
    return "\n".join(lines)
