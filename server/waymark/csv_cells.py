"""CSV a spreadsheet opens safely: formula-like text defused, numbers and dates as they are, UTF-8 with a BOM.

Shared by the admin's report pages and the API's CSV answers.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

__all__ = ["csv_bytes", "csv_text", "safe_cell"]

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "|")
_NUMBER = re.compile(r"-?\d+(\.\d+)?([eE][-+]?\d+)?")


def safe_cell(value: Any) -> str:
    """A CSV cell a spreadsheet will not run: text starting like a formula gets a leading apostrophe.

    Numbers stay numbers (a negative count is not a formula); dates are ISO 8601; None is empty.
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value) if isinstance(value, float) else str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    text = str(value)
    if text.startswith(_FORMULA_START) and not _NUMBER.fullmatch(text):
        return "'" + text
    return text


def csv_text(rows: Iterable[Sequence[Any]]) -> str:
    """Rows as CSV text, every cell formula-safe."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])
    return out.getvalue()


def csv_bytes(rows: Iterable[Sequence[Any]]) -> bytes:
    """Rows as CSV (UTF-8 with a BOM, which spreadsheets need to read accents), every cell formula-safe."""
    return ("\ufeff" + csv_text(rows)).encode()
