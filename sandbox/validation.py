"""The checks Telegram makes before it accepts a message, so tests fail where Telegram would."""

from __future__ import annotations

import re
from typing import Any

from sandbox.errors import bad_request

MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_DATA = 64
MAX_CALLBACK_ANSWER = 200

# Tags of Telegram's HTML parse mode, and the attribute each must (or may) carry.
HTML_TAGS = {
    "b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler", "a",
    "tg-emoji", "code", "pre", "blockquote",
}  # fmt: skip
TAG = re.compile(
    r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[a-zA-Z-]+(?:\s*=\s*(?:\"[^\"]*\"|'[^']*'|[^\s>]+))?)*)\s*>"
)
ENTITY = re.compile(r"&(lt|gt|amp|quot|#\d{1,7}|#x[0-9a-fA-F]{1,6});")
ENTITY_TEXT = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}


def utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def parse_html(text: str) -> str:
    """Telegram's HTML mode: returns the visible text, or raises what Telegram would say."""
    visible: list[str] = []
    open_tags: list[str] = []
    position = 0
    while position < len(text):
        char = text[position]
        if char == "<":
            match = TAG.match(text, position)
            offset = len(text[:position].encode())
            if match is None:
                raise bad_request(
                    f"can't parse entities: Unexpected character at byte offset {offset}"
                )
            closing, name, attributes = match.group(1), match.group(2).lower(), match.group(3)
            if name not in HTML_TAGS:
                kind = "end" if closing else "start"
                raise bad_request(
                    "can't parse entities: "
                    f'Unsupported {kind} tag "{name}" at byte offset {offset}'
                )
            if closing:
                if not open_tags or open_tags[-1] != name:
                    raise bad_request(
                        f"can't parse entities: Unmatched end tag at byte offset {offset}, "
                        f'expected "</{open_tags[-1] if open_tags else ""}>", found "</{name}>"'
                    )
                open_tags.pop()
            else:
                if name == "a" and "href" not in attributes:
                    visible.append("")
                open_tags.append(name)
            position = match.end()
        elif char == "&":
            match = ENTITY.match(text, position)
            if match is None:
                offset = len(text[:position].encode())
                raise bad_request(
                    f"can't parse entities: Character entity expected at byte offset {offset}"
                )
            code = match.group(1)
            if code.startswith("#x"):
                visible.append(chr(int(code[2:], 16)))
            elif code.startswith("#"):
                visible.append(chr(int(code[1:])))
            else:
                visible.append(ENTITY_TEXT[code])
            position = match.end()
        elif char == ">":
            offset = len(text[:position].encode())
            raise bad_request(f"can't parse entities: Unexpected character at byte offset {offset}")
        else:
            visible.append(char)
            position += 1
    if open_tags:
        raise bad_request(
            "can't parse entities: "
            f'Can\'t find end tag corresponding to start tag "{open_tags[-1]}"'
        )
    return "".join(visible)


def visible_text(text: str, parse_mode: str | None) -> str:
    if parse_mode is None or parse_mode == "":
        return text
    if parse_mode.upper() == "HTML":
        return parse_html(text)
    if parse_mode in ("Markdown", "MarkdownV2"):
        return text  # fanbot speaks HTML only; other modes are accepted as they are
    raise bad_request("unsupported parse_mode")


def check_text(text: Any, parse_mode: str | None) -> str:
    if not isinstance(text, str) or not text.strip():
        raise bad_request("message text is empty")
    shown = visible_text(text, parse_mode)
    if not shown.strip():
        raise bad_request("message text is empty")
    if utf16_length(shown) > MAX_TEXT:
        raise bad_request("message is too long")
    return shown


def check_caption(caption: Any, parse_mode: str | None) -> str | None:
    if caption is None or caption == "":
        return None
    shown = visible_text(str(caption), parse_mode)
    if utf16_length(shown) > MAX_CAPTION:
        raise bad_request("message caption is too long")
    return shown


def check_reply_markup(markup: Any) -> dict[str, Any] | None:
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    rows = markup.get("inline_keyboard")
    if rows is None:
        return markup  # reply keyboards, force_reply, remove: nothing fanbot relies on
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request(
            'field "inline_keyboard" of the InlineKeyboardMarkup must be an Array of Arrays'
        )
    for row in rows:
        for button in row:
            _check_button(button)
    return markup


def _check_button(button: Any) -> None:
    if not isinstance(button, dict) or not button.get("text"):
        raise bad_request("text buttons are unallowed in the inline keyboard")
    actions = [key for key in button if key != "text"]
    if len(actions) != 1:
        raise bad_request(
            "can't parse inline keyboard button: exactly one optional field must be used"
        )
    if "callback_data" in button:
        data = button["callback_data"]
        if not isinstance(data, str) or not 1 <= len(data.encode()) <= MAX_CALLBACK_DATA:
            raise bad_request("BUTTON_DATA_INVALID")
    if "web_app" in button:
        url = (button["web_app"] or {}).get("url") if isinstance(button["web_app"], dict) else None
        if not isinstance(url, str) or not url.startswith("https://"):
            raise bad_request(
                f"inline keyboard button Web App URL '{url}' is invalid: Only HTTPS links are "
                "allowed"
            )
    if "url" in button:
        url = button["url"]
        if not isinstance(url, str) or not re.match(r"^(https?|tg)://\S+$", url):
            raise bad_request(f"inline keyboard button URL '{url}' is invalid: Wrong HTTP URL")
