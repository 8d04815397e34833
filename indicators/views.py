from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from .models import CatalogueVersion
from .rules import methodology as rules_of


@login_not_required
def methodology(request: HttpRequest) -> HttpResponse:
    """Show the current published catalogue, the answer scale and the scoring rules, to anyone."""
    version = CatalogueVersion.objects.current()
    dimensions = version.dimensions.with_indicators() if version else []
    return render(
        request,
        "indicators/methodology.html",
        {"version": version, "dimensions": dimensions, "rules": rules_of(dimensions)},
    )
