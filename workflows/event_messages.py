"""What the events feature says on its own (the payloads: `services/event_messages.py`; the
words: `views/events.py`). The private notices are said in the event group's language, and
only while they are still true (the seat still held, the offer still open, the time the same)."""

from __future__ import annotations

import logging

from aiogram.exceptions import TelegramAPIError
from sqlalchemy import func, select

from infrastructure.i18n import reply_language
from models import Event, EventSeat
from services.chats import ChatProfile
from services.event_messages import (
    EventCardEdit,
    EventChange,
    EventOffer,
    EventReminder,
    EventThanks,
)
from views.events import (
    card_keyboard,
    card_text,
    change_text,
    offer_keyboard,
    offer_text,
    reminder_text,
    thanks_text,
)
from workflows.delivery import Delivery, RenderContext, Renderers
from workflows.topics import TopicRightsMissing

logger = logging.getLogger(__name__)

renderers = Renderers()


async def _event_and_seat(
    context: RenderContext, event_id: int, user_id: int
) -> tuple[Event, EventSeat | None, ChatProfile] | None:
    background = context.background
    async with background.session_pool() as session:
        event = await session.get(Event, event_id)
        seat = await session.scalar(
            select(EventSeat).where(EventSeat.event_id == event_id, EventSeat.user_id == user_id)
        )
        group = None if event is None else await background.services.chats(session).profile(
            event.chat_id
        )  # fmt: skip
    if event is None or group is None:
        return None
    return event, seat, group


@renderers.register(EventReminder)
async def reminder(
    context: RenderContext, profile: ChatProfile, reminded: EventReminder
) -> Delivery | None:
    found = await _event_and_seat(context, reminded.event_id, profile.id)
    if found is None:
        return None
    event, seat, group = found
    if seat is None or seat.status != "confirmed" or event.status != "open":
        return None
    if event.starts_at != reminded.starts_at:
        return None  # moved meanwhile: the new time has reminders of its own
    i18n = context.background.i18n
    code = None if event.online else seat.code
    with i18n.use_locale(reply_language(group, None, i18n.default_locale)):
        return Delivery(reminder_text(event, reminded.hour, group.timezone, code))


@renderers.register(EventOffer)
async def offer(
    context: RenderContext, profile: ChatProfile, offered: EventOffer
) -> Delivery | None:
    found = await _event_and_seat(context, offered.event_id, profile.id)
    if found is None:
        return None
    event, seat, group = found
    if seat is None or seat.status != "offered" or seat.offered_until != offered.until:
        return None
    i18n = context.background.i18n
    with i18n.use_locale(reply_language(group, None, i18n.default_locale)):
        return Delivery(
            offer_text(event, offered.until, group.timezone), markup=offer_keyboard(event.id)
        )


@renderers.register(EventChange)
async def change(
    context: RenderContext, profile: ChatProfile, changed: EventChange
) -> Delivery | None:
    found = await _event_and_seat(context, changed.event_id, profile.id)
    if found is None:
        return None
    event, _seat, group = found
    i18n = context.background.i18n
    with i18n.use_locale(reply_language(group, None, i18n.default_locale)):
        return Delivery(change_text(event, changed.cancelled, changed.refunded, group.timezone))


@renderers.register(EventCardEdit)
async def card_edit(
    context: RenderContext, profile: ChatProfile, edited: EventCardEdit
) -> Delivery | None:
    """The card as the event is now: seats left, waiting, time and place; a cancelled or ended
    event's card has no buttons. A card posted as a photo's caption (from the console) is
    edited as a caption."""
    background = context.background
    async with background.session_pool() as session:
        event = await session.get(Event, edited.event_id)
        if event is None or event.message_id is None:
            return None  # not posted: nothing to edit
        counts = await background.services.events(session).counts(event.id)
        ladder = await background.services.tiers(session).ladder(event.program_id)
    language = reply_language(profile, None, background.i18n.default_locale)
    with background.i18n.use_locale(language):
        text = card_text(event, counts, profile.timezone, ladder, language)
    live = event.status == "open" and event.closed_at is None
    return Delivery(
        text, markup=card_keyboard(event) if live else None, edit=event.message_id,
        edit_caption=event.photo_file_id is not None,
    )  # fmt: skip


@renderers.register(EventThanks)
async def thanks(
    context: RenderContext, profile: ChatProfile, thanked: EventThanks
) -> Delivery | None:
    """In the event's group (the row's chat), in its language (the sender's locale)."""
    async with context.background.session_pool() as session:
        event = await session.get(Event, thanked.event_id)
        came = await session.scalar(
            select(func.count()).where(
                EventSeat.event_id == thanked.event_id, EventSeat.checked_in_at.is_not(None)
            )
        )
    if event is None or event.status != "open":
        return None
    thread = None
    if thanked.topic_id is not None and context.topics is not None:
        try:
            thread = await context.topics.open_queued(context.bot, profile, thanked.topic_id)
        except (TopicRightsMissing, TelegramAPIError) as error:  # the admins were told
            logger.info("no photo thread for event %s: %s", event.id, error)
    return Delivery(thanks_text(event, int(came or 0), thread=thread is not None))
