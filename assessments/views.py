from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from .models import Authority


def home(request: HttpRequest) -> HttpResponse:
    """Show a signed-in user where their work is."""
    authorities = Authority.objects.filter(memberships__user=request.user).order_by("name")
    return render(request, "home.html", {"authorities": authorities})
