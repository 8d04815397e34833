"""Forms validate and shape input for the assessment pages; services act on it."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.core.validators import URLValidator
from django.template.defaultfilters import filesizeformat
from django.utils.functional import cached_property, lazy
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from indicators.models import Indicator, Level

from .models import Answer, Authority, Round, RoundQuerySet
from .places import place_name
from .services import JUSTIFICATION_MAX_LENGTH, Decision, return_comment_missing
from .uploads import EXTENSIONS, LOGO_MAX_BYTES, LOGO_MAX_SIDE, check_logo, check_upload

NA, DK = Answer.Response.NOT_APPLICABLE.value, Answer.Response.DONT_KNOW.value


def _evidence_file_help() -> str:
    return gettext("PDF, Word, Excel, OpenDocument, PNG or JPEG, at most %(size)s.") % {
        "size": filesizeformat(settings.EVIDENCE_MAX_BYTES)
    }


def evidence_file_field() -> forms.FileField:
    """An optional file, checked as answer evidence is (size, type by content); its help said in the request's language."""
    return forms.FileField(
        label=_("File"),
        required=False,
        help_text=lazy(_evidence_file_help, str)(),
        validators=[check_upload],
        widget=forms.ClearableFileInput(attrs={"accept": ",".join(EXTENSIONS)}),
    )


def link_field(max_length: int) -> forms.URLField:
    """An optional http(s) link ("Or a link" beside a file); any other scheme is refused."""
    return forms.URLField(
        label=_("Or a link"),
        required=False,
        max_length=max_length,
        assume_scheme="https",
        validators=[
            URLValidator(schemes=["http", "https"], message=_("Only http and https links are accepted."), code="scheme")
        ],
        help_text=_("An http(s) address."),
    )


class AnswerForm(forms.Form):
    """One indicator's answer: a level, N/A or don't know, and a justification."""

    choice = forms.ChoiceField(label=_("Your answer"), required=False, widget=forms.RadioSelect)
    justification = forms.CharField(
        label=_("Justification"),
        required=False,
        max_length=JUSTIFICATION_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Say what exists and where; a reviewer will read this."),
    )
    revision = forms.IntegerField(widget=forms.HiddenInput, min_value=0)
    save_id = forms.UUIDField(required=False, widget=forms.HiddenInput)
    # The "Confirm" button of an answer carried over from an earlier round (any save confirms it).
    confirm = forms.BooleanField(required=False, widget=forms.HiddenInput)
    # "Keep my version" after a conflict: the colleague's revision the user chose to replace.
    overwrite = forms.RegexField(
        regex=r"\A[0-9]{1,9}\Z",
        required=False,
        widget=forms.HiddenInput,
        error_messages={"invalid": _("The version to keep is not valid: reload the page and choose again.")},
    )

    def __init__(self, *args, indicator: Indicator, **kwargs):
        super().__init__(*args, **kwargs)
        self.indicator = indicator
        choices = [(str(level.value), level.label) for level in Level]
        if indicator.na_allowed:
            choices.append((NA, _("Not applicable")))
        choices.append((DK, _("Don't know")))
        self.fields["choice"].choices = choices

    @staticmethod
    def initial_for(answer: Answer | None) -> dict:
        if answer is None:
            return {"choice": "", "justification": "", "revision": 0}
        choice = str(answer.level) if answer.response == Answer.Response.LEVEL else answer.response
        return {"choice": choice, "justification": answer.justification, "revision": answer.revision}

    def add_prefix(self, field_name: str) -> str:
        # The conflict panel's button is named plainly "overwrite", whatever the indicator.
        return field_name if field_name == "overwrite" else super().add_prefix(field_name)

    def clean_overwrite(self) -> int | None:
        value = self.cleaned_data["overwrite"]
        return int(value) if value else None

    def clean(self):
        cleaned = super().clean()
        choice = cleaned.get("choice") or ""
        if choice.isdigit():
            cleaned["response"], cleaned["level"] = Answer.Response.LEVEL, int(choice)
        else:
            cleaned["response"], cleaned["level"] = choice, None
        return cleaned


class EvidenceForm(forms.Form):
    """A file (checked by content and size) or an http(s) link, with a description."""

    description = forms.CharField(label=_("Description"), max_length=300)
    file = evidence_file_field()
    url = forms.URLField(
        label=_("Or a link"), required=False, max_length=1000, assume_scheme="https", help_text=_("An http(s) address.")
    )

    def clean_url(self):
        """Accept http(s) in any letter case; store the scheme in lower case, as the database requires."""
        url = self.cleaned_data.get("url", "")
        if not url:
            return url
        scheme, _separator, rest = url.partition("://")
        if scheme.lower() not in ("https", "http"):
            raise forms.ValidationError(_("Only http and https links are accepted."))
        return f"{scheme.lower()}://{rest}"

    def clean(self):
        cleaned = super().clean()
        if not self.errors and bool(cleaned.get("file")) == bool(cleaned.get("url")):
            raise forms.ValidationError(_("Give either a file or a link (not both)."))
        return cleaned


class LogoForm(forms.Form):
    """An authority's logo: a PNG or JPEG, checked by content, size and dimensions."""

    logo = forms.FileField(
        label=_("Logo"),
        help_text=_("PNG or JPEG, at most %(size)s and %(side)d × %(side)d pixels.")
        % {"size": filesizeformat(LOGO_MAX_BYTES), "side": LOGO_MAX_SIDE},
        widget=forms.FileInput(attrs={"accept": ".png,.jpg,.jpeg,image/png,image/jpeg"}),
    )

    def clean_logo(self):
        upload = self.cleaned_data["logo"]
        check_logo(upload)
        return upload


COMMENT_MAX_LENGTH = 5000  # a comment in a thread, and the reviewer's comment on a decision


def _attributes(attrs: dict) -> str:
    """HTML attributes in their order, as Django's widget template writes them (True alone, False left out)."""
    written = [
        f" {name}" if value is True else f' {name}="{escape(value)}"'
        for name, value in attrs.items()
        if value is not False
    ]
    return mark_safe("".join(written))  # every value escaped


class ReviewDecisionForm(forms.Form):
    """The reviewer's decision on one indicator (a prefix per indicator on the review page).

    The review page lays its indicators out beside the forms of their threads and panels, which
    cannot nest: every field names the one review form (the HTML ``form`` attribute, ``FORM_ID``).
    ``returning``: the reviewer returns the ticked indicators, so a ticked one needs a comment (the
    service refuses it too; here the error lands at the indicator's field).
    """

    FORM_ID = "review-form"

    validated_level = forms.TypedChoiceField(
        label=_("Validated level"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", _("Same as the city"))]
        + [(str(level.value), f"{level.value} · {level.label}") for level in Level],
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
    )
    na_accepted = forms.TypedChoiceField(
        label=_("N/A"),
        required=False,
        coerce=lambda value: value == "yes",
        empty_value=None,
        choices=[("", _("Not decided")), ("yes", _("Accepted")), ("no", _("Rejected (counts as level 0)"))],
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
    )
    comment = forms.CharField(
        label=_("Comment to the city"),
        required=False,
        max_length=COMMENT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2, "class": "form-control form-control-sm"}),
    )
    send_back = forms.BooleanField(
        label=_("Return this indicator to the city"),
        required=False,
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )

    def __init__(self, *args, returning: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.returning = returning
        for field in self.fields.values():
            field.widget.attrs["form"] = self.FORM_ID

    def clean(self):
        data = super().clean()
        if self.returning and not self.errors:
            decision = self.decision()
            if decision.send_back and not decision.comment_given:  # the service's rule and words
                self.add_error("comment", return_comment_missing([self.prefix]))
        return data

    @cached_property
    def controls(self) -> dict[str, dict]:
        """Each field as templates/assessments/_review_field.html writes it in plain HTML, with the markup its
        widget would give (name, attributes with aria-invalid/aria-describedby on an error, id, value, chosen
        option, checked box) but without the template form renderer: 3–4 widgets per indicator through it were
        a third of the review page's time. tests/assessments/test_review_fields.py compares both.
        """
        controls = {}
        for name, field in self.fields.items():
            bound = self[name]
            widget = field.widget
            value = bound.value()
            control = {
                "name": bound.html_name,
                "id": bound.auto_id,
                "label": bound.label,
                "errors": bound.errors,
                "attrs": _attributes({**bound.build_widget_attrs(widget.attrs), "id": bound.auto_id}),
            }
            if isinstance(widget, forms.CheckboxInput):
                control["checked"] = widget.check_test(value)
                control["value"] = widget.format_value(value)
            elif isinstance(widget, forms.Select):
                chosen = "" if value is None else str(value)
                control["options"] = [(str(key), label, str(key) == chosen) for key, label in field.choices]
            else:
                control["value"] = widget.format_value(value)
            controls[name] = control
        return controls

    def decision(self) -> Decision:
        data = self.cleaned_data
        return Decision(
            validated_level=data["validated_level"],
            na_accepted=data["na_accepted"],
            comment=data["comment"],
            send_back=data["send_back"],
        )


class QueueFilterForm(forms.Form):
    """Filters of the reviewer's queue; unknown values are a form error, not a crash."""

    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Any status"))]
        + [(value, label) for value, label in Round.Status.choices if value != Round.Status.DRAFT],
    )
    country = forms.ChoiceField(label=_("Country"), required=False)
    period = forms.ChoiceField(label=_("Period"), required=False)

    LOOKUPS = {"status": "status", "country": "authority__country", "period": "period"}

    def __init__(self, *args, countries: list[str], periods: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        named = sorted(((c, place_name(c)) for c in countries), key=lambda pair: pair[1])
        self.fields["country"].choices = [("", _("Any country")), *named]
        self.fields["period"].choices = [("", _("Any period"))] + [(p, p) for p in periods]

    def filter(self, rounds: RoundQuerySet) -> RoundQuerySet:
        """The rounds the filters chosen keep (a valid form; a filter left empty keeps every round)."""
        chosen = {
            lookup: self.cleaned_data[name] for name, lookup in self.LOOKUPS.items() if self.cleaned_data.get(name)
        }
        return rounds.filter(**chosen)


START_EMPTY, START_LATEST = "", "latest"


class RoundCreateForm(forms.Form):
    """A new round; where the authority has earlier rounds, whether it starts from one of them or empty."""

    authority = forms.ModelChoiceField(label=_("Authority"), queryset=Authority.objects.none())
    period = forms.RegexField(
        label=_("Period"), regex=r"^[0-9]{4}$", max_length=4, help_text=_("A year, such as 2025.")
    )
    due_date = forms.DateField(label=_("Due date"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    start_from = forms.ChoiceField(
        label=_("Start from"),
        required=False,
        help_text=_(
            "Each answer, justification and evidence of the earlier round comes over marked “carried over”: "
            "it counts once someone confirms or changes it. Statuses and the reviewer's levels and comments stay behind."
        ),
    )

    def __init__(self, *args, authorities, earlier_rounds=(), **kwargs):
        """``earlier_rounds``: the rounds of ``authorities`` the user may see, newest first, with their authority."""
        super().__init__(*args, **kwargs)
        self.fields["authority"].queryset = authorities
        self.earlier_rounds = {str(r.pk): r for r in earlier_rounds}
        if not self.earlier_rounds:
            del self.fields["start_from"]
            return
        by_authority: dict[Authority, list] = {}
        for round in self.earlier_rounds.values():
            label = _(
                "Start from the %(period)s round (answers, justifications and evidence come over for you to confirm)"
            )
            by_authority.setdefault(round.authority, []).append((str(round.pk), label % {"period": round.period}))
        empty = (START_EMPTY, _("Start empty"))
        field = self.fields["start_from"]
        if len(by_authority) == 1:
            [options] = by_authority.values()
            field.choices = [*options, empty]
            field.initial = options[0][0]  # the latest round
        else:
            latest = (
                START_LATEST,
                _(
                    "Start from the authority's latest earlier round "
                    "(answers, justifications and evidence come over for you to confirm)"
                ),
            )
            field.choices = [latest, *((authority.name, options) for authority, options in by_authority.items()), empty]
            field.initial = START_LATEST

    def clean(self):
        cleaned = super().clean()
        if "start_from" not in self.fields or "start_from" not in cleaned:
            return cleaned
        authority, period, choice = cleaned.get("authority"), cleaned.get("period"), cleaned["start_from"]
        if choice == START_EMPTY or authority is None or not period:
            cleaned["start_from"] = None
        elif choice == START_LATEST:
            earlier = (r for r in self.earlier_rounds.values() if r.authority_id == authority.pk and r.period < period)
            cleaned["start_from"] = max(earlier, key=lambda r: r.period, default=None)
        else:
            start = self.earlier_rounds[choice]
            if start.authority_id != authority.pk:
                self.add_error(
                    "start_from",
                    _("The %(period)s round you chose is %(other)s's: choose a round of %(authority)s, or start empty.")
                    % {"period": start.period, "other": start.authority, "authority": authority},
                )
            elif not start.period < period:
                self.add_error(
                    "start_from",
                    _("Choose a round of a period before %(period)s, or start empty.") % {"period": period},
                )
            else:
                cleaned["start_from"] = start
        return cleaned


class CommentForm(forms.Form):
    """A comment in an indicator's thread; ``@username`` mentions a colleague."""

    body = forms.CharField(
        label=_("Your comment"),
        max_length=COMMENT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Write a comment first.")},
    )
