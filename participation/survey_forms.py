"""The perception survey's forms: the approver's (open, extend, close) and the respondent's answers."""

from __future__ import annotations

import datetime
from itertools import groupby

from django import forms
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from assessments.models import Round
from indicators.models import Indicator
from indicators.rules import LEVEL_MEANINGS, LEVELS, Level, Response

from .models import COMMENT_MAX
from .services import default_survey_indicators

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DEFAULT_DAYS_OPEN = 30
DONT_KNOW = Response.DONT_KNOW.value  # the respondent's "don't know": stored as no level


def catalogue_order(indicators):
    """Indicators in the order of the catalogue (dimension, then indicator), with their dimensions."""
    return indicators.select_related("dimension").in_catalogue_order()


# --- the approver's forms ------------------------------------------------------------------------


class SurveyOpenForm(forms.Form):
    """Open a round's survey: which indicators to ask about (SP and HC ticked), and until when."""

    indicators = forms.ModelMultipleChoiceField(
        label=_("Indicators to ask about"),
        queryset=Indicator.objects.none(),
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
        error_messages={"required": _("Choose at least one indicator to ask about.")},
    )
    expires_on = forms.DateField(
        label=_("Last day for answers"),
        widget=DATE_INPUT,
        help_text=_("The link takes no answers after this day. You can move it later, or close the survey earlier."),
    )

    def __init__(self, data=None, *, round: Round):
        super().__init__(data)
        field = self.fields["indicators"]
        field.queryset = catalogue_order(Indicator.objects.filter(version_id=round.version_id))
        field.label_from_instance = lambda indicator: f"{indicator.code} \u00b7 {indicator.survey_question}"
        self.initial = {
            "indicators": list(default_survey_indicators(round).values_list("pk", flat=True)),
            "expires_on": timezone.localdate() + datetime.timedelta(days=DEFAULT_DAYS_OPEN),
        }

    def groups(self) -> list[tuple]:
        """The indicators' checkboxes by dimension: ``[(dimension, [checkbox, …]), …]`` (one query)."""
        boxes = list(self["indicators"])
        dimension = lambda box: box.data["value"].instance.dimension  # noqa: E731
        return [(key, list(items)) for key, items in groupby(boxes, key=dimension)]


class SurveyExtendForm(forms.Form):
    """Move the last day on which a survey takes answers."""

    expires_on = forms.DateField(label=_("New last day for answers"), widget=DATE_INPUT)

    def __init__(self, data=None, *, survey):
        super().__init__(data, initial={"expires_on": survey.expires_on}, auto_id="extend_%s")


class SurveyCloseForm(forms.Form):
    """Close a survey, for good: the box says so and must be ticked."""

    confirm = forms.BooleanField(
        label=_("I understand that a closed survey cannot be reopened."),
        error_messages={"required": _("Tick the box to confirm that the survey closes for good.")},
    )

    def __init__(self, data=None):
        super().__init__(data, auto_id="close_%s")


# --- the respondent's form -----------------------------------------------------------------------


def level_field(indicator: Indicator) -> str:
    return f"level-{indicator.code}"


def comment_field(indicator: Indicator) -> str:
    return f"comment-{indicator.code}"


class SurveyResponseForm(forms.Form):
    """A respondent's answers: for each question a level 0–4 or "don't know" (required), and an optional comment."""

    # Fields a posted form may carry besides the questions' own.
    ALLOWED_EXTRA = frozenset({"csrfmiddlewaretoken"})

    def __init__(self, data=None, *, indicators):
        super().__init__(data)
        self.indicators = list(indicators)
        choices = [(str(level), format_lazy("{} \u00b7 {}", level, Level(level).label)) for level in LEVELS]
        choices.append((DONT_KNOW, _("I don't know")))
        for number, indicator in enumerate(self.indicators, start=1):
            # The messages name the question: they are listed, as links, in the summary above the form.
            self.fields[level_field(indicator)] = forms.ChoiceField(
                choices=choices,
                widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
                error_messages={
                    "required": gettext("Question %(number)d: choose an answer, or “I don't know”.")
                    % {"number": number},
                    "invalid_choice": gettext("Question %(number)d: choose one of the answers offered.")
                    % {"number": number},
                },
            )
            self.fields[comment_field(indicator)] = forms.CharField(
                required=False,
                max_length=COMMENT_MAX,
                widget=forms.Textarea,
                error_messages={
                    "max_length": gettext("Question %(number)d: the comment is longer than %(limit)d characters.")
                    % {"number": number, "limit": COMMENT_MAX}
                },
            )

    def unexpected_fields(self) -> set[str]:
        """Posted fields that are none of the survey's questions (another survey's, or made up)."""
        return set(self.data) - set(self.fields) - self.ALLOWED_EXTRA

    def questions(self) -> list[dict]:
        """Each question with its number, indicator, the level's and the comment's bound fields."""
        return [
            {
                "number": number,
                "indicator": indicator,
                "level": self[level_field(indicator)],
                "comment": self[comment_field(indicator)],
            }
            for number, indicator in enumerate(self.indicators, start=1)
        ]

    def answers(self) -> dict[int, tuple[int | None, str]]:
        """Indicator id → (level, None for "don't know"; comment), as ``services.survey_respond`` takes them."""
        answers = {}
        for indicator in self.indicators:
            choice = self.cleaned_data[level_field(indicator)]
            level = None if choice == DONT_KNOW else int(choice)
            answers[indicator.pk] = (level, self.cleaned_data[comment_field(indicator)])
        return answers


def scale() -> list[tuple[int, str, str]]:
    """The answer scale as respondents read it: (level, label, what it means), lowest first."""
    return [(level, Level(level).label, LEVEL_MEANINGS[Level(level)]) for level in LEVELS]
