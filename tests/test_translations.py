"""The French, Spanish and Arabic interface: complete catalogues, intact placeholders, in step with the code, rendered."""

import gettext
import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from datetime import date
from pathlib import Path

import pytest
from babel.messages.frontend import CommandLineInterface
from babel.messages.pofile import read_po
from django.urls import reverse

from assessments import services

ROOT = Path(__file__).resolve().parent.parent
LANGUAGES = ["fr", "es", "ar"]
# Arabic has six plural forms (zero, one, two, few, many, other); French and Spanish two. The form for n == 1 is
# translated from the singular, the others from the plural. A form that stands for one number only (Arabic's zero,
# one and two) may leave that number's placeholder out, as Arabic writes "one round" or "two rounds" in words.
SINGULAR_FORM = {"ar": 1}
ONE_NUMBER_FORMS = {"ar": {0, 1, 2}}
COUNT = re.compile(r"%\((?:n|count|counter|with)\)[sd]")
IGNORED = [".venv", "var", "static/vendor/*", "tests"]  # what makemessages must not scan
NOT_COPIED = shutil.ignore_patterns(
    ".git", ".venv", "var", "node_modules", "__pycache__", ".pytest_cache", ".ruff_cache", ".hypothesis", "*.mo"
)
# %(name)s, %(mean).1f, %s, %d, %% ; {{ var }} ; {name} (python-brace-format)
PLACEHOLDER = re.compile(r"%(?:\([^)]+\))?[-#0+]*\d*(?:\.\d+)?[diouxXeEfFgGcrs%]|\{\{.*?\}\}|\{\w+\}")
# The command of the Makefile and the Dockerfile (pybabel is CommandLineInterface().run).
COMPILE = ["pybabel", "compile", "-d", "{locale_dir}", "-D", "django"]


def compile_catalogues(locale_dir: Path) -> int:
    """Compile every catalogue under ``locale_dir`` as `make setup` does, and return the exit status."""
    return CommandLineInterface().run([part.format(locale_dir=locale_dir) for part in COMPILE])


def _po_path(locale_dir: Path, language: str) -> Path:
    return locale_dir / language / "LC_MESSAGES" / "django.po"


def _catalog(language: str, locale_dir: Path = ROOT / "locale"):
    with _po_path(locale_dir, language).open("rb") as file:
        return read_po(file, locale=language)


def _messages(language: str, locale_dir: Path = ROOT / "locale") -> list:
    """The entries of a catalogue, less its header (Babel reads plural ids and forms as tuples)."""
    return [m for m in _catalog(language, locale_dir) if m.id]


def _forms(message, language: str = "fr") -> list[tuple[str, str, bool]]:
    """Each translation of an entry beside the original it translates, and whether it stands for one number only."""
    if not message.pluralizable:
        return [(message.id, message.string, False)]
    singular, plural = message.id
    one, fixed = SINGULAR_FORM.get(language, 0), ONE_NUMBER_FORMS.get(language, set())
    return [(singular if n == one else plural, text, n in fixed) for n, text in enumerate(message.string)]


def _is_translated(message) -> bool:
    return all(text for _original, text, _fixed in _forms(message))


def _placeholders_kept(original: str, text: str, one_number: bool) -> bool:
    have, want = Counter(PLACEHOLDER.findall(text)), Counter(PLACEHOLDER.findall(original))
    if have == want:
        return True
    dropped = want - have
    return one_number and not (have - want) and all(COUNT.fullmatch(p) for p in dropped)


def _msgid(message) -> str:
    return message.id[0] if message.pluralizable else message.id


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_is_translated_and_none_is_fuzzy(language):
    untranslated = [_msgid(m) for m in _messages(language) if m.fuzzy or not _is_translated(m)]
    assert not untranslated, f"{len(untranslated)} untranslated or fuzzy in {language}:\n" + "\n".join(untranslated)


@pytest.mark.parametrize("language", LANGUAGES)
def test_translations_keep_every_placeholder_of_the_original(language):
    broken = []
    for message in _messages(language):
        for original, text, one_number in _forms(message, language):
            if not _placeholders_kept(original, text, one_number):
                broken.append(f"{original!r} -> {text!r}")
    assert not broken, f"placeholders differ in {language}:\n" + "\n".join(broken)


def test_the_catalogues_hold_every_message_the_code_marks(tmp_path):
    if shutil.which("xgettext") is None:
        if os.environ.get("CI"):
            pytest.fail("xgettext is missing: install gettext (scripts/system-deps.sh does)")
        pytest.skip("xgettext is missing (apt-get install gettext)")
    copy = tmp_path / "project"
    shutil.copytree(ROOT, copy, ignore=NOT_COPIED)
    ignores = [f"--ignore={pattern}" for pattern in IGNORED]
    command = [sys.executable, "manage.py", "makemessages", *(f"-l{lang}" for lang in LANGUAGES), *ignores, "-v0"]
    subprocess.run(command, cwd=copy, check=True, capture_output=True, timeout=300)

    for language in LANGUAGES:
        committed = {(m.id, m.context) for m in _messages(language)}
        fresh = {(m.id, m.context): _msgid(m) for m in _messages(language, copy / "locale")}
        missing = sorted(msgid for key, msgid in fresh.items() if key not in committed)
        assert not missing, (
            f"locale/{language} lacks {len(missing)} message(s) the code marks; run makemessages "
            "(see the command in this test) and translate them:\n" + "\n".join(missing)
        )


@pytest.fixture
def compiled_catalogues(tmp_path, settings):
    """Compile the committed .po files as `make setup` does and make Django read those."""
    for language in LANGUAGES:
        target = _po_path(tmp_path / "locale", language)
        target.parent.mkdir(parents=True)
        shutil.copy(_po_path(ROOT / "locale", language), target)
    assert compile_catalogues(tmp_path / "locale") == 0
    settings.LOCALE_PATHS = [tmp_path / "locale"]


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("fr", ["Dimensions", "Brouillon", "Date limite", "Ce que vous pouvez faire", "30 novembre 2025"]),
        ("es", ["Dimensiones", "Borrador", "Fecha límite", "Lo que puede hacer", "30 de noviembre de 2025"]),
        ("ar", ["الأبعاد", "مسودة", "الموعد النهائي", "ما يمكنك القيام به", "نوفمبر"]),
    ],
)
def test_the_round_page_speaks_the_chosen_language(client, quito, compiled_catalogues, language, words):
    round = services.round_create(
        authority=quito.authority, period="2025", actor=quito.approver, due_date=date(2025, 11, 30)
    )
    client.force_login(quito.editor)
    client.cookies["django_language"] = language

    response = client.get(reverse("round_detail", args=[round.pk]))

    assert response.status_code == 200
    body = response.content.decode()
    assert f'lang="{language}"' in body
    # Arabic reads right to left, with Bootstrap's right-to-left build; the others left to right.
    assert f'dir="{"rtl" if language == "ar" else "ltr"}"' in body
    assert ("bootstrap.rtl.min" in body) == (language == "ar")
    missing = [word for word in words if word not in body]
    assert not missing, f"not on the {language} page: {missing}"


SAMPLE_PO = r"""msgid ""
msgstr ""
"Content-Type: text/plain; charset=UTF-8\n"
"Language: fr\n"
"Plural-Forms: nplurals=2; plural=(n > 1);\n"

msgid "Draft"
msgstr "Brouillon"

#, fuzzy
msgid "Submitted"
msgstr "Soumis (à revoir)"

msgid "Validated"
msgstr ""

msgctxt "round status"
msgid "Returned"
msgstr "Renvoyé"

#, python-format
msgid "%(count)s indicator"
msgid_plural "%(count)s indicators"
msgstr[0] "%(count)s indicateur"
msgstr[1] "%(count)s indicateurs"

#~ msgid "Old"
#~ msgstr "Ancien"
"""


def _compile_sample(tmp_path: Path, text: str) -> tuple[int, Path]:
    po = _po_path(tmp_path, "fr")
    po.parent.mkdir(parents=True)
    po.write_text(text, encoding="utf-8")
    return compile_catalogues(tmp_path), po.with_suffix(".mo")


def test_the_compiler_leaves_out_fuzzy_untranslated_and_obsolete_entries_as_msgfmt_does(tmp_path):
    status, mo = _compile_sample(tmp_path, SAMPLE_PO)

    assert status == 0
    with mo.open("rb") as file:
        french = gettext.GNUTranslations(file)
    assert french.gettext("Draft") == "Brouillon"
    assert french.gettext("Submitted") == "Submitted"  # fuzzy: left out
    assert french.gettext("Validated") == "Validated"  # untranslated: left out
    assert french.gettext("Old") == "Old"  # obsolete: left out
    assert french.pgettext("round status", "Returned") == "Renvoyé"
    assert french.gettext("Returned") == "Returned"
    # French takes the singular for 0 and 1: the catalogue's Plural-Forms reach the .mo file.
    assert [french.ngettext("%(count)s indicator", "%(count)s indicators", n) for n in (0, 1, 2)] == [
        "%(count)s indicateur",
        "%(count)s indicateur",
        "%(count)s indicateurs",
    ]
    assert set(french._catalog) == {
        "",
        "Draft",
        "round status\x04Returned",
        ("%(count)s indicator", 0),
        ("%(count)s indicator", 1),
    }


def test_the_compiler_fails_on_a_translation_whose_placeholders_differ(tmp_path):
    broken = SAMPLE_PO.replace('msgstr[1] "%(count)s indicateurs"', 'msgstr[1] "%(nombre)s indicateurs"')

    status, _mo = _compile_sample(tmp_path, broken)

    assert status == 1


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_catalogue_header_is_marked_fuzzy_for_the_compiler_would_skip_the_whole_catalogue(language):
    # makemessages marks a new catalogue's header "#, fuzzy"; pybabel compiles no such catalogue.
    assert not _catalog(language).fuzzy, f"remove the '#, fuzzy' flag above the header of locale/{language}"
