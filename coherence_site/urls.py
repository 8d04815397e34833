from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponse
from django.shortcuts import redirect, render, resolve_url
from django.templatetags.static import static
from django.urls import include, path
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from . import accounts, language


@login_not_required
def healthz(request):
    return HttpResponse("ok", content_type="text/plain")


@login_not_required
def favicon(request):
    """Browsers and crawlers ask for /favicon.ico; the icon is an SVG among the static files."""
    return redirect(static("favicon.svg"))


def permission_denied(request, exception):
    """A refusal says why (an access.AccessDenied's message) and links back; nothing was changed."""
    round_id = getattr(exception, "round_id", None)
    back = resolve_url("round_detail", round_id) if round_id else resolve_url("home")
    message = str(exception) or gettext("You are not allowed to do this.")
    return render(request, "refused.html", {"message": message, "back": back}, status=403)


handler403 = permission_denied

admin.site.site_header = _("Coherence administration")
admin.site.site_title = _("Coherence administration")
admin.site.login_form = accounts.AdminLoginForm

urlpatterns = [
    path("", include("assessments.urls")),
    path("", include("indicators.urls")),
    path("", include("reports.urls")),
    path("", include("dashboard.urls")),
    path("api/v1/", include("coherence_site.api_urls")),
    path("accounts/login/", language.LoginView.as_view(), name="login"),
    path("accounts/password_reset/", accounts.PasswordResetView.as_view(), name="password_reset"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("i18n/setlang/", language.set_language, name="set_language"),
    path("healthz", healthz, name="healthz"),
    path("favicon.ico", favicon, name="favicon"),
    path("admin/", admin.site.urls),
]
