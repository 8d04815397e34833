"""The public survey under stress: a survey removed mid-request, replayed posts without a session,
posts meant to exhaust the rate limit, cookies blocked and bodies too large.

Quito's draft round has a survey on two indicators (SP-01, HC-01); a respondent is a test client
with no login.
"""

from __future__ import annotations

import re
import types
import uuid

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from participation import public_views, services
from participation.models import Survey, SurveyAnswer, SurveyResponse
from tests.participation.factories import SurveyFactory

pytestmark = pytest.mark.django_db

PUBLIC_HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer", "X-Robots-Tag": "noindex"}
SESSION_ENDED = "Your session ended; please send your answers again."


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def survey(draft) -> Survey:
    return SurveyFactory(round=draft, indicators=["SP-01", "HC-01"])


@pytest.fixture
def frozen_clock(monkeypatch):
    """The rate limit's clock stands still, mid-minute: a test never straddles two windows."""
    monkeypatch.setattr(public_views, "time", types.SimpleNamespace(time=lambda: 1_800_000_030.0))


def url(survey: Survey) -> str:
    return reverse("survey_respond", args=[survey.token])


def filled(sp01="2", hc01="dk", **extra) -> dict:
    return {"level-SP-01": sp01, "comment-SP-01": "", "level-HC-01": hc01, "comment-HC-01": "", **extra}


def visit_and_answer(client: Client, survey: Survey, data: dict | None = None):
    client.get(url(survey))
    return client.post(url(survey), data or filled())


# --- a survey removed while a respondent answers -------------------------------------------------


def test_a_survey_removed_between_the_form_and_the_answers_is_our_404_page(survey):
    client = Client()
    client.get(url(survey))
    Survey.objects.filter(pk=survey.pk).delete()

    response = client.post(url(survey), filled())

    assert response.status_code == 404
    assert "Survey not found" in response.content.decode()
    assert not SurveyResponse.objects.exists()


def test_a_survey_removed_while_the_answers_are_being_stored_is_our_404_page_never_a_500(survey, monkeypatch):
    store = services.survey_respond

    def removed_first(**kwargs):
        Survey.objects.filter(pk=kwargs["survey"].pk).delete()
        return store(**kwargs)

    monkeypatch.setattr(services, "survey_respond", removed_first)

    response = visit_and_answer(Client(), survey)

    assert response.status_code == 404
    assert "Survey not found" in response.content.decode()
    for name, value in PUBLIC_HEADERS.items():
        assert response[name] == value
    assert not SurveyResponse.objects.exists()


def test_a_survey_closed_while_the_answers_are_being_stored_is_the_410_page(survey, quito, monkeypatch):
    store = services.survey_respond

    def closed_first(**kwargs):
        services.survey_close(survey=kwargs["survey"], actor=quito.approver)
        return store(**kwargs)

    monkeypatch.setattr(services, "survey_respond", closed_first)

    response = visit_and_answer(Client(), survey)

    assert response.status_code == 410
    assert not SurveyResponse.objects.exists()


@pytest.mark.parametrize("change", ["extend", "close", "respond"])
def test_the_survey_services_refuse_a_removed_survey_with_a_reason(survey, quito, change):
    Survey.objects.filter(pk=survey.pk).delete()
    calls = {
        "extend": lambda: services.survey_extend(survey=survey, actor=quito.approver, expires_on=survey.expires_on),
        "close": lambda: services.survey_close(survey=survey, actor=quito.approver),
        "respond": lambda: services.survey_respond(
            survey=survey, respondent=uuid.uuid4(), language="en", answers={1: (2, "")}
        ),
    }

    with pytest.raises(services.ParticipationError, match=r"This survey has been removed\."):
        calls[change]()


# --- posts without the session's respondent key --------------------------------------------------


def test_a_post_replayed_100_times_without_the_session_cookie_stores_nothing(survey):
    client = Client()
    client.get(url(survey))

    responses = []
    for _n in range(100):
        client.cookies.pop("sessionid", None)  # a replay that drops the cookie each time
        responses.append(client.post(url(survey), filled(sp01="3", **{"comment-SP-01": "Kept as typed."})))

    assert {r.status_code for r in responses} == {400}
    assert not SurveyResponse.objects.exists()
    assert not SurveyAnswer.objects.exists()
    html = responses[-1].content.decode()
    assert SESSION_ENDED in html
    assert re.search(r'<input[^>]*id="id_level-SP-01_3"[^>]*checked', html)  # what they typed is kept
    assert "Kept as typed." in html
    assert responses[-1]["Referrer-Policy"] == "same-origin"  # the form's page: it must post with its origin


def test_after_the_session_ended_sending_the_answers_again_stores_them_once(survey):
    client = Client()  # never saw the form: its session has no key

    first = client.post(url(survey), filled())
    again = client.post(url(survey), filled())
    replay = client.post(url(survey), filled())

    assert first.status_code == 400 and SESSION_ENDED in first.content.decode()
    assert (again.status_code, replay.status_code) == (302, 302)
    assert SurveyResponse.objects.filter(survey=survey).count() == 1


# --- the rate limit cannot be used to lock respondents out ---------------------------------------


def test_200_posts_without_a_session_or_with_errors_do_not_lock_real_respondents_out(survey, settings, frozen_clock):
    settings.SURVEY_RATE_LIMIT = 3
    for _n in range(100):  # new sessions, straight to the post
        assert Client().post(url(survey), filled()).status_code == 400
    for _n in range(20):  # sessions that saw the form, posting broken answers
        client = Client()
        client.get(url(survey))
        for _m in range(5):
            assert client.post(url(survey), filled(hc01="")).status_code == 422

    statuses = [visit_and_answer(Client(), survey).status_code for _n in range(3)]

    assert statuses == [302, 302, 302]
    assert SurveyResponse.objects.filter(survey=survey).count() == 3


def test_valid_answers_beyond_the_surveys_limit_still_wait(survey, settings, frozen_clock):
    settings.SURVEY_RATE_LIMIT = 2

    statuses = [visit_and_answer(Client(), survey).status_code for _n in range(3)]

    assert statuses == [302, 302, 429]


# --- error pages in the survey's own layout ------------------------------------------------------


def _public_layout(response) -> str:
    html = response.content.decode()
    assert 'aria-label="Main navigation"' not in html  # not the signed-in site's layout
    assert '<meta name="robots" content="noindex">' in html
    for name, value in PUBLIC_HEADERS.items():
        assert response[name] == value
    return html


def test_a_body_larger_than_any_answer_is_a_413_page_in_the_surveys_layout(survey, settings):
    settings.EVIDENCE_MAX_BYTES = 1_000  # the site's own limit: 1 000 bytes and the form's allowance
    client = Client()
    client.get(url(survey))

    response = client.post(url(survey), filled(**{"comment-SP-01": "x" * 70_000}))

    assert response.status_code == 413
    html = _public_layout(response)
    assert "What was sent is too large" in html
    assert "The file is too large" not in html
    assert f'href="{url(survey)}"' in html
    assert not SurveyResponse.objects.exists()


def test_the_survey_takes_no_body_beyond_djangos_form_limit_and_says_so_in_its_layout(survey, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 50_000
    client = Client()
    client.get(url(survey) + "?lang=fr")

    response = client.post(url(survey), filled(**{"comment-SP-01": "x" * 60_000}))

    assert response.status_code == 413
    html = _public_layout(response)
    assert "participation/public/too_large.html" in [t.name for t in response.templates]
    assert '<html lang="fr" dir="ltr">' in html  # the language the respondent chose
    assert response["Content-Language"] == "fr"


def test_a_browser_that_blocks_cookies_gets_a_403_page_in_the_surveys_layout_and_language(survey):
    client = Client(enforce_csrf_checks=True)
    client.get(url(survey) + "?lang=es")
    token = client.cookies["csrftoken"].value
    client.cookies.pop("csrftoken")  # the phone refuses to send it back

    response = client.post(url(survey), {**filled(), "csrfmiddlewaretoken": token})

    assert response.status_code == 403
    html = _public_layout(response)
    assert '<html lang="es" dir="ltr">' in html and response["Content-Language"] == "es"
    assert "participation/public/cookies_needed.html" in [t.name for t in response.templates]
    assert f'href="{url(survey)}"' in html
    assert "CSRF" not in html
    assert not SurveyResponse.objects.exists()
