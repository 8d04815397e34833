from django.contrib import admin

from .models import Answer, Authority, Membership, Round, StatusEvent


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Authority)
class AuthorityAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "parent", "country", "region"]
    list_filter = ["kind", "region", "country"]
    list_select_related = ["parent"]
    search_fields = ["name", "country"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["parent"]  # Authority.clean() refuses a parent that would make a cycle
    inlines = [MembershipInline]
    exclude = ["logo"]  # set on the authority's logo page, where its content is checked (uploads.check_logo)


class StatusEventInline(admin.TabularInline):
    model = StatusEvent
    extra = 0
    can_delete = False
    readonly_fields = ["from_status", "to_status", "actor", "at", "note"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Round)
class RoundAdmin(admin.ModelAdmin):
    """Rounds change through the site's workflow; the admin shows them and fixes due dates."""

    list_display = ["authority", "period", "status", "version", "submitted_at", "validated_at", "publication_consent"]
    list_filter = ["status", "period", "authority__country"]
    search_fields = ["authority__name", "period"]
    list_select_related = ["authority", "version__framework"]
    fields = ["authority", "period", "version", "status", "due_date", "submission_count", "publication_consent"]
    readonly_fields = ["authority", "period", "version", "status", "submission_count", "publication_consent"]
    inlines = [StatusEventInline]

    def has_add_permission(self, request):
        return False  # rounds are opened on the site, pinned to the current catalogue


@admin.register(Answer)
class AnswerAdmin(admin.ModelAdmin):
    list_display = ["round", "indicator", "response", "level", "revision", "updated_by", "updated_at"]
    list_filter = ["response", "round__period"]
    search_fields = ["round__authority__name", "indicator__code"]
    list_select_related = ["round__authority", "indicator", "updated_by"]
    readonly_fields = [f.name for f in Answer._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False  # answers change only through the form, which records every revision
