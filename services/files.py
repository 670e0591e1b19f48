"""Reading the text files admins send (code pools, order exports): as a Chinese shop's tools
write them, UTF-8 or GBK, with or without a BOM."""

from __future__ import annotations

import codecs
import io

SLICE = 1 << 16


class NotText(ValueError):
    """The bytes are no text file: UTF-16, a spreadsheet's binary format, a picture."""


def decode_text(data: bytes) -> str:
    """UTF-8 (after an optional BOM), else GB18030, which reads every GBK file (Taobao's
    seller-centre exports); a NUL byte means it is not text at all."""
    return data.decode(encoding_of(data))


def text_stream(data: bytes) -> io.TextIOWrapper:
    """The file as text read as it goes (a 100,000-row export is never one string)."""
    return io.TextIOWrapper(io.BytesIO(data), encoding=encoding_of(data), newline="")


def encoding_of(data: bytes) -> str:
    """`utf-8-sig` or `gb18030`, checked over the whole file a slice at a time (nothing
    decoded is kept); NotText when it is neither."""
    if b"\x00" in data:
        raise NotText("a NUL byte")
    for encoding in ("utf-8-sig", "gb18030"):
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            for start in range(0, len(data), SLICE):
                decoder.decode(data[start : start + SLICE])
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        return encoding
    raise NotText("neither UTF-8 nor GBK")
