"""Country and world-region names in the reader's language, from CLDR (Babel's territory names).

An authority stores its country and world region as English names (as the admin types them and the
API and exports give them) or as codes (ISO 3166 "EC", UN M.49 "419"); pages show them in the
active language. A name CLDR does not know is shown as stored. The programme's regional groupings
that CLDR has no name for are translated with the interface's own messages.
"""

from __future__ import annotations

import unicodedata
from functools import cache

from babel import Locale, UnknownLocaleError
from django.utils import translation
from django.utils.translation import gettext, gettext_noop


def _key(name: str) -> str:
    """Compare names as people type them: any case, with or without accents and curly apostrophes."""
    decomposed = unicodedata.normalize("NFKD", name.strip().replace("’", "'").casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


# UN regional groupings the programme reports by, which CLDR does not name (translated in locale/).
PROGRAMME_REGIONS = {
    _key(name): name
    for name in (
        gettext_noop("Latin America and the Caribbean"),
        gettext_noop("Asia and the Pacific"),
        gettext_noop("Arab States"),
        gettext_noop("Europe and Central Asia"),
    )
}


@cache
def _codes() -> dict[str, str]:
    """CLDR's English territory names (and the codes themselves) → territory code."""
    codes = {_key(name): code for code, name in Locale("en").territories.items()}
    codes.update({_key(code): code for code in Locale("en").territories})
    return codes


@cache
def _territories(language: str) -> dict[str, str]:
    try:
        return dict(Locale.parse(translation.to_locale(language)).territories)
    except (UnknownLocaleError, ValueError):
        return {}


def place_name(stored: str, language: str | None = None) -> str:
    """Say a stored country or world region in ``language`` (the active one by default)."""
    if not stored:
        return stored
    language = language or translation.get_language() or "en"
    if (grouping := PROGRAMME_REGIONS.get(_key(stored))) is not None:
        with translation.override(language):
            return gettext(grouping)
    code = _codes().get(_key(stored))
    if code is None:
        return stored
    return _territories(language).get(code, stored)
