"""Files as Telegram keeps them: a `file_id` to send again or pass to getFile, a
`file_unique_id` that is the same for the same bytes (and cannot be used to download), and a
`file_path` under /file/bot<token>/ while the bot downloads it."""

from __future__ import annotations

import hashlib
import io
import itertools
import mimetypes
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

PHOTO_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".bmp"}  # what Telegram's apps send as photos
THUMBNAIL_SIDE = 90  # the smallest PhotoSize Telegram makes of a photo


@dataclass
class StoredFile:
    file_id: str
    file_unique_id: str
    file_path: str
    content: bytes
    filename: str
    mime_type: str

    def document(self) -> dict[str, Any]:
        """The Document a message carries."""
        return {
            "file_id": self.file_id, "file_unique_id": self.file_unique_id,
            "file_name": self.filename, "mime_type": self.mime_type,
            "file_size": len(self.content),
        }  # fmt: skip

    def photo_size(self, width: int, height: int) -> dict[str, Any]:
        return {
            "file_id": self.file_id, "file_unique_id": self.file_unique_id, "width": width,
            "height": height, "file_size": len(self.content),
        }  # fmt: skip


class FileStore:
    def __init__(self) -> None:
        self._numbers = itertools.count(1)
        self._by_id: dict[str, StoredFile] = {}
        self._by_path: dict[str, StoredFile] = {}

    def next_number(self) -> int:
        return next(self._numbers)

    def store(
        self, content: bytes, filename: str, kind: str, mime_type: str | None = None
    ) -> StoredFile:
        """A new file. Empty content (a photo a test only names, a file by URL) gets a unique id
        of its own, so two such files never look like the same picture."""
        number = self.next_number()
        unique = hashlib.sha256(content).hexdigest()[:16] if content else f"empty{number}"
        suffix = PurePath(filename).suffix.lower()
        stored = StoredFile(
            file_id=f"sandbox-{kind}-{number}",
            file_unique_id=f"u{unique}",
            file_path=f"{kind}s/file_{number}{suffix}",
            content=content,
            filename=filename,
            mime_type=mime_type or mimetypes.guess_type(filename)[0] or "application/octet-stream",
        )
        self._by_id[stored.file_id] = stored
        self._by_path[stored.file_path] = stored
        return stored

    def get(self, file_id: object) -> StoredFile | None:
        return self._by_id.get(file_id) if isinstance(file_id, str) else None

    def at_path(self, file_path: str) -> StoredFile | None:
        return self._by_path.get(file_path)


def is_photo(filename: str) -> bool:
    return PurePath(filename).suffix.lower() in PHOTO_SUFFIXES


def image_size(content: bytes) -> tuple[int, int] | None:
    """An image's width and height, or None when the bytes are no image Pillow reads."""
    try:
        from PIL import Image  # matplotlib's dependency; only a photo sent from a file needs it

        with Image.open(io.BytesIO(content)) as image:
            return image.size
    except Exception:  # noqa: BLE001 - anything Pillow cannot read is simply not an image
        return None


def photo_sizes(store: FileStore, content: bytes, filename: str) -> list[dict[str, Any]]:
    """Message.photo for a picture a person sends: the sizes Telegram makes of it, smallest
    first (a thumbnail, then the picture), each a file of its own."""
    measured = image_size(content)
    width, height = measured or (800, 800)
    full = store.store(content, filename, "photo", "image/jpeg")
    sizes = [full.photo_size(width, height)]
    if measured is not None and max(width, height) > THUMBNAIL_SIDE:
        scale = THUMBNAIL_SIDE / max(width, height)
        thumbnail = store.store(content, filename, "photo", "image/jpeg")
        thumbnail.file_unique_id += "-s"  # a smaller rendition is another file to Telegram
        sizes.insert(0, thumbnail.photo_size(round(width * scale), round(height * scale)))
    return sizes
