"""Making an event on the console's Events page, through the real aiohttp application (the
staff console's fixture: a real database, the sandbox as Telegram): a valid form posts the card
to the group (with its photo, the card as its caption), a bad start says why first and keeps
the form, a form without its session's token or from read-only staff is refused, and an
upload that is no JPEG or PNG by its bytes is refused whatever its name."""

from __future__ import annotations

import asyncio
import html
import struct
import zlib
from dataclasses import replace
from datetime import timedelta
from zoneinfo import ZoneInfo

import aiohttp
import pytest
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError
from sqlalchemy import select

from bot.app import create_bot
from models import Event
from sandbox.client import SandboxClient
from tests.sandbox.test_photo_uploads import picture
from tests.support.untranslated import untranslated
from tests.unit.test_staff_console import Console, body_text, console
from views.events import card_keyboard
from web.console_events import post_card
from workflows.delivery import Delivery
from workflows.outbox import OutboxSender

__all__ = ["console"]


def tiny_png() -> bytes:
    """A real 1×1 PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x80\x00")
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels)
            + chunk(b"IEND", b""))  # fmt: skip


def in_three_days(console: Console, hours: int = 0) -> str:
    """A start as the form's datetime-local input sends it, in the group's zone."""
    when = console.services.clock.now() + timedelta(days=3, hours=hours)
    return when.astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%dT%H:%M")


async def send_form(
    console: Console,
    user: int,
    fields: dict[str, str],
    photo: tuple[str, bytes, str] | None = None,
    csrf: str | None = None,
) -> tuple[int, str]:
    form = aiohttp.FormData()
    form.add_field("csrf", console.csrf(user) if csrf is None else csrf)
    for name, value in fields.items():
        form.add_field(name, value)
    if photo is not None:
        name, data, kind = photo
        form.add_field("photo", data, filename=name, content_type=kind)
    async with console.client(user) as http:
        answer = await http.post(f"{console.url}/console/{console.group}/events", data=form,
                                 allow_redirects=False)  # fmt: skip
        return answer.status, html.unescape(await answer.text())


async def events(console: Console) -> list[Event]:
    async with console.services.session_pool() as db:
        return list(await db.scalars(select(Event).order_by(Event.id)))


async def test_an_admin_posts_an_event_with_a_photo(console: Console) -> None:
    fields = {"title": "Shanghai <meetup>", "starts": in_three_days(console), "place": "Hall 2",
              "capacity": "30", "cost": "50", "min_tier": "", "priority_tier": "",
              "priority_hours": ""}  # fmt: skip
    status, _page = await send_form(console, console.owner, fields,
                                    ("poster.png", tiny_png(), "image/png"))  # fmt: skip
    assert status == 303
    [event] = await events(console)
    assert (event.title, event.place, event.capacity, event.cost) == (
        "Shanghai <meetup>", "Hall 2", 30, 50)  # fmt: skip
    assert event.message_id is not None
    assert event.chat_id == console.group
    telegram = SandboxClient(console.services.settings.telegram_api_url or "")
    try:
        sent = await telegram.wait_for(lambda e: e["kind"] == "sent"
                                       and e.get("method") == "sendPhoto")  # fmt: skip
        (posted,) = sent
        assert posted["photo"] is not None
        assert await telegram.file(posted["photo"]) == tiny_png()
    finally:
        await telegram.close()
    assert (posted["chat_id"], posted["message_id"]) == (console.group, event.message_id)
    assert event.photo_file_id == posted["photo"]  # the card is a caption: edited as one
    assert "Shanghai <meetup>" in posted["text"]  # the caption, escaped as Telegram HTML
    assert posted["reply_markup"]["inline_keyboard"][0][0]["text"] == "报名 / Sign up"
    status, page = await console.get(console.owner, f"/console/{console.group}/events")
    assert f"#{event.id} Shanghai &lt;meetup&gt;" in page  # escaped, never markup
    assert (
        "Event #1 is posted in the group."
        in (await console.get(console.owner, f"/console/{console.group}/events?posted=1"))[1]
    )
    _status, page = await console.get(
        console.owner, f"/console/{console.group}/events?posted=<b>"
    )  # not an id: no note
    assert "is posted in the group" not in page
    assert (await console.changes())[-1][:2] == (console.owner, "events.new")


async def test_a_bad_start_says_why_first_and_keeps_the_form(console: Console) -> None:
    fields = {"title": "Tasting", "starts": "2020-01-01T10:00", "place": "Shop",
              "capacity": "12"}  # fmt: skip
    status, page = await send_form(console, console.owner, fields)
    assert status == 400
    reason = "The start is YYYY-MM-DD HH:MM in the group's time, or 3d / 5h from now."
    assert page.index(reason) < page.index('id="new-event"')  # the reason before the form
    assert 'name="title" type="text" value="Tasting"' in page
    assert 'name="capacity" type="number" value="12"' in page
    assert await events(console) == []
    late = {**fields, "starts": in_three_days(console), "priority_tier": "gold",
            "priority_hours": "120"}  # fmt: skip
    status, page = await send_form(console, console.owner, late)  # the window is past the start
    assert status == 400
    assert "priority= is a tier and a window before the start" in page
    assert await events(console) == []


async def test_a_forged_or_missing_token_is_refused(console: Console) -> None:
    fields = {"title": "Forged", "starts": in_three_days(console)}
    for token in ("forged-token", ""):
        status, page = await send_form(console, console.owner, fields, csrf=token)
        assert status == 403
        assert "This form is out of date" in page
    assert await events(console) == []


async def test_read_only_staff_may_not_post_an_event(console: Console) -> None:
    group, staff = console.group, console.staff
    given = await console.post(console.owner, f"/console/{group}/staff", user=str(staff))
    assert given.status == 303
    status, page = await console.get(staff, f"/console/{group}/events")
    assert status == 200
    assert 'id="new-event"' not in page
    status, page = await send_form(
        console, staff, {"title": "Mine", "starts": in_three_days(console)}
    )
    assert status == 403
    assert "read-only" in page
    assert await events(console) == []


async def test_an_upload_that_is_no_image_is_refused(console: Console) -> None:
    fields = {"title": "Launch", "starts": in_three_days(console)}
    script = ("poster.png", b"<script>alert(1)</script>", "image/png")  # named and typed PNG
    status, page = await send_form(console, console.owner, fields, script)
    assert status == 400
    assert "The photo must be a JPEG or PNG image." in page
    assert page.index("The photo must be") < page.index('id="new-event"')
    assert 'value="Launch"' in page
    gif = ("poster.gif", b"GIF89a" + b"\x00" * 20, "image/gif")  # an image, but not one we take
    status, page = await send_form(console, console.owner, fields, gif)
    assert status == 400
    assert await events(console) == []


async def test_a_card_too_long_for_a_caption_follows_its_photo(console: Console) -> None:
    """A caption holds 1024 characters (an emoji counts two): a longer card (a form's card is
    shorter, but a group's own tier names may be long) is its own message after the photo, and
    that message has the buttons."""
    launch = {"title": "Launch", "starts": in_three_days(console)}
    status, _page = await send_form(console, console.owner, launch)
    assert status == 303
    [event] = await events(console)
    bot = create_bot(console.services.settings, console.services)
    telegram = SandboxClient(console.services.settings.telegram_api_url or "")
    try:
        await telegram.skip_past()
        long_card = "🎫 <b>Launch</b> " + "🎉" * 600
        jpeg = (picture(64, 48, "JPEG"), "jpg")
        message_id, caption_of = await post_card(bot, event, long_card, card_keyboard(event), jpeg)
        photo, card = await telegram.wait_for(
            lambda e: e["kind"] == "sent" and e["chat_id"] == console.group, count=2
        )
    finally:
        await bot.session.close()
        await telegram.close()
    assert (photo["method"], photo["text"], photo["reply_markup"]) == ("sendPhoto", None, None)
    assert (card["method"], card["message_id"], caption_of) == ("sendMessage", message_id, None)
    assert card["text"].startswith("🎫 Launch 🎉")
    assert card["reply_markup"]["inline_keyboard"][0][0]["text"] == "报名 / Sign up"


async def test_the_form_speaks_chinese(console: Console) -> None:
    _status, page = await console.get(console.owner, f"/console/{console.group}/events?lang=zh")
    assert "新建活动" in page
    assert untranslated(body_text(page)) == []


async def test_a_card_telegram_refuses_leaves_no_open_event(console: Console) -> None:
    telegram = SandboxClient(console.services.settings.telegram_api_url or "")
    try:
        await telegram.add_fault("403", "sendPhoto")
        fields = {"title": "Kicked", "starts": in_three_days(console)}
        status, page = await send_form(console, console.owner, fields,
                                       ("p.png", tiny_png(), "image/png"))  # fmt: skip
    finally:
        await telegram.close()
    assert status == 400
    assert "Telegram refused the card (Forbidden: bot was kicked from the group chat)" in page
    assert 'value="Kicked"' in page
    [event] = await events(console)
    assert (event.status, event.message_id) == ("cancelled", None)
    assert (await console.changes())[-1][:2] == (console.owner, "events.cancel")  # logged


async def test_a_form_sent_twice_makes_one_event_and_one_card(console: Console) -> None:
    """A double click sends the form twice at once: the group's row is locked, the second
    finds the first's event and points to it."""
    fields = {"title": "Twice", "starts": in_three_days(console)}
    answers = await asyncio.gather(*(send_form(console, console.owner, fields) for _ in "ab"))
    assert [status for status, _page in answers] == [303, 303]
    [event] = await events(console)
    telegram = SandboxClient(console.services.settings.telegram_api_url or "")
    try:
        await telegram.wait_for(lambda e: e["kind"] == "sent" and "Twice" in (e["text"] or ""))
        assert not await telegram.quiet_for(
            1, lambda e: e["kind"] == "sent" and "Twice" in (e["text"] or "")
        )  # no second card
    finally:
        await telegram.close()
    assert event.message_id is not None
    later = {**fields, "starts": in_three_days(console, hours=1)}  # another start: another event
    assert (await send_form(console, console.owner, later))[0] == 303
    assert len(await events(console)) == 2


async def test_a_field_is_one_line_whatever_a_script_sends(console: Console) -> None:
    fields = {"title": "Tea\x00 night\n\tout", "starts": in_three_days(console),
              "place": "Hall\r\n2"}  # fmt: skip
    assert (await send_form(console, console.owner, fields))[0] == 303
    [event] = await events(console)
    assert (event.title, event.place) == ("Tea night out", "Hall 2")


async def test_a_card_refused_after_its_photo_takes_the_photo_back(console: Console) -> None:
    launch = {"title": "Launch", "starts": in_three_days(console)}
    assert (await send_form(console, console.owner, launch))[0] == 303
    [event] = await events(console)
    bot = create_bot(console.services.settings, console.services)
    telegram = SandboxClient(console.services.settings.telegram_api_url or "")
    try:
        await telegram.skip_past()
        await telegram.add_fault("403", "sendMessage")
        long_card = "🎫 <b>Launch</b> " + "🎉" * 600
        with pytest.raises(TelegramForbiddenError):
            await post_card(bot, event, long_card, card_keyboard(event), (tiny_png(), "png"))
        (photo,) = await telegram.wait_for(lambda e: e["kind"] == "sent")
        (deleted,) = await telegram.wait_for(lambda e: e["kind"] == "deleted")
    finally:
        await bot.session.close()
        await telegram.close()
    assert deleted["message_id"] == photo["message_id"]


async def test_a_card_posted_as_a_caption_is_edited_as_its_caption(console: Console) -> None:
    """A card that fits a caption is the photo's caption: the outbox edits it with
    editMessageCaption (editMessageText finds no text there); the same again is no error."""
    launch = {"title": "Launch", "starts": in_three_days(console)}
    assert (await send_form(console, console.owner, launch))[0] == 303
    [event] = await events(console)
    bot = create_bot(console.services.settings, console.services)
    telegram = SandboxClient(console.services.settings.telegram_api_url or "")
    sender = OutboxSender(None, None, {})  # type: ignore[arg-type]  # _deliver uses neither
    jpeg = (picture(64, 48, "JPEG"), "jpg")
    try:
        message_id, caption_of = await post_card(bot, event, "🎫 Launch", None, jpeg)  # type: ignore[arg-type]
        assert caption_of
        await telegram.skip_past()
        edit = Delivery("🎫 Launch · 29 of 30 seats left", edit=message_id, edit_caption=True)
        assert await sender._deliver(bot, console.group, edit) == message_id
        assert await sender._deliver(bot, console.group, edit) == message_id  # not modified
        with pytest.raises(TelegramBadRequest, match="no text in the message"):
            await sender._deliver(bot, console.group, replace(edit, edit_caption=False))
        (edited,) = await telegram.wait_for(lambda e: e["kind"] == "edited")
    finally:
        await bot.session.close()
        await telegram.close()
    assert (edited["method"], edited["message_id"]) == ("editMessageCaption", message_id)
    assert edited["text"] == "🎫 Launch · 29 of 30 seats left"
