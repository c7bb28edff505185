"""CSV cells that are safe to open in a spreadsheet.

A cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return runs as a formula
in Excel or LibreOffice (CSV injection): a transcribed "=HYPERLINK(...)" or an uploaded file
named that way must open as text. Such text cells get a leading apostrophe; numbers are left
alone.
"""

from __future__ import annotations

from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def safe_row(row: dict[str, Any]) -> dict[str, Any]:
    """A row for ``csv.DictWriter``: None as an empty cell, text made formula-safe."""
    return {key: "" if value is None else spreadsheet_safe(value) for key, value in row.items()}
