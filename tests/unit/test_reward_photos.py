"""A reward's photo as the Mini App gets it: fetched by the bot once, served only when its bytes
are an image (a file that is HTML or SVG is never handed to a page)."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Any, cast

from aiogram import Bot
from aiogram.types import File

from web.reward_photos import RewardPhotos

JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 32
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'


@dataclass
class TelegramFiles:
    """The two Bot API calls a photo takes, with what Telegram would hold under each id."""

    files: dict[str, bytes]
    asked: list[str] = field(default_factory=list)

    async def get_file(self, file_id: str) -> File:
        self.asked.append(file_id)
        content = self.files[file_id]
        return File(file_id=file_id, file_unique_id=file_id, file_size=len(content),
                    file_path=f"photos/{file_id}.jpg")  # fmt: skip

    async def download_file(self, file_path: str, **_options: Any) -> io.BytesIO:
        return io.BytesIO(self.files[file_path.removeprefix("photos/").removesuffix(".jpg")])


async def test_a_photo_is_fetched_once_and_only_an_image_is_served() -> None:
    telegram = TelegramFiles({"cup": JPEG, "page": SVG, "empty": b""})
    photos = RewardPhotos(cast(Bot, telegram))
    assert await photos.photo("cup") == (JPEG, "image/jpeg")
    assert await photos.photo("cup") == (JPEG, "image/jpeg")
    assert await photos.photo("page") is None
    assert await photos.photo("page") is None
    assert await photos.photo("empty") is None
    assert telegram.asked == ["cup", "page", "empty"]  # each file asked of Telegram once
