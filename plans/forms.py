"""Forms validate and shape input for the plan pages; ``services.py`` acts on it."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _

from assessments.forms import evidence_file_field, link_field
from assessments.models import Authority, Round
from indicators.models import Indicator
from indicators.rules import LOWEST_LEVEL, Level

from .models import DEFAULT_TARGET_LEVEL, TEXT_MAX, TITLE_MAX, Action, ActionUpdate

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
LINK_ROWS_EXTRA = 3
LINK_ROWS_MAX = 40


def level_choices(lowest: int = LOWEST_LEVEL) -> list[tuple[int, str]]:
    """The scale from ``lowest`` up as choices ("3 · Operational"), in the active language.

    Call it when a form is made, never at import: the labels would stay in the language of the process.
    """
    return [(level.value, f"{level.value} · {level.label}") for level in Level if level.value >= lowest]


class LinkForm(forms.Form):
    """One linked indicator and the level the action aims at (a row of the action form; a blank row is skipped)."""

    indicator = forms.ChoiceField(
        label=_("Indicator"), required=False, widget=forms.Select(attrs={"class": "form-select"})
    )
    target_level = forms.TypedChoiceField(
        label=_("Target level"),
        coerce=int,
        initial=DEFAULT_TARGET_LEVEL,
        widget=forms.Select(attrs={"class": "form-select"}),
    )

    def __init__(self, *args, indicator_choices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["indicator"].choices = [("", _("— none —")), *indicator_choices]
        self.fields["target_level"].choices = level_choices()


class BaseLinkFormSet(forms.BaseFormSet):
    def _construct_form(self, i, **kwargs):
        # Every row is read, even one left as it was shown: a pre-filled link sent unchanged still counts.
        form = super()._construct_form(i, **kwargs)
        form.empty_permitted = False
        return form

    def clean(self):
        if any(self.errors):
            return
        chosen = [form.cleaned_data["indicator"] for form in self.forms if form.cleaned_data.get("indicator")]
        if not chosen:
            raise forms.ValidationError(_("Link the action to at least one indicator."))
        if len(chosen) != len(set(chosen)):
            raise forms.ValidationError(_("Each indicator can be linked only once."))


LinkFormSet = forms.formset_factory(
    LinkForm, formset=BaseLinkFormSet, extra=LINK_ROWS_EXTRA, max_num=LINK_ROWS_MAX, validate_max=True
)


def _person(user) -> str:
    return user.get_full_name() or user.username


class ActionBaseForm(forms.Form):
    """What every form that makes an action asks for, and the rule on its dates: the source of both."""

    title = forms.CharField(label=_("Title"), max_length=TITLE_MAX)
    description = forms.CharField(
        label=_("Description"),
        required=False,
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("What will be done, by whom, and how you will know it worked."),
    )
    owner = forms.CharField(
        label=_("Owner"),
        max_length=Action._meta.get_field("owner").max_length,
        help_text=_("The department or office that leads it."),
    )
    start_date = forms.DateField(label=_("Start date"), widget=DATE_INPUT)
    due_date = forms.DateField(label=_("Due date"), widget=DATE_INPUT)

    def clean(self):
        cleaned = super().clean()
        start, due = cleaned.get("start_date"), cleaned.get("due_date")
        if start and due and due < start:
            self.add_error("due_date", _("The due date cannot be before the start date."))
        return cleaned


class ActionForm(ActionBaseForm):
    """An action's fields and its linked indicators with their target levels (``self.links``, a formset)."""

    field_order = ["title", "description", "owner", "owner_user", "start_date", "due_date"]

    owner_user = forms.ModelChoiceField(
        label=_("Person responsible"), required=False, queryset=get_user_model().objects.none()
    )
    budget = forms.ChoiceField(label=_("Budget secured"), choices=Action.Budget.choices, initial=Action.Budget.NONE)
    budget_amount = forms.DecimalField(
        label=_("Amount"), required=False, max_digits=14, decimal_places=2, min_value=0, help_text=_("Optional.")
    )
    public = forms.BooleanField(
        label=_("Public"),
        required=False,
        help_text=_("Shown on the public page of the authority's rounds published with consent."),
    )

    def __init__(self, data=None, *, authority: Authority, round: Round, action: Action | None = None, **kwargs):
        super().__init__(data, **kwargs)
        self.round = round
        members = get_user_model().objects.filter(memberships__authority=authority)
        if action is not None and action.owner_user_id:  # someone who has left stays choosable while responsible
            members = members | get_user_model().objects.filter(pk=action.owner_user_id)
        self.fields["owner_user"].queryset = members.distinct().order_by("first_name", "last_name", "username")
        self.fields["owner_user"].label_from_instance = _person
        self.fields["owner_user"].empty_label = _("— nobody in particular —")
        indicators = list(
            Indicator.objects.filter(version_id=round.version_id).select_related("dimension").in_catalogue_order()
        )
        self.indicators = {indicator.code: indicator for indicator in indicators}
        groups: dict[str, list] = {}
        for indicator in indicators:
            label = f"{indicator.code} · {Truncator(indicator.question).chars(80)}"
            groups.setdefault(indicator.dimension.name, []).append((indicator.code, label))
        initial_links = kwargs.get("initial", {}).get("links", [])
        self.links = LinkFormSet(
            data,
            prefix="links",
            initial=initial_links,
            form_kwargs={"indicator_choices": list(groups.items())},
        )

    @staticmethod
    def initial_for(action: Action) -> dict:
        """The form's initial values for an existing action (its links must be prefetched or are read here)."""
        return {
            "title": action.title,
            "description": action.description,
            "owner": action.owner,
            "owner_user": action.owner_user_id,
            "start_date": action.start_date,
            "due_date": action.due_date,
            "budget": action.budget,
            "budget_amount": action.budget_amount,
            "public": action.public,
            "links": [
                {"indicator": link.indicator.code, "target_level": link.target_level} for link in action.links.all()
            ],
        }

    def is_valid(self) -> bool:
        valid = super().is_valid()
        return self.links.is_valid() and valid

    @property
    def targets(self) -> dict[Indicator, int]:
        """The linked indicators and their target levels (once valid)."""
        return {
            self.indicators[form.cleaned_data["indicator"]]: form.cleaned_data["target_level"]
            for form in self.links.forms
            if form.cleaned_data.get("indicator")
        }

    def values(self) -> dict:
        """Everything the services take, once valid."""
        return {**self.cleaned_data, "targets": self.targets}


class ActionEditForm(ActionForm):
    """The action form with the revision the user started from (a stale one is refused)."""

    base_revision = forms.IntegerField(widget=forms.HiddenInput, min_value=0)


class SuggestedActionForm(ActionBaseForm):
    """A suggestion of the suggestions page as an action to add: what the person may change before adding it."""

    target_level = forms.TypedChoiceField(label=_("Level the action aims at"), coerce=int)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["target_level"].choices = level_choices(LOWEST_LEVEL + 1)


class TargetForm(forms.Form):
    """The level the authority aims at on an indicator."""

    level = forms.TypedChoiceField(label=_("The authority's target on this indicator"), coerce=int)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["level"].choices = level_choices()


class DismissForm(forms.Form):
    """Dismiss a suggestion: nothing to fill in, but a refusal to say why."""


class StatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=Action.Status.choices)
    reason = forms.CharField(
        label=_("Reason for dropping"),
        required=False,
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Needed when the action is dropped."),
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("status") == Action.Status.DROPPED and not (cleaned.get("reason") or "").strip():
            self.add_error("reason", _("Say why the action is dropped."))
        return cleaned


class _RoundField(forms.ModelChoiceField):
    """The round a progress update or comment was made in (hidden; optional)."""

    def __init__(self, **kwargs):
        super().__init__(queryset=Round.objects.none(), required=False, widget=forms.HiddenInput, **kwargs)


class UpdateForm(forms.Form):
    """A dated report of progress, with a file (checked as answer evidence is) or an http(s) link, or neither."""

    text = forms.CharField(
        label=_("Progress"),
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What was done since the last update, and what comes next."),
    )
    date = forms.DateField(label=_("Date"), initial=timezone.localdate, widget=DATE_INPUT)
    file = evidence_file_field()
    url = link_field(ActionUpdate._meta.get_field("url").max_length)
    round = _RoundField()

    def __init__(self, *args, action: Action | None = None, **kwargs):
        if action is not None:  # several actions' forms on one page keep their ids apart
            kwargs.setdefault("auto_id", f"update-{action.pk}-%s")
        super().__init__(*args, **kwargs)
        rounds = Round.objects.all()  # the service refuses another authority's round
        self.fields["round"].queryset = (
            rounds if action is None else rounds.filter(authority_id=action.plan.authority_id)
        )

    def clean_date(self):
        date = self.cleaned_data["date"]
        if date > timezone.localdate():
            raise forms.ValidationError(_("A progress update cannot be dated in the future."))
        return date

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("file") and cleaned.get("url"):
            raise forms.ValidationError(_("Give either a file or a link (not both)."))
        return cleaned


class CommentForm(forms.Form):
    text = forms.CharField(label=_("Comment"), max_length=TEXT_MAX, widget=forms.Textarea(attrs={"rows": 3}))
    round = _RoundField()

    def __init__(self, *args, action: Action | None = None, **kwargs):
        if action is not None:
            kwargs.setdefault("auto_id", f"comment-{action.pk}-%s")
        super().__init__(*args, **kwargs)
        rounds = Round.objects.all()  # the service refuses another authority's round
        self.fields["round"].queryset = (
            rounds if action is None else rounds.filter(authority_id=action.plan.authority_id)
        )


class StatusFilterForm(forms.Form):
    """The plan page's filter by status; an unknown value is a form error, not a crash."""

    status = forms.ChoiceField(
        label=_("Show"),
        required=False,
        choices=[("", _("All actions")), *Action.Status.choices, ("overdue", _("Overdue"))],
    )
