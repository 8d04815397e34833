"""The French and Spanish interface: complete catalogues, intact placeholders, in step with the code, rendered."""

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from datetime import date
from pathlib import Path

import pytest
from django.urls import reverse

from assessments import services

ROOT = Path(__file__).resolve().parent.parent
LANGUAGES = ["fr", "es"]
IGNORED = [".venv", "var", "static/vendor/*", "tests"]  # what makemessages must not scan
NOT_COPIED = shutil.ignore_patterns(
    ".git", ".venv", "var", "node_modules", "__pycache__", ".pytest_cache", ".ruff_cache", ".hypothesis", "*.mo"
)
# %(name)s, %(mean).1f, %s, %d, %% ; {{ var }} ; {name} (python-brace-format)
PLACEHOLDER = re.compile(r"%(?:\([^)]+\))?[-#0+]*\d*(?:\.\d+)?[diouxXeEfFgGcrs%]|\{\{.*?\}\}|\{\w+\}")


def _compiler():
    """The pure-Python .po reader and .mo writer of scripts/compile_translations.py."""
    spec = importlib.util.spec_from_file_location("compile_translations", ROOT / "scripts" / "compile_translations.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


compiler = _compiler()


def _po_path(locale_dir: Path, language: str) -> Path:
    return locale_dir / language / "LC_MESSAGES" / "django.po"


def _messages(language: str, locale_dir: Path = ROOT / "locale") -> list:
    path = _po_path(locale_dir, language)
    return [m for m in compiler.parse_po(path.read_text(encoding="utf-8"), str(path)) if m.msgid]


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_is_translated_and_none_is_fuzzy(language):
    untranslated = [m.msgid for m in _messages(language) if m.fuzzy or not m.is_translated]
    assert not untranslated, f"{len(untranslated)} untranslated or fuzzy in {language}:\n" + "\n".join(untranslated)


@pytest.mark.parametrize("language", LANGUAGES)
def test_translations_keep_every_placeholder_of_the_original(language):
    broken = []
    for message in _messages(language):
        for n, text in sorted(message.msgstr.items()):
            original = message.msgid if n == 0 or message.msgid_plural is None else message.msgid_plural
            if Counter(PLACEHOLDER.findall(text)) != Counter(PLACEHOLDER.findall(original)):
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
        committed = {m.key for m in _messages(language)}
        fresh = {m.key: m.msgid for m in _messages(language, copy / "locale")}
        missing = sorted(msgid for key, msgid in fresh.items() if key not in committed)
        assert not missing, (
            f"locale/{language} lacks {len(missing)} message(s) the code marks; run makemessages "
            "(see the command in this test) and translate them:\n" + "\n".join(missing)
        )


@pytest.fixture
def compiled_catalogues(tmp_path, settings):
    """Compile the committed .po files with scripts/compile_translations.py and make Django read those."""
    for language in LANGUAGES:
        target = _po_path(tmp_path / "locale", language)
        target.parent.mkdir(parents=True)
        shutil.copy(_po_path(ROOT / "locale", language), target)
        compiler.compile_po(target)
    settings.LOCALE_PATHS = [tmp_path / "locale"]


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("fr", ["Dimensions", "Brouillon", "Date limite", "Ce que vous pouvez faire", "30 novembre 2025"]),
        ("es", ["Dimensiones", "Borrador", "Fecha límite", "Lo que puede hacer", "30 de noviembre de 2025"]),
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
    missing = [word for word in words if word not in body]
    assert not missing, f"not on the {language} page: {missing}"
