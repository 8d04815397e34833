"""An administrator drafts a new catalogue version in the admin, rewords a question, publishes it, and the public reads it."""

import pytest
from playwright.sync_api import expect

from indicators.models import CatalogueVersion, Indicator
from tests.browser.conftest import assert_accessible

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NEW_QUESTION = "Do the city's departments meet at least quarterly to align their migration work?"


def run_action(page, version: str, action: str) -> None:
    """Tick one version in the admin's change list and run an action on it."""
    page.get_by_role("checkbox", name=f"Select this object for an action - {version}", exact=True).check()
    page.get_by_label("Action:").select_option(label=action)
    page.get_by_role("button", name="Go").click()


def test_an_administrator_publishes_a_reworded_question_that_the_methodology_then_shows(
    login, catalogue, django_user_model
):
    django_user_model.objects.create_superuser("ada", "ada@example.org", "pw-for-tests-only")
    published = str(catalogue)
    old_question = Indicator.objects.get(version=catalogue, code="HC-01").question

    admin = login("ada")
    admin.get_by_role("link", name="Administration").click()
    admin.get_by_role("link", name="Catalogue versions").click()
    expect(admin.get_by_role("heading", level=1)).to_contain_text("catalogue version")
    assert_accessible(admin, "admin: catalogue versions")

    run_action(admin, published, "New draft from this version")
    draft = CatalogueVersion.objects.get(status=CatalogueVersion.Status.DRAFT)
    expect(admin.locator(".messagelist")).to_contain_text(f"Created draft {draft} from {published}")
    expect(admin.get_by_role("checkbox", name=f"Select this object for an action - {draft}")).to_be_visible()

    # The draft's HC-01, found through the indicator list filtered to the draft.
    admin.goto(f"/admin/indicators/indicator/?version__id__exact={draft.pk}&q=HC-01")
    admin.get_by_role("link", name="HC-01", exact=True).click()
    question = admin.get_by_label("Question [en]")
    expect(question).to_have_value(old_question)
    assert_accessible(admin, "admin: indicator (draft)")
    question.fill(NEW_QUESTION)
    admin.get_by_role("button", name="Save", exact=True).click()
    expect(admin.locator(".messagelist")).to_contain_text("was changed successfully")

    admin.goto("/admin/indicators/catalogueversion/")
    run_action(admin, str(draft), "Publish (the version can then never change)")
    expect(admin.locator(".messagelist")).to_contain_text(f"Published {draft.framework.slug} v{draft.number}")
    draft.refresh_from_db()
    assert draft.status == CatalogueVersion.Status.PUBLISHED
    assert_accessible(admin, "admin: catalogue versions (after publishing)")

    admin.get_by_role("link", name="View site").click()
    admin.get_by_role("link", name="Methodology").first.click()
    expect(admin.get_by_role("heading", level=1)).to_have_text("Methodology")
    expect(admin.locator("#indicator-HC-01")).to_have_text(f"HC-01 {NEW_QUESTION}")
    expect(admin.get_by_text(old_question, exact=True)).to_have_count(0)
    expect(admin.get_by_text(f"version {draft.number}")).to_be_visible()
    assert_accessible(admin, "methodology")
