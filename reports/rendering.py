"""HTML to PDF with WeasyPrint, and Plotly figures to SVG, without reaching the network.

WeasyPrint may load only this app's own static files: every other address (file://, http://,
data from a city's text) is refused by the fetcher. Charts are exported by kaleido
with Debian's Chromium; one kaleido server is kept per worker process, so only the worker
(the PDF) starts a browser: the HTML preview draws the same figures with plotly.js in the page.
"""

from __future__ import annotations

import base64
import logging
import mimetypes
import re
import threading
from pathlib import Path, PurePosixPath
from urllib.parse import unquote

from django.conf import settings
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import HashedFilesMixin, staticfiles_storage
from django.utils.html import escape, strip_tags

logger = logging.getLogger(__name__)

# Templates link static files through {% static %}; WeasyPrint resolves them against this base.
BASE_URL = "https://coherence.invalid/"
STATIC_PREFIX = BASE_URL.rstrip("/") + settings.STATIC_URL


class BlockedFetch(ValueError):
    """WeasyPrint asked for something outside the app's static files."""


def static_file_for(url: str) -> Path:
    """The static file an address of this app names; BlockedFetch for any other address.

    ``{% static %}`` names files as the static storage serves them: in production the manifest
    storage gives hashed names (report.<hash>.css) that exist only in STATIC_ROOT, where
    collectstatic put them, so they are looked up there; the plain storage (DEBUG) serves the
    source files, found by the finders.
    """
    if not url.startswith(STATIC_PREFIX):
        raise BlockedFetch(f"blocked fetch of {url[:100]!r}")
    relative = unquote(url[len(STATIC_PREFIX) :].split("?", 1)[0].split("#", 1)[0])
    parts = PurePosixPath(relative).parts
    if not parts or relative.startswith("/") or ".." in parts or "\\" in relative or "\x00" in relative:
        raise BlockedFetch(f"blocked fetch of {url[:100]!r}")
    if isinstance(staticfiles_storage, HashedFilesMixin):
        found = staticfiles_storage.path(relative) if staticfiles_storage.exists(relative) else None
    else:
        found = finders.find(relative)
    if not found or not Path(found).is_file():
        raise BlockedFetch(f"no static file {relative!r}")
    return Path(found)


DATA_IMAGE_TYPES = ("image/png", "image/jpeg", "image/gif", "image/webp")


def data_image(url: str) -> tuple[str, bytes] | None:
    """The type and bytes of a ``data:`` URI of a raster image (base64), None for any other address.

    Such an image is in the HTML already (the authority's logo, put there by the report's context):
    nothing is fetched. Only raster types: an SVG could itself ask for other addresses.
    """
    if not url.startswith("data:") or ";base64," not in url:
        return None
    mime, payload = url[5:].split(";base64,", 1)
    if mime not in DATA_IMAGE_TYPES:
        return None
    try:
        return mime, base64.b64decode(payload, validate=True)
    except ValueError:
        return None


def _fetcher():
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class StaticOnlyFetcher(URLFetcher):
        """Serve the app's own static files to WeasyPrint, and nothing else."""

        def fetch(self, url, headers=None):
            if image := data_image(url):  # the authority's logo, which the report carries inline
                return URLFetcherResponse(url, body=image[1], headers={"Content-Type": image[0]})
            path = static_file_for(url)
            mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            return URLFetcherResponse(url, body=path.read_bytes(), headers={"Content-Type": mime})

    return StaticOnlyFetcher()


# Tagged PDF for screen readers: WeasyPrint's PDF/UA-1 variant gives the document its structure tree (headings,
# lists, tables with header cells, figures with their alternative text), its language and its title.
PDF_VARIANT = "pdf/ua-1"


def html_to_pdf(html: str) -> bytes:
    """Render HTML (which may link the app's static files) to a tagged PDF's bytes."""
    from weasyprint import HTML

    return HTML(string=html, base_url=BASE_URL, url_fetcher=_fetcher()).write_pdf(pdf_variant=PDF_VARIANT)


_kaleido_lock = threading.Lock()
_kaleido_started = False


def _ensure_kaleido() -> None:
    global _kaleido_started
    with _kaleido_lock:
        if not _kaleido_started:
            import kaleido

            # mathjax=False: MathJax would be fetched from a CDN, and nothing may be.
            # plotly.js comes from the installed plotly package (kaleido's default).
            kaleido.start_sync_server(mathjax=False, silence_warnings=True)
            _kaleido_started = True


def figure_svg(figure) -> str | None:
    """Return the figure as an SVG document, or None when no browser can export it."""
    try:
        _ensure_kaleido()
        import kaleido

        svg = kaleido.calc_fig_sync(figure, opts={"format": "svg"})
    except Exception:  # a report without a chart beats no report; the tables carry the data
        logger.exception("chart export failed")
        return None
    text = svg.decode() if isinstance(svg, bytes) else svg
    if "<svg" not in text:
        return None
    # Drop the XML declaration so that the SVG can sit inline in HTML, and give it its title as the first child:
    # the tagged PDF's alternative text for the figure (what a screen reader says of the chart).
    text = text[text.index("<svg") :]
    start = text.index(">") + 1
    return f"{text[:start]}<title>{escape(figure_alt(figure))}</title>{text[start:]}"


def figure_alt(figure) -> str:
    """The chart's alternative text: its title and subtitle as plain words."""
    title = (figure.get("layout", {}).get("title") or {}).get("text") or ""
    return strip_tags(re.sub(r"\s*<br\s*/?>\s*", ": ", title)).strip()
