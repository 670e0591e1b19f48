"""A reward's photo for the Mini App, fetched from Telegram by the bot and served by fanbot.

Telegram's own file address (`/file/bot<token>/<path>`) holds the bot token, so it never goes to
a page: the bot downloads the photo (getFile, then the file) and the page asks fanbot for it
with its initData, like every other call. The bytes are kept in memory (a reward's photo does not
change under its file id), a few dozen at most, so a shelf's photos cost Telegram one download
each per process.
"""

from __future__ import annotations

import logging
from collections import OrderedDict

import aiohttp
from aiogram import Bot
from aiogram.exceptions import TelegramAPIError

log = logging.getLogger(__name__)

MAX_PHOTO_BYTES = 5 * 1024 * 1024  # a photo Telegram resized (1280 px) is far smaller
KEPT_PHOTOS = 64
# The image kinds a page may be given, by their first bytes: anything else is not served.
SIGNATURES = (
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)


def image_type(data: bytes) -> str | None:
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return next((kind for start, kind in SIGNATURES if data.startswith(start)), None)


class RewardPhotos:
    def __init__(self, bot: Bot) -> None:
        self.bot = bot
        # None: Telegram's file is no image we serve (asked once, not again)
        self.kept: OrderedDict[str, tuple[bytes, str] | None] = OrderedDict()

    async def photo(self, file_id: str) -> tuple[bytes, str] | None:
        """The photo's bytes and type; None if Telegram has no such file or it is no image."""
        if file_id in self.kept:
            self.kept.move_to_end(file_id)
            return self.kept[file_id]
        try:
            file = await self.bot.get_file(file_id)
            if file.file_path is None or (file.file_size or 0) > MAX_PHOTO_BYTES:
                return None
            downloaded = await self.bot.download_file(file.file_path)
        except (TelegramAPIError, aiohttp.ClientError, TimeoutError) as error:
            log.warning("a reward photo could not be fetched from Telegram: %s", error)
            return None
        data = downloaded.read() if downloaded is not None else b""
        kind = image_type(data)
        found = (data, kind) if kind is not None and len(data) <= MAX_PHOTO_BYTES else None
        self.kept[file_id] = found
        if len(self.kept) > KEPT_PHOTOS:
            self.kept.popitem(last=False)
        return found
