"""Path converters: what may stand in a URL before any query sees it."""

from django.urls import register_converter


class CodeConverter:
    """A dimension or indicator code: 1 to 16 characters, no slash and no control character.

    The catalogue's codes (``HC``, ``HC-01``) are at most 16 characters (``Indicator.code``); a NUL
    byte, which PostgreSQL refuses in a query, or any other control character makes the URL a 404.
    """

    regex = r"[^/\x00-\x1f\x7f]{1,16}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(CodeConverter, "code")
