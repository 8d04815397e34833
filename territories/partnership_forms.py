"""Forms of the partnership pages: propose a partnership, share evidence. ``services.py`` acts on them.

The authorities a user proposes for are those they approve; the partner may be any authority
(listed by country, then name, so that typing a name finds it). The services check everything
again: an authority as its own partner, or a pair that already has a partnership, is refused there
with a reason the form shows.
"""

from __future__ import annotations

from itertools import groupby

from django import forms
from django.conf import settings
from django.core.validators import URLValidator
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from assessments.models import Authority
from assessments.uploads import EXTENSIONS, check_upload

from .models import TEXT_MAX, PartnershipEvidence

TITLE_MAX = PartnershipEvidence._meta.get_field("title").max_length
URL_MAX = PartnershipEvidence._meta.get_field("url").max_length


class ProposeForm(forms.Form):
    """A proposed partnership: for which of the user's authorities, with which partner, doing what."""

    authority = forms.TypedChoiceField(label=_("On behalf of"), coerce=int)
    partner = forms.TypedChoiceField(
        label=_("Partner authority"),
        coerce=int,
        help_text=_("Listed by country, then by name: type the first letters of a name to jump to it."),
    )
    description = forms.CharField(
        label=_("What the partnership does"),
        required=False,
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Optional: the agreement, its projects on migration, who takes part in both territories."),
    )

    def __init__(self, data=None, *, authorities: list[Authority], partners: list[Authority], **kwargs):
        super().__init__(data, **kwargs)
        self._authorities = {a.pk: a for a in authorities}
        self._partners = {a.pk: a for a in partners}
        if len(authorities) == 1:
            # Nothing to choose: the user approves for one authority only.
            self.fields["authority"].widget = forms.HiddenInput()
            self.fields["authority"].initial = authorities[0].pk
        self.fields["authority"].choices = [(a.pk, a.name) for a in authorities]
        by_country = groupby(sorted(partners, key=lambda a: (a.country_name, a.name, a.pk)), lambda a: a.country_name)
        self.fields["partner"].choices = [
            ("", "—"),
            *[(country, [(a.pk, a.name) for a in group]) for country, group in by_country],
        ]

    @property
    def single_authority(self) -> Authority | None:
        """The user's one authority, when there is nothing to choose."""
        return next(iter(self._authorities.values())) if len(self._authorities) == 1 else None

    def values(self) -> dict:
        """What ``services.partnership_propose`` takes (but the actor), once valid."""
        return {
            "authority": self._authorities[self.cleaned_data["authority"]],
            "partner": self._partners[self.cleaned_data["partner"]],
            "description": self.cleaned_data["description"],
        }


class EvidenceForm(forms.Form):
    """Shared evidence: a file (checked as answer evidence is) or an http(s) link, with a title."""

    title = forms.CharField(
        label=_("Title"), max_length=TITLE_MAX, help_text=_("For example: the cooperation agreement, signed.")
    )
    file = forms.FileField(
        label=_("File"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": ",".join(EXTENSIONS)}),
    )
    url = forms.URLField(
        label=_("Or a link"),
        required=False,
        max_length=URL_MAX,
        assume_scheme="https",
        validators=[
            URLValidator(schemes=["http", "https"], message=_("Only http and https links are accepted."), code="scheme")
        ],
        help_text=_("An http(s) address."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Said in the language of the request, not of the process that imported the form.
        self.fields["file"].help_text = _("PDF, Word, Excel, OpenDocument, PNG or JPEG, at most %(size)s.") % {
            "size": filesizeformat(settings.EVIDENCE_MAX_BYTES)
        }

    def clean_file(self):
        upload = self.cleaned_data.get("file")
        if upload:
            check_upload(upload)
        return upload

    def clean(self):
        cleaned = super().clean()
        if "file" in cleaned and "url" in cleaned and bool(cleaned["file"]) == bool(cleaned["url"]):
            raise forms.ValidationError(_("Give either a file or a link."))
        return cleaned
