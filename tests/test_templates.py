"""Templates hold together as text: a one-line comment (``{# … #}``) closes on its own line.

Django reads ``{#`` without ``#}`` on the same line as text, so a comment spread over two lines shows on
the page. Longer comments use ``{% comment %}``.
"""

from pathlib import Path

import pytest
from django.conf import settings

TEMPLATES = Path(settings.BASE_DIR) / "templates"


def unclosed_comments(text: str) -> list[int]:
    """The numbers of the lines where a ``{#`` is not closed by a ``#}`` after it on the same line."""
    lines = []
    for number, line in enumerate(text.splitlines(), start=1):
        position = 0
        while (start := line.find("{#", position)) != -1:
            end = line.find("#}", start + 2)
            if end == -1:
                lines.append(number)
                break
            position = end + 2
    return lines


@pytest.mark.parametrize(
    ("text", "lines"),
    [
        ("{# a comment #}", []),
        ("{# one #} text {# two #}", []),
        ("{# one #} text {# two", [1]),
        ("text\n{# starts here\nends here #}", [2]),
        ("#} before {#", [1]),
    ],
)
def test_the_check_finds_a_comment_left_open_on_its_line(text, lines):
    assert unclosed_comments(text) == lines


def test_no_template_has_a_one_line_comment_left_open():
    found = [
        f"{path.relative_to(TEMPLATES)}:{line}"
        for path in sorted(TEMPLATES.rglob("*"))
        if path.is_file()
        for line in unclosed_comments(path.read_text(encoding="utf-8"))
    ]
    assert TEMPLATES.is_dir() and any(TEMPLATES.rglob("*.html"))
    assert found == []
