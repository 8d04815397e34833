from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.shortcuts import redirect
from django.templatetags.static import static
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from . import accounts, health, language


@login_not_required
def favicon(request):
    """Browsers and crawlers ask for /favicon.ico; the icon is an SVG among the static files."""
    return redirect(static("favicon.svg"))


admin.site.site_header = _("Coherence administration")
admin.site.site_title = _("Coherence administration")
admin.site.login_form = accounts.AdminLoginForm

urlpatterns = [
    path("", include("assessments.urls")),
    path("", include("indicators.urls")),
    path("", include("reports.urls")),
    path("", include("dashboard.urls")),
    path("plans/", include("plans.urls")),
    path("participation/", include("participation.urls")),
    path("territories/", include("territories.urls")),
    path("work/", include("collaboration.urls")),
    path("programme/", include("programme.urls")),
    path("notifications/", include("notifications.urls")),
    path("survey/", include("participation.public_urls")),
    path("api/v1/", include("coherence_site.api_urls")),
    path("accounts/login/", language.LoginView.as_view(), name="login"),
    path("accounts/password_reset/", accounts.PasswordResetView.as_view(), name="password_reset"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("i18n/setlang/", language.set_language, name="set_language"),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("favicon.ico", favicon, name="favicon"),
    path("admin/", admin.site.urls),
]
