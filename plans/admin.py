from django.contrib import admin

from .models import Action, ActionComment, ActionIndicator, ActionUpdate, Plan, PlanTarget


class ActionIndicatorInline(admin.TabularInline):
    model = ActionIndicator
    extra = 0
    raw_id_fields = ["indicator"]


class ActionUpdateInline(admin.TabularInline):
    model = ActionUpdate
    extra = 0
    fields = ["date", "text", "url", "file", "author"]
    raw_id_fields = ["author", "round"]


@admin.register(Action)
class ActionAdmin(admin.ModelAdmin):
    list_display = ["title", "plan", "status", "due_date", "public"]
    list_filter = ["status", "public"]
    search_fields = ["title", "plan__authority__name"]
    raw_id_fields = ["origin_round", "owner_user", "created_by"]
    inlines = [ActionIndicatorInline, ActionUpdateInline]


class PlanTargetInline(admin.TabularInline):
    model = PlanTarget
    extra = 0


@admin.register(Plan)
class PlanAdmin(admin.ModelAdmin):
    list_display = ["authority", "created_at"]
    inlines = [PlanTargetInline]


admin.site.register(ActionComment)
