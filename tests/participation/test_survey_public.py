"""The survey's public pages: a respondent without an account answers once, through the token, and leaves no trace.

Quito's draft round has a survey on two indicators (SP-01, HC-01). A respondent is a test client
with no login: it GETs the questions (its session gets a respondent key) and POSTs its answers.
"""

import datetime
import re
import types

import pytest
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.db import models
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from assessments import services as assessment_services
from participation import public_views, services
from participation.models import Survey, SurveyAnswer, SurveyResponse
from tests.participation.factories import SurveyFactory, SurveyResponseFactory
from tests.world import answer

pytestmark = pytest.mark.django_db

PUBLIC_HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer", "X-Robots-Tag": "noindex"}
# The page with the form: under no-referrer a browser would post it with "Origin: null", which CSRF refuses.
FORM_HEADERS = {**PUBLIC_HEADERS, "Referrer-Policy": "same-origin"}
ALLOWED_COOKIES = {"sessionid", "csrftoken"}


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test counts answers from zero (the rate limit lives in the cache)."""
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


def thanks(survey: Survey) -> str:
    return reverse("survey_thanks", args=[survey.token])


def filled(sp01="2", hc01="dk", **extra) -> dict:
    return {"level-SP-01": sp01, "comment-SP-01": "", "level-HC-01": hc01, "comment-HC-01": "", **extra}


def respondent() -> Client:
    """A new browser: no account, no cookies yet."""
    return Client()


def visit_and_answer(client: Client, survey: Survey, data: dict | None = None):
    client.get(url(survey))
    return client.post(url(survey), data or filled())


# --- answering -----------------------------------------------------------------------------------


def test_a_respondent_without_an_account_sees_each_question_in_its_public_wording(survey):
    page = respondent().get(url(survey))

    assert page.status_code == 200
    html = page.content.decode()
    assert "Quito" in html
    assert "Does the city ask migrants and displaced people" in html  # SP-01's public question
    assert "Are migrants and displaced persons, including women" not in html  # not the officials' wording
    assert html.count('type="radio"') == 2 * 6  # levels 0–4 and "I don't know", per question
    assert "I don&#x27;t know" in html
    assert 'maxlength="1000"' in html
    assert "<legend" in html and "Number of questions: 2" in html


def test_a_respondent_never_sees_the_citys_answers_nor_other_respondents(survey, quito):
    answer(survey.round, "SP-01", quito.editor, level=3, justification="A JUSTIFICATION OF THE CITY")
    SurveyResponseFactory(survey=survey, answers={"SP-01": (1, "ANOTHER RESPONDENT'S COMMENT")})

    html = respondent().get(url(survey)).content.decode()

    assert "A JUSTIFICATION OF THE CITY" not in html
    assert "ANOTHER RESPONDENT" not in html
    assert "checked" not in html


def test_answers_are_stored_once_with_dont_know_as_no_level_and_the_respondent_is_thanked(survey):
    client = respondent()
    client.get(url(survey))

    response = client.post(url(survey), filled(sp01="3", **{"comment-SP-01": "  Interpreters at the desk.  "}))

    assert response.status_code == 302
    assert response["Location"] == thanks(survey)
    stored = SurveyResponse.objects.get(survey=survey)
    assert stored.language == "en"
    answers = {a.indicator.code: (a.level, a.comment) for a in stored.answers.select_related("indicator")}
    assert answers == {"SP-01": (3, "Interpreters at the desk."), "HC-01": (None, "")}
    page = client.get(thanks(survey))
    assert page.status_code == 200
    assert "Your answers are saved." in page.content.decode()


def test_the_same_post_sent_100_times_is_stored_once_and_each_time_shows_the_thanks_page(survey):
    client = respondent()
    client.get(url(survey))

    responses = [client.post(url(survey), filled()) for _n in range(100)]

    assert {r.status_code for r in responses} == {302}
    assert {r["Location"] for r in responses} == {thanks(survey)}
    assert SurveyResponse.objects.filter(survey=survey).count() == 1
    assert SurveyAnswer.objects.filter(response__survey=survey).count() == 2


def test_a_respondent_who_answered_is_told_so_when_they_come_back(survey):
    client = respondent()
    visit_and_answer(client, survey)

    page = client.get(url(survey))

    assert page.status_code == 200
    html = page.content.decode()
    assert "You have already answered this survey, thank you." in html
    assert "<form" not in html


def test_another_browser_is_another_respondent(survey):
    visit_and_answer(respondent(), survey)
    visit_and_answer(respondent(), survey)

    assert SurveyResponse.objects.filter(survey=survey).count() == 2
    assert len(set(SurveyResponse.objects.values_list("respondent", flat=True))) == 2


def test_the_thanks_page_sends_someone_who_has_not_answered_to_the_questions(survey):
    response = respondent().get(thanks(survey))

    assert response.status_code == 302
    assert response["Location"] == url(survey)


def test_a_missing_answer_is_listed_in_a_summary_that_links_to_its_question_and_nothing_is_stored(survey):
    client = respondent()
    client.get(url(survey))

    page = client.post(url(survey), filled(hc01=""))

    assert page.status_code == 422
    html = page.content.decode()
    assert 'id="error-summary"' in html
    assert "Question 1: choose an answer, or “I don&#x27;t know”." in html  # HC comes first in the catalogue
    assert 'href="#id_level-HC-01_0"' in html and 'id="id_level-HC-01_0"' in html
    assert 'aria-describedby="id_level-HC-01-error"' in html
    assert re.search(r'<input[^>]*id="id_level-SP-01_2"[^>]*checked', html)  # the given answer is kept
    assert not SurveyResponse.objects.exists()


# --- bad links, closed and expired surveys -------------------------------------------------------


@pytest.mark.parametrize(
    "token",
    ["not-a-token-of-any-survey", "x" * 300, "abc%24%25def", "%3Cscript%3E", "..", "a b"],
    ids=["unknown", "too-long", "odd-characters", "markup", "dots", "space"],
)
def test_a_token_no_survey_has_is_a_404_page_of_ours_that_sets_no_cookie(client, survey, token):
    response = client.get(f"/survey/{token}/")

    assert response.status_code == 404
    assert "Survey not found" in response.content.decode()
    assert not response.cookies
    for name, value in PUBLIC_HEADERS.items():
        assert response[name] == value


def test_a_closed_survey_is_a_410_page_and_takes_no_answer(survey, quito):
    client = respondent()
    client.get(url(survey))
    services.survey_close(survey=survey, actor=quito.approver)

    shown, posted = client.get(url(survey)), client.post(url(survey), filled())

    assert (shown.status_code, posted.status_code) == (410, 410)
    assert "Quito has closed this survey" in shown.content.decode()
    assert not SurveyResponse.objects.exists()
    assert client.get(thanks(survey)).status_code == 410


def test_after_its_last_day_a_survey_is_a_410_page_and_a_post_writes_nothing(survey, monkeypatch):
    client = respondent()
    client.get(url(survey))
    last_day = datetime.datetime.combine(survey.expires_on, datetime.time(12), tzinfo=datetime.UTC)
    monkeypatch.setattr(timezone, "now", lambda: last_day + datetime.timedelta(days=1))

    shown, posted = client.get(url(survey)), client.post(url(survey), filled())

    assert (shown.status_code, posted.status_code) == (410, 410)
    assert "took answers until" in shown.content.decode()
    assert not SurveyResponse.objects.exists()


def test_on_its_last_day_a_survey_still_takes_answers(survey, monkeypatch):
    last_day = datetime.datetime.combine(survey.expires_on, datetime.time(23, 30), tzinfo=datetime.UTC)
    monkeypatch.setattr(timezone, "now", lambda: last_day)

    assert visit_and_answer(respondent(), survey).status_code == 302
    assert SurveyResponse.objects.count() == 1


# --- refused input -------------------------------------------------------------------------------


def _refused(client, survey, data, status):
    client.get(url(survey))
    response = client.post(url(survey), data)
    assert response.status_code == status, response.content.decode()[:500]
    assert not SurveyResponse.objects.exists()
    assert not SurveyAnswer.objects.exists()
    return response.content.decode()


def test_a_comment_longer_than_1000_characters_is_a_form_error_and_nothing_is_stored(survey):
    html = _refused(respondent(), survey, filled(**{"comment-SP-01": "x" * 1001}), 422)
    assert "Question 2: the comment is longer than 1000 characters." in html


@pytest.mark.parametrize("level", ["5", "-1", "7", "2.5", "level", "na"])
def test_a_level_outside_the_scale_is_a_form_error_and_nothing_is_stored(survey, level):
    html = _refused(respondent(), survey, filled(sp01=level), 422)
    assert "Question 2: choose one of the answers offered." in html


def test_an_indicator_the_survey_does_not_ask_is_a_400_and_nothing_is_stored(survey):
    html = _refused(respondent(), survey, filled(**{"level-VC-01": "4"}), 400)
    assert "does not match this survey" in html


def test_more_fields_than_django_accepts_is_a_400_and_nothing_is_stored(survey):
    many = {f"comment-{n}": "x" for n in range(1500)}
    _refused(respondent(), survey, filled(**many), 400)


def test_a_body_over_the_upload_limit_is_a_413_and_nothing_is_stored(survey, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 50_000
    _refused(respondent(), survey, filled(**{"comment-SP-01": "x" * 60_000}), 413)


def test_a_null_character_in_a_comment_is_a_form_error(survey):
    _refused(respondent(), survey, filled(**{"comment-SP-01": "a\x00b"}), 422)


def test_a_service_refusal_is_a_form_error_never_a_500(survey, monkeypatch):
    def refuse(**kwargs):
        raise services.ParticipationError("Answer the survey's own questions.")

    monkeypatch.setattr(services, "survey_respond", refuse)
    html = _refused(respondent(), survey, filled(), 422)
    assert "Answer the survey&#x27;s own questions." in html


# --- the rate limit ------------------------------------------------------------------------------


def test_over_the_surveys_limit_a_respondent_gets_a_429_with_retry_after_and_their_answers_kept(
    survey, settings, frozen_clock
):
    settings.SURVEY_RATE_LIMIT = 3
    for _n in range(3):
        assert visit_and_answer(respondent(), survey).status_code == 302

    late = respondent()
    response = visit_and_answer(late, survey, filled(sp01="4"))

    assert response.status_code == 429
    assert response["Retry-After"] == "30"
    html = response.content.decode()
    assert "wait a minute, then send them again" in html
    assert re.search(r'<input[^>]*id="id_level-SP-01_4"[^>]*checked', html)
    assert SurveyResponse.objects.count() == 3
    for name, value in FORM_HEADERS.items():
        assert response[name] == value


def test_one_respondent_sending_again_and_again_is_limited_on_their_own(survey, settings, frozen_clock):
    settings.SURVEY_SESSION_RATE_LIMIT = 2
    client = respondent()
    client.get(url(survey))

    statuses = [client.post(url(survey), filled(hc01="")).status_code for _n in range(3)]

    assert statuses == [422, 422, 429]
    assert visit_and_answer(respondent(), survey).status_code == 302  # others still answer


def test_the_limit_is_counted_by_survey_and_respondent_never_by_address(survey, monkeypatch, frozen_clock):
    keys = []

    class Recording:
        def add(self, key, *args, **kwargs):
            keys.append(key)
            return cache.add(key, *args, **kwargs)

        def incr(self, key, *args, **kwargs):
            keys.append(key)
            return cache.incr(key, *args, **kwargs)

        def set(self, key, *args, **kwargs):
            keys.append(key)
            return cache.set(key, *args, **kwargs)

    monkeypatch.setattr(public_views, "cache", Recording())
    client = Client(REMOTE_ADDR="203.0.113.77", HTTP_X_FORWARDED_FOR="198.51.100.9")
    visit_and_answer(client, survey)

    assert keys
    assert all(str(survey.pk) in key for key in keys)
    assert not any("203.0.113" in key or "198.51.100" in key for key in keys)


def test_a_cache_that_does_not_answer_does_not_stop_the_survey(survey, monkeypatch):
    class Down:
        def add(self, *args, **kwargs):
            raise ConnectionError("redis is down")

    monkeypatch.setattr(public_views, "cache", Down())

    assert visit_and_answer(respondent(), survey).status_code == 302
    assert SurveyResponse.objects.count() == 1


# --- cookies, addresses, headers -----------------------------------------------------------------


def test_the_survey_sets_no_cookie_but_the_session_and_csrf(survey):
    client = respondent()
    seen = set()
    for response in (
        client.get(url(survey) + "?lang=fr"),
        client.get(url(survey)),
        client.post(url(survey), filled()),
        client.get(thanks(survey)),
        client.get(url(survey)),
    ):
        seen |= set(response.cookies)

    assert seen == ALLOWED_COOKIES
    assert "django_language" not in client.cookies


def test_no_model_field_can_hold_an_address_and_no_stored_row_holds_the_respondents(survey):
    from django.apps import apps

    for model in apps.get_app_config("participation").get_models():
        for field in model._meta.get_fields():
            assert not isinstance(field, models.GenericIPAddressField), field
            assert "ip" not in field.name.split("_"), field
    client = Client(REMOTE_ADDR="203.0.113.77", HTTP_X_FORWARDED_FOR="198.51.100.9", HTTP_USER_AGENT="Phone/1.0")

    visit_and_answer(client, survey)

    rows = [*SurveyResponse.objects.values(), *SurveyAnswer.objects.values()]
    assert len(rows) == 3
    stored = " ".join(str(value) for row in rows for value in row.values())
    stored += " ".join(s.session_data for s in Session.objects.all())
    stored += " ".join(str(s.get_decoded()) for s in Session.objects.all())
    for trace in ("203.0.113", "198.51.100", "Phone/1.0"):
        assert trace not in stored


@pytest.mark.parametrize("page", ["form", "form with errors", "thanks", "already", "gone", "bad request"])
def test_every_public_page_is_never_stored_never_indexed_and_sends_its_address_to_no_other_site(survey, quito, page):
    client = respondent()
    if page in ("thanks", "already"):
        visit_and_answer(client, survey)
    if page == "gone":
        services.survey_close(survey=survey, actor=quito.approver)
    if page == "form with errors":
        response = visit_and_answer(client, survey, filled(sp01=""))
    elif page == "bad request":
        response = visit_and_answer(client, survey, filled(intruder="1"))
    else:
        response = client.get(thanks(survey) if page == "thanks" else url(survey))

    status = {"gone": 410, "form with errors": 422, "bad request": 400}.get(page, 200)
    assert response.status_code == status
    for name, value in (FORM_HEADERS if page.startswith("form") else PUBLIC_HEADERS).items():
        assert response[name] == value
    assert '<meta name="robots" content="noindex">' in response.content.decode()


# --- languages -----------------------------------------------------------------------------------


def test_under_no_referrer_a_browser_would_post_with_a_null_origin_that_csrf_refuses(survey):
    """Why the form's page says same-origin: the Origin a no-referrer page's form sends is refused."""
    client = Client(enforce_csrf_checks=True)
    client.get(url(survey))
    token = client.cookies["csrftoken"].value

    refused = client.post(url(survey), {**filled(), "csrfmiddlewaretoken": token}, headers={"origin": "null"})
    accepted = client.post(
        url(survey), {**filled(), "csrfmiddlewaretoken": token}, headers={"origin": "http://testserver"}
    )

    assert (refused.status_code, accepted.status_code) == (403, 302)


def test_lang_fr_shows_the_page_in_french_and_the_respondents_session_keeps_it(survey):
    client = respondent()

    first = client.get(url(survey) + "?lang=fr")
    second = client.get(url(survey))

    for page in (first, second):
        html = page.content.decode()
        assert '<html lang="fr" dir="ltr">' in html
        assert page["Content-Language"] == "fr"
        assert "La commune demande-t-elle l&#x27;avis des personnes migrantes" in html
    assert "django_language" not in client.cookies
    client.post(url(survey), filled())
    assert SurveyResponse.objects.get().language == "fr"


def test_without_a_choice_the_browsers_language_is_used(survey):
    page = respondent().get(url(survey), headers={"accept-language": "es"})

    html = page.content.decode()
    assert '<html lang="es" dir="ltr">' in html
    assert "El municipio pide la opinión de las personas migrantes" in html


def test_an_unknown_language_is_ignored(survey):
    page = respondent().get(url(survey) + "?lang=xx")

    assert page.status_code == 200
    assert '<html lang="en" dir="ltr">' in page.content.decode()


def test_the_language_links_name_each_language_in_itself(survey):
    html = respondent().get(url(survey)).content.decode()

    for code, name in (("en", "English"), ("fr", "Français"), ("es", "Español")):
        assert f'href="?lang={code}" lang="{code}" hreflang="{code}"' in html
        assert name in html


# --- no login anywhere on the way ----------------------------------------------------------------


def test_the_public_pages_need_no_login_while_the_rest_of_the_site_does(survey):
    client = respondent()

    assert client.get(url(survey)).status_code == 200
    assert client.get(reverse("round_detail", args=[survey.round.pk])).status_code == 302


def test_a_survey_of_a_validated_round_takes_answers_like_any_other(validated):
    survey = SurveyFactory(round=validated, indicators=["SP-01", "HC-01"])
    assert validated.status == assessment_services.Round.Status.VALIDATED

    assert visit_and_answer(respondent(), survey).status_code == 302


@pytest.mark.parametrize(("method", "page"), [("put", "form"), ("delete", "form"), ("post", "thanks")])
def test_other_methods_are_a_405_with_the_public_headers(survey, method, page):
    response = getattr(respondent(), method)(thanks(survey) if page == "thanks" else url(survey))

    assert response.status_code == 405
    assert response["Cache-Control"] == "no-store"
    assert not SurveyResponse.objects.exists()
