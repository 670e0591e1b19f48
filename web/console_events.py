"""The console's Events page (线下活动): each of the group's events with its figures (signed
up, waiting, checked in, no-shows, attendance by tier, orders by attendees in the 30 days
after, as `/event stats` says them), each event's sign-ups as a CSV (`/export attendees`), and
a form that makes an event as `/event new` does (its rules: `services/event_specs.py`) and
posts its card to the group, with a photo if one is given."""

from __future__ import annotations

import logging
from contextlib import suppress

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.types import BufferedInputFile, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiohttp import web
from aiohttp.web_request import FileField

from models import Event
from services.chats import ChatProfile
from services.event_export import attendees_csv
from services.event_specs import EventInputError, event_spec
from services.posts import MAX_CAPTION, utf16_length
from services.tiers import Tier
from views import events as view
from web.changes import note_change, note_no_change
from web.console import ROUTE_CHAT, Console
from web.reward_photos import image_type
from web.site import MAX_PHOTO_BYTES, plain

logger = logging.getLogger(__name__)

PHOTO_TYPES = {"image/jpeg": "jpg", "image/png": "png"}
FIELDS = ("title", "starts", "ends", "place", "capacity", "cost", "min_tier", "priority_tier",
          "priority_hours")  # fmt: skip
# The form's fields that are `/event new` options of the same name.
OPTIONS = ("ends", "place", "capacity", "cost", "min_tier")
# Where a rule's refusal is shown: the field that holds what it refused.
FIELD_OF = {"start": "starts", "priority": "priority_hours"}


def photo_of(form_file: object) -> tuple[bytes, str] | str | None:
    """The upload's bytes and extension; None when no file was chosen; else the reason."""
    if not isinstance(form_file, FileField):
        return None
    data = form_file.file.read(MAX_PHOTO_BYTES + 1)
    if not data:
        return None
    if len(data) > MAX_PHOTO_BYTES:
        return _("The photo may be up to 5 MB.")
    kind = image_type(data)  # by its bytes: a name or a declared type says nothing
    if kind not in PHOTO_TYPES:
        return _("The photo must be a JPEG or PNG image.")
    return data, PHOTO_TYPES[kind]


def options_of(values: dict[str, str], online: bool) -> dict[str, str]:
    """The form as `/event new`'s options: only what was filled in."""
    options = {name: values[name] for name in OPTIONS if values[name]}
    if "ends" in options:
        options["ends"] = options["ends"].replace("T", " ")  # a datetime-local input
    if online:
        options["place"] = "online"
    if values["priority_tier"] or values["priority_hours"]:  # `Gold:24h`
        options["priority"] = f"{values['priority_tier']}:{values['priority_hours']}h"
    return options


async def post_card(
    bot: Bot,
    event: Event,
    text: str,
    keyboard: InlineKeyboardMarkup,
    photo: tuple[bytes, str] | None,
) -> tuple[int, str | None]:
    """The card in the group: the photo with the card as its caption; a card longer than a
    caption may be goes after the photo as its own message (the one with the buttons). The
    card's message id, and the photo's file id when the card is its caption (edited so)."""
    if photo is None:
        sent = await bot.send_message(event.chat_id, text, reply_markup=keyboard)
        return sent.message_id, None
    data, extension = photo
    upload = BufferedInputFile(data, f"event-{event.id}.{extension}")
    if utf16_length(plain(text)) <= MAX_CAPTION:
        sent = await bot.send_photo(event.chat_id, upload, caption=text, reply_markup=keyboard)
        return sent.message_id, sent.photo[-1].file_id if sent.photo else ""
    alone = await bot.send_photo(event.chat_id, upload)
    try:
        sent = await bot.send_message(event.chat_id, text, reply_markup=keyboard)
        return sent.message_id, None
    except TelegramAPIError:  # no card: take the photo back too, so nothing is left posted
        with suppress(TelegramAPIError):
            await bot.delete_message(event.chat_id, alone.message_id)
        raise


class EventPages:
    def __init__(self, console: Console) -> None:
        self.console = console
        self.site = console.site

    def register(self, app: web.Application) -> None:
        page, group, routes = self.site.page, self.console.group_page, app.router
        routes.add_get(f"/console/{ROUTE_CHAT}/events", page(group(self.events)))
        routes.add_post(f"/console/{ROUTE_CHAT}/events", page(group(self.create)))
        routes.add_get(
            f"/console/{ROUTE_CHAT}/events/{{event:\\d{{1,18}}}}.csv", page(group(self.download))
        )

    async def _ladder(self, group: ChatProfile) -> list[Tier]:
        async with self.site.pool() as db:
            return list(await self.site.domain.tiers(db).ladder(group.program_id))

    async def _render(
        self,
        request: web.Request,
        group: ChatProfile,
        values: dict[str, str],
        errors: dict[str, str],
        status: int = 200,
    ) -> web.Response:
        async with self.site.pool() as db:
            service = self.site.domain.events(db)
            figures = [
                await service.door.stats(event) for event in await service.of_group(group.id)
            ]
        ladder = await self._ladder(group)
        names = {tier.key: tier.label(self.site.i18n.current_locale) for tier in ladder}
        return self.site.render(
            request, "events.html", status=status, group=group, figures=figures, tiers=names,
            values=values, errors=errors, posted=_posted(request),
        )  # fmt: skip

    async def events(
        self, request: web.Request, group: ChatProfile, _user: int
    ) -> web.StreamResponse:
        return await self._render(request, group, dict.fromkeys(FIELDS, ""), {})

    async def create(
        self, request: web.Request, group: ChatProfile, user: int
    ) -> web.StreamResponse:
        form = await self.site.form(request)
        values = {name: one_line(str(form.get(name, "")))[:300] for name in FIELDS}
        values["online"] = "on" if form.get("online") else ""
        errors: dict[str, str] = {}
        photo = photo_of(form.get("photo"))
        if isinstance(photo, str):
            errors["photo"] = photo
        ladder = await self._ladder(group)
        try:
            spec = event_spec(
                values["title"], values["starts"].replace("T", " "),
                options_of(values, bool(values["online"])), self.site.domain.clock.now(),
                group.timezone, ladder,
            )  # fmt: skip
        except EventInputError as bad:
            errors[FIELD_OF.get(str(bad), str(bad))] = view.event_problem_text(bad)
        if errors:  # the reason first, the form as it was sent
            return await self._render(request, group, values, errors, status=400)
        assert not isinstance(photo, str)
        async with self.site.pool() as db, db.begin():
            events = self.site.domain.events(db)
            event, new = await events.create_once(group.id, group.program_id, spec, user)
            counts = await events.counts(event.id)
        if not new:  # the same form sent again: the event it made, once
            note_no_change(request)
            raise web.HTTPSeeOther(f"/console/{group.id}/events?posted={event.id}")
        # The card is the group's: in its language (the page is in the operator's).
        language = group.language or self.site.settings.default_language
        with self.site.i18n.use_locale(language):
            text = view.card_text(event, counts, group.timezone, ladder, language)
        try:
            keyboard = view.card_keyboard(event)
            message_id, caption_of = await post_card(self.site.bot, event, text, keyboard, photo)
        except TelegramAPIError as error:
            logger.warning("console: the card of event %s was refused: %s", event.id, error)
            async with self.site.pool() as db, db.begin():
                await self.site.domain.events(db).cancel_event(event.id)  # no one signed up
            errors["title"] = _(
                "Telegram refused the card ({reason}): nothing was posted and "
                "event #{id} is cancelled."
            ).format(reason=error.message, id=event.id)
            note_change(request, "events.cancel", f"#{event.id} {spec.title}: {error.message}")
            return await self._render(request, group, values, errors, status=400)
        async with self.site.pool() as db, db.begin():
            await self.site.domain.events(db).set_card(event.id, message_id, caption_of)
        note_change(request, "events.new", f"#{event.id} {spec.title}", event.id)
        raise web.HTTPSeeOther(f"/console/{group.id}/events?posted={event.id}")

    async def download(
        self, request: web.Request, group: ChatProfile, _user: int
    ) -> web.StreamResponse:
        event_id = int(request.match_info["event"])
        async with self.site.pool() as db:
            service = self.site.domain.events(db)
            event = await service.event(event_id, [group.id])
            if event is None:
                raise web.HTTPNotFound()
            rows = await service.door.attendees(event.id)
        return web.Response(
            body=attendees_csv(rows, group.timezone),
            headers={
                "Content-Type": "text/csv; charset=utf-8",
                "Content-Disposition": f'attachment; filename="event-{event.id}-attendees.csv"',
            },
        )


def one_line(typed: str) -> str:
    """A form field as the command would have it: one line, no control characters, spaces
    run together (a scripted POST may send a newline or a NUL, which PostgreSQL refuses)."""
    return " ".join("".join(ch if ch.isprintable() else " " for ch in typed).split())


def _posted(request: web.Request) -> str:
    """The event a redirect after posting names (`?posted=7`): digits, or nothing."""
    posted = request.query.get("posted", "")
    return posted if posted.isdigit() and len(posted) <= 18 else ""
