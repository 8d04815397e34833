"""The counterpart's own page: only they reach it, they answer the mirrored indicators, save, submit; never see the city's.

Quito has an editor and an approver, Lima an approver; Rita is a programme reviewer. Nadia is the
counterpart of Quito's draft round 2025, Oscar of a round of Lima's.
"""

import re

import pytest
from django.db import connection
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assessments import services as assessment_services
from assessments.sheet import answer_sheet
from indicators.models import Dimension, Indicator
from territories import counterpart_panels
from territories.models import CounterpartAnswer
from territories.services import mirrored_indicators
from tests.factories import RoundFactory
from tests.territories.factories import CounterpartFactory, counterpart_answer_all, invite_counterpart
from tests.world import answer, answer_everything, make_city

pytestmark = pytest.mark.django_db

CITY_SECRET = "The citys own account of its coordination board"


def page_url(round) -> str:
    return reverse("counterpart_answer", args=[round.pk])


def as_user(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


@pytest.fixture
def lima(catalogue):
    return make_city("lima")


@pytest.fixture
def nadia(draft, quito):
    return invite_counterpart(draft, quito.approver)


@pytest.fixture
def oscar(lima):
    round = RoundFactory(authority=lima.authority, actor=lima.approver)
    return invite_counterpart(round, lima.approver, email="oscar@gov.example", name="Oscar")


@pytest.fixture
def codes(draft) -> list[str]:
    return list(mirrored_indicators(draft).values_list("code", flat=True))


def save_data(choices: dict[str, str], justifications: dict[str, str] | None = None, **extra) -> dict:
    data = {f"{code}-choice": choice for code, choice in choices.items()}
    data |= {f"{code}-justification": text for code, text in (justifications or {}).items()}
    return data | extra


def saved(counterpart) -> dict[str, tuple]:
    return {
        a.indicator.code: (a.response, a.level, a.justification)
        for a in CounterpartAnswer.objects.filter(counterpart=counterpart).select_related("indicator")
    }


# --- who reaches the page ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("counterpart", 200),
        ("other_counterpart", 404),  # Oscar, counterpart of another round
        ("editor", 404),  # a member of the city too
        ("approver", 404),
        ("other_city_approver", 404),
        ("reviewer", 404),
        ("anonymous", 302),
    ],
)
@pytest.mark.parametrize("method", ["get", "post"])
def test_only_the_rounds_counterpart_reaches_its_page(who, status, method, quito, lima, reviewer, nadia, oscar, codes):
    user = {
        "counterpart": nadia.user,
        "other_counterpart": oscar.user,
        "editor": quito.editor,
        "approver": quito.approver,
        "other_city_approver": lima.approver,
        "reviewer": reviewer,
        "anonymous": None,
    }[who]

    response = getattr(as_user(user), method)(page_url(nadia.round), save_data({codes[0]: "2"}))

    expected = 302 if method == "post" and who == "counterpart" else status  # a save redirects
    assert response.status_code == expected
    assert bool(saved(nadia)) == (method == "post" and who == "counterpart")


def test_the_counterpart_on_another_rounds_id_gets_a_404(nadia, oscar, codes):
    client = as_user(nadia.user)

    assert client.get(page_url(oscar.round)).status_code == 404
    assert client.post(page_url(oscar.round), save_data({codes[0]: "2"})).status_code == 404
    assert client.get(reverse("counterpart_answer", args=[999_999])).status_code == 404
    assert not CounterpartAnswer.objects.exists()


# --- the page ------------------------------------------------------------------------------------


def test_the_page_asks_the_mirrored_indicators_in_catalogue_order_on_the_citys_scale(nadia, codes):
    page = as_user(nadia.user).get(page_url(nadia.round)).content.decode()

    asked = re.findall(r'<article id="indicator-([A-Z]+-\d+)"', page)
    assert asked == codes
    assert all(code.startswith("VC-") for code in codes[:6])
    assert "HC-01" not in asked and "SP-01" not in asked
    vc01 = Indicator.objects.get(version=nadia.round.version, code="VC-01")
    for level, label, descriptor in vc01.level_cards():
        assert re.search(rf'<label for="VC-01-level-{level}"><strong>{level} · {label}</strong>', page)
        assert descriptor in page
    assert vc01.guidance in page
    assert re.search(r'<label class="form-check-label" for="VC-01-dk">Don(&#x27;|\')t know</label>', page)
    assert re.search(r'<label class="form-label" for="VC-01-justification">Justification</label>', page)
    assert f"0 of {len(codes)} indicators answered" in page


def test_a_dimension_the_city_left_out_is_not_asked(nadia, draft, quito, codes):
    dc = Dimension.objects.get(version=draft.version, code="DC")
    assert "DC-04" in codes  # mirrored by the catalogue

    assessment_services.round_dimension_toggle(round=draft, dimension=dc, actor=quito.approver)

    page = as_user(nadia.user).get(page_url(draft)).content.decode()
    assert 'id="indicator-DC-04"' not in page
    assert f"0 of {len(codes) - 1} indicators answered" in page
    refused = as_user(nadia.user).post(page_url(draft), save_data({"DC-04": "2"}))
    assert refused.status_code == 400 and saved(nadia) == {}


def test_saving_keeps_each_answer_given_and_counts_progress(nadia, codes):
    client = as_user(nadia.user)

    response = client.post(
        page_url(nadia.round),
        save_data(
            {codes[0]: "3", codes[1]: "dk"}, {codes[0]: "  The ministry funds it.  ", codes[2]: ""}, save=codes[1]
        ),
    )

    assert response.status_code == 302
    assert response["Location"] == f"{page_url(nadia.round)}#indicator-{codes[1]}"
    assert saved(nadia) == {codes[0]: ("level", 3, "The ministry funds it."), codes[1]: ("dk", None, "")}
    page = client.get(page_url(nadia.round)).content.decode()
    assert f"2 of {len(codes)} indicators answered" in page
    assert re.search(rf'id="{codes[0]}-level-3" value="3" checked', page)
    assert re.search(rf'id="{codes[1]}-dk" value="dk" checked', page)
    assert ">The ministry funds it.</textarea>" in page


def test_saving_again_changes_an_answer(nadia, codes):
    client = as_user(nadia.user)
    client.post(page_url(nadia.round), save_data({codes[0]: "3"}))

    client.post(page_url(nadia.round), save_data({codes[0]: "1"}, {codes[0]: "On second thought."}))

    assert saved(nadia) == {codes[0]: ("level", 1, "On second thought.")}


def test_an_indicator_that_is_not_mirrored_is_refused_and_nothing_is_saved(nadia, codes):
    response = as_user(nadia.user).post(page_url(nadia.round), save_data({codes[0]: "3", "HC-01": "4"}))

    assert response.status_code == 400
    assert "indicators this page does not ask" in response.content.decode()
    assert saved(nadia) == {}


def test_a_level_off_the_scale_is_refused_with_what_was_typed_kept(nadia, codes):
    response = as_user(nadia.user).post(
        page_url(nadia.round), save_data({codes[0]: "7", codes[1]: "2"}, {codes[1]: "Typed with care"})
    )

    assert response.status_code == 422
    page = response.content.decode()
    assert f"{codes[0]}: choose a level of the scale" in page
    assert ">Typed with care</textarea>" in page
    assert re.search(rf'id="{codes[1]}-level-2" value="2" checked', page)
    assert saved(nadia) == {}


def test_a_justification_without_a_level_asks_for_one_and_keeps_the_text(nadia, codes):
    response = as_user(nadia.user).post(page_url(nadia.round), save_data({}, {codes[0]: "Half a thought"}))

    assert response.status_code == 422
    page = response.content.decode()
    assert f"{codes[0]}: choose a level, or “don&#x27;t know”, to save this justification." in page
    assert f'<a href="#indicator-{codes[0]}">' in page
    assert ">Half a thought</textarea>" in page
    assert saved(nadia) == {}


def test_a_justification_too_long_saves_nothing_not_even_the_other_answers(nadia, codes):
    long = "x" * 5001
    response = as_user(nadia.user).post(
        page_url(nadia.round), save_data({codes[0]: "2", codes[1]: "3"}, {codes[1]: long})
    )

    assert response.status_code == 422
    assert f"{codes[1]}: the justification is longer than 5000 characters." in response.content.decode()
    assert saved(nadia) == {}


# --- submitting ----------------------------------------------------------------------------------


def test_submitting_with_indicators_missing_is_refused_with_their_codes_and_keeps_the_answers(nadia, codes):
    response = as_user(nadia.user).post(
        page_url(nadia.round), save_data({codes[0]: "2"}, action="submit", confirm="on")
    )

    assert response.status_code == 422
    page = response.content.decode()
    assert "Answer every indicator first: " + ", ".join(codes[1:]) in page
    for code in codes[1:]:
        assert f'<a href="#indicator-{code}">{code}</a>' in page
    nadia.refresh_from_db()
    assert not nadia.submitted
    assert saved(nadia) == {codes[0]: ("level", 2, "")}


def test_submitting_asks_for_the_confirmation_and_saves_nothing_without_it(nadia, codes):
    response = as_user(nadia.user).post(page_url(nadia.round), save_data(dict.fromkeys(codes, "2"), action="submit"))

    assert response.status_code == 422
    assert "Tick the box to confirm" in response.content.decode()
    nadia.refresh_from_db()
    assert not nadia.submitted and saved(nadia) == {}


def test_submitting_everything_locks_the_answers_and_the_page_turns_read_only(nadia, codes):
    client = as_user(nadia.user)

    response = client.post(
        page_url(nadia.round),
        save_data(dict.fromkeys(codes, "2"), {codes[0]: "Funded by the ministry."}, action="submit", confirm="on"),
    )

    assert response.status_code == 302
    nadia.refresh_from_db()
    assert nadia.submitted
    page = client.get(page_url(nadia.round)).content.decode()
    assert "You submitted your answers on" in page
    assert "<textarea" not in page and 'type="radio"' not in page
    assert "Funded by the ministry." in page
    assert "The comparison opens once the city has submitted its round too." in page
    refused = client.post(page_url(nadia.round), save_data({codes[0]: "4"}))
    assert refused.status_code == 409
    assert saved(nadia)[codes[0]] == ("level", 2, "Funded by the ministry.")


# --- never the city's answers, and never the city's scores ---------------------------------------


def test_the_counterpart_never_sees_the_citys_answers_on_its_page(nadia, draft, quito, codes):
    answer_everything(draft, quito.editor, level=4)
    answer(draft, codes[0], quito.editor, level=4, justification=CITY_SECRET)
    assessment_services.round_submit(round=draft, actor=quito.approver)
    client = as_user(nadia.user)

    before = client.get(page_url(draft)).content.decode()
    counterpart_answer_all(nadia, level=1, submit=True)
    after = client.get(page_url(draft)).content.decode()

    assert CITY_SECRET not in before and CITY_SECRET not in after
    assert not re.search(r"<input[^>]* checked", before)  # the city's level 4 is not offered as hers
    assert reverse("counterpart_comparison", args=[draft.pk]) in after  # both submitted: it links there


def test_counterpart_answers_never_change_the_citys_scores(nadia, draft, quito):
    answer_everything(draft, quito.editor, level=2)
    before = answer_sheet(draft).scores()

    counterpart_answer_all(nadia, level=4, submit=True)
    assessment_services.round_submit(round=draft, actor=quito.approver)

    assert answer_sheet(draft).scores() == before
    assert answer_sheet(draft).scores()["self"].headline is not None


# --- the home page -------------------------------------------------------------------------------


def home_section(html: str) -> str:
    start = html.index('id="counterpart-rounds"')
    return html[start : html.index("</section>", start)]


def test_the_counterparts_home_lists_its_round_with_what_waits(nadia, draft, quito):
    client = as_user(nadia.user)

    to_answer = home_section(client.get(reverse("home")).content.decode())
    counterpart_answer_all(nadia, submit=True)
    submitted = home_section(client.get(reverse("home")).content.decode())
    answer_everything(draft, quito.editor)
    assessment_services.round_submit(round=draft, actor=quito.approver)
    open_ = home_section(client.get(reverse("home")).content.decode())

    assert "Rounds you answer as counterpart" in to_answer
    assert f'href="{page_url(draft)}">Quito</a>' in to_answer and "To answer" in to_answer
    assert "Submitted" in submitted and "waiting for the city" in submitted
    assert f'href="{reverse("counterpart_comparison", args=[draft.pk])}">Comparison open</a>' in open_


def test_the_home_section_is_one_query_and_nothing_for_people_without_a_counterpart_role(quito, nadia, oscar):
    CounterpartFactory(user=nadia.user)  # a second round of hers
    request = RequestFactory().get("/")

    request.user = quito.editor
    with CaptureQueriesContext(connection) as nobody:
        empty = counterpart_panels.home_section(request)
    request.user = nadia.user
    with CaptureQueriesContext(connection) as counterpart:
        listed = counterpart_panels.home_section(request)

    assert len(nobody) == 1 and len(counterpart) == 1  # read before a request resets the log
    assert empty == ""
    assert listed.count("<tr>") == 1 + 2  # the header and her two rounds
    assert "Rounds you answer as counterpart" not in as_user(quito.editor).get(reverse("home")).content.decode()
