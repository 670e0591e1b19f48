"""The files admins send (order exports, code pools): a field over the csv module's limit
refuses its line, and a file whose lines mix UTF-8 and GBK is refused at the first line that
is not in the file's encoding, never read as mojibake."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from infrastructure.i18n import create_i18n
from services.files import MixedEncoding, NotText, encoding_of
from services.order_files import OrderFileError, OrderLine, RefusedLine, read_orders
from services.reward_codes import read_codes
from services.reward_specs import ShopInputError
from views.orders import file_problem, refusal_reason

SHANGHAI = "Asia/Shanghai"
HEADER = "order_id,buyer,amount\r\n"
LONG = "x" * 200_000  # past csv.field_size_limit() (131,072)
# The 3,755 common characters (GB2312 level 1), as a Chinese shop's names are written.
COMMON = [
    bytes([0xB0 + n // 94, 0xA1 + n % 94]).decode("gb2312") for n in range(3755)
]  # rows 0xB0-0xD7 of the code table, 94 a row


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    """The refusals as an admin reads them, in English."""
    i18n = create_i18n("en")
    with i18n.context(), i18n.use_locale("en"):
        yield


def test_a_field_over_the_csv_limit_refuses_its_line_and_the_next_are_read() -> None:
    data = f"{HEADER}T1,bob,1.00\r\nT2,{LONG},2.00\r\nT3,carl,3.00\r\n".encode()
    read = list(read_orders(data, SHANGHAI))
    assert [(r.line, r.buyer) for r in read if isinstance(r, OrderLine)] == [
        (2, "bob"),
        (4, "carl"),
    ]
    assert [r for r in read if isinstance(r, RefusedLine)] == [RefusedLine(3, "too long")]
    assert refusal_reason("too long") == "a field is too long"


def test_a_header_over_the_csv_limit_refuses_the_file_naming_line_1() -> None:
    with pytest.raises(OrderFileError) as refused:
        list(read_orders(f"order_id,{LONG}\r\nT1,bob,1.00\r\n".encode(), SHANGHAI))
    assert (refused.value.reason, refused.value.line) == ("too long", 1)
    assert file_problem(refused.value) == "Line 1: a field is too long; that is no order export."


def test_a_code_over_the_csv_limit_is_a_line_skipped() -> None:
    file = read_codes(f"code\nA1\n{LONG}\nA2\n".encode())
    assert (file.codes, file.refused) == ([(2, "A1"), (4, "A2")], [(3, "too long")])
    first = read_codes(f"{LONG}\nA1\n".encode())  # no header: the long line is line 1
    assert (first.codes, first.refused) == ([(2, "A1")], [(1, "too long")])


@pytest.mark.parametrize(
    ("first", "second", "line", "encoding"),
    [("utf-8", "gbk", 3, "UTF-8"), ("gbk", "utf-8", 3, "GBK")],
)
def test_an_order_file_mixing_utf8_and_gbk_is_refused_at_the_first_line_of_the_other(
    first: str, second: str, line: int, encoding: str
) -> None:
    data = (
        HEADER.encode()
        + "T1,小明,12.00\r\n".encode(first)
        + "T2,小红,13.00\r\n".encode(second)
        + "T3,小刚,14.00\r\n".encode(first)
    )
    with pytest.raises(OrderFileError) as refused:
        list(read_orders(data, SHANGHAI))
    assert (refused.value.reason, refused.value.line, refused.value.encoding) == (
        "mixed encoding",
        line,
        encoding,
    )
    assert file_problem(refused.value).startswith(f"Line {line} is not {encoding} like the lines")


def test_a_bom_says_utf8_so_a_gbk_line_after_it_is_named() -> None:
    data = b"\xef\xbb\xbf" + HEADER.encode() + "T2,小红,13.00\r\n".encode("gbk")
    with pytest.raises(MixedEncoding) as refused:
        encoding_of(data)
    assert (refused.value.line, refused.value.encoding) == (2, "UTF-8")


def test_a_code_file_mixing_utf8_and_gbk_is_refused_with_the_line() -> None:
    data = "甲券01\n".encode("gbk") + "乙券02\n".encode()
    with pytest.raises(ShopInputError) as refused:
        read_codes(data)
    assert (refused.value.detail, refused.value.line, refused.value.encoding) == (
        "mixed encoding",
        2,
        "GBK",
    )


def test_a_gbk_file_of_common_names_is_gbk_and_each_utf8_name_among_them_is_caught() -> None:
    """The check between GBK and UTF-8 lines is a judgement (any bytes read as something in
    GB18030): no pair of common characters in GBK is taken for UTF-8, and every common
    character written in UTF-8 among GBK lines is caught."""
    names = [COMMON[n] + COMMON[-1 - n] for n in range(len(COMMON))]
    gbk = HEADER + "".join(f"T{n},{name},1.00\r\n" for n, name in enumerate(names))
    assert encoding_of(gbk.encode("gbk")) == "gb18030"
    before = (HEADER + "T0,小红,1.00\r\n").encode("gbk")
    for char in COMMON:
        with pytest.raises(MixedEncoding):
            encoding_of(before + f"T1,{char},1.00\r\n".encode())


def test_a_file_of_half_a_bom_is_no_text() -> None:
    """Found by the fuzz: utf-8-sig's incremental decoder takes b"\\xef" for a BOM to come."""
    with pytest.raises(NotText):
        encoding_of(b"\xef")
    with pytest.raises(OrderFileError) as orders:
        list(read_orders(b"\xef", SHANGHAI))
    with pytest.raises(ShopInputError) as codes:
        read_codes(b"\xef")
    assert (orders.value.reason, codes.value.detail) == ("not text", "not text")


def test_text_in_one_encoding_reads_as_before() -> None:
    assert encoding_of("小明\n".encode()) == "utf-8-sig"
    assert encoding_of("小明\n".encode("gbk")) == "gb18030"
    assert encoding_of(b"\xef\xbb\xbfA1\n") == "utf-8-sig"
    assert encoding_of(b"A1\nA2\n") == "utf-8-sig"
