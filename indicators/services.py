"""Writes to the catalogue. A published version never changes: every write checks it here."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .crosswalk import Entry, crosswalk_problems, predecessor_count_problem
from .exchange import CatalogueImportError, Problem, check_document, document_crosswalk
from .models import (
    LEVELS,
    CatalogueVersion,
    Dimension,
    Framework,
    Indicator,
    IndicatorExample,
    IndicatorResource,
    SdgTarget,
)
from .rules import JUSTIFICATION_FROM_LEVEL, SINGLE_PREDECESSOR_KINDS

LANGS = [code for code, _name in settings.LANGUAGES]


class CatalogueLocked(ValidationError):
    """Raised when a write would change a version that is no longer a draft."""


def version_ensure_editable(version: CatalogueVersion) -> None:
    """Refuse any change to a published or retired version."""
    if not version.is_editable:
        raise CatalogueLocked(
            _("Version %(number)s is %(status)s and can no longer change; make a new draft from it.")
            % {"number": version.number, "status": version.get_status_display().lower()}
        )


def _translated(field: str, texts: dict[str, str]) -> dict[str, str]:
    return {f"{field}_{lang}": texts.get(lang) or "" for lang in LANGS}


@transaction.atomic
def catalogue_import(*, document: dict[str, Any]) -> CatalogueVersion:
    """Create a draft version from an exchange document; refuse it whole if anything is wrong."""
    problems = check_document(document)
    if problems:
        raise CatalogueImportError(problems)
    framework, _created = Framework.objects.get_or_create(
        slug=document["framework"]["slug"],
        defaults=_translated("name", document["framework"]["name"]),
    )
    number = document["version"]["number"]
    if CatalogueVersion.objects.filter(framework=framework, number=number).exists():
        raise CatalogueImportError(
            [
                Problem(
                    "version.number", _("version %(n)d already exists; a version is never overwritten") % {"n": number}
                )
            ]
        )
    based_on = None
    if document["version"].get("based_on"):
        based_on = CatalogueVersion.objects.filter(framework=framework, number=document["version"]["based_on"]).first()
        if based_on is None:
            raise CatalogueImportError([Problem("version.based_on", _("no such version"))])
    predecessors = {i.code: i for i in Indicator.objects.filter(version=based_on)} if based_on else {}
    entries, retired = document_crosswalk(document)
    problems = crosswalk_problems(entries, list(predecessors) if based_on else None, retired, complete=False)
    if problems:
        raise CatalogueImportError([Problem(_("crosswalk"), problem) for problem in problems])
    crosswalk = {entry.code: entry for entry in entries}

    targets = {t.code: t for t in SdgTarget.objects.all()}
    for target in document["sdg_targets"]:
        # SDG targets are shared reference data: add the missing ones, never rewrite titles
        # that published versions already show.
        if target["code"] not in targets:
            targets[target["code"]] = SdgTarget.objects.create(
                code=target["code"],
                sort_key=SdgTarget.sort_key_for(target["code"]),
                **_translated("title", target["title"]),
            )

    version = CatalogueVersion.objects.create(
        framework=framework,
        number=number,
        based_on=based_on,
        **_translated("label", document["version"]["label"]),
    )
    version.retired.set([predecessors[code] for code in retired])
    for dim in document["dimensions"]:
        dimension = Dimension.objects.create(
            version=version,
            code=dim["code"],
            order=dim["order"],
            kind=dim["kind"],
            optional=dim["optional"],
            **_translated("name", dim["name"]),
            **_translated("description", dim["description"]),
        )
        for ind in dim["indicators"]:
            entry = crosswalk[ind["code"]]
            indicator = Indicator.objects.create(
                version=version,
                dimension=dimension,
                code=ind["code"],
                order=ind["order"],
                weight=ind["weight"],
                na_allowed=ind["na_allowed"],
                evidence_from_level=ind["evidence_from_level"],
                # Optional: files written before it existed load with the methodology's default.
                justification_from_level=(
                    JUSTIFICATION_FROM_LEVEL
                    if ind.get("justification_from_level") is None
                    else ind["justification_from_level"]
                ),
                # Optional: files written before it existed load every indicator as not mirrored.
                mirrored=ind.get("mirrored") or False,
                crosswalk=entry.kind,
                derived_from=predecessors[entry.predecessors[0]] if entry.kind in SINGLE_PREDECESSOR_KINDS else None,
                **_translated("question", ind["question"]),
                # Optional: files written before the public wording existed load with it blank.
                **_translated("public_question", ind.get("public_question") or {}),
                **_translated("guidance", ind["guidance"]),
                **_translated("suggestion", ind["suggestion"]),
                **{
                    key: value
                    for level, descriptor in zip(LEVELS, ind["descriptors"], strict=True)
                    for key, value in _translated(f"descriptor_{level}", descriptor).items()
                },
            )
            indicator.sdg_targets.set([targets[code] for code in ind["sdg_targets"]])
            if entry.kind == Indicator.Crosswalk.MERGED:
                indicator.merged_from.set([predecessors[code] for code in entry.predecessors])
            IndicatorExample.objects.bulk_create(
                IndicatorExample(indicator=indicator, place=e["place"], order=n, **_translated("text", e["text"]))
                for n, e in enumerate(ind["examples"])
            )
            IndicatorResource.objects.bulk_create(
                IndicatorResource(indicator=indicator, url=r["url"], order=n, **_translated("title", r["title"]))
                for n, r in enumerate(ind["resources"])
            )
    return version


def version_problems(version: CatalogueVersion) -> list[str]:
    """Return what keeps a draft from being published (empty when it is complete)."""
    problems = []
    dimensions = list(version.dimensions.prefetch_related("indicators__sdg_targets", "indicators__examples"))
    if not dimensions:
        problems.append(_("The version has no dimensions."))
    for dimension in dimensions:
        if not (dimension.name_en and dimension.description_en):
            problems.append(_("Dimension %(code)s needs a name and a description.") % {"code": dimension.code})
        indicators = list(dimension.indicators.all())
        if not indicators:
            problems.append(_("Dimension %(code)s has no indicators.") % {"code": dimension.code})
        for indicator in indicators:
            texts = ["question", "guidance", "suggestion", *[f"descriptor_{level}" for level in LEVELS]]
            missing = [name for name in texts if not (getattr(indicator, f"{name}_en") or "").strip()]
            if missing:
                problems.append(
                    _("Indicator %(code)s is missing: %(fields)s.")
                    % {"code": indicator.code, "fields": ", ".join(missing)}
                )
            if not indicator.sdg_targets.all():
                problems.append(_("Indicator %(code)s has no SDG target.") % {"code": indicator.code})
            if not indicator.examples.all():
                problems.append(_("Indicator %(code)s has no example.") % {"code": indicator.code})
    return problems + version_crosswalk_problems(version)


def _predecessor_code(predecessor: Indicator, based_on: CatalogueVersion | None) -> str:
    """The predecessor's code, marked with its version when that is not the one ``based_on`` (which is wrong)."""
    if based_on is not None and predecessor.version_id == based_on.pk:
        return predecessor.code
    return _("%(code)s (version %(number)s)") % {"code": predecessor.code, "number": predecessor.version.number}


def version_crosswalk_problems(version: CatalogueVersion, *, complete: bool = True) -> list[str]:
    """What is wrong or missing in a version's crosswalk (``crosswalk.crosswalk_problems`` states the rules).

    With ``complete`` (as publishing asks), every indicator of the edition it is based on must be
    continued or retired.
    """
    based_on = version.based_on
    indicators = (
        Indicator.objects.filter(version=version)
        .in_catalogue_order()
        .select_related("derived_from__version")
        .prefetch_related("merged_from__version")
    )
    entries = [
        Entry(i.code, i.crosswalk, tuple(_predecessor_code(p, based_on) for p in i.predecessors)) for i in indicators
    ]
    old_codes = list(Indicator.objects.filter(version=based_on).values_list("code", flat=True)) if based_on else None
    retired = [_predecessor_code(i, based_on) for i in version.retired.select_related("version")]
    return crosswalk_problems(entries, old_codes, retired, complete=complete)


def indicator_crosswalk_problems(
    *, indicator: Indicator, version: CatalogueVersion, kind: str, predecessors: list[Indicator]
) -> list[str]:
    """Why ``indicator`` (of ``version``; perhaps not saved yet) cannot have this crosswalk; the admin's form asks too."""
    based_on = version.based_on
    if based_on is None:
        return [] if not (kind or predecessors) else [_("The version is based on no earlier edition: no crosswalk.")]
    if kind not in Indicator.Crosswalk.values:
        return [_("Choose a crosswalk kind: same, split, merged or new.")]
    problems = [reason] if (reason := predecessor_count_problem(kind, len(predecessors))) else []
    problems += [
        _("%(code)s is not an indicator of the edition this one is based on.") % {"code": predecessor.code}
        for predecessor in predecessors
        if predecessor.version_id != based_on.pk
    ]
    if kind == Indicator.Crosswalk.SAME and predecessors:
        twin = (
            Indicator.objects.filter(version=version, crosswalk=kind, derived_from=predecessors[0])
            .exclude(pk=indicator.pk)
            .first()
        )
        if twin:
            problems.append(
                _("%(code)s is the “same” as more than one indicator (%(new)s); mark them “split”.")
                % {"code": predecessors[0].code, "new": f"{twin.code}, {indicator.code}"}
            )
    return problems


def indicator_crosswalk_set(*, indicator: Indicator, kind: str, predecessors: list[Indicator]) -> Indicator:
    """Record how a draft's indicator continues the edition its version is based on."""
    version_ensure_editable(indicator.version)
    problems = indicator_crosswalk_problems(
        indicator=indicator, version=indicator.version, kind=kind, predecessors=predecessors
    )
    if problems:
        raise ValidationError(problems)
    with transaction.atomic():
        indicator.crosswalk = kind
        indicator.derived_from = predecessors[0] if kind in SINGLE_PREDECESSOR_KINDS else None
        indicator.save(update_fields=["crosswalk", "derived_from"])
        indicator.merged_from.set(predecessors if kind == Indicator.Crosswalk.MERGED else [])
    return indicator


@transaction.atomic
def version_retired_set(*, version: CatalogueVersion, indicators: list[Indicator]) -> CatalogueVersion:
    """Record which indicators of the edition a draft is based on it drops."""
    version_ensure_editable(version)
    strangers = [i.code for i in indicators if version.based_on_id is None or i.version_id != version.based_on_id]
    if strangers:
        raise ValidationError(
            _("Not indicators of the edition this one is based on: %(codes)s.") % {"codes": ", ".join(strangers)}
        )
    version.retired.set(indicators)
    return version


@transaction.atomic
def version_publish(*, version: CatalogueVersion) -> CatalogueVersion:
    """Publish a complete draft; from then on it never changes."""
    version = CatalogueVersion.objects.select_for_update().get(pk=version.pk)
    version_ensure_editable(version)
    problems = version_problems(version)
    if problems:
        raise ValidationError(problems)
    version.status = CatalogueVersion.Status.PUBLISHED
    version.published_at = timezone.now()
    version.save(update_fields=["status", "published_at"])
    return version


@transaction.atomic
def version_retire(*, version: CatalogueVersion) -> CatalogueVersion:
    """Retire a published version: rounds pinned to it keep it; new rounds use another."""
    version = CatalogueVersion.objects.select_for_update().get(pk=version.pk)
    if version.status != CatalogueVersion.Status.PUBLISHED:
        raise ValidationError(_("Only a published version can be retired."))
    version.status = CatalogueVersion.Status.RETIRED
    version.save(update_fields=["status"])
    return version


def _copy(obj: Any, **changes: Any) -> Any:
    """Return an unsaved copy of ``obj`` (all translated columns included) with ``changes``."""
    data = {field.attname: getattr(obj, field.attname) for field in obj._meta.concrete_fields if not field.primary_key}
    data.update(changes)
    return type(obj)(**data)


@transaction.atomic
def version_copy_to_draft(*, version: CatalogueVersion) -> CatalogueVersion:
    """Copy a version whole into a new draft; each indicator is the "same" as the one it came from.

    The administrator then marks what changes: splits, merges, new indicators and retired ones.
    """
    framework = version.framework
    draft = _copy(
        version,
        number=CatalogueVersion.objects.next_number(framework),
        status=CatalogueVersion.Status.DRAFT,
        published_at=None,
        based_on_id=version.pk,
        created_at=timezone.now(),
    )
    draft.save()
    for dimension in version.dimensions.prefetch_related(
        "indicators__sdg_targets", "indicators__examples", "indicators__resources"
    ):
        new_dimension = _copy(dimension, version_id=draft.pk)
        new_dimension.save()
        for indicator in dimension.indicators.all():
            new_indicator = _copy(
                indicator,
                version_id=draft.pk,
                dimension_id=new_dimension.pk,
                crosswalk=Indicator.Crosswalk.SAME,
                derived_from_id=indicator.pk,
            )
            new_indicator.save()
            new_indicator.sdg_targets.set(indicator.sdg_targets.all())
            IndicatorExample.objects.bulk_create(
                _copy(e, indicator_id=new_indicator.pk) for e in indicator.examples.all()
            )
            IndicatorResource.objects.bulk_create(
                _copy(r, indicator_id=new_indicator.pk) for r in indicator.resources.all()
            )
    return draft
