"""Territories in the JSON API (filled by the helpers)."""
