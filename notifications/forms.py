"""A person's choice of mail for each kind of event."""

from __future__ import annotations

from django import forms

from assessments.events import Kind

from .models import DIGEST_KINDS, MailSetting

Delivery = MailSetting.Delivery


class MailSettingsForm(forms.Form):
    """One set of radio buttons per kind of event: a mail for each or none, and a daily digest where offered."""

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        chosen = MailSetting.objects.deliveries([user.pk])
        for kind in Kind:
            deliveries = [Delivery.IMMEDIATE, Delivery.DIGEST, Delivery.OFF]
            if kind not in DIGEST_KINDS:
                deliveries.remove(Delivery.DIGEST)
            self.fields[kind.value] = forms.ChoiceField(
                label=kind.label,
                choices=[(d.value, d.label) for d in deliveries],
                initial=chosen.get((user.pk, kind.value), Delivery.IMMEDIATE),
                widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
            )
