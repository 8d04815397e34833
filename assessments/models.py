"""Local authorities, their members, and (later) their assessment rounds."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Authority(models.Model):
    class Kind(models.TextChoices):
        MUNICIPALITY = "municipality", _("Municipality")
        PROVINCE = "province", _("Province")
        REGION = "region", _("Region")

    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind)
    country = models.CharField(_("country"), max_length=100)
    region = models.CharField(_("world region"), max_length=100)

    class Meta:
        verbose_name = _("local authority")
        verbose_name_plural = _("local authorities")
        ordering = ["name"]
        permissions = [("review_round", _("Can review the rounds of every authority"))]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    class Role(models.TextChoices):
        EDITOR = "editor", _("Editor")
        APPROVER = "approver", _("Approver")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("user")
    )
    authority = models.ForeignKey(
        Authority, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("authority")
    )
    role = models.CharField(_("role"), max_length=16, choices=Role)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(fields=["user", "authority"], name="membership_unique_per_authority"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.authority} ({self.get_role_display()})"
