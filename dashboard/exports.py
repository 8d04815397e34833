"""Exports of assessment data as CSV and XLSX (to be written)."""

from django.http import Http404


def export_indicators(request, fmt):
    raise Http404


def export_scores(request, fmt):
    raise Http404
