"""The form that uploads a filled-in workbook; ``workbook.workbook_check`` does the checking."""

from __future__ import annotations

from django import forms
from django.template.defaultfilters import filesizeformat
from django.utils.functional import lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .workbook import CONTENT_TYPE, max_bytes


def _help() -> str:
    return gettext("The .xlsx workbook downloaded from this round, at most %(size)s.") % {
        "size": filesizeformat(max_bytes())
    }


class WorkbookUploadForm(forms.Form):
    file = forms.FileField(
        label=_("Filled-in workbook (XLSX)"),
        help_text=lazy(_help, str)(),
        widget=forms.ClearableFileInput(attrs={"accept": f".xlsx,{CONTENT_TYPE}"}),
    )
