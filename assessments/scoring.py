"""Pure computations on plain values: no ORM, no settings."""

from __future__ import annotations


def percent(part: int, whole: int) -> int:
    """Return part/whole as a whole percentage (0 when there is no whole)."""
    return round(100 * part / whole) if whole else 0
