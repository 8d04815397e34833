"""The public methodology page."""

import pytest
from django.urls import reverse

from indicators import services

pytestmark = pytest.mark.django_db


def test_methodology_is_public_and_lists_every_indicator_the_scale_and_the_rules(client, catalogue):
    response = client.get(reverse("methodology"))
    body = response.content.decode()
    assert response.status_code == 200
    for indicator in catalogue.indicators.all():
        assert f'id="indicator-{indicator.code}"' in body
    for label in ("Not in place", "Initial", "Partial", "Operational", "Institutionalised", "Not applicable"):
        assert label in body
    assert "level times 25" in body and "Advanced from 75" in body


def test_methodology_speaks_the_chosen_language(client, catalogue):
    client.cookies["django_language"] = "es"
    body = client.get(reverse("methodology")).content.decode()
    assert catalogue.indicators.get(code="HC-01").question_es in body


def test_methodology_query_count_does_not_grow_with_the_catalogue(client, catalogue, django_assert_max_num_queries):
    with django_assert_max_num_queries(10):
        client.get(reverse("methodology"))
    services.version_publish(version=services.version_copy_to_draft(version=catalogue))  # now the current one
    with django_assert_max_num_queries(10):
        client.get(reverse("methodology"))


def test_home_needs_a_login(client):
    response = client.get(reverse("home"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize(
    "language, heading, rule",
    [
        ("en", "Comparing rounds across catalogue editions", "the comparable basis"),
        ("fr", "Comparer des cycles d’évaluation entre éditions du catalogue", "la base comparable"),
        ("es", "Comparar rondas entre ediciones del catálogo", "la base comparable"),
    ],
)
def test_methodology_explains_how_editions_are_compared_in_each_language(client, catalogue, language, heading, rule):
    client.cookies["django_language"] = language
    body = client.get(reverse("methodology")).content.decode()
    assert f'<h2 id="editions-heading">{heading}</h2>' in body
    assert rule in body
    assert 'href="#editions"' in body  # in the page's table of contents
