"""The approver's survey pages: who may open, extend and close a survey, who may read it, and what the page offers.

Quito (A) has an editor and an approver, Lima (B) an approver; Rita is a programme reviewer. The
anonymous respondent reaches only the public pages, by token.
"""

import datetime
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from assessments.access import AccessDenied
from assessments.models import Round
from indicators.models import Indicator
from participation import services
from participation.models import Survey
from tests.participation.factories import SurveyFactory, SurveyResponseFactory
from tests.world import make_city

pytestmark = pytest.mark.django_db


def manage(round) -> str:
    return reverse("survey_manage", args=[round.pk])


def results(round) -> str:
    return reverse("survey_results", args=[round.pk])


def days(n: int) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=n)


@pytest.fixture
def lima(catalogue):
    return make_city("lima")


@pytest.fixture
def people(quito, lima, reviewer):
    return {
        "approver": quito.approver,
        "editor": quito.editor,
        "reviewer": reviewer,
        "other_city_approver": lima.approver,
    }


def as_user(user) -> Client:
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


def open_data(round, codes=("SP-01", "HC-02"), expires_on=None) -> dict:
    ids = Indicator.objects.filter(version=round.version, code__in=codes).values_list("pk", flat=True)
    return {"action": "open", "indicators": list(ids), "expires_on": (expires_on or days(20)).isoformat()}


# --- the permission matrix -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("approver", 302),  # opens it
        ("editor", 403),
        ("reviewer", 403),
        ("other_city_approver", 404),
    ],
)
def test_only_the_citys_approver_opens_a_survey(people, submitted, who, status):
    response = as_user(people[who]).post(manage(submitted), open_data(submitted))

    assert response.status_code == status
    assert Survey.objects.filter(round=submitted).exists() == (status == 302)


@pytest.mark.parametrize(
    ("who", "manage_status", "results_status"),
    [
        ("approver", 200, 200),
        ("editor", 200, 200),
        ("reviewer", 200, 200),
        ("other_city_approver", 404, 404),
    ],
)
def test_who_may_read_a_submitted_rounds_survey_pages(people, submitted, who, manage_status, results_status):
    SurveyFactory(round=submitted)
    client = as_user(people[who])

    assert client.get(manage(submitted)).status_code == manage_status
    assert client.get(results(submitted)).status_code == results_status


def test_a_reviewer_does_not_see_a_drafts_survey_pages(people, draft):
    SurveyFactory(round=draft)
    client = as_user(people["reviewer"])

    assert client.get(manage(draft)).status_code == 404
    assert client.get(results(draft)).status_code == 404


@pytest.mark.parametrize("action", ["extend", "close"])
@pytest.mark.parametrize(("who", "status"), [("editor", 403), ("reviewer", 403), ("other_city_approver", 404)])
def test_only_the_citys_approver_extends_or_closes_a_survey(people, submitted, action, who, status):
    survey = SurveyFactory(round=submitted, expires_on=days(5))
    data = {"action": action, "expires_on": days(40).isoformat(), "confirm": "on"}

    response = as_user(people[who]).post(manage(submitted), data)

    assert response.status_code == status
    survey.refresh_from_db()
    assert (survey.expires_on, survey.closed_at) == (days(5), None)


def test_the_anonymous_respondent_reaches_the_survey_by_its_token_but_never_the_approvers_pages(draft):
    survey = SurveyFactory(round=draft)
    respondent = Client()

    assert respondent.get(reverse("survey_respond", args=[survey.token])).status_code == 200
    for path in (manage(draft), results(draft)):
        response = respondent.get(path)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
        assert respondent.post(path, open_data(draft)).status_code == 302
    assert Survey.objects.count() == 1


def test_a_403_says_who_may_run_the_survey(people, submitted):
    page = as_user(people["editor"]).post(manage(submitted), open_data(submitted))

    assert "Only the approvers of Quito can open or close its surveys." in page.content.decode()


# --- opening -------------------------------------------------------------------------------------


def test_the_open_form_ticks_the_sp_and_hc_indicators_and_offers_30_days(quito, draft):
    page = as_user(quito.approver).get(manage(draft))

    html = page.content.decode()
    ticked = set(re.findall(r'<input[^>]*value="(\d+)"[^>]*checked', html))
    default = Indicator.objects.filter(version=draft.version, dimension__code__in=("SP", "HC"))
    assert ticked == {str(pk) for pk in default.values_list("pk", flat=True)}
    assert html.count('type="checkbox"') == Indicator.objects.filter(version=draft.version).count()
    assert f'value="{days(30).isoformat()}"' in html
    assert html.count("<legend") == 1 + 6  # the indicators, then one group per dimension
    assert "Stakeholder participation" in html


def test_the_approver_opens_a_survey_on_chosen_indicators_and_gets_a_link_to_share(quito, draft):
    client = as_user(quito.approver)

    response = client.post(manage(draft), open_data(draft, expires_on=days(10)))

    assert response.status_code == 302
    survey = Survey.objects.get(round=draft)
    assert set(survey.indicators.values_list("code", flat=True)) == {"SP-01", "HC-02"}
    assert (survey.expires_on, survey.opened_by) == (days(10), quito.approver)
    html = client.get(manage(draft)).content.decode()
    link = f"http://testserver/survey/{survey.token}/"
    assert re.search(rf'<input[^>]*id="survey-link"[^>]*value="{re.escape(link)}"[^>]*readonly', html)
    assert "Taking answers" in html
    assert 'data-copy="survey-link"' in html


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"indicators": []}, "Choose at least one indicator to ask about."),
        ({"expires_on": "2001-01-01"}, "The survey cannot end in the past."),
        ({"expires_on": "not a date"}, "Enter a valid date."),
        ({"indicators": ["999999"]}, "Select a valid choice."),
    ],
)
def test_a_bad_open_form_is_a_form_error_and_opens_nothing(quito, draft, change, message):
    response = as_user(quito.approver).post(manage(draft), {**open_data(draft), **change})

    assert response.status_code == 422
    assert message in response.content.decode()
    assert not Survey.objects.exists()


def test_an_indicator_of_another_catalogue_version_cannot_be_asked(quito, draft):
    from tests.factories import IndicatorFactory

    stranger = IndicatorFactory()
    data = {**open_data(draft), "indicators": [stranger.pk]}

    response = as_user(quito.approver).post(manage(draft), data)

    assert response.status_code == 422
    assert not Survey.objects.exists()


def test_opening_a_second_survey_is_refused_with_a_409(quito, draft):
    SurveyFactory(round=draft)

    response = as_user(quito.approver).post(manage(draft), open_data(draft))

    assert response.status_code == 409
    assert Survey.objects.count() == 1


def test_an_unknown_action_changes_nothing(quito, draft):
    survey = SurveyFactory(round=draft)

    response = as_user(quito.approver).post(manage(draft), {"action": "delete"})

    assert response.status_code == 409
    assert Survey.objects.get() == survey


# --- extending and closing -----------------------------------------------------------------------


def test_the_approver_moves_the_last_day(quito, draft):
    survey = SurveyFactory(round=draft, expires_on=days(3))

    response = as_user(quito.approver).post(manage(draft), {"action": "extend", "expires_on": days(60).isoformat()})

    assert response.status_code == 302
    survey.refresh_from_db()
    assert survey.expires_on == days(60)


def test_a_survey_past_its_last_day_shows_so_and_can_be_given_a_later_one(quito, draft):
    survey = SurveyFactory(round=draft)
    Survey.objects.filter(pk=survey.pk).update(expires_on=days(-2))
    client = as_user(quito.approver)

    assert "Last day passed" in client.get(manage(draft)).content.decode()
    client.post(manage(draft), {"action": "extend", "expires_on": days(7).isoformat()})

    survey.refresh_from_db()
    assert survey.is_open()


def test_closing_needs_the_box_ticked(quito, draft):
    survey = SurveyFactory(round=draft)

    response = as_user(quito.approver).post(manage(draft), {"action": "close"})

    assert response.status_code == 422
    assert "Tick the box to confirm that the survey closes for good." in response.content.decode()
    survey.refresh_from_db()
    assert survey.closed_at is None


def test_a_closed_survey_is_final_its_link_answers_410_and_the_page_offers_no_extension(quito, draft):
    survey = SurveyFactory(round=draft)
    client = as_user(quito.approver)

    assert client.post(manage(draft), {"action": "close", "confirm": "on"}).status_code == 302

    survey.refresh_from_db()
    assert survey.closed_at is not None
    html = client.get(manage(draft)).content.decode()
    assert "Closed" in html
    assert 'value="extend"' not in html and 'value="close"' not in html
    assert Client().get(reverse("survey_respond", args=[survey.token])).status_code == 410
    refused = client.post(manage(draft), {"action": "extend", "expires_on": days(9).isoformat()})
    assert refused.status_code == 409
    survey.refresh_from_db()
    assert survey.expires_on != days(9)


def test_a_survey_runs_for_a_year_at_most(quito, draft):
    survey = SurveyFactory(round=draft)

    response = as_user(quito.approver).post(manage(draft), {"action": "extend", "expires_on": days(400).isoformat()})

    assert response.status_code == 422
    assert "A survey runs for a year at most." in response.content.decode()
    survey.refresh_from_db()
    assert survey.expires_on == days(30)


# --- what readers see ----------------------------------------------------------------------------


def test_an_editor_sees_the_status_and_responses_but_neither_the_link_nor_the_forms(quito, draft):
    survey = SurveyFactory(round=draft)
    for _n in range(3):
        SurveyResponseFactory(survey=survey, answers=2)

    html = as_user(quito.editor).get(manage(draft)).content.decode()

    assert survey.token not in html
    assert '<form method="post"' not in html.replace('action="/i18n', "")  # only the site's language form
    assert re.search(r"Responses</dt><dd[^>]*>3</dd>", html)
    assert results(draft) in html


def test_without_a_survey_an_editor_is_told_an_approver_can_open_one(quito, draft):
    html = as_user(quito.editor).get(manage(draft)).content.decode()

    assert "An approver of Quito can open one." in html
    assert 'value="open"' not in html


def test_a_survey_can_be_run_on_a_validated_round_and_changes_none_of_its_scores(quito, validated):
    before = validated.snapshot.scores()

    as_user(quito.approver).post(manage(validated), open_data(validated))

    survey = Survey.objects.get(round=validated)
    for _n in range(6):
        SurveyResponseFactory(survey=survey, answers=4)
    validated = Round.objects.get(pk=validated.pk)
    assert validated.snapshot.scores() == before
    assert validated.status == Round.Status.VALIDATED


def test_the_service_refuses_whoever_the_view_let_through(quito, draft):
    with pytest.raises(AccessDenied):
        services.survey_open(round=draft, actor=quito.editor, expires_on=days(5))
    assert not Survey.objects.exists()
