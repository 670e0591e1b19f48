"""Hostile input gets "no", never an exception: credentials that are not ASCII, JSON nested past
the parser's depth, ids no database column holds, and a posted order of ¥0 or of structures."""

from __future__ import annotations

import json

import pytest

from services.order_files import posted_order, read_orders
from services.shop_signature import signature, signed_in_time
from services.untrusted import json_id, json_value, same_secret
from tests.unit.test_web_auth import NOW, TOKEN, mini_app, widget
from web.auth import Keys, init_data_user, login_widget_user

SHANGHAI = "Asia/Shanghai"
NESTED = b"[" * 60_000 + b"]" * 60_000
# As aiohttp hands them over: percent-decoded UTF-8, and undecodable bytes as lone surrogates.
FOREIGN = ["é", "é.é", "sha256=é" + "0" * 63, "\udcc3\udca9", "\ud800", "中文"]


@pytest.mark.parametrize("given", FOREIGN)
def test_a_credential_that_is_not_ascii_is_refused_not_raised(given: str) -> None:
    keys = Keys(TOKEN)
    assert not same_secret("abc", given)
    assert keys.read_session(given, NOW) is None
    assert keys.read_session(keys.session_cookie(42, NOW).split(".")[0] + "." + given, NOW) is None
    assert keys.read_link(given, NOW) is None
    assert login_widget_user({**widget(), "hash": given}, TOKEN, NOW) is None
    assert init_data_user(mini_app().rsplit("&hash=", 1)[0] + "&hash=" + given, TOKEN, NOW) is None
    body, stamp = b"{}", str(int(NOW))
    assert not signed_in_time("s" * 16, stamp, given, body, NOW)
    assert signed_in_time("s" * 16, stamp, signature("s" * 16, stamp, body), body, NOW)
    assert not signed_in_time("s" * 16, "1" * 5000, given, body, NOW)  # int() of 5000 digits raises


def test_json_nested_past_the_parsers_depth_is_no_json() -> None:
    with pytest.raises(ValueError, match="nested"):
        json_value(NESTED)
    assert json_value(b'{"a": [1]}') == {"a": [1]}


def test_a_lone_surrogate_in_json_becomes_a_replacement_character_and_a_pair_a_character() -> None:
    # A member "named" \ud800 made every update of theirs fail to encode (the HTTP fuzz found it).
    body = rb'{"first_name": "\ud800", "text": ["x\udfff"], "\udc00": "\ud83d\ude00"}'
    value = json_value(body)
    assert value == {"first_name": "\ufffd", "text": ["x\ufffd"], "\ufffd": "\U0001f600"}
    json.dumps(value, ensure_ascii=False).encode()  # every string encodes as UTF-8 now
    assert json_value(body.decode()) == value


def test_an_id_is_a_whole_number_a_database_holds() -> None:
    assert [json_id(v) for v in (1, -100123, 2**63 - 1)] == [1, -100123, 2**63 - 1]
    for not_an_id in (True, False, 1.0, "1", None, [1], 2**63, -(2**63) - 1, 10**30):
        assert json_id(not_an_id) is None, not_an_id


def order(**fields: object) -> dict[str, object]:
    return {"group": -1001, "order_id": "W1", "buyer": "bob", "amount": "88.00", **fields}


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        (order(group=10**30), "group"),
        (order(group=1.0), "group"),
        (order(group="-1001"), "group"),
        (order(amount=json.loads("[" * 500 + "]" * 500)), "amount"),
        (order(buyer={"name": "bob"}), "buyer"),
        (order(amount="0", status="paid"), "amount"),
        (order(amount=0), "amount"),
    ],
)
def test_a_posted_order_names_the_field_it_refuses(payload: object, field: str) -> None:
    with pytest.raises(ValueError, match=field):
        posted_order(payload, SHANGHAI)


def test_a_paid_order_of_nothing_is_refused_in_a_file_too_but_a_closed_one_is_read() -> None:
    data = (
        "订单编号,买家会员名,买家实际支付金额,订单状态\nA1,bob,0.00,交易成功\nA2,bob,0,交易关闭\n"
    )
    paid, closed = list(read_orders(data.encode(), SHANGHAI))
    assert (paid.line, getattr(paid, "reason", None)) == (2, "amount")
    assert (closed.line, getattr(closed, "amount_fen", None)) == (3, 0)
