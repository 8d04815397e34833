"""Django admin for the catalogue: drafts are editable, published versions read-only."""

from __future__ import annotations

import json

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from modeltranslation.admin import TranslationAdmin, TranslationStackedInline

from . import services
from .exchange import CatalogueImportError, Problem, document_to_xlsx, version_document, xlsx_to_document
from .models import (
    CatalogueVersion,
    Dimension,
    Framework,
    Indicator,
    IndicatorExample,
    IndicatorResource,
    SdgTarget,
)


def _version_of(obj: object | None) -> CatalogueVersion | None:
    if isinstance(obj, CatalogueVersion):
        return obj
    if isinstance(obj, Dimension | Indicator):
        return obj.version
    return None


class DraftOnlyMixin:
    """Make rows of published and retired versions read-only (view permission only)."""

    def has_change_permission(self, request: HttpRequest, obj: object | None = None) -> bool:
        version = _version_of(obj)
        if version is not None and not version.is_editable:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: object | None = None) -> bool:
        version = _version_of(obj)
        if version is not None and not version.is_editable:
            return False
        return super().has_delete_permission(request, obj)

    def has_add_permission(self, request: HttpRequest, obj: object | None = None) -> bool:
        version = _version_of(obj)
        if version is not None and not version.is_editable:
            return False
        return super().has_add_permission(request, *([obj] if self._takes_obj() else []))

    def _takes_obj(self) -> bool:
        return isinstance(self, admin.options.InlineModelAdmin)


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("Catalogue file"),
        help_text=_("A whole version as JSON or XLSX, in the format the export produces."),
    )


@admin.register(Framework)
class FrameworkAdmin(TranslationAdmin):
    list_display = ["slug", "name"]
    search_fields = ["slug", "name"]


@admin.register(SdgTarget)
class SdgTargetAdmin(TranslationAdmin):
    list_display = ["code", "title"]
    search_fields = ["code", "title"]

    def save_model(self, request, obj, form, change):
        obj.sort_key = SdgTarget.sort_key_for(obj.code)
        super().save_model(request, obj, form, change)


class DimensionInline(DraftOnlyMixin, admin.TabularInline):
    model = Dimension
    fields = ["code", "order", "kind", "optional", "name"]
    readonly_fields = ["name"]
    show_change_link = True
    extra = 0

    def has_add_permission(self, request, obj=None):
        return False  # dimensions are added on their own page, with all their texts


class CatalogueVersionForm(forms.ModelForm):
    """Retired indicators are chosen among those of the edition the version is based on."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "retired" in self.fields:
            based_on = self.instance.based_on_id if self.instance.pk else None
            self.fields["retired"].queryset = Indicator.objects.filter(version_id=based_on).in_catalogue_order()


@admin.register(CatalogueVersion)
class CatalogueVersionAdmin(DraftOnlyMixin, TranslationAdmin):
    form = CatalogueVersionForm
    list_display = ["framework", "number", "label", "status", "published_at", "based_on"]
    list_filter = ["framework", "status"]
    search_fields = ["label", "framework__slug"]
    ordering = ["framework", "-number"]
    readonly_fields = ["status", "published_at", "based_on", "created_at", "publishing_check"]
    inlines = [DimensionInline]
    actions = ["make_draft", "publish", "retire", "export_json", "export_xlsx"]
    change_list_template = "admin/indicators/catalogueversion/change_list.html"

    def get_urls(self):
        return [
            path("import/", self.admin_site.admin_view(self.import_view), name="indicators_catalogueversion_import"),
            *super().get_urls(),
        ]

    def import_view(self, request: HttpRequest) -> HttpResponse:
        """Import a whole version as a draft; a faulty file is refused with every reason."""
        if not self.has_add_permission(request):
            return HttpResponse(status=403)
        form = ImportForm(request.POST or None, request.FILES or None)
        problems = []
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                data = upload.read()
                if upload.name.lower().endswith(".xlsx"):
                    document = xlsx_to_document(data)
                else:
                    try:
                        document = json.loads(data.decode("utf-8"))
                    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
                        raise CatalogueImportError(
                            [Problem(_("file"), _("is not valid JSON (%(err)s)") % {"err": exc})]
                        ) from exc
                version = services.catalogue_import(document=document)
            except CatalogueImportError as exc:
                problems = exc.problems
                messages.error(
                    request,
                    ngettext(
                        "Nothing was imported: the file has %(n)d problem.",
                        "Nothing was imported: the file has %(n)d problems.",
                        len(problems),
                    )
                    % {"n": len(problems)},
                )
            else:
                messages.success(request, _("Imported %(version)s as a draft.") % {"version": version})
                return redirect(reverse("admin:indicators_catalogueversion_change", args=[version.pk]))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Import a catalogue version"),
            "form": form,
            "problems": problems,
        }
        return TemplateResponse(request, "admin/indicators/catalogueversion/import.html", context)

    @admin.display(description=_("Before publishing"))
    def publishing_check(self, obj: CatalogueVersion | None) -> str:
        """What publishing would refuse, the crosswalk's gaps among it, shown on the draft's page."""
        if obj is None or not obj.pk or not obj.is_editable:
            return "-"
        problems = services.version_problems(obj)
        if not problems:
            return gettext("Nothing missing: this draft can be published.")
        return format_html_join(mark_safe("<br>"), "{}", ((problem,) for problem in problems))

    @admin.action(description=_("New draft from this version"))
    def make_draft(self, request, queryset):
        for version in queryset:
            draft = services.version_copy_to_draft(version=version)
            self.message_user(
                request, _("Created draft %(draft)s from %(version)s.") % {"draft": draft, "version": version}
            )

    @admin.action(description=_("Publish (the version can then never change)"))
    def publish(self, request, queryset):
        for version in queryset:
            try:
                published = services.version_publish(version=version)
            except ValidationError as exc:
                self.message_user(
                    request,
                    _("%(version)s was not published: %(reasons)s")
                    % {"version": version, "reasons": " ".join(exc.messages)},
                    messages.ERROR,
                )
            else:
                self.message_user(request, _("Published %(version)s.") % {"version": published})

    @admin.action(description=_("Retire"))
    def retire(self, request, queryset):
        for version in queryset:
            try:
                services.version_retire(version=version)
            except ValidationError as exc:
                self.message_user(request, f"{version}: {' '.join(exc.messages)}", messages.ERROR)

    def _export(self, request, queryset, extension: str) -> HttpResponse | None:
        if queryset.count() != 1:
            self.message_user(request, _("Choose exactly one version to export."), messages.WARNING)
            return None
        version = queryset.get()
        document = version_document(version)
        if extension == "json":
            body = json.dumps(document, ensure_ascii=False, indent=2).encode()
            content_type = "application/json; charset=utf-8"
        else:
            body = document_to_xlsx(document)
            content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        filename = f"catalogue-{version.framework.slug}-v{version.number}.{extension}"
        return HttpResponse(
            body, content_type=content_type, headers={"Content-Disposition": f'attachment; filename="{filename}"'}
        )

    @admin.action(description=_("Export as JSON"))
    def export_json(self, request, queryset):
        return self._export(request, queryset, "json")

    @admin.action(description=_("Export as XLSX"))
    def export_xlsx(self, request, queryset):
        return self._export(request, queryset, "xlsx")


class IndicatorInline(DraftOnlyMixin, TranslationStackedInline):
    model = Indicator
    fields = [
        "code",
        "order",
        "question",
        "public_question",
        "weight",
        "na_allowed",
        "evidence_from_level",
        "justification_from_level",
        "mirrored",
    ]
    show_change_link = True
    extra = 0
    classes = ["collapse"]

    def has_add_permission(self, request, obj=None):
        return False  # indicators need all their texts: add them on the indicator page


@admin.register(Dimension)
class DimensionAdmin(DraftOnlyMixin, TranslationAdmin):
    list_display = ["code", "name", "version", "kind", "optional", "order"]
    list_filter = ["version", "kind"]
    search_fields = ["code", "name", "description"]
    ordering = ["version", "order"]
    list_select_related = ["version__framework"]
    inlines = [IndicatorInline]

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        if "version" in form.base_fields:
            form.base_fields["version"].queryset = CatalogueVersion.objects.filter(status=CatalogueVersion.Status.DRAFT)
        return form


# Stacked, not tabular: each field keeps its own label, which screen readers need.
class ExampleInline(DraftOnlyMixin, TranslationStackedInline):
    model = IndicatorExample
    extra = 0


class ResourceInline(DraftOnlyMixin, TranslationStackedInline):
    model = IndicatorResource
    extra = 0


class IndicatorForm(forms.ModelForm):
    """The admin supplies the model and fields; this form adds the per-version code and crosswalk checks."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "dimension" in self.fields:
            self.fields["dimension"].queryset = Dimension.objects.filter(
                version__status=CatalogueVersion.Status.DRAFT
            ).select_related("version")
        # Predecessors come from the edition the draft is based on (from any earlier one until the
        # dimension, hence the version, is chosen; clean() then checks).
        based_on = self.instance.version.based_on_id if self.instance.pk else None
        earlier = Indicator.objects.exclude(version__status=CatalogueVersion.Status.DRAFT)
        earlier = (earlier.filter(version_id=based_on) if based_on else earlier).select_related("version")
        for name in ("derived_from", "merged_from"):
            if name in self.fields:
                self.fields[name].queryset = earlier.in_catalogue_order()

    def clean(self):
        cleaned = super().clean()
        dimension = cleaned.get("dimension")
        code = cleaned.get("code")
        if dimension and code:
            clash = Indicator.objects.filter(version=dimension.version, code=code).exclude(pk=self.instance.pk)
            if clash.exists():
                self.add_error("code", _("Another indicator of this version already has this code."))
        if dimension and "crosswalk" in self.fields:
            self._clean_crosswalk(dimension.version, cleaned)
        return cleaned

    def _clean_crosswalk(self, version: CatalogueVersion, cleaned: dict) -> None:
        kind = cleaned.get("crosswalk") or ""
        derived_from, merged_from = cleaned.get("derived_from"), list(cleaned.get("merged_from") or [])
        if kind == Indicator.Crosswalk.MERGED and derived_from:
            self.add_error("derived_from", _("A merged indicator lists its predecessors under “merged from”."))
        elif kind != Indicator.Crosswalk.MERGED and merged_from:
            self.add_error("merged_from", _("Only a merged indicator continues several indicators."))
        else:
            predecessors = merged_from if kind == Indicator.Crosswalk.MERGED else [p for p in [derived_from] if p]
            for problem in services.indicator_crosswalk_problems(
                indicator=self.instance, version=version, kind=kind, predecessors=predecessors
            ):
                self.add_error("crosswalk", problem)


@admin.register(Indicator)
class IndicatorAdmin(DraftOnlyMixin, TranslationAdmin):
    form = IndicatorForm
    exclude = ["version"]
    list_display = ["code", "question", "dimension", "version", "crosswalk", "weight", "na_allowed", "mirrored"]
    list_filter = ["version", "dimension__code", "crosswalk", "na_allowed", "mirrored"]
    search_fields = ["code", "question", "public_question", "guidance"]
    ordering = ["version", "dimension__order", "order"]
    list_select_related = ["dimension", "version__framework"]
    # Plain selects, limited to the edition the draft is based on (IndicatorForm): Django's
    # filter_horizontal widget puts aria-label where ARIA forbids it.
    inlines = [ExampleInline, ResourceInline]

    def save_model(self, request, obj, form, change):
        # The version always follows the dimension (it is stored for the unique constraint).
        obj.version = obj.dimension.version
        services.version_ensure_editable(obj.version)
        super().save_model(request, obj, form, change)
