"""Reading the text files admins send (code pools, order exports): as a Chinese shop's tools
write them, UTF-8 or GBK, with or without a BOM, in one encoding throughout."""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterable, Iterator

SLICE = 1 << 16
CJK = ("\u4e00", "\u9fff")  # the unified ideographs: what a Chinese name is written in


class NotText(ValueError):
    """The bytes are no text file: UTF-16, a spreadsheet's binary format, a picture."""


class MixedEncoding(NotText):
    """Lines in two encodings (UTF-8 rows pasted into a GBK export, or the other way): read as
    one, the others would be mojibake (灏忔槑 for 小明). `line` is the first that is not in
    `encoding`, the encoding of the file's BOM or of its first line that is not ASCII."""

    def __init__(self, line: int, encoding: str) -> None:
        super().__init__(f"line {line} is not {encoding}")
        self.line = line
        self.encoding = encoding  # "UTF-8" or "GBK"


def decode_text(data: bytes) -> str:
    """UTF-8 (after an optional BOM), else GB18030, which reads every GBK file (Taobao's
    seller-centre exports); a NUL byte means it is not text at all."""
    return data.decode(encoding_of(data))


def text_stream(data: bytes) -> io.TextIOWrapper:
    """The file as text read as it goes (a 100,000-row export is never one string)."""
    return io.TextIOWrapper(io.BytesIO(data), encoding=encoding_of(data), newline="")


def encoding_of(data: bytes) -> str:
    """`utf-8-sig` or `gb18030`, checked over the whole file (nothing decoded is kept);
    NotText when it is neither, MixedEncoding when its lines are not all in one of them."""
    if b"\x00" in data:
        raise NotText("a NUL byte")
    # The BOM by hand: utf-8-sig's incremental decoder takes a file of b"\xef" for a BOM to come.
    if _reads_as(data.removeprefix(codecs.BOM_UTF8), "utf-8"):
        return "utf-8-sig"
    _check_one_encoding(data)  # line by line: GB18030 throughout, or which line is not
    return "gb18030"


def _reads_as(data: bytes, encoding: str) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)()
    try:
        for start in range(0, len(data), SLICE):
            decoder.decode(data[start : start + SLICE])
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _check_one_encoding(data: bytes) -> None:
    """A file that is not UTF-8 throughout is GBK, unless its BOM or its first line that is not
    ASCII says UTF-8; then the first line of the other encoding is named (MixedEncoding), and a
    line in neither makes it NotText."""
    utf8: bool | None = True if data.startswith(codecs.BOM_UTF8) else None
    for number, line in enumerate(data.splitlines(), start=1):  # no GBK byte is \r or \n
        if number == 1:
            line = line.removeprefix(codecs.BOM_UTF8)
        if line.isascii():
            continue
        if utf8 is None:
            utf8 = _utf8_among_gbk(line)
        if utf8 and not _reads_as(line, "utf-8"):
            if not _reads_as(line, "gb18030"):
                raise NotText("neither UTF-8 nor GBK")
            raise MixedEncoding(number, "UTF-8")
        if not utf8 and (_utf8_among_gbk(line) or not _reads_as(line, "gb18030")):
            if _reads_as(line, "utf-8"):
                raise MixedEncoding(number, "GBK")
            raise NotText("neither UTF-8 nor GBK")


def _utf8_among_gbk(line: bytes) -> bool:
    """Whether a line of a GBK file is UTF-8. Almost any bytes read as *something* in GB18030,
    so decoding alone cannot tell: the line is UTF-8 when it reads as Chinese in UTF-8 and
    either its GB18030 reading is no GBK text (a character beyond GB2312's 6,763 common ones,
    as UTF-8's continuation bytes give) or its UTF-8 reading is common Chinese. Measured: no
    line of 2 to 5 random GB2312 characters read as GBK passes (400,000 tried), and every
    line of 1 to 3 common characters written in UTF-8 does."""
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError:
        return False
    chinese = any(CJK[0] <= char <= CJK[1] for char in text)
    if not chinese or any(not char.isascii() and char < "\u0800" for char in text):
        return False  # Latin, Greek, Cyrillic: what GBK bytes read as in UTF-8 by chance
    try:
        gbk = line.decode("gb18030")
    except UnicodeDecodeError:
        return True
    return not _common_chinese(gbk) or _common_chinese(text)


def _common_chinese(text: str) -> bool:
    try:
        text.encode("gb2312")
    except UnicodeEncodeError:
        return False
    return True


def csv_rows(text: Iterable[str]) -> Iterator[list[str] | None]:
    """The CSV rows of a text, None for a row with a field over the csv module's limit (131,072
    characters): no order, code or name is that long, so the caller refuses that line and reads
    on (the reader starts again on the next line) instead of failing on the whole file."""
    reader = csv.reader(text)
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error:  # with newline="" and no NUL, the field limit is the only one
            yield None
            continue
        yield row


class TableFileError(ValueError):
    """An imported table (orders, members) cannot be read as a whole: `reason` is too big, not
    text, empty, too many rows, columns (`missing` names the fields no column carries), mixed
    encoding (`line` is the first not in `encoding`, the file's) or too long (a field of the
    header, `line` 1)."""

    def __init__(
        self, reason: str, missing: tuple[str, ...] = (), *, line: int = 0, encoding: str = ""
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.missing = missing
        self.line = line
        self.encoding = encoding


def table_rows(
    data: bytes, max_bytes: int, error: type[TableFileError]
) -> tuple[list[str], Iterator[list[str] | None]]:
    """A CSV table's header and the rows after it; `error` (the import's own kind) when the
    file as a whole cannot be read."""
    if len(data) > max_bytes:
        raise error("too big")
    try:
        rows = csv_rows(text_stream(data))
    except MixedEncoding as mixed:
        raise error("mixed encoding", line=mixed.line, encoding=mixed.encoding) from None
    except NotText:
        raise error("not text") from None
    header = next(rows, [])
    if header is None:
        raise error("too long", line=1)
    if not any(cell.strip() for cell in header):
        raise error("empty")
    return header, rows
