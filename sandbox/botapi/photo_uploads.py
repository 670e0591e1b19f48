"""A photo a bot uploads with sendPhoto (multipart/form-data), checked as Telegram checks it:
at most 10 MB, an image it can read (else IMAGE_PROCESS_FAILED, whatever the file is named),
width and height at most 10000 together and a ratio at most 20. A photo named by its file_id
or URL is taken as before."""

from __future__ import annotations

from typing import Any

from sandbox.botapi.core import BotApi, Params
from sandbox.errors import bad_request
from sandbox.files import image_size

MAX_PHOTO_BYTES = 10 * 1024 * 1024
MAX_SIDES = 10_000
MAX_RATIO = 20


def uploaded_photo(api: BotApi, params: Params, field: str = "photo") -> dict[str, Any]:
    """The PhotoSize of the photo a send names, its upload checked first."""
    value = params.get(field)
    if isinstance(value, dict) and "content" in value:  # a file part of the multipart body
        content = value["content"]
        if len(content) > MAX_PHOTO_BYTES:
            raise bad_request("PHOTO_SAVE_FILE_INVALID")
        size = image_size(content)
        if size is None:
            raise bad_request("IMAGE_PROCESS_FAILED")
        width, height = size
        if width + height > MAX_SIDES or max(width, height) > MAX_RATIO * min(width, height):
            raise bad_request("PHOTO_INVALID_DIMENSIONS")
        return api.uploaded(params, field, "photo").photo_size(width, height)
    return api.uploaded(params, field, "photo").photo_size(1280, 720)
