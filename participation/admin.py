"""Django admin for participation: the registers and consultations, and surveys shown read-only.

Consultations are checked here as ``services`` checks them (groups of the round's authority,
indicators of its catalogue, counts within the participants). Attachments are added on the
site, where their content is checked; the admin lists them. A consultation of a round whose
evidence is locked (submitted or validated) is neither changed nor removed here, and a group that
took part in a consultation stays in the register. Surveys are opened and closed by the authority's
approvers on the site; the admin shows them, their token masked, and lists their responses, which
hold no IP address and no name. One response's answers are never shown together: below
``perception.MIN_RESPONSES`` they could tell who answered; a response can only be removed (spam).
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from . import services
from .models import Consultation, ConsultationAttachment, Stakeholder, Survey, SurveyResponse

TOKEN_SHOWN = 6  # the last characters of a survey token the admin shows: enough to tell links apart


@admin.register(Stakeholder)
class StakeholderAdmin(admin.ModelAdmin):
    list_display = ["name", "category", "authority", "created_at"]
    list_filter = ["category", "authority"]
    search_fields = ["name", "description", "authority__name"]
    list_select_related = ["authority"]
    ordering = ["authority__name", "name"]
    raw_id_fields = ["authority"]

    def has_delete_permission(self, request, obj=None):
        """A group that took part in a consultation stays: removing it would change the consultation's record."""
        if obj is not None and obj.consultations.exists():
            return False
        return super().has_delete_permission(request, obj)


def _locked(round) -> bool:
    return round is not None and not round.is_editable


class ConsultationForm(forms.ModelForm):
    """The admin's consultation form, refused where ``services`` would refuse it."""

    def clean(self):
        cleaned = super().clean()
        stored_round = self.instance.round if self.instance.pk else None
        if _locked(stored_round) or _locked(cleaned.get("round")):
            raise forms.ValidationError(
                _(
                    "The round is submitted or validated: its evidence is locked, and its consultations "
                    "cannot be added or changed. Return the round first."
                )
            )
        round = cleaned.get("round") or stored_round
        if round is not None and not self.errors:
            try:
                # The service's own checks (a consultation written here bypasses consultation_save).
                services.consultation_checked(round, cleaned)
            except services.ParticipationError as refused:
                raise forms.ValidationError(refused.messages) from refused
        return cleaned


class AttachmentInline(admin.TabularInline):
    """A consultation's files and links, read-only: the site adds them after checking their content."""

    model = ConsultationAttachment
    extra = 0
    can_delete = False
    fields = ["title", "filename", "url", "added_by", "created_at"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Consultation)
class ConsultationAdmin(admin.ModelAdmin):
    form = ConsultationForm
    list_display = ["date", "round", "method", "participants", "group_count", "attachment_count"]
    list_filter = ["method", "round__period", "round__authority", "groups__category"]
    search_fields = ["summary", "round__authority__name", "groups__name"]
    date_hierarchy = "date"
    ordering = ["-date", "-id"]
    raw_id_fields = ["round", "groups", "indicators", "dimensions", "created_by"]
    readonly_fields = ["group_names", "indicator_codes", "created_at", "updated_at"]
    inlines = [AttachmentInline]

    def has_delete_permission(self, request, obj=None):
        """A consultation of a round whose evidence is locked stays, like its other evidence."""
        if obj is not None and _locked(obj.round):
            return False
        return super().has_delete_permission(request, obj)

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("round__authority")
            .annotate(group_total=Count("groups", distinct=True), attachment_total=Count("attachments", distinct=True))
        )

    @admin.display(description=_("groups"), ordering="group_total")
    def group_count(self, consultation: Consultation) -> int:
        return consultation.group_total

    @admin.display(description=_("attachments"), ordering="attachment_total")
    def attachment_count(self, consultation: Consultation) -> int:
        return consultation.attachment_total

    # Raw id fields show numbers: these say what the numbers stand for.
    @admin.display(description=_("groups"))
    def group_names(self, consultation: Consultation) -> str:
        return "; ".join(f"{g.name} ({g.get_category_display()})" for g in consultation.groups.all()) or "-"

    @admin.display(description=_("dimensions and indicators discussed"))
    def indicator_codes(self, consultation: Consultation) -> str:
        codes = [d.code for d in consultation.dimensions.all()] + [i.code for i in consultation.indicators.all()]
        return ", ".join(codes) or "-"


def masked_token(token: str) -> str:
    """The token with all but its last characters hidden: the link itself stays with the approver."""
    return "\u2022" * 8 + token[-TOKEN_SHOWN:]


@admin.register(Survey)
class SurveyAdmin(admin.ModelAdmin):
    """Surveys, read-only: opened, extended and closed by the authority's approvers on the site."""

    list_display = ["round", "token_end", "expires_on", "closed_at", "response_count", "opened_by", "created_at"]
    list_filter = ["round__period", "round__authority"]
    search_fields = ["round__authority__name", "round__period"]
    fields = [
        "round",
        "token_end",
        "indicators",
        "expires_on",
        "closed_at",
        "opened_by",
        "created_at",
        "response_count",
    ]
    readonly_fields = fields

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("round__authority", "opened_by")
            .annotate(response_total=Count("responses"))
        )

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description=_("token (last characters)"))
    def token_end(self, survey: Survey) -> str:
        return masked_token(survey.token)

    @admin.display(description=_("responses"), ordering="response_total")
    def response_count(self, survey: Survey) -> int:
        return survey.response_total


@admin.register(SurveyResponse)
class SurveyResponseAdmin(admin.ModelAdmin):
    """Responses, listed; an administrator may remove one (spam). The respondent key and the answers stay hidden."""

    list_display = ["survey", "language", "created_at"]
    list_filter = ["language", "survey__round__period", "survey__round__authority"]
    list_select_related = ["survey__round__authority"]
    fields = ["survey", "language", "created_at"]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
