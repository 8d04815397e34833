"""Cells written to a CSV export that a spreadsheet application must never run as a formula (CSV injection)."""

from __future__ import annotations

# A text starting with one of these is read by Excel, LibreOffice or Google Sheets as a formula (or a DDE call).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value):
    """The value as written to a CSV cell: a text that would start a formula gets a leading apostrophe.

    Numbers (negative ones too) are left alone: only text can smuggle a formula.
    """
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value
