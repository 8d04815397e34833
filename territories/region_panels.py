"""Filled by a helper."""
