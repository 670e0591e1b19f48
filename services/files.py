"""Reading the text files admins send (code pools, order exports): as a Chinese shop's tools
write them, UTF-8 or GBK, with or without a BOM."""

from __future__ import annotations


class NotText(ValueError):
    """The bytes are no text file: UTF-16, a spreadsheet's binary format, a picture."""


def decode_text(data: bytes) -> str:
    """UTF-8 (after an optional BOM), else GB18030, which reads every GBK file (Taobao's
    seller-centre exports); a NUL byte means it is not text at all."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if b"\x00" in data:
        raise NotText("a NUL byte")
    for encoding in ("utf-8", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise NotText("neither UTF-8 nor GBK")
