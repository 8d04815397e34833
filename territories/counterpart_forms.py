"""The counterpart's forms: the invitation (approvers, reviewers) and the counterpart's answers."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from indicators.models import Indicator
from indicators.rules import LEVELS

from .models import TEXT_MAX, Counterpart, CounterpartAnswer
from .services import ORGANISATION_MAX

DONT_KNOW = CounterpartAnswer.Response.DONT_KNOW.value
NAME_MAX = 150


class CounterpartInviteForm(forms.Form):
    """Who the round's national or regional counterpart is, and in which language their invitation is written."""

    name = forms.CharField(label=_("Name"), max_length=NAME_MAX)
    email = forms.EmailField(
        label=_("E-mail address"),
        help_text=_("The invitation goes there. Someone who already has an account here is invited with it."),
    )
    organisation = forms.CharField(
        label=_("Organisation"),
        max_length=ORGANISATION_MAX,
        help_text=Counterpart._meta.get_field("organisation").help_text,
    )
    level = forms.ChoiceField(
        label=_("Level of government"), choices=Counterpart.Level.choices, widget=forms.RadioSelect
    )
    language = forms.ChoiceField(label=_("Language of the invitation"), choices=settings.LANGUAGES)


def choice_field(indicator: Indicator) -> str:
    return f"{indicator.code}-choice"


def justification_field(indicator: Indicator) -> str:
    return f"{indicator.code}-justification"


class CounterpartAnswersForm(forms.Form):
    """Every mirrored indicator on one page: a level 0–4 or "don't know", and a justification.

    Saving keeps every answer given (an indicator left without a choice stays unanswered); submitting
    asks for the box that says the answers cannot change afterwards.
    """

    # Fields a posted form may carry besides the indicators' own.
    ALLOWED_EXTRA = frozenset({"csrfmiddlewaretoken", "action", "save", "confirm"})

    confirm = forms.BooleanField(
        label=_("I have checked my answers: once submitted, they cannot change."), required=False
    )

    def __init__(self, data=None, *, indicators, answers: dict[int, CounterpartAnswer]):
        super().__init__(data)
        self.indicators = list(indicators)
        self.answers = answers
        self.submitting = data is not None and data.get("action") == "submit"
        choices = [(str(level), str(level)) for level in LEVELS] + [(DONT_KNOW, _("Don't know"))]
        for indicator in self.indicators:
            answer = answers.get(indicator.pk)
            self.fields[choice_field(indicator)] = forms.ChoiceField(
                choices=choices,
                required=False,
                initial=_choice_of(answer),
                error_messages={
                    "invalid_choice": gettext("%(code)s: choose a level of the scale, or “don't know”.")
                    % {"code": indicator.code}
                },
            )
            self.fields[justification_field(indicator)] = forms.CharField(
                required=False,
                max_length=TEXT_MAX,
                initial=answer.justification if answer else "",
                widget=forms.Textarea,
                error_messages={
                    "max_length": gettext("%(code)s: the justification is longer than %(limit)d characters.")
                    % {"code": indicator.code, "limit": TEXT_MAX}
                },
            )

    def unexpected_fields(self) -> set[str]:
        """Posted fields that are none of the mirrored indicators' (another indicator's, or made up)."""
        return set(self.data) - set(self.fields) - self.ALLOWED_EXTRA

    def clean(self):
        cleaned = super().clean()
        for indicator in self.indicators:
            choice = cleaned.get(choice_field(indicator))
            justification = cleaned.get(justification_field(indicator))
            if justification and not choice and indicator.pk not in self.answers:
                self.add_error(
                    choice_field(indicator),
                    gettext("%(code)s: choose a level, or “don't know”, to save this justification.")
                    % {"code": indicator.code},
                )
        if self.submitting and not cleaned.get("confirm"):
            self.add_error(
                "confirm", gettext("Tick the box to confirm that your answers cannot change once submitted.")
            )
        return cleaned

    def changes(self) -> list[dict]:
        """The answers that differ from those saved, as ``services.counterpart_answer_save`` takes them."""
        changed = []
        for indicator in self.indicators:
            choice = self.cleaned_data[choice_field(indicator)] or _choice_of(self.answers.get(indicator.pk))
            justification = self.cleaned_data[justification_field(indicator)].strip()
            answer = self.answers.get(indicator.pk)
            if not choice or (answer and _choice_of(answer) == choice and answer.justification == justification):
                continue
            changed.append(
                {
                    "indicator": indicator,
                    "response": DONT_KNOW if choice == DONT_KNOW else CounterpartAnswer.Response.LEVEL,
                    "level": None if choice == DONT_KNOW else int(choice),
                    "justification": justification,
                }
            )
        return changed

    def error_links(self) -> list[tuple[str, str]]:
        """Each field's errors with the id of the place they belong to, for the summary above the form."""
        places = {"confirm": "confirm-section"}
        for indicator in self.indicators:
            places[choice_field(indicator)] = places[justification_field(indicator)] = f"indicator-{indicator.code}"
        return [(places[name], error) for name, errors in self.errors.items() if name in places for error in errors]

    def items(self) -> list[dict]:
        """Each indicator with its saved answer and its bound fields (the value typed, after a refused save)."""
        return [
            {
                "indicator": indicator,
                "answer": self.answers.get(indicator.pk),
                "choice": self[choice_field(indicator)],
                "justification": self[justification_field(indicator)],
            }
            for indicator in self.indicators
        ]


def _choice_of(answer: CounterpartAnswer | None) -> str:
    if answer is None:
        return ""
    return DONT_KNOW if answer.response == DONT_KNOW else str(answer.level)
