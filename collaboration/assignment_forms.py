"""The form that gives a dimension or one indicator of a round to a member of its authority, by a date."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from assessments.models import Round
from indicators.models import Dimension, Indicator

from .services import person_name

DIMENSION, INDICATOR = "dimension", "indicator"


def subject_value(*, dimension: Dimension | None = None, indicator: Indicator | None = None) -> str:
    """The value of the "What" choice for a dimension or an indicator (``dimension:HC``, ``indicator:HC-01``)."""
    return f"{DIMENSION}:{dimension.code}" if dimension else f"{INDICATOR}:{indicator.code}"


class MemberChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, user) -> str:
        return person_name(user)


class AssignmentForm(forms.Form):
    """What (a dimension, or one of its indicators), who (a member of the authority) and by when.

    Assigning what someone already has gives it to the new person (or changes its date).
    """

    subject = forms.ChoiceField(label=_("What"))
    assignee = MemberChoiceField(
        label=_("Who"), queryset=get_user_model().objects.none(), empty_label=_("Choose a member")
    )
    due_date = forms.DateField(
        label=_("Due date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("Optional. A date from today on."),
    )

    def __init__(self, data=None, *, round: Round, indicators, **kwargs):
        super().__init__(data, **kwargs)
        self.round = round
        self.dimensions: dict[str, Dimension] = {}
        self.indicators: dict[str, Indicator] = {}
        groups: dict[Dimension, list[tuple[str, str]]] = {}
        for indicator in indicators:
            self.dimensions[indicator.dimension.code] = indicator.dimension
            self.indicators[indicator.code] = indicator
            groups.setdefault(indicator.dimension, []).append(
                (subject_value(indicator=indicator), f"{indicator.code} · {indicator.question}")
            )
        choices: list = [("", _("Choose a dimension or an indicator"))]
        for dimension, items in groups.items():
            whole = gettext("%(code)s · %(name)s: the whole dimension") % {
                "code": dimension.code,
                "name": dimension.name,
            }
            whole = (subject_value(dimension=dimension), whole)
            choices.append((f"{dimension.code} · {dimension.name}", [whole, *items]))
        self.fields["subject"].choices = choices
        self.fields["assignee"].queryset = (
            get_user_model()
            .objects.filter(memberships__authority_id=round.authority_id)
            .order_by("first_name", "last_name", "username")
        )
        self.fields["assignee"].error_messages["invalid_choice"] = gettext("Choose a member of %(authority)s.") % {
            "authority": round.authority
        }

    def clean_due_date(self):
        due = self.cleaned_data.get("due_date")
        if due is not None and due < timezone.localdate():
            raise forms.ValidationError(gettext("The due date cannot be in the past."))
        return due

    def clean_subject(self) -> dict:
        kind, _sep, code = self.cleaned_data["subject"].partition(":")
        if kind == DIMENSION and code in self.dimensions:
            return {"dimension": self.dimensions[code]}
        if kind == INDICATOR and code in self.indicators:
            return {"indicator": self.indicators[code]}
        raise forms.ValidationError(gettext("Choose a dimension or an indicator of this round."))
