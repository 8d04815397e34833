"""The indicator catalogue: framework → version → dimension → indicator.

A published version never changes (the admin shows it read-only and the services refuse);
assessments are pinned to one version. Texts are translated with django-modeltranslation
(see ``translation.py``): each translated field has ``_en``, ``_fr`` and ``_es`` columns.
"""

from __future__ import annotations

from itertools import pairwise

from django.db import models
from django.db.models import Max, Q
from django.utils.translation import gettext_lazy as _

# The answer scale and the kinds of dimension are rules of the methodology, stated in rules.py.
from .crosswalk import Crosswalk
from .rules import (
    EVIDENCE_FROM_LEVEL,
    HIGHEST_LEVEL,
    JUSTIFICATION_FROM_LEVEL,
    LEVELS,
    LOWEST_LEVEL,
    MIRRORED_DIMENSIONS,
    SINGLE_PREDECESSOR_KINDS,
    CrosswalkKind,
    DimensionKind,
    Level,
)


class Framework(models.Model):
    slug = models.SlugField(_("slug"), unique=True)
    name = models.CharField(_("name"), max_length=200)

    class Meta:
        verbose_name = _("framework")
        verbose_name_plural = _("frameworks")
        ordering = ["slug"]

    def __str__(self) -> str:
        return self.name


class CatalogueVersionQuerySet(models.QuerySet):
    def published(self) -> CatalogueVersionQuerySet:
        return self.filter(status=CatalogueVersion.Status.PUBLISHED)

    def current(self) -> CatalogueVersion | None:
        """Return the newest published version, the one new rounds are pinned to."""
        return self.published().select_related("framework").order_by("-number").first()

    def next_number(self, framework: Framework) -> int:
        return (self.filter(framework=framework).aggregate(n=Max("number"))["n"] or 0) + 1

    def crosswalk(self, earlier: CatalogueVersion, later: CatalogueVersion) -> Crosswalk:
        """The crosswalk from ``earlier`` to ``later``, through every edition between them.

        Editions on one line (v1 → v2 → v3) compose step by step; editions on two branches of one
        ancestor go back to it and forward again. Editions with no common ancestor share nothing:
        every indicator of ``earlier`` is retired and every one of ``later`` added. Three queries.
        """
        parents = dict(self.model.objects.values_list("pk", "based_on_id"))

        def line(pk: int | None) -> list[int]:
            chain = []
            while pk is not None and pk not in chain:
                chain.append(pk)
                pk = parents.get(pk)
            return chain

        up, down = line(earlier.pk), line(later.pk)
        common = next((pk for pk in up if pk in down), None)
        # Back from the earlier edition to the common ancestor, then forward to the later one.
        path = (
            [earlier.pk, later.pk] if common is None else up[: up.index(common) + 1] + down[: down.index(common)][::-1]
        )
        rows = (
            Indicator.objects.filter(version__in=path)
            .order_by("dimension__order", "dimension__code", "order", "code")
            .values_list("pk", "version_id", "code", "derived_from_id")
        )
        codes, by_version = {}, {pk: [] for pk in path}
        for pk, version, code, derived in rows:
            codes[pk] = code
            by_version[version].append((pk, code, derived))
        merged: dict[int, list[int]] = {}
        through = Indicator.merged_from.through.objects.filter(from_indicator__version__in=path)
        for successor, predecessor in through.values_list("from_indicator_id", "to_indicator_id"):
            merged.setdefault(successor, []).append(predecessor)

        def all_codes(version: int) -> list[str]:
            return [code for _pk, code, _derived in by_version[version]]

        def step(parent: int, child: int) -> Crosswalk:
            predecessors = {
                code: [codes[p] for p in ([derived] if derived else merged.get(pk, [])) if p in codes]
                for pk, code, derived in by_version[child]
            }
            return Crosswalk.from_predecessors(all_codes(parent), predecessors)

        if common is None:
            return Crosswalk(links=(), retired=tuple(all_codes(earlier.pk)), added=tuple(all_codes(later.pk)))
        result = Crosswalk.identity(all_codes(earlier.pk))
        for this, following in pairwise(path):
            if parents[this] == following:  # a step back, towards the common ancestor
                result = result.then(step(following, this).inverted())
            else:  # a step forward, towards the later edition
                result = result.then(step(this, following))
        return result


class CatalogueVersion(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")
        RETIRED = "retired", _("Retired")

    framework = models.ForeignKey(
        Framework, on_delete=models.PROTECT, related_name="versions", verbose_name=_("framework")
    )
    number = models.PositiveIntegerField(_("number"))
    label = models.CharField(_("label"), max_length=200)
    status = models.CharField(_("status"), max_length=16, choices=Status, default=Status.DRAFT)
    based_on = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="drafts",
        verbose_name=_("based on"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    # Part of the crosswalk: the indicators of ``based_on`` this edition drops. Publishing checks
    # that every indicator of ``based_on`` is either continued by one of this edition's or listed here.
    retired = models.ManyToManyField(
        "Indicator",
        related_name="retired_in",
        blank=True,
        verbose_name=_("retired indicators"),
        help_text=_("Indicators of the edition this one is based on that this edition drops."),
    )

    objects = CatalogueVersionQuerySet.as_manager()

    class Meta:
        verbose_name = _("catalogue version")
        verbose_name_plural = _("catalogue versions")
        ordering = ["framework", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["framework", "number"], name="version_number_unique"),
            models.CheckConstraint(
                condition=Q(status="draft") | Q(published_at__isnull=False),
                name="version_published_has_date",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.framework.slug} v{self.number} ({self.get_status_display()})"

    @property
    def is_editable(self) -> bool:
        return self.status == self.Status.DRAFT


class SdgTarget(models.Model):
    code = models.CharField(_("code"), max_length=8, unique=True)
    title = models.CharField(_("title"), max_length=300)
    sort_key = models.CharField(max_length=16, editable=False, db_index=True)

    class Meta:
        verbose_name = _("SDG target")
        verbose_name_plural = _("SDG targets")
        ordering = ["sort_key"]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"

    @staticmethod
    def sort_key_for(code: str) -> str:
        """Return a key that orders 16.3 < 16.10 < 16.a."""
        goal, _dot, target = code.partition(".")
        target_key = f"{int(target):03d}" if target.isdigit() else f"z{target}"
        return f"{int(goal):02d}.{target_key}"


class DimensionQuerySet(models.QuerySet):
    def with_indicators(self, *, crosswalk: bool = False) -> DimensionQuerySet:
        """Prefetch every indicator with what the catalogue pages show of it (and, asked, its predecessors)."""
        indicators = Indicator.objects.order_by("order", "code")
        also = ["indicators__merged_from"] if crosswalk else []
        return self.order_by("order", "code").prefetch_related(
            models.Prefetch("indicators", indicators.select_related("derived_from") if crosswalk else indicators),
            "indicators__sdg_targets",
            "indicators__examples",
            "indicators__resources",
            *also,
        )


class Dimension(models.Model):
    Kind = DimensionKind

    version = models.ForeignKey(
        CatalogueVersion, on_delete=models.CASCADE, related_name="dimensions", verbose_name=_("version")
    )
    code = models.CharField(_("code"), max_length=8)
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"))
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind, default=Kind.CORE)
    optional = models.BooleanField(
        _("optional per city"), default=False, help_text=_("A city may leave the whole dimension out.")
    )

    objects = DimensionQuerySet.as_manager()

    class Meta:
        verbose_name = _("dimension")
        verbose_name_plural = _("dimensions")
        ordering = ["version", "order", "code"]
        constraints = [
            models.UniqueConstraint(fields=["version", "code"], name="dimension_code_unique_in_version"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def is_core(self) -> bool:
        return self.kind == self.Kind.CORE


class IndicatorQuerySet(models.QuerySet):
    def in_catalogue_order(self) -> IndicatorQuerySet:
        """In the order of the catalogue: by dimension (its order, then code), then the indicator's order and code."""
        return self.order_by("dimension__order", "dimension__code", "order", "code")

    def mirrored(self) -> IndicatorQuerySet:
        """The indicators a national or regional counterpart answers: those of MIRRORED_DIMENSIONS, and any marked."""
        return self.filter(Q(dimension__code__in=MIRRORED_DIMENSIONS) | Q(mirrored=True))


class Indicator(models.Model):
    # The version is stored on the indicator too, so that the database can hold
    # "code unique within a version"; services keep it equal to dimension.version.
    version = models.ForeignKey(
        CatalogueVersion, on_delete=models.CASCADE, related_name="indicators", verbose_name=_("version")
    )
    dimension = models.ForeignKey(
        Dimension, on_delete=models.CASCADE, related_name="indicators", verbose_name=_("dimension")
    )
    code = models.CharField(_("code"), max_length=16)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    question = models.TextField(_("question"))
    # The question as the public reads it in a stakeholder perception survey (plain words, no jargon);
    # blank: the survey asks ``question``.
    public_question = models.TextField(
        _("question for the public"),
        blank=True,
        help_text=_("How a stakeholder survey asks this, in plain words. Blank: the survey asks the question above."),
    )
    guidance = models.TextField(_("guidance"))
    descriptor_0 = models.TextField(_("level 0: not in place"))
    descriptor_1 = models.TextField(_("level 1: initial"))
    descriptor_2 = models.TextField(_("level 2: partial"))
    descriptor_3 = models.TextField(_("level 3: operational"))
    descriptor_4 = models.TextField(_("level 4: institutionalised"))
    suggestion = models.TextField(_("suggestion for moving up"))
    weight = models.DecimalField(_("weight"), max_digits=5, decimal_places=2, default=1)
    na_allowed = models.BooleanField(_("N/A allowed"), default=False)
    evidence_from_level = models.PositiveSmallIntegerField(
        _("evidence required from level"), default=EVIDENCE_FROM_LEVEL
    )
    justification_from_level = models.PositiveSmallIntegerField(
        _("justification required from level"),
        default=JUSTIFICATION_FROM_LEVEL,
        help_text=_("An answer at this level or above cannot be submitted without a justification."),
    )
    sdg_targets = models.ManyToManyField(
        SdgTarget, related_name="indicators", blank=True, verbose_name=_("SDG targets")
    )
    mirrored = models.BooleanField(
        _("mirrored"),
        default=False,
        help_text=_(
            "A national or regional counterpart answers it too, beside the city. Every vertical coherence "
            "indicator is mirrored anyway."
        ),
    )
    # The crosswalk: how this indicator continues the edition its version is based on. Same and
    # split continue one indicator (``derived_from``), merged several (``merged_from``), new none;
    # an indicator of a first edition has no kind. The database holds what one row can say;
    # ``services.crosswalk_problems`` checks the rest before publishing.
    Crosswalk = CrosswalkKind
    crosswalk = models.CharField(
        _("crosswalk"),
        max_length=8,
        choices=CrosswalkKind,
        blank=True,
        help_text=_("How it continues the edition this version is based on. Blank in a first edition."),
    )
    derived_from = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="successors",
        verbose_name=_("derived from"),
        help_text=_("For “same” and “split”: the indicator of the earlier edition this one continues."),
    )
    merged_from = models.ManyToManyField(
        "self",
        symmetrical=False,
        related_name="merged_into",
        blank=True,
        verbose_name=_("merged from"),
        help_text=_("For “merged”: the indicators of the earlier edition (two or more) merged into this one."),
    )

    objects = IndicatorQuerySet.as_manager()

    class Meta:
        verbose_name = _("indicator")
        verbose_name_plural = _("indicators")
        ordering = ["dimension__order", "order", "code"]
        constraints = [
            models.UniqueConstraint(fields=["version", "code"], name="indicator_code_unique_in_version"),
            models.CheckConstraint(condition=Q(weight__gt=0), name="indicator_weight_positive"),
            models.CheckConstraint(
                condition=Q(evidence_from_level__gte=LOWEST_LEVEL + 1, evidence_from_level__lte=HIGHEST_LEVEL),
                name="indicator_evidence_level_range",
            ),
            models.CheckConstraint(
                condition=Q(
                    justification_from_level__gte=LOWEST_LEVEL + 1, justification_from_level__lte=HIGHEST_LEVEL
                ),
                name="indicator_justification_level_range",
            ),
            # Same and split continue exactly one earlier indicator; merged, new and none keep the field empty.
            models.CheckConstraint(
                condition=(
                    Q(crosswalk__in=SINGLE_PREDECESSOR_KINDS, derived_from__isnull=False)
                    | (~Q(crosswalk__in=SINGLE_PREDECESSOR_KINDS) & Q(derived_from__isnull=True))
                ),
                name="indicator_crosswalk_predecessor",
            ),
            # An earlier indicator continues the "same" in at most one indicator of an edition.
            models.UniqueConstraint(
                fields=["version", "derived_from"],
                condition=Q(crosswalk=CrosswalkKind.SAME),
                name="indicator_same_continues_one",
            ),
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def predecessors(self) -> list[Indicator]:
        """The indicators of the earlier edition this one continues (none for new and first-edition ones)."""
        if self.derived_from_id:
            return [self.derived_from]
        if self.crosswalk == CrosswalkKind.MERGED:
            return sorted(self.merged_from.all(), key=lambda i: i.code)
        return []

    @property
    def survey_question(self) -> str:
        """The question a stakeholder survey asks, in the active language: the public wording, else the question."""
        return self.public_question or self.question

    @property
    def descriptors(self) -> list[str]:
        """Return the five level descriptors, level 0 first, in the active language."""
        return [getattr(self, f"descriptor_{level}") for level in LEVELS]

    def level_cards(self) -> list[tuple[int, str, str]]:
        """Return (level, label, this indicator's descriptor) for each level of the scale."""
        return [
            (level.value, level.label, descriptor) for level, descriptor in zip(Level, self.descriptors, strict=True)
        ]


class IndicatorExample(models.Model):
    indicator = models.ForeignKey(
        Indicator, on_delete=models.CASCADE, related_name="examples", verbose_name=_("indicator")
    )
    place = models.CharField(_("place"), max_length=200)
    text = models.TextField(_("text"))
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("example")
        verbose_name_plural = _("examples")
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return self.place


class IndicatorResource(models.Model):
    indicator = models.ForeignKey(
        Indicator, on_delete=models.CASCADE, related_name="resources", verbose_name=_("indicator")
    )
    title = models.CharField(_("title"), max_length=300)
    url = models.URLField(_("address"), max_length=500)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("resource")
        verbose_name_plural = _("resources")
        ordering = ["order", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(url__startswith="https://") | Q(url__startswith="http://"),
                name="resource_url_is_http",
            ),
        ]

    def __str__(self) -> str:
        return self.title
