from django.contrib import admin

from .models import Authority, Membership


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Authority)
class AuthorityAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "country", "region"]
    list_filter = ["kind", "region", "country"]
    search_fields = ["name", "country"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [MembershipInline]
