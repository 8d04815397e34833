"""An editor records a consultation with the keyboard alone; axe finds nothing serious on the new pages."""

from __future__ import annotations

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from participation.models import Consultation
from tests.browser.conftest import assert_accessible
from tests.participation.factories import ConsultationFactory, StakeholderFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def tab_to(page, target, limit: int = 80) -> None:
    """Press Tab until ``target`` has the focus, as a keyboard user moves through the page."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if target.evaluate("element => element === document.activeElement"):
            return
    pytest.fail(f"{target} never got the focus in {limit} presses of Tab")


def expect_focus_visible(page) -> None:
    """The focused element shows a focus ring: an outline or a box shadow."""
    style = page.evaluate(
        """() => {
            const style = getComputedStyle(document.activeElement);
            return {outline: style.outlineStyle, width: style.outlineWidth, shadow: style.boxShadow};
        }"""
    )
    assert (style["outline"] != "none" and style["width"] != "0px") or style["shadow"] != "none", style


def label(text: str) -> re.Pattern:
    """A field's whole label (crispy marks a required one with "*"), not a word of a longer one."""
    return re.compile(rf"^\s*{re.escape(text)}\s*\*?\s*$")


def test_an_editor_records_a_consultation_with_the_keyboard_alone(login, quito, draft):
    StakeholderFactory(authority=quito.authority, name="Venezuelan Association", category="migrant")
    StakeholderFactory(authority=quito.authority, name="FLACSO", category="academia")
    day = timezone.localdate() - datetime.timedelta(days=3)
    page = login("quito-editor")

    page.goto(f"/participation/rounds/{draft.pk}/consultations/")
    assert_accessible(page, "consultation list (empty)")
    record = page.locator("main").get_by_role("link", name="Record a consultation")
    tab_to(page, record)
    expect_focus_visible(page)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Record a consultation")
    assert_accessible(page, "consultation form")

    form = page.locator("main form")
    tab_to(page, form.get_by_label(label("Date")))
    page.keyboard.type(day.strftime("%m%d%Y"))  # Chromium's date field in the en-US locale: month, day, year
    expect(form.get_by_label(label("Date"))).to_have_value(day.isoformat())
    tab_to(page, form.get_by_label(label("Method")), limit=4)  # past the date's own parts
    page.keyboard.press("ArrowDown")  # the first method after "—": Workshop
    expect(form.get_by_label(label("Method"))).to_have_value("workshop")
    tab_to(page, form.get_by_role("checkbox", name=re.compile("^Venezuelan Association")))
    expect_focus_visible(page)
    page.keyboard.press("Space")
    tab_to(page, form.get_by_label(label("Number of participants")))
    page.keyboard.type("21")
    page.keyboard.press("Tab")
    expect(form.get_by_label(label("Migrants or displaced persons"))).to_be_focused()
    page.keyboard.type("14")
    page.keyboard.press("Tab")
    expect(form.get_by_label(label("Women"))).to_be_focused()
    page.keyboard.type("11")
    tab_to(page, form.get_by_label(label("Languages used")))
    page.keyboard.type("Spanish, Kichwa")
    page.keyboard.press("Tab")
    expect(form.get_by_label(label("What was said"))).to_be_focused()
    page.keyboard.type("Associations asked to be heard before the budget is set.")
    tab_to(page, form.get_by_role("checkbox", name=re.compile("^SP-01 ")))
    expect_focus_visible(page)
    page.keyboard.press("Space")
    submit = form.get_by_role("button", name="Record the consultation")
    tab_to(page, submit, limit=120)
    expect_focus_visible(page)
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile("^Workshop of"))
    expect(page.locator("main")).to_contain_text("Associations asked to be heard before the budget is set.")
    consultation = Consultation.objects.get()
    assert (consultation.date, consultation.participants, consultation.migrants, consultation.women) == (
        day,
        21,
        14,
        11,
    )
    assert [g.name for g in consultation.groups.all()] == ["Venezuelan Association"]
    assert [i.code for i in consultation.indicators.all()] == ["SP-01"]
    assert consultation.created_by.username == "quito-editor"
    assert_accessible(page, "consultation detail")

    page.goto(f"/participation/rounds/{draft.pk}/consultations/")
    expect(page.locator("main")).to_contain_text("Venezuelan Association")
    assert_accessible(page, "consultation list")


def test_the_register_and_a_form_with_errors_are_accessible(login, quito, draft):
    group = StakeholderFactory(authority=quito.authority, name="Refugees Together", category="refugee")
    ConsultationFactory(round=draft, groups=[group], indicators=["SP-01"])
    page = login("quito-editor")

    page.goto("/participation/quito/groups/")
    expect(page.locator("main")).to_contain_text("Refugees Together")
    assert_accessible(page, "stakeholder register")
    tab_to(page, page.get_by_label(label("Name of the group")))
    page.keyboard.type("Haitian Women's Collective")
    page.keyboard.press("Tab")
    expect(page.get_by_label(label("Category"))).to_be_focused()
    tab_to(page, page.get_by_role("button", name="Add the group"))
    page.keyboard.press("Enter")  # no category: a form error, said beside its field
    expect(page.locator("main")).to_contain_text("This field is required.")
    assert_accessible(page, "stakeholder register with an error")

    page.goto(f"/participation/rounds/{draft.pk}/consultations/new/")
    page.get_by_role("button", name="Record the consultation").click()
    expect(page.locator("main")).to_contain_text("This field is required.")
    assert_accessible(page, "consultation form with errors")
