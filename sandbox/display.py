"""What the bot sends, as the sandbox's terminal shows it: its HTML as a terminal can, buttons
numbered (a link button with its address), files saved to a folder."""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any

from sandbox.files import FileStore

TAG = re.compile(r"<[^>]+>")
LINK = re.compile(r'<a href="([^"]*)">(.*?)</a>', re.DOTALL)
STYLES = {"b": "1", "strong": "1", "i": "3", "em": "3", "u": "4", "code": "2", "pre": "2"}
# Buttons that only a Telegram app can act on; the terminal names what they would do.
APP_ONLY = ("switch_inline_query", "switch_inline_query_current_chat",
            "switch_inline_query_chosen_chat", "copy_text", "callback_game", "pay")  # fmt: skip


def render_html(text: str, *, ansi: bool) -> str:
    """The bot's HTML as a terminal shows it: bold and italics as ANSI styles (when the output
    is a terminal), links as "text (url)", other tags dropped, entities unescaped."""
    text = LINK.sub(lambda link: f"{link[2]} ({link[1]})", text)
    if ansi:
        for tag, style in STYLES.items():
            text = re.sub(rf"<{tag}(?: [^>]*)?>", f"\033[{style}m", text)
            text = text.replace(f"</{tag}>", "\033[0m")
    return html.unescape(TAG.sub("", text))


def buttons_of(markup: dict[str, Any] | None) -> list[dict[str, Any]]:
    rows: list[list[dict[str, Any]]] = (markup or {}).get("inline_keyboard", [])
    return [button for row in rows for button in row]


def describe_button(number: int, button: dict[str, Any]) -> str:
    label = f"   [{number}] {button.get('text')}"
    if "url" in button:
        return f"{label} → {button['url']}"
    if "web_app" in button:
        return f"{label} → Mini App {button['web_app'].get('url')}"
    if "login_url" in button:
        return f"{label} → log in at {button['login_url'].get('url')}"
    kind = next((key for key in APP_ONLY if key in button), None)
    return f"{label} ({kind})" if kind else label


def unused_path(folder: Path, name: str) -> Path:
    """`name` in `folder`, numbered (report-2.csv) when a file of that name is there already."""
    name = Path(name).name or "file"  # a name from the bot never leaves the folder
    path, number = folder / name, 1
    while path.exists():
        number += 1
        path = folder / f"{Path(name).stem}-{number}{Path(name).suffix}"
    return path


def save_attachment(files: FileStore, event: dict[str, Any], folder: Path) -> str | None:
    """A document or photo the bot sent, written to `folder`: a line saying where, or None."""
    document = event.get("document")
    photo_id = event.get("photo")
    stored = files.get(document["file_id"] if document else photo_id)
    if stored is None:
        return None
    kind = "📎" if document else "🖼"
    if not stored.content:  # sent by URL or by a file_id the sandbox holds no bytes for
        return f"{kind} {stored.filename}"
    folder.mkdir(parents=True, exist_ok=True)
    path = unused_path(folder, stored.filename)
    path.write_bytes(stored.content)
    return f"{kind} {stored.filename} ({size_text(len(stored.content))}) saved to {path}"


def size_text(size: int) -> str:
    return f"{size} B" if size < 1024 else f"{size / 1024:.1f} KB"
