"""The catalogue exchange format: one whole version as a JSON document or an XLSX workbook.

``docs/catalogue-format.md`` describes the document. This module converts between the
database, the document and XLSX, and checks a document; writing it is
``services.catalogue_import``.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils.text import slugify
from django.utils.translation import gettext as _

from .crosswalk import MERGED, NEW, SAME, SPLIT, Entry
from .models import CatalogueVersion, Dimension, SdgTarget
from .rules import HIGHEST_LEVEL, JUSTIFICATION_FROM_LEVEL, LEVELS, LOWEST_LEVEL, CrosswalkKind

FORMAT = "coherence-catalogue/1"
LANGS = [code for code, _name in settings.LANGUAGES]
SDG_CODE = re.compile(r"^\d{1,2}\.(\d{1,2}|[a-z])$")


@dataclass(frozen=True)
class Problem:
    """One reason a document cannot be imported: where it is, and what is wrong."""

    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


class CatalogueImportError(Exception):
    """A document was refused; ``problems`` lists every reason, and nothing was written."""

    def __init__(self, problems: list[Problem]):
        super().__init__("; ".join(str(p) for p in problems))
        self.problems = problems


# --- database → document -------------------------------------------------------------------


def _texts(obj: Any, field: str) -> dict[str, str]:
    return {lang: getattr(obj, f"{field}_{lang}") or "" for lang in LANGS}


def version_document(version: CatalogueVersion) -> dict[str, Any]:
    """Return the whole version as an exchange document."""
    dimensions = version.dimensions.order_by("order", "code").prefetch_related(
        "indicators__sdg_targets",
        "indicators__examples",
        "indicators__resources",
        "indicators__derived_from",
        "indicators__merged_from",
    )
    targets: dict[str, Any] = {}
    doc_dimensions = []
    for dimension in dimensions:
        indicators = []
        for indicator in sorted(dimension.indicators.all(), key=lambda i: (i.order, i.code)):
            for target in indicator.sdg_targets.all():
                targets[target.code] = target
            indicators.append(
                {
                    "code": indicator.code,
                    "order": indicator.order,
                    "question": _texts(indicator, "question"),
                    "public_question": _texts(indicator, "public_question"),
                    "guidance": _texts(indicator, "guidance"),
                    "descriptors": [_texts(indicator, f"descriptor_{level}") for level in LEVELS],
                    "suggestion": _texts(indicator, "suggestion"),
                    "weight": str(indicator.weight.normalize()),
                    "na_allowed": indicator.na_allowed,
                    "evidence_from_level": indicator.evidence_from_level,
                    "justification_from_level": indicator.justification_from_level,
                    "mirrored": indicator.mirrored,
                    "sdg_targets": sorted((t.code for t in indicator.sdg_targets.all()), key=_sdg_key),
                    "examples": [{"place": e.place, "text": _texts(e, "text")} for e in indicator.examples.all()],
                    "resources": [{"title": _texts(r, "title"), "url": r.url} for r in indicator.resources.all()],
                    "crosswalk": indicator.crosswalk or None,
                    "derived_from": [predecessor.code for predecessor in indicator.predecessors],
                }
            )
        doc_dimensions.append(
            {
                "code": dimension.code,
                "order": dimension.order,
                "kind": dimension.kind,
                "optional": dimension.optional,
                "name": _texts(dimension, "name"),
                "description": _texts(dimension, "description"),
                "indicators": indicators,
            }
        )
    return {
        "format": FORMAT,
        "framework": {"slug": version.framework.slug, "name": _texts(version.framework, "name")},
        "version": {
            "number": version.number,
            "label": _texts(version, "label"),
            "based_on": version.based_on.number if version.based_on else None,
            "retired": sorted(version.retired.values_list("code", flat=True)),
        },
        "sdg_targets": [
            {"code": code, "title": _texts(targets[code], "title")} for code in sorted(targets, key=_sdg_key)
        ],
        "dimensions": doc_dimensions,
    }


def _sdg_key(code: str) -> str:
    return SdgTarget.sort_key_for(code)


def _codes(value: Any) -> list[str]:
    """``derived_from`` or ``retired`` as a list of codes: files may give one code, a list, or nothing."""
    if value in (None, ""):
        return []
    return [value] if isinstance(value, str) else list(value)


def document_crosswalk(doc: dict[str, Any]) -> tuple[list[Entry], list[str]]:
    """The crosswalk a checked document records: each indicator's entry, and the retired codes.

    A document without ``crosswalk`` kinds (written before they existed) reads as the migration
    reads the database: in a version based on another, one predecessor is "same" (or "split" when
    several indicators name it), several are "merged", none is "new"; a first edition has none.
    """
    based = doc["version"].get("based_on") is not None
    indicators = [ind for dim in doc["dimensions"] for ind in dim["indicators"]]
    named = [
        code for ind in indicators if len(_codes(ind.get("derived_from"))) == 1 for code in _codes(ind["derived_from"])
    ]

    def kind(ind: dict[str, Any]) -> str:
        if ind.get("crosswalk"):
            return ind["crosswalk"]
        predecessors = _codes(ind.get("derived_from"))
        if not based:
            return ""
        if not predecessors:
            return NEW
        if len(predecessors) > 1:
            return MERGED
        return SPLIT if named.count(predecessors[0]) > 1 else SAME

    entries = [Entry(ind["code"], kind(ind), tuple(_codes(ind.get("derived_from")))) for ind in indicators]
    return entries, _codes(doc["version"].get("retired"))


# --- checking a document -------------------------------------------------------------------


class _Checker:
    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, where: str, message: str) -> None:
        self.problems.append(Problem(where, message))

    def text(self, where: str, value: Any, max_length: int | None = None) -> None:
        if not isinstance(value, dict):
            self.add(where, _("must be an object with a text per language (en, fr, es)"))
            return
        if not isinstance(value.get("en"), str) or not value["en"].strip():
            self.add(where, _("the English text is missing"))
        for lang, text in value.items():
            if lang not in LANGS:
                self.add(where, _("unknown language “%(lang)s”") % {"lang": lang})
            elif not isinstance(text, str):
                self.add(where, _("the %(lang)s text must be a string") % {"lang": lang})
            elif max_length and len(text) > max_length:
                self.add(where, _("longer than %(n)d characters") % {"n": max_length})

    def optional_text(self, where: str, value: Any) -> None:
        """Check a text that may be absent or blank in every language (older files lack it)."""
        if value is None:
            return
        if not isinstance(value, dict):
            self.add(where, _("must be an object with a text per language (en, fr, es)"))
            return
        for lang, text in value.items():
            if lang not in LANGS:
                self.add(where, _("unknown language “%(lang)s”") % {"lang": lang})
            elif not isinstance(text, str):
                self.add(where, _("the %(lang)s text must be a string") % {"lang": lang})

    def string(self, where: str, value: Any, max_length: int) -> bool:
        if not isinstance(value, str) or not value.strip():
            self.add(where, _("is missing"))
            return False
        if len(value) > max_length:
            self.add(where, _("longer than %(n)d characters") % {"n": max_length})
            return False
        return True

    def integer(self, where: str, value: Any, low: int, high: int) -> None:
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            self.add(where, _("must be a whole number from %(low)d to %(high)d") % {"low": low, "high": high})

    def boolean(self, where: str, value: Any) -> None:
        if not isinstance(value, bool):
            self.add(where, _("must be true or false"))

    def codes(self, where: str, value: Any) -> None:
        """Check an optional list of indicator codes (one code alone, or nothing, is allowed too)."""
        if value is None or isinstance(value, str):
            return
        if not isinstance(value, list) or not all(isinstance(code, str) and code.strip() for code in value):
            self.add(where, _("must be a list of indicator codes"))
        elif len(set(value)) != len(value):
            self.add(where, _("names an indicator twice"))


def _where(item: dict[str, Any], fallback: str) -> str:
    return item.get("_where") or fallback


def check_document(doc: Any) -> list[Problem]:
    """Return every problem that keeps ``doc`` from being imported (empty when it is sound)."""
    c = _Checker()
    if not isinstance(doc, dict):
        return [Problem(_("document"), _("must be a JSON object"))]
    if doc.get("format") != FORMAT:
        c.add("format", _("must be “%(format)s”") % {"format": FORMAT})
    framework = doc.get("framework")
    if isinstance(framework, dict):
        if c.string("framework.slug", framework.get("slug"), 50) and slugify(framework["slug"]) != framework["slug"]:
            c.add("framework.slug", _("may contain only lower-case letters, digits and hyphens"))
        c.text("framework.name", framework.get("name"), 200)
    else:
        c.add("framework", _("is missing"))
    version = doc.get("version")
    if isinstance(version, dict):
        c.integer("version.number", version.get("number"), 1, 10_000)
        c.text("version.label", version.get("label"), 200)
        if version.get("based_on") is not None:
            c.integer("version.based_on", version.get("based_on"), 1, 10_000)
        c.codes("version.retired", version.get("retired"))
    else:
        c.add("version", _("is missing"))

    target_codes: set[str] = set()
    targets = doc.get("sdg_targets")
    if not isinstance(targets, list):
        c.add("sdg_targets", _("must be a list"))
        targets = []
    for i, target in enumerate(targets):
        where = _where(target, f"sdg_targets[{i}]") if isinstance(target, dict) else f"sdg_targets[{i}]"
        if not isinstance(target, dict):
            c.add(where, _("must be an object"))
            continue
        code = target.get("code")
        if not isinstance(code, str) or not SDG_CODE.match(code):
            c.add(where, _("“%(code)s” is not an SDG target code such as 10.7") % {"code": code})
        elif code in target_codes:
            c.add(where, _("SDG target %(code)s is listed twice") % {"code": code})
        else:
            target_codes.add(code)
        c.text(f"{where} title", target.get("title"), 300)

    dimensions = doc.get("dimensions")
    if not isinstance(dimensions, list) or not dimensions:
        c.add("dimensions", _("must be a non-empty list"))
        dimensions = []
    dimension_codes: set[str] = set()
    indicator_codes: set[str] = set()
    for i, dimension in enumerate(dimensions):
        if not isinstance(dimension, dict):
            c.add(f"dimensions[{i}]", _("must be an object"))
            continue
        where = _where(dimension, f"dimensions[{i}]")
        code = dimension.get("code")
        if c.string(f"{where} code", code, 8):
            if code in dimension_codes:
                c.add(where, _("dimension %(code)s is listed twice") % {"code": code})
            dimension_codes.add(code)
            where = _where(dimension, f"dimension {code}")
        c.integer(f"{where} order", dimension.get("order"), 0, 32767)
        if dimension.get("kind") not in Dimension.Kind.values:
            c.add(f"{where} kind", _("must be “core” or “supplementary”"))
        c.boolean(f"{where} optional", dimension.get("optional"))
        c.text(f"{where} name", dimension.get("name"), 200)
        c.text(f"{where} description", dimension.get("description"))
        indicators = dimension.get("indicators")
        if not isinstance(indicators, list) or not indicators:
            c.add(f"{where} indicators", _("must be a non-empty list"))
            continue
        for j, indicator in enumerate(indicators):
            if not isinstance(indicator, dict):
                c.add(f"{where} indicators[{j}]", _("must be an object"))
                continue
            _check_indicator(c, indicator, f"{where} indicators[{j}]", indicator_codes, target_codes)
    return c.problems


def _check_indicator(
    c: _Checker, indicator: dict[str, Any], fallback: str, codes: set[str], target_codes: set[str]
) -> None:
    code = indicator.get("code")
    where = _where(indicator, fallback)
    if c.string(f"{where} code", code, 16):
        where = _where(indicator, f"indicator {code}")
        if code in codes:
            c.add(where, _("indicator %(code)s is listed twice") % {"code": code})
        codes.add(code)
    c.integer(f"{where} order", indicator.get("order"), 0, 32767)
    for field in ("question", "guidance", "suggestion"):
        c.text(f"{where} {field}", indicator.get(field))
    c.optional_text(f"{where} public_question", indicator.get("public_question"))
    descriptors = indicator.get("descriptors")
    if not isinstance(descriptors, list) or len(descriptors) != len(LEVELS):
        c.add(f"{where} descriptors", _("must list exactly five level descriptors, level 0 to 4"))
    else:
        for level, descriptor in zip(LEVELS, descriptors, strict=True):
            c.text(f"{where} level {level}", descriptor)
    try:
        weight = Decimal(str(indicator.get("weight")))
        if not (Decimal(0) < weight < Decimal(1000)) or weight.as_tuple().exponent < -2:
            raise InvalidOperation
    except (InvalidOperation, ValueError):
        c.add(f"{where} weight", _("must be a number above 0 and below 1000, with at most two decimals"))
    c.boolean(f"{where} na_allowed", indicator.get("na_allowed"))
    c.integer(f"{where} evidence_from_level", indicator.get("evidence_from_level"), LOWEST_LEVEL + 1, HIGHEST_LEVEL)
    if indicator.get("justification_from_level") is not None:  # optional: older files mean the default
        c.integer(
            f"{where} justification_from_level",
            indicator["justification_from_level"],
            LOWEST_LEVEL + 1,
            HIGHEST_LEVEL,
        )
    if indicator.get("mirrored") is not None:  # optional: files written before it existed mean "not mirrored"
        c.boolean(f"{where} mirrored", indicator["mirrored"])
    targets = indicator.get("sdg_targets")
    if not isinstance(targets, list):
        c.add(f"{where} sdg_targets", _("must be a list of SDG target codes"))
    else:
        for code in targets:
            if code not in target_codes:
                c.add(
                    f"{where} sdg_targets",
                    _("SDG target “%(code)s” is not in the document's SDG target list") % {"code": code},
                )
    for k, example in enumerate(indicator.get("examples") or []):
        if not isinstance(example, dict):
            c.add(f"{where} examples[{k}]", _("must be an object"))
            continue
        ewhere = _where(example, f"{where} examples[{k}]")
        c.string(f"{ewhere} place", example.get("place"), 200)
        c.text(f"{ewhere} text", example.get("text"))
    for k, resource in enumerate(indicator.get("resources") or []):
        if not isinstance(resource, dict):
            c.add(f"{where} resources[{k}]", _("must be an object"))
            continue
        rwhere = _where(resource, f"{where} resources[{k}]")
        c.text(f"{rwhere} title", resource.get("title"), 300)
        url = resource.get("url")
        try:
            URLValidator(schemes=["http", "https"])(url)
            if len(url) > 500:
                raise ValidationError("too long")
        except (ValidationError, TypeError):
            c.add(f"{rwhere} url", _("“%(url)s” is not an http(s) address") % {"url": url})
    c.codes(f"{where} derived_from", indicator.get("derived_from"))
    kind = indicator.get("crosswalk")
    if kind is not None and kind not in CrosswalkKind.values:  # optional: older files have none
        c.add(
            f"{where} crosswalk",
            _("must be one of %(kinds)s, or empty") % {"kinds": ", ".join((SAME, SPLIT, MERGED, NEW))},
        )


# --- XLSX ------------------------------------------------------------------------------------

SHEETS = {
    "catalogue": ["key", "value"],
    "sdg_targets": ["code", *[f"title_{lang}" for lang in LANGS]],
    "dimensions": [
        "code",
        "order",
        "kind",
        "optional",
        *[f"name_{lang}" for lang in LANGS],
        *[f"description_{lang}" for lang in LANGS],
    ],
    "indicators": [
        "dimension",
        "code",
        "order",
        *[f"{field}_{lang}" for field in ("question", "public_question", "guidance") for lang in LANGS],
        *[f"level_{level}_{lang}" for level in LEVELS for lang in LANGS],
        *[f"suggestion_{lang}" for lang in LANGS],
        "weight",
        "na_allowed",
        "evidence_from_level",
        "justification_from_level",
        "mirrored",
        "sdg_targets",
        "crosswalk",
        "derived_from",
    ],
    "examples": ["indicator", "place", *[f"text_{lang}" for lang in LANGS]],
    "resources": ["indicator", "url", *[f"title_{lang}" for lang in LANGS]],
}
# Columns a workbook may lack: it was written before they existed, and they may stay blank.
OPTIONAL_COLUMNS = frozenset(
    {*(f"public_question_{lang}" for lang in LANGS), "mirrored", "justification_from_level", "crosswalk"}
)


def _flat(texts: dict[str, str]) -> list[str]:
    return [texts.get(lang, "") for lang in LANGS]


def document_to_xlsx(doc: dict[str, Any]) -> bytes:
    """Return the document as an XLSX workbook, one sheet per kind of row."""
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    sheets = {name: book.create_sheet(name) for name in SHEETS}
    for name, header in SHEETS.items():
        sheets[name].append(header)
    rows = sheets["catalogue"]
    rows.append(["format", doc["format"]])
    rows.append(["framework_slug", doc["framework"]["slug"]])
    for lang in LANGS:
        rows.append([f"framework_name_{lang}", doc["framework"]["name"].get(lang, "")])
    rows.append(["version_number", doc["version"]["number"]])
    rows.append(["version_based_on", doc["version"].get("based_on")])
    rows.append(["version_retired", ", ".join(_codes(doc["version"].get("retired")))])
    for lang in LANGS:
        rows.append([f"version_label_{lang}", doc["version"]["label"].get(lang, "")])
    for target in doc["sdg_targets"]:
        sheets["sdg_targets"].append([target["code"], *_flat(target["title"])])
    for dimension in doc["dimensions"]:
        sheets["dimensions"].append(
            [
                dimension["code"],
                dimension["order"],
                dimension["kind"],
                dimension["optional"],
                *_flat(dimension["name"]),
                *_flat(dimension["description"]),
            ]
        )
        for ind in dimension["indicators"]:
            sheets["indicators"].append(
                [
                    dimension["code"],
                    ind["code"],
                    ind["order"],
                    *_flat(ind["question"]),
                    *_flat(ind.get("public_question") or {}),
                    *_flat(ind["guidance"]),
                    *[text for descriptor in ind["descriptors"] for text in _flat(descriptor)],
                    *_flat(ind["suggestion"]),
                    ind["weight"],
                    ind["na_allowed"],
                    ind["evidence_from_level"],
                    ind.get("justification_from_level", JUSTIFICATION_FROM_LEVEL),
                    ind.get("mirrored", False),
                    ", ".join(ind["sdg_targets"]),
                    ind.get("crosswalk") or "",
                    ", ".join(_codes(ind.get("derived_from"))),
                ]
            )
            for example in ind["examples"]:
                sheets["examples"].append([ind["code"], example["place"], *_flat(example["text"])])
            for resource in ind["resources"]:
                sheets["resources"].append([ind["code"], resource["url"], *_flat(resource["title"])])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _cell(value: Any) -> Any:
    if isinstance(value, str):
        return value.strip()
    return "" if value is None else value


def _int(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return value


def _bool(value: Any) -> Any:
    if isinstance(value, str) and value.strip().lower() in {"true", "false", "yes", "no", "1", "0"}:
        return value.strip().lower() in {"true", "yes", "1"}
    if isinstance(value, int) and not isinstance(value, bool) and value in (0, 1):
        return bool(value)
    return value


def _split(value: Any) -> list[str]:
    """A cell of comma-separated codes as a list (an empty cell: none)."""
    return [code.strip() for code in str(value or "").split(",") if code.strip()]


def xlsx_to_document(data: bytes) -> dict[str, Any]:
    """Read a workbook written by ``document_to_xlsx`` back into a document.

    Structural faults (not a workbook, a sheet or column missing) raise
    ``CatalogueImportError``; faults in values are left for ``check_document``, which names
    each row by its sheet and row number.
    """
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a file that is not XLSX
        raise CatalogueImportError([Problem(_("file"), _("is not a readable XLSX workbook"))]) from exc
    problems = []
    tables: dict[str, list[dict[str, Any]]] = {}
    for name, header in SHEETS.items():
        if name not in book.sheetnames:
            problems.append(Problem(name, _("sheet is missing")))
            continue
        rows = list(book[name].iter_rows(values_only=True))
        found = [str(h).strip() if h is not None else "" for h in (rows[0] if rows else [])]
        missing = [h for h in header if h not in found and h not in OPTIONAL_COLUMNS]
        if missing:
            problems.append(Problem(name, _("columns missing: %(cols)s") % {"cols": ", ".join(missing)}))
            continue
        tables[name] = [
            {"_where": f"{name}!{n}", **{h: _cell(v) for h, v in zip(found, row, strict=False)}}
            for n, row in enumerate(rows[1:], start=2)
            if any(v not in (None, "") for v in row)
        ]
    if problems:
        raise CatalogueImportError(problems)

    def texts(row: dict[str, Any], field: str) -> dict[str, str]:
        return {lang: str(row.get(f"{field}_{lang}") or "") for lang in LANGS}

    meta = {str(row["key"]): row["value"] for row in tables["catalogue"]}
    examples: dict[str, list] = {}
    for row in tables["examples"]:
        examples.setdefault(row["indicator"], []).append(
            {"_where": row["_where"], "place": str(row["place"]), "text": texts(row, "text")}
        )
    resources: dict[str, list] = {}
    for row in tables["resources"]:
        resources.setdefault(row["indicator"], []).append(
            {"_where": row["_where"], "url": str(row["url"]), "title": texts(row, "title")}
        )
    indicators: dict[str, list] = {}
    for row in tables["indicators"]:
        indicators.setdefault(row["dimension"], []).append(
            {
                "_where": row["_where"],
                "code": row["code"],
                "order": _int(row["order"]),
                "question": texts(row, "question"),
                "public_question": texts(row, "public_question"),
                "guidance": texts(row, "guidance"),
                "descriptors": [texts(row, f"level_{level}") for level in LEVELS],
                "suggestion": texts(row, "suggestion"),
                "weight": str(row["weight"]),
                "na_allowed": _bool(row["na_allowed"]),
                "evidence_from_level": _int(row["evidence_from_level"]),
                # A blank cell (or an older workbook without the column) means the methodology's default.
                "justification_from_level": _int(row["justification_from_level"])
                if row.get("justification_from_level") not in (None, "")
                else JUSTIFICATION_FROM_LEVEL,
                # A blank cell (or an older workbook without the column) means not mirrored.
                "mirrored": _bool(row.get("mirrored")) if row.get("mirrored") not in (None, "") else False,
                "sdg_targets": _split(row["sdg_targets"]),
                "examples": examples.get(row["code"], []),
                "resources": resources.get(row["code"], []),
                # A blank cell (or an older workbook without the column): inferred as the JSON reader does.
                "crosswalk": row.get("crosswalk") or None,
                "derived_from": _split(row["derived_from"]),
            }
        )
    based_on = meta.get("version_based_on")
    return {
        "format": meta.get("format"),
        "framework": {
            "slug": meta.get("framework_slug"),
            "name": {lang: str(meta.get(f"framework_name_{lang}") or "") for lang in LANGS},
        },
        "version": {
            "number": _int(meta.get("version_number")),
            "label": {lang: str(meta.get(f"version_label_{lang}") or "") for lang in LANGS},
            "based_on": _int(based_on) if based_on not in (None, "") else None,
            "retired": _split(meta.get("version_retired")),
        },
        "sdg_targets": [
            {"_where": row["_where"], "code": str(row["code"]), "title": texts(row, "title")}
            for row in tables["sdg_targets"]
        ],
        "dimensions": [
            {
                "_where": row["_where"],
                "code": row["code"],
                "order": _int(row["order"]),
                "kind": row["kind"],
                "optional": _bool(row["optional"]),
                "name": texts(row, "name"),
                "description": texts(row, "description"),
                "indicators": indicators.get(row["code"], []),
            }
            for row in tables["dimensions"]
        ],
    }


def strip_locations(doc: Any) -> Any:
    """Return ``doc`` without the ``_where`` keys the XLSX reader adds (for comparisons)."""
    if isinstance(doc, dict):
        return {k: strip_locations(v) for k, v in doc.items() if k != "_where"}
    if isinstance(doc, list):
        return [strip_locations(v) for v in doc]
    return doc
