"""The plan pages as people use them: making, changing, reporting on and commenting on actions."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from assessments.models import Membership
from indicators.models import Indicator
from plans import services
from plans.models import Action, ActionComment, ActionRevision, ActionUpdate, PlanTarget
from tests.factories import MembershipFactory, RoundFactory
from tests.plans.factories import ActionFactory, PlanFactory
from tests.world import make_city

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
LONG = "x" * 10_000


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def _login(client, user):
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


def _action_data(links=(("HC-01", 3),), rows=3, **fields):
    data = {
        "title": "A newcomers' desk in every district",
        "description": "Open a desk in each of the nine districts.",
        "owner": "Office of migrant affairs",
        "owner_user": "",
        "start_date": "2025-02-01",
        "due_date": "2026-06-30",
        "budget": "partial",
        "budget_amount": "12000.50",
        "links-TOTAL_FORMS": str(rows),
        "links-INITIAL_FORMS": "0",
        "links-MIN_NUM_FORMS": "0",
        "links-MAX_NUM_FORMS": "1000",
    }
    for n in range(rows):
        code, level = links[n] if n < len(links) else ("", 3)
        data[f"links-{n}-indicator"] = code
        data[f"links-{n}-target_level"] = str(level)
    data.update(fields)
    return data


def _create(city, round, **overrides):
    fields = {
        "authority": city.authority,
        "origin_round": round,
        "actor": city.editor,
        "title": "A newcomers' desk in every district",
        "owner": "Office of migrant affairs",
        "start_date": datetime.date(2025, 1, 1),
        "due_date": datetime.date(2030, 12, 31),
        "targets": {Indicator.objects.get(version=round.version, code="HC-01"): 3},
    }
    return services.action_create(**{**fields, **overrides})


@pytest.fixture
def action(quito, draft):
    return _create(quito, draft)


def _url(name, action, *extra):
    return reverse(name, args=[action.plan.authority.slug, action.pk, *extra])


# --- making an action ----------------------------------------------------------------------------


def test_an_editor_adds_an_action_with_its_indicators_and_targets(client, quito, draft):
    response = _login(client, quito.editor).post(
        reverse("plan_action_create", args=["quito"]) + f"?round={draft.pk}",
        _action_data(links=[("HC-01", 4), ("VC-02", 2)], public="on"),
    )

    action = Action.objects.get()
    assert response.status_code == 302
    assert response["Location"] == _url("plan_action_detail", action)
    assert (action.origin_round, action.budget, str(action.budget_amount), action.public) == (
        draft,
        "partial",
        "12000.50",
        True,
    )
    assert sorted(action.links.values_list("indicator__code", "target_level")) == [("HC-01", 4), ("VC-02", 2)]
    assert ActionRevision.objects.filter(action=action, old__isnull=True).count() == 1


def test_the_new_action_page_defaults_to_the_latest_round_and_prefills_from_an_indicator(client, quito, draft):
    older = RoundFactory(authority=quito.authority, period="2019")
    PlanTarget.objects.create(plan=PlanFactory(authority=quito.authority), indicator_code="VC-02", level=4)
    vc02 = Indicator.objects.get(version=draft.version, code="VC-02")

    response = _login(client, quito.editor).get(reverse("plan_action_create", args=["quito"]) + "?indicator=VC-02")

    assert response.status_code == 200
    form = response.context["form"]
    assert response.context["round"] == draft != older
    assert form.initial["description"] == vc02.suggestion
    assert form.links.forms[0].initial == {"indicator": "VC-02", "target_level": 4}
    assert 'value="VC-02" selected' in response.content.decode()


def test_without_a_target_a_prefilled_link_aims_at_level_three(client, quito, draft):
    response = _login(client, quito.editor).get(reverse("plan_action_create", args=["quito"]) + "?indicator=HC-01")
    assert response.context["form"].links.forms[0].initial == {"indicator": "HC-01", "target_level": 3}


def test_a_french_request_gets_the_level_labels_in_french_not_in_the_language_of_the_import(client, quito, draft):
    client = _login(client, quito.editor)
    client.cookies["django_language"] = "fr"

    html = client.get(reverse("plan_action_create", args=["quito"])).content.decode()

    assert ">3 · Opérationnel</option>" in html and ">4 · Institutionnalisé</option>" in html
    assert "Operational" not in html
    client.cookies["django_language"] = "en"  # and back: the labels follow each request, not the first one
    assert ">3 · Operational</option>" in client.get(reverse("plan_action_create", args=["quito"])).content.decode()


def test_another_authoritys_round_in_the_address_is_a_404(client, quito, draft):
    lima = make_city("lima")
    theirs = RoundFactory(authority=lima.authority, actor=lima.approver)
    client = _login(client, quito.editor)
    for query in (f"?round={theirs.pk}", "?round=abc", "?round=99999999"):
        assert client.get(reverse("plan_action_create", args=["quito"]) + query).status_code == 404


def test_without_any_round_a_new_action_is_refused_with_a_reason(client, quito):
    response = _login(client, quito.editor).get(reverse("plan_action_create", args=["quito"]))
    assert response.status_code == 409
    assert "open a round" in response.content.decode()


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"title": LONG}, "title", "at most 200 characters"),
        ({"description": LONG}, "description", "at most 5000 characters"),
        ({"owner": LONG}, "owner", "at most 200 characters"),
        ({"title": ""}, "title", "required"),
        ({"due_date": "2025-01-01"}, "due_date", "before the start date"),
        ({"budget_amount": "-5"}, "budget_amount", "greater than or equal to 0"),
        ({"start_date": "not a date"}, "start_date", "valid date"),
    ],
)
def test_bad_fields_are_form_errors_with_a_422_and_nothing_is_written(client, quito, draft, fields, field, message):
    response = _login(client, quito.editor).post(reverse("plan_action_create", args=["quito"]), _action_data(**fields))

    assert response.status_code == 422
    assert message in " ".join(response.context["form"].errors[field])
    assert not Action.objects.exists()


@pytest.mark.parametrize(
    ("links", "message"),
    [([], "at least one indicator"), ([("HC-01", 3), ("HC-01", 4)], "only once")],
)
def test_bad_links_are_form_errors_and_nothing_is_written(client, quito, draft, links, message):
    response = _login(client, quito.editor).post(
        reverse("plan_action_create", args=["quito"]), _action_data(links=links)
    )
    assert response.status_code == 422
    assert message in " ".join(response.context["form"].links.non_form_errors())
    assert message in response.content.decode()
    assert not Action.objects.exists()


def test_an_indicator_of_another_catalogue_is_not_a_choice(client, quito, draft):
    response = _login(client, quito.editor).post(
        reverse("plan_action_create", args=["quito"]), _action_data(links=[("NOPE-01", 3)])
    )
    assert response.status_code == 422
    assert response.context["form"].links.forms[0].errors["indicator"]
    assert not Action.objects.exists()


def test_the_person_responsible_is_chosen_among_the_members(client, quito, draft):
    lima = make_city("lima")
    client = _login(client, quito.editor)
    url = reverse("plan_action_create", args=["quito"])

    refused = client.post(url, _action_data(owner_user=lima.editor.pk))
    accepted = client.post(url, _action_data(owner_user=quito.approver.pk))

    assert refused.status_code == 422
    assert refused.context["form"].errors["owner_user"]
    assert accepted.status_code == 302
    assert Action.objects.get().owner_user == quito.approver


def test_after_making_an_action_a_safe_next_is_followed_and_an_unsafe_one_ignored(client, quito, draft):
    client = _login(client, quito.editor)
    url = reverse("plan_action_create", args=["quito"])
    back = reverse("round_detail", args=[draft.pk])

    local = client.post(url, _action_data(next=back))
    foreign = client.post(url, _action_data(next="https://evil.example/"))

    assert local["Location"] == back
    assert foreign["Location"] == _url("plan_action_detail", Action.objects.latest("id"))


# --- changing an action --------------------------------------------------------------------------


def test_the_edit_form_shows_the_action_and_saves_a_change(client, quito, draft, action):
    client = _login(client, quito.approver)
    page = client.get(_url("plan_action_edit", action))
    assert page.status_code == 200
    assert page.context["form"].initial["base_revision"] == 0
    assert 'name="base_revision"' in page.content.decode()

    response = client.post(
        _url("plan_action_edit", action),
        _action_data(links=[("SP-01", 2)], title="Desks and a phone line", base_revision=0),
    )

    assert response.status_code == 302
    saved = Action.objects.get(pk=action.pk)
    assert (saved.title, saved.revision) == ("Desks and a phone line", 1)
    assert list(saved.links.values_list("indicator__code", "target_level")) == [("SP-01", 2)]


def test_a_stale_edit_is_refused_with_a_409_and_nothing_is_written(client, quito, draft, action):
    services.action_change(action=action, actor=quito.approver, base_revision=0, title="The approver's title")

    response = _login(client, quito.editor).post(
        _url("plan_action_edit", action), _action_data(title="The editor's title", base_revision=0)
    )

    assert response.status_code == 409
    assert "Someone else changed this action" in response.content.decode()
    assert Action.objects.get(pk=action.pk).title == "The approver's title"


def test_a_10000_character_edit_is_a_422_and_nothing_changes(client, quito, action):
    response = _login(client, quito.editor).post(
        _url("plan_action_edit", action), _action_data(description=LONG, base_revision=0)
    )
    assert response.status_code == 422
    assert response.context["form"].errors["description"]
    assert Action.objects.get(pk=action.pk).revision == 0


# --- status --------------------------------------------------------------------------------------


def test_dropping_without_a_reason_is_a_422_on_the_action_page_and_nothing_is_written(client, quito, action):
    response = _login(client, quito.editor).post(_url("plan_action_status", action), {"status": "dropped"})

    assert response.status_code == 422
    assert response.context["status_form"].errors["reason"]
    assert "Say why the action is dropped." in response.content.decode()
    assert Action.objects.get(pk=action.pk).status == "planned"


def test_dropping_with_a_reason_and_going_back_to_a_safe_next(client, quito, draft, action):
    back = reverse("round_detail", args=[draft.pk])
    response = _login(client, quito.editor).post(
        _url("plan_action_status", action), {"status": "dropped", "reason": "The province does it.", "next": back}
    )
    assert response["Location"] == back
    saved = Action.objects.get(pk=action.pk)
    assert (saved.status, saved.drop_reason) == ("dropped", "The province does it.")


def test_an_unknown_status_is_a_422(client, quito, action):
    response = _login(client, quito.editor).post(_url("plan_action_status", action), {"status": "paused"})
    assert response.status_code == 422
    assert Action.objects.get(pk=action.pk).status == "planned"


# --- progress updates ----------------------------------------------------------------------------


def test_a_progress_update_with_a_file_is_added_and_downloaded_as_an_attachment(client, quito, draft, action):
    client = _login(client, quito.editor)
    response = client.post(
        _url("plan_update_add", action),
        {
            "text": "The first desk opened.",
            "date": "2025-03-01",
            "round": draft.pk,
            "file": SimpleUploadedFile("opening.pdf", PDF),
        },
    )
    assert response.status_code == 302
    update = ActionUpdate.objects.get()
    assert (update.round, update.date, update.filename) == (draft, datetime.date(2025, 3, 1), "opening.pdf")

    page = client.get(_url("plan_action_detail", action)).content.decode()
    download = reverse("plan_update_file", args=["quito", update.pk])
    assert download in page
    assert "The first desk opened." in page

    file = client.get(download)
    assert file.status_code == 200
    assert file["Content-Type"] == "application/pdf"
    assert file["Content-Disposition"] == 'attachment; filename="opening.pdf"'
    assert b"".join(file.streaming_content) == PDF
    file.close()


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"text": LONG}, "at most 5000 characters"),
        ({"text": ""}, "required"),
        ({"url": "https://example.org/x", "file": "pdf"}, "either a file or a link"),
        ({"url": "ftp://example.org/x"}, "http and https"),
        ({"file": "exe"}, "not an accepted type"),
        ({"date": "2999-01-01"}, "future"),
    ],
)
def test_bad_progress_updates_are_a_422_and_nothing_is_written(client, quito, action, fields, message):
    data = {"text": "Progress.", "date": "2025-03-01", **fields}
    if "file" in data:
        data["file"] = {
            "pdf": SimpleUploadedFile("a.pdf", PDF),
            "exe": SimpleUploadedFile("tool.exe", b"MZ\x90\x00"),
        }[data["file"]]

    response = _login(client, quito.editor).post(_url("plan_update_add", action), data)

    assert response.status_code == 422
    assert message in response.content.decode()
    assert not ActionUpdate.objects.exists()


def test_a_progress_update_goes_back_to_the_form_page_it_came_from(client, quito, draft, action):
    back = reverse("round_dimension", args=[draft.pk, "HC"]) + "#indicator-HC-01"
    response = _login(client, quito.editor).post(
        _url("plan_update_add", action), {"text": "Progress.", "date": "2025-03-01", "next": back}
    )
    assert response["Location"] == back


def test_a_link_has_no_file_to_download(client, quito, action):
    update = services.update_add(action=action, actor=quito.editor, text="Minutes.", url="https://example.org/m")
    response = _login(client, quito.editor).get(reverse("plan_update_file", args=["quito", update.pk]))
    assert response.status_code == 404


# --- comments ------------------------------------------------------------------------------------


def test_a_reviewer_comments_on_an_action(client, reviewer, action):
    response = _login(client, reviewer).post(_url("plan_comment_add", action), {"text": "Which districts first?"})
    assert response.status_code == 302
    assert ActionComment.objects.get().text == "Which districts first?"
    page = client.get(_url("plan_action_detail", action)).content.decode()
    assert "Which districts first?" in page


def test_a_10000_character_comment_is_a_422_and_nothing_is_written(client, reviewer, action):
    response = _login(client, reviewer).post(_url("plan_comment_add", action), {"text": LONG})
    assert response.status_code == 422
    assert response.context["comment_form"].errors["text"]
    assert not ActionComment.objects.exists()


# --- history -------------------------------------------------------------------------------------


def test_the_history_says_what_changed_in_words(client, quito, draft, action):
    services.action_set_status(action=action, actor=quito.editor, status="dropped", reason="No budget this year.")
    services.action_change(
        action=action,
        actor=quito.approver,
        base_revision=1,
        targets={Indicator.objects.get(version=draft.version, code="HC-01"): 4},
    )

    page = _login(client, quito.editor).get(_url("plan_action_history", action)).content.decode()

    assert "Action created" in page
    assert "No budget this year." in page
    assert "Dropped" in page
    assert "Target level of HC-01" in page


# --- the plan page and the list ------------------------------------------------------------------


def test_the_plan_page_groups_actions_by_status_and_flags_the_overdue(client, quito, draft):
    plan = PlanFactory(authority=quito.authority)
    ActionFactory(
        plan=plan, origin_round=draft, title="Late desk", due_date=datetime.date(2025, 2, 1), targets={"HC-01": 3}
    )
    ActionFactory(plan=plan, origin_round=draft, title="Finished register", status="done", targets={"VC-01": 4})

    response = _login(client, quito.editor).get(reverse("plan_detail", args=["quito"]))

    page = response.content.decode()
    assert response.status_code == 200
    assert [group["status"] for group in response.context["groups"]] == ["planned", "done"]
    assert response.context["counts"]["overdue"] == 1
    assert "Overdue" in page
    assert "HC-01" in page and "(target 3)" in page
    assert reverse("plan_action_create", args=["quito"]) in page


def test_the_plan_page_filters_by_status_and_shrugs_off_a_bad_filter(client, quito, draft):
    plan = PlanFactory(authority=quito.authority)
    ActionFactory(plan=plan, origin_round=draft, title="Late desk", due_date=datetime.date(2025, 2, 1))
    ActionFactory(plan=plan, origin_round=draft, title="Finished register", status="done")
    client = _login(client, quito.editor)
    url = reverse("plan_detail", args=["quito"])

    done = client.get(url, {"status": "done"}).content.decode()
    overdue = client.get(url, {"status": "overdue"}).content.decode()
    bad = client.get(url, {"status": "<script>"})

    assert "Finished register" in done and "Late desk" not in done
    assert "Late desk" in overdue and "Finished register" not in overdue
    assert bad.status_code == 200
    assert "Late desk" in bad.content.decode()


def test_an_empty_plan_says_so(client, quito, draft, reviewer):
    page = _login(client, quito.editor).get(reverse("plan_detail", args=["quito"])).content.decode()
    assert "The plan has no action yet." in page
    reviewer_page = _login(client, reviewer).get(reverse("plan_detail", args=["quito"])).content.decode()
    assert reverse("plan_action_create", args=["quito"]) not in reviewer_page


def test_a_member_of_one_authority_goes_straight_to_its_plan(client, quito):
    response = _login(client, quito.editor).get(reverse("plan_list"))
    assert response.status_code == 302
    assert response["Location"] == reverse("plan_detail", args=["quito"])


def test_a_member_of_two_authorities_sees_both_and_no_other(client, quito):
    lima = make_city("lima")
    make_city("bogota")
    MembershipFactory(user=quito.editor, authority=lima.authority, role=Membership.Role.APPROVER)

    page = _login(client, quito.editor).get(reverse("plan_list")).content.decode()

    assert "Quito" in page and "Lima" in page
    assert "Bogota" not in page


def test_a_reviewer_sees_every_plan_with_counts_by_status(client, reviewer, quito, draft, action):
    make_city("lima")
    services.action_set_status(action=action, actor=quito.editor, status="in_progress")
    ActionFactory(plan=action.plan, origin_round=draft, due_date=datetime.date(2025, 2, 1))

    response = _login(client, reviewer).get(reverse("plan_list"))

    rows = {authority.name: authority for authority in response.context["page"]}
    assert set(rows) == {"Quito", "Lima"}
    quito_row = rows["Quito"]
    assert (quito_row.n_planned, quito_row.n_in_progress, quito_row.n_done, quito_row.n_overdue) == (1, 1, 0, 1)
    assert rows["Lima"].n_planned == 0


def test_someone_with_no_role_on_any_plan_gets_a_404_from_the_list(client, db):
    """No membership and no programme role: the list of plans is not found, as every plan is to them."""
    from tests.factories import UserFactory

    response = _login(client, UserFactory()).get(reverse("plan_list"))
    assert response.status_code == 404


def test_the_navigation_links_to_the_plans(client, quito):
    page = _login(client, quito.editor).get(reverse("home")).content.decode()
    assert reverse("plan_list") in page


def test_no_page_fails_on_dates_of_today(client, quito, draft):
    """A due date of today is not overdue, and the pages render it."""
    plan = PlanFactory(authority=quito.authority)
    ActionFactory(plan=plan, origin_round=draft, start_date=timezone.localdate(), due_date=timezone.localdate())
    response = _login(client, quito.editor).get(reverse("plan_detail", args=["quito"]))
    assert response.status_code == 200
    assert response.context["counts"]["overdue"] == 0


def test_a_link_prefilled_from_an_indicator_and_sent_unchanged_counts(client, quito, draft):
    """The pre-filled first row is a link like any other, even when the user leaves it as it was."""
    url = reverse("plan_action_create", args=["quito"]) + "?indicator=HC-02"
    client = _login(client, quito.editor)
    shown = client.get(url).context["form"].links.forms[0].initial

    response = client.post(url, _action_data(links=[(shown["indicator"], shown["target_level"])]))

    assert response.status_code == 302
    assert list(Action.objects.get().links.values_list("indicator__code", "target_level")) == [("HC-02", 3)]


# --- the menu link to the plans (base.html) -------------------------------------------------------------------


def test_the_menu_links_to_the_plans_only_for_people_who_may_see_one(client, quito, reviewer):
    """Members and reviewers see "Improvement plans" in the menu; someone with no role, to whom the list is a 404,
    does not."""
    from tests.factories import UserFactory

    link = f'href="{reverse("plan_list")}"'
    for person in (quito.editor, quito.approver, reviewer):
        assert link in _login(client, person).get(reverse("home")).content.decode()
    assert link not in _login(client, UserFactory()).get(reverse("home")).content.decode()


def test_the_empty_list_of_plans_says_there_is_no_authority_yet(client, reviewer):
    """Only reviewers reach an empty list now: it says there is no authority, not that they lack a role."""
    response = _login(client, reviewer).get(reverse("plan_list"))
    assert response.status_code == 200
    assert "No authority takes part in the programme yet, so there is no improvement plan." in response.content.decode()
