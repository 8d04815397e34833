"""A Spanish report has no English heading left: every heading of the English render is translated.

The report is rendered twice, in English and in Spanish, from the committed catalogues compiled as
`make setup` compiles them. The headings of the English render (title, section and table headings,
captions, labels, chart titles, legends and axes) are collected; once the names and codes that stay
the same in every language are set aside, none of them may appear among the Spanish headings.
"""

import json
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.frontend import CommandLineInterface

from assessments import services as assessment_services
from indicators.models import Indicator
from reports.services import render_report_html
from tests.world import answer

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
# Elements whose text is a heading or a label of the template rather than a value.
HEADING_TAGS = {"title", "h1", "h2", "h3", "h4", "h5", "h6", "th", "caption", "figcaption", "strong", "dt", "label"}
# Keys of a Plotly figure whose strings are shown as titles, legends or axis labels.
FIGURE_TEXT_KEYS = {"text", "name"}
WORDS = re.compile(r"[^\W\d_]{2,}")


@pytest.fixture
def catalogues(tmp_path, settings):
    """The committed .po files compiled with Babel, as `make setup` does, and read by Django."""
    locale = tmp_path / "locale"
    shutil.copytree(ROOT / "locale", locale, ignore=shutil.ignore_patterns("*.mo"))
    assert CommandLineInterface().run(["pybabel", "compile", "-d", str(locale), "-D", "django"]) == 0
    settings.LOCALE_PATHS = [locale]


class _Headings(HTMLParser):
    """Collect the text of heading elements, and the Plotly figures embedded as JSON scripts."""

    def __init__(self):
        super().__init__()
        self.headings: list[str] = []
        self.figures: list = []
        self._open: list[list[str]] = []  # text of the heading elements being read, innermost last
        self._script: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag in HEADING_TAGS:
            self._open.append([])
        elif tag == "script" and dict(attrs).get("type") == "application/json":
            self._script = []

    def handle_endtag(self, tag):
        if tag in HEADING_TAGS and self._open:
            self.headings.append(" ".join("".join(self._open.pop()).split()))
        elif tag == "script" and self._script is not None:
            self.figures.append(json.loads("".join(self._script)))
            self._script = None

    def handle_data(self, data):
        if self._script is not None:
            self._script.append(data)
        for text in self._open:
            text.append(data)


def _figure_texts(value, key: str | None = None) -> list[str]:
    if isinstance(value, dict):
        return [text for k, v in value.items() for text in _figure_texts(v, k)]
    if isinstance(value, list):
        return [text for item in value for text in _figure_texts(item, key)]
    if isinstance(value, str) and key in FIGURE_TEXT_KEYS:  # a title and its subtitle: two headings
        return [" ".join(re.sub(r"<[^>]+>", " ", line).split()) for line in re.split(r"<br\s*/?>", value)]
    return []


def headings(html: str, names: set[str]) -> set[str]:
    """The report's headings that hold a word of the template: names and codes alone do not count."""
    parser = _Headings()
    parser.feed(html)
    texts = parser.headings + [text for figure in parser.figures for text in _figure_texts(figure)]
    return {text for text in texts if set(WORDS.findall(text)) - names}


def _names(round) -> set[str]:
    """Words that stay the same in every language: the city, its country and the catalogue's codes."""
    indicators = Indicator.objects.filter(version=round.version).select_related("dimension")
    words = {round.authority.name, round.authority.country, round.period}
    words |= {code for indicator in indicators for code in (indicator.code, indicator.dimension.code)}
    return {word for text in words for word in WORDS.findall(text)}


@pytest.fixture
def reviewed(submitted, reviewer):
    """Quito's round validated with one level lowered, so that the report has a reviewer's comment."""
    hc01 = Indicator.objects.get(version=submitted.version, code="HC-01")
    return assessment_services.round_review(
        round=submitted,
        actor=reviewer,
        decisions={hc01.pk: assessment_services.Decision(validated_level=1, comment="Sin actas.")},
        action=assessment_services.ReviewAction.VALIDATE,
    )


def _answer_all_but_one(round, user) -> None:
    """A draft answered at level 1 (so every indicator suggests how to move up), one left unanswered."""
    for indicator in assessment_services.round_indicators(round)[1:]:
        answer(round, indicator.code, user, level=1)


@pytest.mark.parametrize("state", ["draft", "reviewed"])
def test_a_spanish_report_has_no_english_heading_left(request, catalogues, quito, state):
    round = request.getfixturevalue(state)
    if state == "draft":
        _answer_all_but_one(round, quito.editor)
    names = _names(round)

    english, _fingerprint = render_report_html(round, "en", charts="figures")
    spanish, _fingerprint = render_report_html(round, "es", charts="figures")

    english_headings, spanish_headings = headings(english, names), headings(spanish, names)
    assert '<html lang="es" dir="ltr">' in spanish
    # The English render has headings to lose: the section titles, the table heads, the charts'.
    assert len(english_headings) > 20
    assert {"Methodology", "Dimension profile"} <= english_headings
    left = sorted(english_headings & spanish_headings)
    assert not left, f"English headings in the Spanish report: {left}"
