"""Dashboards: reviewers compare authorities, cities see themselves against peers, the public sees published rounds."""

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_not_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from assessments.models import Authority, Round, is_reviewer
from plans.access import visible_authorities
from plans.models import Action

from . import data
from .filters import PEER_GROUPS, RoundFilter

# The dashboard's filters that describe authorities rather than rounds: they also choose whose plans are counted.
AUTHORITY_FILTERS = ("country", "region", "kind")


def _reviewer_filter(request: HttpRequest) -> RoundFilter:
    if not is_reviewer(request.user):
        raise Http404
    validated = Round.objects.visible_to(request.user).filter(status=Round.Status.VALIDATED)
    return RoundFilter(request.GET or None, queryset=validated)


def reviewer_dashboard(request: HttpRequest) -> HttpResponse:
    """Five views of the filtered, validated rounds; the URL carries the filters."""
    filters = _reviewer_filter(request)
    if filters.is_bound and not filters.is_valid():
        return render(request, "dashboard/reviewer.html", {"filter": filters, "panels": []}, status=400)
    params = filters.form.cleaned_data if filters.is_bound else {}
    panels = data.reviewer_panels(filters.qs, params)
    # Every plan the reviewer may read, whatever its rounds' statuses (a plan needs no validated round), of the
    # authorities the filters on authorities choose; the filters on rounds (period, version, status) do not apply.
    authorities = visible_authorities(request.user)
    for name in AUTHORITY_FILTERS:
        if params.get(name):
            authorities = authorities.filter(**{name: params[name]})
    plans = data.plan_status_table(authorities)
    return render(request, "dashboard/reviewer.html", {"filter": filters, "panels": panels, "plan_status": plans})


def reviewer_dashboard_data(request: HttpRequest) -> JsonResponse:
    """The same panels as JSON (``?panel=heatmap`` for the heatmap alone)."""
    filters = _reviewer_filter(request)
    if filters.is_bound and not filters.is_valid():
        return JsonResponse({"errors": filters.errors.get_json_data()}, status=400)
    params = filters.form.cleaned_data if filters.is_bound else {}
    if request.GET.get("panel") == "heatmap":
        panels = [data.heatmap_panel(filters.qs, params.get("period") or data.latest_period(filters.qs))]
    else:
        panels = data.reviewer_panels(filters.qs, params)
    return JsonResponse({"panels": [panel.as_json() for panel in panels]})


def authority_dashboard(request: HttpRequest) -> HttpResponse:
    """A city's own trend and profile (peers' medians come from published rounds only) and its plan over rounds."""
    authorities = list(Authority.objects.filter(memberships__user=request.user).order_by("name"))
    if not authorities:
        raise Http404
    chosen = next((a for a in authorities if a.slug == request.GET.get("authority")), authorities[0])
    peer = request.GET.get("peer", "kind")
    if peer not in dict(PEER_GROUPS):
        return HttpResponse("Unknown peer group.", status=400, content_type="text/plain")
    own = Round.objects.filter(authority=chosen, status=Round.Status.VALIDATED)
    return render(
        request,
        "dashboard/authority.html",
        {
            "authorities": authorities,
            "chosen": chosen,
            "peer": peer,
            "peer_groups": PEER_GROUPS,
            "panels": data.authority_panels(own, chosen.slug, peer),
            "plan_progress": data.plan_progress_table(chosen, Action.objects.visible_to(request.user)),
        },
    )


@login_not_required
def public_dashboard(request: HttpRequest) -> HttpResponse:
    """Published rounds of consenting authorities and the actions they marked public, and nothing else."""
    published = Round.objects.published()
    # One query for both the periods to choose from and the authorities with a profile (public_profile).
    listing = published.order_by("-period", "authority__name").values_list(
        "period", "authority__name", "authority__slug"
    )
    periods = list(dict.fromkeys(period for period, _name, _slug in listing))
    profiles = sorted({(name, slug) for _period, name, slug in listing})
    period = request.GET.get("period") or (periods[0] if periods else None)
    if period is not None and period not in periods:
        return render(request, "dashboard/public.html", {"periods": periods, "error": True}, status=400)
    rounds = published.filter(period=period).select_related("authority", "snapshot").order_by("authority__name", "pk")
    # The period's rounds a page of authorities at a time, by name; the heatmap's summary counts them all.
    page = Paginator(rounds, data.LISTED).get_page(request.GET.get("page"))
    return render(
        request,
        "dashboard/public.html",
        {
            "periods": periods,
            "period": period,
            "rounds": page.object_list,
            "page": page,
            "query": urlencode({"period": period}),
            "panels": [data.heatmap_panel(published, period)],
            "public_actions": data.public_actions(rounds, period),
            "profiles": profiles,
        },
    )
