"""Axe finds nothing serious on the programme's pages (campaigns, import, invitations) and the notifications'."""

from __future__ import annotations

import datetime
import re
from urllib.parse import urlsplit

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone
from playwright.sync_api import expect

from programme import invitations, services
from tests.browser.conftest import assert_accessible
from tests.factories import UserFactory
from tests.world import make_city

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MESSAGE = "Please answer every indicator and attach your evidence before the due date."
CSV = (
    b"authority,country,kind,e-mail,name,role,language\n"
    b"Loja,Ecuador,municipality,jose.vera@loja.example,Jose Vera,approver,xx\n"
    b"Ambato,Ecuador,municipality,lia.roca@ambato.example,Lia Roca,editor,es\n"
)


@pytest.fixture
def world(catalogue):
    """A coordinator's open campaign for Quito and Lima, and a person invited to Quito."""
    coordinator = UserFactory(username="cora-coordinator", first_name="Cora")
    coordinator.user_permissions.add(Permission.objects.get(codename="open_rounds"))
    quito, lima = make_city("quito"), make_city("lima")
    campaign, _participants = services.campaign_open(
        actor=coordinator,
        name="Campaign 2027",
        period="2027",
        version=catalogue,
        due_date=timezone.localdate() + datetime.timedelta(days=10),
        authorities=[quito.authority, lima.authority],
        message=MESSAGE,
    )
    invitation = invitations.person_invite(
        actor=coordinator, authority=quito.authority, email="eva@quito.example", name="Eva Ortiz", role="editor"
    )
    return coordinator, campaign, quito, invitation


def test_the_campaign_and_import_pages_are_accessible(login, world):
    _coordinator, campaign, quito, _invitation = world
    page = login("cora-coordinator")
    page.goto("/programme/campaigns/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Campaigns")
    assert_accessible(page, "campaign list")
    page.get_by_role("link", name="Open a campaign").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Open a campaign")
    assert_accessible(page, "campaign form")
    page.get_by_role("button", name="Open the rounds").click()  # nothing filled in: the errors are shown
    expect(page.get_by_role("alert").first).to_be_visible()
    assert_accessible(page, "campaign form (with errors)")

    page.goto(f"/programme/campaigns/{campaign.pk}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Campaign 2027")
    expect(page.locator("main")).to_contain_text("Quito")
    assert_accessible(page, "campaign board")

    page.goto("/programme/imports/new/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Import authorities and people")
    assert_accessible(page, "import upload")
    page.get_by_label("File (CSV or XLSX)").set_input_files(
        {"name": "people.csv", "mimeType": "text/csv", "buffer": CSV}
    )
    page.get_by_role("button", name="Check the file").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check of people.csv")
    expect(page.locator("#row-2")).to_contain_text("xx")  # an unknown language: the row's problem is listed
    assert_accessible(page, "import dry run (with a problem)")
    page.goto("/programme/imports/new/")
    page.get_by_label("File (CSV or XLSX)").set_input_files(
        {"name": "people.csv", "mimeType": "text/csv", "buffer": CSV.replace(b",xx", b",es")}
    )
    page.get_by_role("button", name="Check the file").click()
    expect(page.get_by_role("button", name="Confirm the import")).to_be_visible()
    assert_accessible(page, "import dry run (ready)")

    page.goto(f"/programme/authorities/{quito.authority.slug}/invite/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Invite a person to Quito")
    expect(page.locator("main")).to_contain_text("eva@quito.example")  # the pending invitation is listed
    assert_accessible(page, "invite a person")


def test_the_invitation_and_notification_pages_are_accessible(login, world, browser, live_server, _pages):
    _coordinator, _campaign, _quito, invitation = world
    context = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=live_server.url)
    try:
        visitor = context.new_page()
        _pages.append(visitor)
        link = urlsplit(invitations.invitation_link(invitation.user)).path
        visitor.goto(link)
        expect(visitor.get_by_role("heading", level=1)).to_have_text("Welcome: choose your password")
        assert_accessible(visitor, "invitation accept")
        visitor.goto(re.sub(r"/[^/]+/$", "/1a2-forged/", link))
        expect(visitor.get_by_role("heading", level=1)).to_have_text("This invitation link no longer works")
        assert_accessible(visitor, "invitation link invalid")
    finally:
        _pages.remove(visitor)  # closed: nothing left to screenshot
        context.close()

    editor = login("quito-editor")  # told of the campaign's opening
    editor.goto("/notifications/")
    expect(editor.get_by_role("heading", level=1)).to_have_text("Notifications")
    expect(editor.locator("main")).to_contain_text("The round Quito 2027 is open")
    assert_accessible(editor, "notification list")
    editor.get_by_role("link", name=re.compile("^Mail settings")).click()
    expect(editor.get_by_role("heading", level=1)).to_have_text("Mail settings")
    assert_accessible(editor, "mail settings")
    editor.get_by_role("button", name="Save mail settings").click()
    expect(editor.locator("main")).to_contain_text("Your mail settings are saved.")
    assert_accessible(editor, "mail settings (saved)")
