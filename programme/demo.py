"""A demo campaign for seed_demo (``assessments.slots.DEMO_DATA``).

The demo reviewer is also a programme coordinator (the group "Programme coordinators", with the
``assessments.open_rounds`` permission). They open the campaign "2027 cycle" on the current catalogue,
due a few months from the first seed, for the demo's authorities except the region with municipalities
under it and those municipalities (their rounds are the territories demo's to keep as they are); then they
give one authority a month more. Written through ``programme.services`` as if a person had done it. A second
run adds nothing: the group is known by its name, the campaign by its name, the extension by its authority.
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.utils import timezone

from assessments.management.commands.seed_demo import AUTHORITIES
from assessments.models import Authority
from indicators.models import CatalogueVersion

from . import services
from .models import Campaign, Extension, Participant

COORDINATORS_GROUP = "Programme coordinators"
CAMPAIGN = "2027 cycle"
PERIOD = "2027"
MESSAGE = (
    "The 2027 cycle is open. Please answer every indicator, attach your evidence and submit before the due date; "
    "write to the programme team if you need more time."
)
EXTENDED = "accra"  # the authority given more time
EXTENSION_REASON = "Municipal elections in the spring: the new council asked for a month more."


def seed(stdout) -> None:
    """Make the demo reviewer a coordinator, open the demo campaign and extend one due date (idempotent)."""
    User = get_user_model()
    reviewer = User.objects.filter(username="reviewer").first()
    version = CatalogueVersion.objects.current()
    if reviewer is None or version is None:
        return
    coordinators, _created = Group.objects.get_or_create(name=COORDINATORS_GROUP)
    coordinators.permissions.add(Permission.objects.get(content_type__app_label="assessments", codename="open_rounds"))
    reviewer.groups.add(coordinators)
    reviewer = User.objects.get(pk=reviewer.pk)  # its permissions as they are now, not as first cached
    campaign = Campaign.objects.filter(name=CAMPAIGN).first()
    if campaign is None:
        authorities = (
            Authority.objects.filter(slug__in=[slug for _name, slug, *_rest in AUTHORITIES], parent__isnull=True)
            .exclude(children__isnull=False)
            .order_by("name")
        )
        campaign, participants = services.campaign_open(
            actor=reviewer,
            name=CAMPAIGN,
            period=PERIOD,
            version=version,
            due_date=timezone.localdate() + timedelta(days=120),
            authorities=authorities,
            message=MESSAGE,
        )
        stdout.write(f"Campaign “{CAMPAIGN}”: {sum(p.opened for p in participants)} rounds opened.")
    participant = Participant.objects.filter(campaign=campaign, authority__slug=EXTENDED).first()
    if participant is not None and campaign.is_open and not Extension.objects.filter(participant=participant).exists():
        services.campaign_extend(
            participant=participant,
            actor=reviewer,
            due_date=campaign.due_date + timedelta(days=30),
            reason=EXTENSION_REASON,
        )
        stdout.write(f"Campaign “{CAMPAIGN}”: the due date of {participant.authority} moved a month on.")
