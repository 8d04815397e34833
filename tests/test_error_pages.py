"""The site's own error pages: a form refused by the CSRF check (``coherence_site.errors``).

The survey's pages have their own (``tests/participation/test_survey_robustness.py``).
"""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_a_form_refused_by_the_csrf_check_is_a_403_page_of_the_site_in_the_visitors_language():
    client = Client(enforce_csrf_checks=True, headers={"accept-language": "fr"})

    response = client.post(reverse("login"), {"username": "someone", "password": "secret"})

    assert response.status_code == 403
    assert "csrf_failure.html" in [t.name for t in response.templates]
    html = response.content.decode()
    assert '<html lang="fr" dir="ltr">' in html
    assert "navbar-brand" in html  # the site's own layout, with its navigation
    assert "CSRF" not in html
    assert f'href="{reverse("home")}"' in html  # no same-site page to go back to: the home page


def test_the_csrf_page_links_back_to_the_page_the_form_was_on_only_if_it_is_on_this_site():
    client = Client(enforce_csrf_checks=True)
    login = "http://testserver" + reverse("login")

    back = client.post(reverse("login"), {}, headers={"referer": login})
    away = client.post(reverse("login"), {}, headers={"referer": "https://elsewhere.example.org/"})

    assert f'href="{login}"' in back.content.decode()
    assert "elsewhere.example.org" not in away.content.decode()
