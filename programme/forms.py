"""Forms of the campaign pages: open a campaign, filter its board, extend one authority's due date."""

from __future__ import annotations

import re

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from assessments.models import Authority, Round
from assessments.places import place_name
from indicators.models import CatalogueVersion

from .models import ParticipantQuerySet
from .services import authorities_matching

DATE_INPUT = forms.DateInput(attrs={"type": "date"})


def _not_past(value):
    if value is not None and value < timezone.localdate():
        raise forms.ValidationError(_("The due date cannot be in the past."))
    return value


def _places(values) -> list[tuple[str, str]]:
    """Stored countries or regions as choices, named in the active language, in the order of their names."""
    return sorted(((value, place_name(value)) for value in values if value), key=lambda pair: pair[1])


class CampaignForm(forms.Form):
    """A new campaign: its round's period, catalogue and due date, and the authorities, by filters or by a list."""

    name = forms.CharField(label=_("Name"), max_length=200)
    period = forms.RegexField(
        label=_("Period"), regex=r"^[0-9]{4}$", max_length=4, help_text=_("A year, such as 2025.")
    )
    version = forms.ModelChoiceField(
        label=_("Catalogue version"), queryset=CatalogueVersion.objects.none(), empty_label=None
    )
    due_date = forms.DateField(label=_("Due date"), widget=DATE_INPUT)
    message = forms.CharField(
        label=_("Message to the authorities"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5000,
    )
    kinds = forms.MultipleChoiceField(label=_("Kinds"), required=False, choices=Authority.Kind.choices)
    countries = forms.MultipleChoiceField(label=_("Countries"), required=False)
    regions = forms.MultipleChoiceField(label=_("World regions"), required=False)
    slugs = forms.CharField(
        label=_("Or a list of authorities"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Their short names (slugs), one a line. Use either the filters above or this list."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        versions = CatalogueVersion.objects.published().select_related("framework").order_by("-number")
        self.fields["version"].queryset = versions
        self.fields["version"].initial = CatalogueVersion.objects.current()
        present = Authority.objects.order_by().values_list
        kinds = set(present("kind", flat=True).distinct())
        self.fields["kinds"].choices = [(value, label) for value, label in Authority.Kind.choices if value in kinds]
        self.fields["countries"].choices = _places(present("country", flat=True).distinct())
        self.fields["regions"].choices = _places(present("region", flat=True).distinct())
        for name in ("kinds", "countries", "regions"):
            self.fields[name].widget.attrs["size"] = min(8, max(3, len(self.fields[name].choices)))

    def clean_due_date(self):
        return _not_past(self.cleaned_data["due_date"])

    def clean(self):
        data = super().clean()
        filters = {name: data.get(name) or [] for name in ("kinds", "countries", "regions")}
        slugs = list(dict.fromkeys(slug for slug in re.split(r"\s+", data.get("slugs") or "") if slug))
        if slugs and any(filters.values()):
            raise forms.ValidationError(_("Choose the authorities either by the filters or by a list, not both."))
        if slugs:
            authorities = list(authorities_matching(slugs=slugs))
            unknown = sorted(set(slugs) - {authority.slug for authority in authorities})
            if unknown:
                self.add_error("slugs", _("Unknown authorities: %(slugs)s.") % {"slugs": ", ".join(unknown)})
                return data
        elif any(filters.values()):
            authorities = list(authorities_matching(**filters))
            if not authorities:
                raise forms.ValidationError(_("No authority matches these filters."))
        else:
            raise forms.ValidationError(_("Choose the authorities: by kind, country or region, or by a list."))
        data["authorities"] = authorities
        return data

    def campaign_kwargs(self) -> dict:
        """What ``services.campaign_open`` takes, from a valid form."""
        data = self.cleaned_data
        return {name: data[name] for name in ("name", "period", "version", "due_date", "message", "authorities")}


class BoardFilterForm(forms.Form):
    """The board's filters (GET); unknown values are a form error, not a crash."""

    q = forms.CharField(label=_("Authority name"), required=False, max_length=200)
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("Any status")), *Round.Status.choices]
    )
    country = forms.ChoiceField(label=_("Country"), required=False)
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)

    def __init__(self, *args, countries, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["country"].choices = [("", _("Any country")), *_places(countries)]

    def filter(self, participants: ParticipantQuerySet) -> ParticipantQuerySet:
        """The rows the chosen filters keep (a valid form; an empty filter keeps every row)."""
        data = self.cleaned_data
        if data.get("q"):
            participants = participants.filter(authority__name__icontains=data["q"])
        if data.get("status"):
            participants = participants.filter(round__status=data["status"])
        if data.get("country"):
            participants = participants.filter(authority__country=data["country"])
        if data.get("overdue"):
            participants = participants.overdue()
        return participants


class ExtensionForm(forms.Form):
    """A new due date for one authority's round, and why."""

    due_date = forms.DateField(label=_("New due date"), widget=DATE_INPUT)
    reason = forms.CharField(label=_("Reason"), required=False, max_length=300)

    def clean_due_date(self):
        return _not_past(self.cleaned_data["due_date"])
