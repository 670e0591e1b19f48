"""Reading command arguments as people type them, Chinese keyboards included."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence

# Full-width forms a Chinese keyboard types where ASCII was meant: the space, =, and the comma.
FULL_WIDTH = str.maketrans({"\u3000": " ", "＝": "=", "，": ","})


def loosen_options(text: str, names: Iterable[str]) -> str:
    """`耳机（限量）winners=1` -> `耳机（限量） winners=1`: an option glued to the text before it
    (full-width brackets and Chinese characters leave no space) is split off, so the parser
    sees it. Glued to ASCII letters (`xwinners=1`) it is left alone: that could be a word."""
    pattern = "|".join(re.escape(name) for name in names)
    text = text.translate(FULL_WIDTH)
    return re.sub(rf"(?<![\sA-Za-z0-9_])(?=(?:{pattern})=)", " ", text, flags=re.IGNORECASE)


HOUR = re.compile(r"^\d{1,2}:\d\d$")


class OptionsOutOfOrder(ValueError):
    """An option given twice (`field` is its name) or a word after the options (`field` None):
    each command's parser says which of its parts that was."""

    def __init__(self, field: str | None) -> None:
        super().__init__(field)
        self.field = field


def ends_takes_an_hour(name: str, value: str) -> bool:
    """`ends=2026-12-01 20:00`: the hour typed after a space is `ends`'s."""
    return name == "ends"


def no_hour(name: str, value: str) -> bool:
    return False


def head_and_options(
    text: str,
    names: Sequence[str],
    takes_hour: Callable[[str, str], bool] = ends_takes_an_hour,
) -> tuple[list[str], dict[str, str]]:
    """`<head words> name=value …` (a prize, a title, an item, then options in any order): the
    head's words and the options by lower-case name. An option's value takes the next word when
    that is an hour (`HH:MM`) and `takes_hour(name, value)` allows it."""
    words, options, head = loosen_options(text, names).split(), dict[str, str](), []
    index = 0
    while index < len(words):
        name, equals, value = words[index].partition("=")
        name = name.lower()
        if equals and name in names:
            if name in options:
                raise OptionsOutOfOrder(name)
            following = words[index + 1] if index + 1 < len(words) else ""
            if HOUR.match(following) and takes_hour(name, value):
                value, index = f"{value} {following}", index + 1
            options[name] = value
        elif options:
            raise OptionsOutOfOrder(None)  # the head comes first, in one piece
        else:
            head.append(words[index])
        index += 1
    return head, options
