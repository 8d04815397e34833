from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from .models import LEVEL_MEANINGS, CatalogueVersion, Level


@login_not_required
def methodology(request: HttpRequest) -> HttpResponse:
    """Show the current published catalogue, the answer scale and the scoring rules, to anyone."""
    version = CatalogueVersion.objects.current()
    dimensions = version.dimensions.with_indicators() if version else []
    scale = [(level, level.label, LEVEL_MEANINGS[level]) for level in Level]
    return render(
        request,
        "indicators/methodology.html",
        {"version": version, "dimensions": dimensions, "scale": scale},
    )
