"""The sandbox refuses what Telegram refuses."""

from __future__ import annotations

import pytest

from sandbox.errors import BotApiError
from sandbox.validation import check_caption, check_reply_markup, check_text, parse_html


def test_html_gives_the_visible_text() -> None:
    assert parse_html("<b>Hi</b> &lt;3 <a href='https://t.me'>link</a> &#20320;") == "Hi <3 link 你"


@pytest.mark.parametrize(
    ("html", "problem"),
    [
        ("<b>open", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<div>x</div>", 'Unsupported start tag "div"'),
        ("<b>x</i>", "Unmatched end tag"),
        ("a < b", "Unexpected character"),
        ("fish & chips", "Character entity expected"),
    ],
)
def test_malformed_html_is_refused_as_telegram_does(html: str, problem: str) -> None:
    with pytest.raises(BotApiError) as caught:
        check_text(html, "HTML")
    assert caught.value.code == 400
    assert caught.value.description.startswith("Bad Request: can't parse entities")
    assert problem in caught.value.description


def test_text_length_counts_visible_characters() -> None:
    assert check_text("<b>" + "x" * 4096 + "</b>", "HTML")
    with pytest.raises(BotApiError, match="message is too long"):
        check_text("x" * 4097, None)
    with pytest.raises(BotApiError, match="message text is empty"):
        check_text("   ", None)
    with pytest.raises(BotApiError, match="message text is empty"):
        check_text("<b></b>", "HTML")


def test_caption_is_at_most_1024_characters() -> None:
    assert check_caption("y" * 1024, None)
    with pytest.raises(BotApiError, match="message caption is too long"):
        check_caption("y" * 1025, None)


def test_callback_data_is_at_most_64_bytes() -> None:
    ok = {"inline_keyboard": [[{"text": "Join", "callback_data": "d" * 64}]]}
    assert check_reply_markup(ok) == ok
    too_long = {"inline_keyboard": [[{"text": "参加", "callback_data": "参" * 22}]]}  # 66 bytes
    with pytest.raises(BotApiError, match="BUTTON_DATA_INVALID"):
        check_reply_markup(too_long)


def test_button_urls_must_be_http_or_tg() -> None:
    with pytest.raises(BotApiError, match="Wrong HTTP URL"):
        check_reply_markup({"inline_keyboard": [[{"text": "Shop", "url": "javascript:alert(1)"}]]})
    with pytest.raises(BotApiError, match="exactly one optional field"):
        check_reply_markup(
            {"inline_keyboard": [[{"text": "Both", "url": "https://a.b", "callback_data": "x"}]]}
        )
