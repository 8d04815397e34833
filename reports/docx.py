"""The full report as an editable Word file (python-docx), from the very HTML the PDF is made of.

``report_docx(context)`` renders the full report's template (``reports/pdf/report.html``) with the
context the PDF uses (``report_context``) and turns its HTML into Word paragraphs, headings, lists
and tables, so that the Word file says the same things in the same language as the PDF: the cover's
facts, the executive summary and the priorities, the scores by dimension (a table: no chart is
drawn), the improvement plan, the annex of every indicator, the SDGs and the methodology. Charts,
scripts and figures are left out; a logo given as a ``data:`` image (``context.logo_data_uri``) is kept.
Call it with the report's language active.
"""

from __future__ import annotations

import base64
import binascii
import io
import re
from html.parser import HTMLParser
from typing import Any

from django.template.loader import render_to_string
from docx import Document
from docx.enum.text import WD_BREAK
from docx.shared import Mm, Pt, RGBColor
from docx.table import Table
from docx.text.paragraph import Paragraph

TEMPLATE = "reports/pdf/report.html"
# Elements whose content is not text of the report: charts, scripts, styles, the page's head.
SKIPPED = {"head", "script", "style", "svg", "figure", "noscript"}
HEADINGS = {"h1": 0, "h2": 1, "h3": 2, "h4": 3, "h5": 4, "h6": 4}
BLOCKS = {"p", "div", "section", "header", "footer", "blockquote", "dl", "dt", "dd"}
WHITESPACE = re.compile(r"\s+")
DRAFT_RED = RGBColor(0xC0, 0x00, 0x00)
BREAK = "\x00"  # a line break inside a table cell (<br>, or a paragraph after another)
# Where the PDF starts a page (report.css: the summary after the cover, each major part), the Word file does too.
NEW_PAGE_CLASSES = {"section", "front"}
VOID = {"br", "img", "meta", "link", "input", "hr", "col", "wbr"}


def report_docx(context: dict[str, Any]) -> bytes:
    """The full report as DOCX bytes, from ``report_context(round, language, ...)``."""
    html = render_to_string(TEMPLATE, context)
    document = Document()
    section = document.sections[0]
    section.page_height, section.page_width = Mm(297), Mm(210)  # A4, like the PDF
    section.left_margin = section.right_margin = Mm(18)
    section.top_margin = section.bottom_margin = Mm(18)
    document.styles["Normal"].font.name = "Noto Sans"
    document.styles["Normal"].font.size = Pt(10)
    round = context["round"]
    document.core_properties.title = f"{round.authority.name} · {round.period}"
    document.core_properties.language = context["language"]
    _HtmlToDocx(document).convert(html)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


class _Cell:
    def __init__(self, header: bool):
        self.header = header
        self.parts: list[str] = []

    @property
    def text(self) -> str:
        lines = [WHITESPACE.sub(" ", line).strip() for line in "".join(self.parts).split(BREAK)]
        return "\n".join(line for line in lines if line)


class _HtmlToDocx(HTMLParser):
    """A small converter for the report's own HTML: headings, paragraphs, lists, tables, bold and italic."""

    def __init__(self, document):
        super().__init__(convert_charrefs=True)
        self.document = document
        self.paragraph: Paragraph | None = None
        self.skipping = 0
        self.bold = 0
        self.italic = 0
        self.lists: list[str] = []  # "ol" / "ul", innermost last
        self.item_fresh = False  # an <li> whose paragraph has no block of its own yet
        self.rows: list[list[_Cell]] | None = None
        self.cell: _Cell | None = None
        self.caption: list[str] | None = None
        self.watermark = False  # inside the draft's watermark: one red line at the top
        self.page_started = False

    def convert(self, html: str) -> None:
        self.feed(html)
        self.close()

    # --- tags -------------------------------------------------------------------------------
    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        classes = (attributes.get("class") or "").split()
        if tag in SKIPPED or self.skipping:
            if tag not in VOID:
                self.skipping += 1
            return
        if "watermark" in classes:
            self.watermark = True
        if NEW_PAGE_CLASSES & set(classes) and self.page_started:
            self.document.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
        if tag == "table":
            self.rows = []
            return
        if self.rows is not None:
            self._table_start(tag)
            return
        if tag in HEADINGS:
            self.paragraph = self.document.add_heading("", HEADINGS[tag])
            self.page_started = True
        elif tag in ("ol", "ul"):
            self.lists.append(tag)
            self.paragraph = None
        elif tag == "li":
            depth = min(len(self.lists), 3)
            style = "List Number" if self.lists and self.lists[-1] == "ol" else "List Bullet"
            self.paragraph = self.document.add_paragraph(style=style if depth <= 1 else f"{style} {depth}")
            self.item_fresh = True
        elif tag in BLOCKS:
            if self.lists and self.item_fresh:
                self.item_fresh = False  # the item's first block is the item's own paragraph
            elif tag == "p" or tag in ("dt", "dd"):
                self.paragraph = self.document.add_paragraph()
                if self.lists:
                    self.paragraph.paragraph_format.left_indent = Mm(6 * len(self.lists))
            else:
                self.paragraph = None
        elif tag in ("strong", "b"):
            self.bold += 1
        elif tag in ("em", "i"):
            self.italic += 1
        elif tag == "br" and self.paragraph is not None:
            self.paragraph.add_run().add_break()
        elif tag == "img":
            self._image(attributes)

    def handle_endtag(self, tag):
        if self.skipping:
            if tag not in VOID:
                self.skipping -= 1
            return
        if tag == "table":
            self._table_end()
            return
        if self.rows is not None:
            self._table_end_tag(tag)
            return
        if tag in HEADINGS or tag in BLOCKS or tag == "li":
            self.paragraph = None
            self.item_fresh = self.watermark = False
        elif tag in ("ol", "ul"):
            if self.lists:
                self.lists.pop()
            self.paragraph = None
        elif tag in ("strong", "b"):
            self.bold = max(0, self.bold - 1)
        elif tag in ("em", "i"):
            self.italic = max(0, self.italic - 1)

    def handle_data(self, data):
        if self.skipping:
            return
        if self.caption is not None:
            self.caption.append(data)
            return
        if self.cell is not None:
            self.cell.parts.append(WHITESPACE.sub(" ", data))
            return
        if self.rows is not None:
            return
        text = WHITESPACE.sub(" ", data)
        if self.paragraph is None:
            if not text.strip():
                return
            self.paragraph = self.document.add_paragraph()
        if not self.paragraph.runs:
            text = text.lstrip()
        if not text:
            return
        run = self.paragraph.add_run(text)
        run.bold = bool(self.bold or self.watermark) or None
        run.italic = bool(self.italic) or None
        if self.watermark:
            run.font.color.rgb = DRAFT_RED

    # --- tables -----------------------------------------------------------------------------
    def _table_start(self, tag: str) -> None:
        if tag == "caption":
            self.caption = []
        elif tag == "tr":
            self.rows.append([])
        elif tag in ("th", "td") and self.rows:
            self.cell = _Cell(header=tag == "th")
            self.rows[-1].append(self.cell)
        elif tag in ("br", "p") and self.cell is not None and (tag == "br" or self.cell.parts):
            self.cell.parts.append(BREAK)  # a paragraph after another in a cell starts a new line

    def _table_end_tag(self, tag: str) -> None:
        if tag == "caption" and self.caption is not None:
            text = WHITESPACE.sub(" ", "".join(self.caption)).strip()
            if text:
                self.document.add_paragraph().add_run(text).italic = True
            self.caption = None
        elif tag in ("th", "td"):
            self.cell = None

    def _table_end(self) -> None:
        rows = [row for row in self.rows or [] if row]
        self.rows, self.cell, self.paragraph = None, None, None
        if not rows:
            return
        columns = max(len(row) for row in rows)
        table: Table = self.document.add_table(rows=len(rows), cols=columns)
        table.style = "Table Grid"
        for r, row in enumerate(rows):
            for c, cell in enumerate(row):
                target = table.cell(r, c).paragraphs[0]
                for n, line in enumerate(cell.text.split("\n")):
                    if n:
                        target.add_run().add_break()
                    target.add_run(line).bold = cell.header or None
        self.document.add_paragraph()

    # --- images -----------------------------------------------------------------------------
    def _image(self, attributes: dict[str, str | None]) -> None:
        """Only an image inside the HTML (the authority's logo as a data: URI); nothing is fetched."""
        source = attributes.get("src") or ""
        match = re.match(r"data:image/(png|jpeg|gif);base64,(.*)", source, re.DOTALL)
        if not match:
            return
        try:
            picture = io.BytesIO(base64.b64decode(match.group(2), validate=True))
            self.document.add_paragraph().add_run().add_picture(picture, height=Mm(20))
        except (binascii.Error, ValueError):
            return
        except Exception:  # python-docx refuses an image it cannot read: the cover goes without the logo
            return
