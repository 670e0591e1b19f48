"""Every string the code says has a Chinese translation; en falls back to the source text."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
KEYWORDS = {
    "_": None, "__": None, "gettext": None, "lazy_gettext": None,
    "ngettext": (1, 2), "lazy_ngettext": (1, 2),
}  # fmt: skip


def source_messages() -> set[str]:
    found: set[str] = set()
    for folder in ("bot", "infrastructure", "handlers", "services", "scheduler", "views"):
        for _, _, message, _, _ in extract_from_dir(ROOT / folder, keywords=KEYWORDS):
            found.add(message if isinstance(message, str) else message[0])
    return found


def catalog(language: str) -> dict[str, str]:
    with (ROOT / "locales" / language / "LC_MESSAGES" / "messages.po").open("rb") as po:
        # A plural message is known by its singular; its translation by its first form.
        return {
            str(m.id[0] if isinstance(m.id, tuple | list) else m.id): str(
                m.string[0] if isinstance(m.string, tuple | list) else m.string
            )
            for m in read_po(po)
            if m.id
        }


def test_every_message_has_a_chinese_translation() -> None:
    zh = catalog("zh")
    missing = sorted(m for m in source_messages() if not zh.get(m))
    assert missing == [], "run `make locales` and translate: " + "; ".join(missing)


def test_english_catalogue_knows_every_message() -> None:
    assert source_messages() <= set(catalog("en"))


def test_placeholders_survive_translation() -> None:
    import re

    for source, translated in catalog("zh").items():
        assert set(re.findall(r"\{\w+\}", source)) == set(re.findall(r"\{\w+\}", translated)), (
            source
        )


def test_every_message_is_html_telegram_accepts() -> None:
    """Replies go out with parse_mode HTML: a bare <id> in a message makes Telegram refuse it.
    A command's usage ("/draw <prize> …") is plain text, escaped where it is shown."""
    import re

    allowed = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre",
               "tg-spoiler", "blockquote", "span"}  # fmt: skip
    for language in ("en", "zh"):
        for source, translated in catalog(language).items():
            if source.startswith("/") and "&lt;" not in source and "</" not in source:
                continue
            for text in (source, translated):
                tags = set(re.findall(r"</?([A-Za-z][\w-]*)", text))
                assert tags <= allowed, (language, text)


def test_every_entry_of_each_catalogue_is_whole() -> None:
    # Babel reads a msgid without its msgstr as if it were fine, so two branches' appended
    # entries run together at a rebase went unseen (an entry lost its translation line).
    for language in ("en", "zh"):
        lines = (ROOT / "locales" / language / "LC_MESSAGES" / "messages.po").read_text()
        broken = re.findall(r'^msgid "(.*)"\n(?:".*"\n)*+(?!msgstr|msgid_plural)', lines, re.M)
        broken += re.findall(r'^msgid_plural "(.*)"\n(?:".*"\n)*+(?!msgstr\[0\])', lines, re.M)
        assert broken == [], (language, broken)
