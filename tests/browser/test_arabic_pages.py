"""The main pages in Arabic: right to left, in Arabic words, and clean for axe-core."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible
from tests.world import answer_everything, validated_round

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _in_arabic(page):
    """Choose Arabic with the language selector, as a person would (it answers with the same page)."""
    page.get_by_label("Language").select_option("ar")
    page.get_by_role("button", name="Change language").click()
    expect(page.locator("html")).to_have_attribute("lang", "ar")


def test_the_main_pages_in_arabic_read_right_to_left_and_pass_axe(login, quito, reviewer, draft):
    validated_round(quito, reviewer, "2023", 2)
    answer_everything(draft, quito.editor, level=1)

    page = login("quito-editor")
    _in_arabic(page)
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    assert_accessible(page, "home (ar)")

    pages = {
        "round (ar)": f"/rounds/{draft.pk}/",
        "form (ar)": f"/rounds/{draft.pk}/dimensions/HC/",
        "city dashboard (ar)": "/my-dashboard/",
        "methodology (ar)": "/methodology/",
    }
    for name, url in pages.items():
        page.goto(url)
        expect(page.locator("html")).to_have_attribute("dir", "rtl")
        # Bootstrap's right-to-left build is the one in use: the page starts on the right.
        assert page.evaluate("getComputedStyle(document.body).direction") == "rtl"
        assert_accessible(page, name)
    # The form's catalogue text is the Arabic catalogue's (HC-01's question), the labels the interface's.
    page.goto(pages["form (ar)"])
    expect(page.locator("#indicator-HC-01")).to_contain_text("هل")
    expect(page.get_by_role("heading", level=1)).not_to_contain_text("Horizontal coherence")
