"""sendPhoto with a multipart upload, answered as Telegram answers it: a real image is the
message's photo (its own size), with the caption and the keyboard sent as form fields; a file
that is no image (whatever its name), one over 10 MB and one too long and thin are refused."""

from __future__ import annotations

import io
import json

import aiohttp
from PIL import Image

from sandbox.client import SandboxClient
from sandbox.server import DEFAULT_TOKEN


def picture(width: int, height: int, kind: str = "PNG") -> bytes:
    data = io.BytesIO()
    Image.new("RGB", (width, height), "white").save(data, kind)
    return data.getvalue()


async def upload(url: str, chat_id: int, content: bytes, name: str, **fields: str) -> dict:
    form = aiohttp.FormData()
    form.add_field("chat_id", str(chat_id))
    for key, value in fields.items():
        form.add_field(key, value)
    form.add_field("photo", content, filename=name, content_type="image/png")
    async with (
        aiohttp.ClientSession() as http,
        http.post(f"{url}/bot{DEFAULT_TOKEN}/sendPhoto", data=form) as answer,
    ):
        body: dict = await answer.json()
        return body


async def test_a_photo_uploaded_with_its_caption_and_buttons(
    server: tuple[str, SandboxClient],
) -> None:
    url, sandbox = server
    owner = await sandbox.create_user("Owner")
    group = await sandbox.create_group(creator=owner)
    keyboard = {"inline_keyboard": [[{"text": "Sign up", "callback_data": "event:in:1"}]]}
    sent = await upload(url, group.id, picture(640, 480), "poster.png", caption="<b>Meetup</b>",
                        parse_mode="HTML", reply_markup=json.dumps(keyboard))  # fmt: skip
    message = sent["result"]
    assert message["caption"] == "Meetup"
    assert [(p["width"], p["height"]) for p in message["photo"]] == [(640, 480)]
    assert message["reply_markup"] == keyboard
    assert await sandbox.file(message["photo"][0]["file_id"]) == picture(640, 480)


async def test_an_upload_telegram_cannot_use_as_a_photo_is_refused(
    server: tuple[str, SandboxClient],
) -> None:
    url, sandbox = server
    owner = await sandbox.create_user("Owner")
    group = await sandbox.create_group(creator=owner)
    refused = {
        "IMAGE_PROCESS_FAILED": (b"<script>alert(1)</script>", "poster.png"),
        "PHOTO_SAVE_FILE_INVALID": (b"\x89PNG\r\n\x1a\n" + b"\x00" * (10 * 1024 * 1024), "big.png"),
        "PHOTO_INVALID_DIMENSIONS": (picture(2100, 100), "banner.png"),
    }
    for reason, (content, name) in refused.items():
        answer = await upload(url, group.id, content, name)
        assert (answer["error_code"], answer["description"]) == (400, f"Bad Request: {reason}")
    long_caption = await upload(url, group.id, picture(10, 10), "a.png", caption="x" * 1025)
    assert long_caption["description"] == "Bad Request: message caption is too long"
