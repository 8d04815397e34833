"""Dashboard pages (to be written)."""

from django.http import Http404


def reviewer_dashboard(request):
    raise Http404


def reviewer_dashboard_data(request):
    raise Http404


def authority_dashboard(request):
    raise Http404


def public_dashboard(request):
    raise Http404
