"""Reading command arguments as people type them, Chinese keyboards included."""

from __future__ import annotations

import re
from collections.abc import Iterable

# Full-width forms a Chinese keyboard types where ASCII was meant: the space, =, and the comma.
FULL_WIDTH = str.maketrans({"\u3000": " ", "＝": "=", "，": ","})


def loosen_options(text: str, names: Iterable[str]) -> str:
    """`耳机（限量）winners=1` -> `耳机（限量） winners=1`: an option glued to the text before it
    (full-width brackets and Chinese characters leave no space) is split off, so the parser
    sees it. Glued to ASCII letters (`xwinners=1`) it is left alone: that could be a word."""
    pattern = "|".join(re.escape(name) for name in names)
    text = text.translate(FULL_WIDTH)
    return re.sub(rf"(?<![\sA-Za-z0-9_])(?=(?:{pattern})=)", " ", text, flags=re.IGNORECASE)
