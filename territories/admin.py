"""The territories in the admin: shown, barely changed.

Invitations, consents, partnerships and shared evidence are made on the site, whose services check
who may do them, send the invitation and check uploaded files; the admin shows them, lets an
administrator correct a counterpart's organisation or a partnership's description, and remove one.
"""

from django.contrib import admin
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from .models import Counterpart, CounterpartAnswer, Partnership, PartnershipEvidence, RollupConsent


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class CounterpartAnswerInline(ReadOnlyInline):
    """The counterpart's answers as they gave them: no one else may change them."""

    model = CounterpartAnswer
    fields = ["indicator", "response", "level", "justification", "updated_at"]
    readonly_fields = fields
    ordering = ["indicator__dimension__order", "indicator__order", "indicator__code"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("indicator")


class SubmittedFilter(admin.SimpleListFilter):
    title = _("submitted")
    parameter_name = "submitted"

    def lookups(self, request, model_admin):
        return [("yes", _("Submitted")), ("no", _("Not submitted yet"))]

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            return queryset.filter(submitted_at__isnull=self.value() == "no")
        return queryset


@admin.register(Counterpart)
class CounterpartAdmin(admin.ModelAdmin):
    """Counterparts are invited on the site (which checks who and sends the mail); here their name tags can be fixed."""

    list_display = ["round", "organisation", "level", "user", "invited_at", "submitted_at"]
    list_filter = ["level", SubmittedFilter, "round__period"]
    search_fields = ["organisation", "round__authority__name", "user__email"]
    list_select_related = ["round__authority", "user"]
    fields = ["round", "user", "level", "organisation", "invited_by", "invited_at", "submitted_at"]
    readonly_fields = ["round", "user", "invited_by", "invited_at", "submitted_at"]
    inlines = [CounterpartAnswerInline]

    def has_add_permission(self, request):
        return False


@admin.register(RollupConsent)
class RollupConsentAdmin(admin.ModelAdmin):
    """Consents are the municipality approvers' to give on the site; an administrator may remove one."""

    list_display = ["round", "parent", "given_by", "given_at"]
    list_filter = ["round__period", ("parent", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["round__authority__name", "parent__name"]
    list_select_related = ["round__authority", "parent", "given_by"]
    fields = ["round", "parent", "given_by", "given_at"]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class PartnershipEvidenceInline(ReadOnlyInline):
    """Shared evidence, read-only: the site adds it after checking the file's content."""

    model = PartnershipEvidence
    fields = ["title", "authority", "filename", "url", "added_by", "created_at"]
    readonly_fields = fields


def _confirmation(user, at) -> str:
    if at is None:
        return str(_("not yet"))
    return f"{user} · {formats.date_format(timezone.localtime(at), 'DATETIME_FORMAT')}"


class ConfirmedFilter(admin.SimpleListFilter):
    title = _("confirmation")
    parameter_name = "confirmed"

    def lookups(self, request, model_admin):
        return [("yes", _("Confirmed by both")), ("no", _("Waiting for confirmation"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.confirmed()
        if self.value() == "no":
            return queryset.exclude(pk__in=queryset.confirmed().values("pk"))
        return queryset


@admin.register(Partnership)
class PartnershipAdmin(admin.ModelAdmin):
    """Partnerships are proposed and confirmed by the two approvers on the site; here they are shown."""

    list_display = ["first", "second", "first_confirmed", "second_confirmed", "proposed_by", "proposed_at"]
    list_filter = [ConfirmedFilter]
    search_fields = ["first__name", "second__name", "description"]
    list_select_related = ["first", "second", "proposed_by"]
    fields = [
        "first",
        "second",
        "description",
        "proposed_by",
        "proposed_at",
        "first_confirmation",
        "second_confirmation",
    ]
    readonly_fields = [
        "first",
        "second",
        "proposed_by",
        "proposed_at",
        "first_confirmation",
        "second_confirmation",
    ]
    inlines = [PartnershipEvidenceInline]

    def has_add_permission(self, request):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("first_confirmed_by", "second_confirmed_by")

    @admin.display(description=_("confirmed by the authority"), boolean=True, ordering="first_confirmed_at")
    def first_confirmed(self, partnership: Partnership) -> bool:
        return partnership.first_confirmed_at is not None

    @admin.display(description=_("confirmed by the partner"), boolean=True, ordering="second_confirmed_at")
    def second_confirmed(self, partnership: Partnership) -> bool:
        return partnership.second_confirmed_at is not None

    @admin.display(description=_("confirmed by the authority"))
    def first_confirmation(self, partnership: Partnership) -> str:
        return _confirmation(partnership.first_confirmed_by, partnership.first_confirmed_at)

    @admin.display(description=_("confirmed by the partner"))
    def second_confirmation(self, partnership: Partnership) -> str:
        return _confirmation(partnership.second_confirmed_by, partnership.second_confirmed_at)
