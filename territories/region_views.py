"""Pages of regions and their municipalities: the consent to share a round, the roll-up, a shared round read-only.

A municipality's approvers share a round with its parent authority, or stop sharing it, from the
round's page (``rollup_consent``; the round is found among those the user may see, a 404
otherwise; a role that may not decide gets a 403 page). The parent's members and programme staff
see the roll-up of the municipalities' shared, validated rounds (``region_rollup``; anyone else a
404); the parent's members open a shared round read-only (``region_round``): a round that is not
shared, not of one of the parent's municipalities, or asked for by a non-member, is a 404.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from assessments import slots
from assessments.access import AccessDenied, access_round
from assessments.http import refused_page
from assessments.models import Authority, Band, Round
from assessments.sheet import SELF, VALIDATED, answer_sheet, round_scores, score_rows

from . import access, rollup, services


@require_POST
def rollup_consent(request: HttpRequest, pk: int) -> HttpResponse:
    """Share the round with the authority's parent (``action=give``), or stop sharing it (``action=withdraw``)."""
    round = access_round(request.user, pk)
    back = reverse("round_detail", args=[round.pk]) + "#rollup"
    action = request.POST.get("action")
    if action not in ("give", "withdraw"):
        return refused_page(request, _("Choose whether to share the round or to stop sharing it."), back, status=400)
    try:
        if action == "give":
            services.rollup_consent_give(round=round, actor=request.user)
        else:
            services.rollup_consent_withdraw(round=round, actor=request.user)
    except AccessDenied as denied:
        return refused_page(request, str(denied), back, status=403)
    except services.TerritoryError as error:
        return refused_page(request, " ".join(error.messages), back)
    if action == "give":
        messages.success(request, _("The round is shared with %(parent)s.") % {"parent": round.authority.parent})
    else:
        messages.success(
            request, _("The round is no longer shared with %(parent)s.") % {"parent": round.authority.parent}
        )
    return redirect(back)


def region_rollup(request: HttpRequest, slug: str) -> HttpResponse:
    """The parent's municipalities, and the roll-up of their shared, validated rounds of one period."""
    parent = get_object_or_404(Authority, slug=slug)
    if not access.can_view_rollup(request.user, parent):
        raise Http404
    period = request.GET.get("period") or None
    result = rollup.region_rollup(parent, period)
    status = 200
    if period is not None and period not in result.periods:
        status = 400
        result = rollup.region_rollup(parent)
    return render(
        request,
        "territories/region/rollup.html",
        {
            "parent": parent,
            "rollup": result,
            "bands": Band.choices,
            "parent_member": access.is_member(request.user, parent.pk),
            "unknown_period": status == 400,
            "capacity_level": rollup.CAPACITY_LEVEL,
            "coordination_code": rollup.COORDINATION_BODY,
            "unit_code": rollup.MIGRATION_UNIT,
            # Sections of the apps above territories (the roll-up report …): assessments.slots.ROLLUP_PAGE.
            "sections": slots.ROLLUP_PAGE.fill(request, parent),
        },
        status=status,
    )


def region_round(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """A municipality's shared round, read-only, for the parent's members: scores, answers, the names of the evidence."""
    parent = get_object_or_404(Authority, slug=slug)
    round = get_object_or_404(rollup.shared_rounds(parent).select_related("authority", "version", "snapshot"), pk=pk)
    if not access.parent_may_view(request.user, round):
        raise Http404
    sheet = answer_sheet(round).with_evidence()
    scores = round_scores(round, sheet)
    frozen = round.status == Round.Status.VALIDATED
    official = scores[VALIDATED if frozen else SELF]
    bands = dict(Band.choices)
    return render(
        request,
        "territories/region/round.html",
        {
            "parent": parent,
            "round": round,
            "frozen": frozen,
            "score_rows": score_rows(sheet, scores, validated=frozen),
            "official": official,
            "self_scores": scores[SELF],
            "self_band": bands.get(scores[SELF].band, ""),
            "validated_band": bands.get(scores[VALIDATED].band, "") if frozen else "",
            "dimensions": rollup.answer_rows(sheet),
        },
    )
