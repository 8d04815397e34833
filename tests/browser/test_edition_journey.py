"""Issue 19's journey: an administrator makes and publishes edition 2 in the admin, with HC-03 split in two
and a new SP-07; a city validated on edition 1 and then on edition 2 sees one trend across both editions,
which names what it compares and what it leaves out."""

import pytest
from playwright.sync_api import expect

from indicators.models import CatalogueVersion, Dimension, Indicator
from tests.browser.conftest import assert_accessible
from tests.browser.test_catalogue_admin import run_action
from tests.world import validated_round

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HC09_QUESTION = "Does the local health plan address migrants' health needs, with a budget?"
SP07_QUESTION = "Can migrants complain safely about a city service, in a language they use?"


def _add_indicator(admin, draft, *, dimension: str, code: str, order: int, question: str, kind: str, source=None):
    """Add one indicator to the draft through the admin's form, with what publishing asks of it."""
    admin.goto("/admin/indicators/indicator/add/")
    admin.locator("#id_dimension").select_option(str(Dimension.objects.get(version=draft, code=dimension).pk))
    admin.locator("#id_code").fill(code)
    admin.locator("#id_order").fill(str(order))
    admin.locator("#id_question_en").fill(question)
    admin.locator("#id_guidance_en").fill("Attach the plan or the procedure, and the figures that follow it.")
    for level, words in enumerate(["Nothing", "Informal", "Partial", "Operational", "Institutionalised"]):
        admin.locator(f"#id_descriptor_{level}_en").fill(f"{words} ({code}).")
    admin.locator("#id_suggestion_en").fill("Write it down, budget it and follow it up.")
    admin.locator("#id_sdg_targets").select_option(index=0)
    admin.locator("#id_crosswalk").select_option(kind)
    if source is not None:
        admin.locator("#id_derived_from").select_option(str(source.pk))
    admin.locator(".inline-group").first.locator(".add-row a").click()  # the examples inline
    admin.locator("[name$='-0-place']").fill("Illustration")
    admin.locator("[name$='-0-text_en']").fill("A city did this and wrote it down.")
    admin.get_by_role("button", name="Save", exact=True).click()
    expect(admin.locator(".messagelist")).to_contain_text("was added successfully")


def test_an_administrator_publishes_edition_2_and_a_city_trend_spans_both_editions(
    login, catalogue, quito, reviewer, django_user_model
):
    first = validated_round(quito, reviewer, "2023", level=1)
    django_user_model.objects.create_superuser("ada", "ada@example.org", "pw-for-tests-only")

    admin = login("ada")
    admin.goto("/admin/indicators/catalogueversion/")
    run_action(admin, str(catalogue), "New draft from this version")
    draft = CatalogueVersion.objects.get(status=CatalogueVersion.Status.DRAFT)
    hc03 = Indicator.objects.get(version=catalogue, code="HC-03")

    # HC-03 is split: the draft's copy becomes one part, HC-09 the other.
    admin.goto(f"/admin/indicators/indicator/?version__id__exact={draft.pk}&q=HC-03")
    admin.get_by_role("link", name="HC-03", exact=True).click()
    admin.get_by_label("Crosswalk:").select_option("split")
    admin.get_by_role("button", name="Save", exact=True).click()
    expect(admin.locator(".messagelist")).to_contain_text("was changed successfully")
    _add_indicator(
        admin, draft, dimension="HC", code="HC-09", order=9, question=HC09_QUESTION, kind="split", source=hc03
    )
    _add_indicator(admin, draft, dimension="SP", code="SP-07", order=7, question=SP07_QUESTION, kind="new")
    assert_accessible(admin, "admin: indicator list after adding")

    admin.goto("/admin/indicators/catalogueversion/")
    run_action(admin, str(draft), "Publish (the version can then never change)")
    expect(admin.locator(".messagelist")).to_contain_text(f"Published {draft.framework.slug} v{draft.number}")
    draft.refresh_from_db()
    assert draft.status == CatalogueVersion.Status.PUBLISHED and CatalogueVersion.objects.current() == draft
    kinds = dict(Indicator.objects.filter(version=draft).values_list("code", "crosswalk"))
    assert (kinds["HC-03"], kinds["HC-09"], kinds["SP-07"], kinds["HC-01"]) == ("split", "split", "new", "same")

    # The city's next round is on edition 2; once validated, its trend spans both editions.
    second = validated_round(quito, reviewer, "2025", level=3)
    assert (first.version, second.version) == (catalogue, draft)
    city = login("quito-approver")
    city.goto("/my-dashboard/")
    trend = city.locator("section[aria-labelledby=panel-trend-title]")
    expect(trend).to_contain_text("2023")
    expect(trend).to_contain_text("2025")
    expect(trend).to_contain_text("SP-07")
    expect(trend).to_contain_text("HC-09")
    assert_accessible(city, "city dashboard: trend across editions")
