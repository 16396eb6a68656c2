"""Cells for CSV and XLSX files people open in a spreadsheet: text that a spreadsheet would run as a formula (a
sponsor named `=HYPERLINK(…)`, a worker's name in a bulk file) gets a leading single quote, the OWASP way. Numbers
stay numbers, including negative ones written as text. Every export goes through here."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?\d+(?:[.,]\d+)?")


def cell_safe(value: Any) -> Any:
    """The value to write: text starting like a formula is quoted; numbers, dates and None pass unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS) and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


def row_safe(row: Iterable[Any]) -> list[Any]:
    return [cell_safe(value) for value in row]


class SafeCsvWriter:
    """csv.writer with every cell passed through cell_safe."""

    def __init__(self, handle, **kwargs):
        self._writer = csv.writer(handle, **kwargs)

    def writerow(self, row: Iterable[Any]):
        return self._writer.writerow(row_safe(row))

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def csv_writer(handle, **kwargs) -> SafeCsvWriter:
    return SafeCsvWriter(handle, **kwargs)
