"""Forms validate and shape input for the register and consultation pages; ``services.py`` acts on it.

The choices of groups, indicators and dimensions are those of the round (its authority's register,
its catalogue version): an id from anywhere else is a form error, never a record. The services check
everything again.
"""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _

from assessments.forms import evidence_file_field, link_field
from assessments.models import Round
from indicators.models import Dimension, Indicator

from .models import PARTICIPANTS_MAX, TEXT_MAX, Consultation, ConsultationAttachment, Stakeholder

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
CHECKBOXES = forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"})
NAME_MAX = Stakeholder._meta.get_field("name").max_length
LANGUAGES_MAX = Consultation._meta.get_field("languages").max_length
TITLE_MAX = ConsultationAttachment._meta.get_field("title").max_length
URL_MAX = ConsultationAttachment._meta.get_field("url").max_length
QUESTION_CHARS = 90  # an indicator's question, shortened beside its code in the list of checkboxes


class StakeholderForm(forms.Form):
    """A group of the register: a name and a category, never a person."""

    name = forms.CharField(
        label=_("Name of the group"),
        max_length=NAME_MAX,
        help_text=_("An organisation or a group, never a person's name."),
    )
    category = forms.ChoiceField(label=_("Category"), choices=[("", "—"), *Stakeholder.Category.choices])
    description = forms.CharField(
        label=_("Description"),
        required=False,
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Optional: who the group speaks for, how to reach it."),
    )

    @staticmethod
    def initial_for(stakeholder: Stakeholder) -> dict:
        return {"name": stakeholder.name, "category": stakeholder.category, "description": stakeholder.description}


def _count_field(label, *, required: bool = False, minimum: int = 0, help_text: str = "") -> forms.IntegerField:
    return forms.IntegerField(
        label=label,
        required=required,
        min_value=minimum,
        max_value=PARTICIPANTS_MAX,
        help_text=help_text,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )


class ConsultationForm(forms.Form):
    """A consultation of ``round``: when, how, who, how many, in which languages, on what, and what was said."""

    date = forms.DateField(label=_("Date"), widget=DATE_INPUT)
    method = forms.ChoiceField(label=_("Method"), choices=[("", "—"), *Consultation.Method.choices])
    groups = forms.MultipleChoiceField(
        label=_("Groups that took part"),
        required=False,
        widget=CHECKBOXES,
        help_text=_("From the authority's register of groups."),
    )
    participants = _count_field(_("Number of participants"), required=True, minimum=1)
    women = _count_field(_("Women"))
    men = _count_field(_("Men"))
    other_gender = _count_field(_("Other or not stated"))
    migrants = _count_field(
        _("Migrants or displaced persons"), help_text=_("Optional: how many of the participants, if known.")
    )
    languages = forms.CharField(
        label=_("Languages used"),
        required=False,
        max_length=LANGUAGES_MAX,
        help_text=_("For example: Spanish, Kichwa."),
    )
    summary = forms.CharField(
        label=_("What was said"),
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("A summary of what participants said, in a few paragraphs; no names of persons."),
    )
    indicators = forms.MultipleChoiceField(
        label=_("Indicators discussed"),
        required=False,
        widget=CHECKBOXES,
        help_text=_("A consultation that discussed an indicator counts as evidence for it."),
    )
    dimensions = forms.MultipleChoiceField(
        label=_("Dimensions discussed"),
        required=False,
        widget=CHECKBOXES,
        help_text=_("When the consultation was about a whole dimension rather than single indicators."),
    )

    def __init__(self, data=None, *, round: Round, **kwargs):
        super().__init__(data, **kwargs)
        self.round = round
        self._groups = {str(g.pk): g for g in Stakeholder.objects.filter(authority_id=round.authority_id)}
        self._indicators = {
            str(i.pk): i
            for i in Indicator.objects.filter(version_id=round.version_id)
            .select_related("dimension")
            .in_catalogue_order()
        }
        self._dimensions = {
            str(d.pk): d for d in Dimension.objects.filter(version_id=round.version_id).order_by("order", "code")
        }
        self.fields["groups"].choices = [
            (pk, f"{g.name} ({g.get_category_display()})") for pk, g in self._groups.items()
        ]
        self.fields["indicators"].choices = [
            (pk, f"{i.code} · {Truncator(i.question).chars(QUESTION_CHARS)}") for pk, i in self._indicators.items()
        ]
        self.fields["dimensions"].choices = [(pk, f"{d.code} · {d.name}") for pk, d in self._dimensions.items()]

    @staticmethod
    def initial_for(consultation: Consultation) -> dict:
        """The form's initial values for a recorded consultation."""
        return {
            **{
                name: getattr(consultation, name)
                for name in ("date", "method", "participants", "women", "men", "other_gender", "migrants")
            },
            "languages": consultation.languages,
            "summary": consultation.summary,
            "groups": [str(g.pk) for g in consultation.groups.all()],
            "indicators": [str(i.pk) for i in consultation.indicators.all()],
            "dimensions": [str(d.pk) for d in consultation.dimensions.all()],
        }

    def indicator_fieldsets(self) -> list[tuple[Dimension, list]]:
        """The indicators' checkboxes grouped by dimension, in catalogue order: one fieldset each."""
        fieldsets: list[tuple[Dimension, list]] = []
        for option in self["indicators"]:
            dimension = self._indicators[str(option.data["value"])].dimension
            if not fieldsets or fieldsets[-1][0] != dimension:
                fieldsets.append((dimension, []))
            fieldsets[-1][1].append(option)
        return fieldsets

    def clean_date(self):
        date = self.cleaned_data["date"]
        if date > timezone.localdate():
            raise forms.ValidationError(_("A consultation cannot be dated in the future."))
        return date

    def clean(self):
        cleaned = super().clean()
        participants = cleaned.get("participants")
        if participants:
            parts = [cleaned.get(name) or 0 for name in ("women", "men", "other_gender")]
            if sum(parts) > participants:
                self.add_error(None, _("Women, men and others add up to more than the participants."))
            if (cleaned.get("migrants") or 0) > participants:
                self.add_error("migrants", _("There cannot be more migrants than participants."))
        return cleaned

    def values(self) -> dict:
        """Everything ``services.consultation_save`` takes, once valid."""
        cleaned = self.cleaned_data
        return {
            **{name: cleaned[name] for name in ("date", "method", "participants", "women", "men", "other_gender")},
            "migrants": cleaned["migrants"],
            "languages": cleaned["languages"],
            "summary": cleaned["summary"],
            "groups": [self._groups[pk] for pk in cleaned["groups"]],
            "indicators": [self._indicators[pk] for pk in cleaned["indicators"]],
            "dimensions": [self._dimensions[pk] for pk in cleaned["dimensions"]],
        }


class AttachmentForm(forms.Form):
    """Minutes, an attendance sheet, a report: a file (checked as answer evidence is) or an http(s) link."""

    title = forms.CharField(
        label=_("Title"), max_length=TITLE_MAX, help_text=_("For example: Minutes of the workshop.")
    )
    file = evidence_file_field()
    url = link_field(URL_MAX)

    def clean(self):
        cleaned = super().clean()
        if "file" in cleaned and "url" in cleaned and bool(cleaned["file"]) == bool(cleaned["url"]):
            raise forms.ValidationError(_("Give either a file or a link."))
        return cleaned
