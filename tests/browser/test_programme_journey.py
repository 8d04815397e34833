"""A programme's cycle in Chromium: import three authorities with their people, open a campaign for them, and an
invited person sets a password, fills in, and finds the round's opening and a reminder in their notifications.
"""

from __future__ import annotations

import datetime
import re
from urllib.parse import urlsplit

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone
from django.utils.formats import date_format
from playwright.sync_api import expect

from assessments.models import Answer, Authority, Round
from notifications.models import Notification
from notifications.reminders import reminders_send
from outbox.models import Mail
from tests.conftest import wait_until
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PEOPLE = [
    ("Riobamba", "Ecuador", "municipality", "ana.paredes@riobamba.example", "Ana Paredes", "approver", "es"),
    ("Riobamba", "Ecuador", "municipality", "eva.ortiz@riobamba.example", "Eva Ortiz", "editor", "en"),
    ("Loja", "Ecuador", "municipality", "jose.vera@loja.example", "José Vera", "approver", "es"),
    ("Ambato", "Ecuador", "municipality", "lia.roca@ambato.example", "Lía Roca", "approver", "es"),
]
MESSAGE = "The 2027 cycle is open: please answer every indicator before the due date."
INVITED = "eva.ortiz@riobamba.example"
PASSWORD = "a-long-new-password-4782"


def _csv() -> bytes:
    lines = ["authority,country,kind,e-mail,name,role,language", *(",".join(row) for row in PEOPLE)]
    return ("\n".join(lines) + "\n").encode()


@pytest.fixture
def coordinator(catalogue):
    user = UserFactory(username="cora-coordinator", first_name="Cora")
    user.user_permissions.add(Permission.objects.get(codename="open_rounds"))
    return user


def test_an_imported_person_is_invited_fills_in_and_is_reminded(login, coordinator, browser, live_server, _pages):
    # The coordinator imports three new authorities and their people: a dry run first, then the import.
    page = login("cora-coordinator")
    page.goto("/programme/campaigns/")
    page.get_by_role("link", name="Import authorities and people").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Import authorities and people")
    page.get_by_label("File (CSV or XLSX)").set_input_files(
        {"name": "ecuador.csv", "mimeType": "text/csv", "buffer": _csv()}
    )
    page.get_by_role("button", name="Check the file").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check of ecuador.csv")
    expect(page.get_by_role("status")).to_contain_text("4 rows checked, no problem found")
    expect(page.get_by_role("status")).to_contain_text("3 authorities will be created")
    assert not Authority.objects.filter(slug__in=["riobamba", "loja", "ambato"]).exists(), "a dry run writes nothing"
    page.get_by_role("button", name="Confirm the import").click()
    expect(page.locator("main")).to_contain_text("3 authorities created; 4 people created; 4 invitations sent.")

    # Then a campaign for the three, due in two days, with a message.
    page.goto("/programme/campaigns/")
    page.get_by_role("link", name="Open a campaign").click()
    due = timezone.localdate() + datetime.timedelta(days=2)
    page.get_by_label("Name").fill("Ecuador 2027")
    page.get_by_label("Period").fill("2027")
    page.get_by_label("Due date").fill(due.isoformat())
    page.get_by_label("Message to the authorities").fill(MESSAGE)
    page.get_by_label("Or a list of authorities").fill("riobamba\nloja\nambato")
    page.get_by_role("button", name="Open the rounds").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Ecuador 2027")
    board = page.locator("main")
    for name in ("Riobamba", "Loja", "Ambato"):
        expect(board.get_by_role("link", name=name).first).to_be_visible()
    expect(board).to_contain_text("3 (3 rounds opened, 0 skipped)")
    round = Round.objects.get(authority__slug="riobamba", period="2027")
    assert round.due_date == due

    # The invited editor opens the link of their mail and chooses a password: they are signed in.
    mail = Mail.objects.filter(to=INVITED, body__contains="/programme/invitations/").get()
    link = re.search(r"https?://\S+/programme/invitations/\S+/", mail.body).group(0)
    context = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=live_server.url)
    person = context.new_page()
    person.set_default_timeout(20_000)
    _pages.append(person)  # a screenshot if the journey fails
    person.goto(urlsplit(link).path)
    expect(person.get_by_role("heading", level=1)).to_have_text("Welcome: choose your password")
    expect(person.locator("main")).to_contain_text("Riobamba: Editor")
    person.locator("#id_new_password1").fill(PASSWORD)
    person.locator("#id_new_password2").fill(PASSWORD)
    person.get_by_role("button", name="Set my password").click()
    person.wait_for_url(f"{live_server.url}/")
    expect(person.locator("main")).to_contain_text("Welcome to Coherence, Eva Ortiz")
    _pages.remove(person)  # closed: nothing left to screenshot
    context.close()

    # The next day they log in with it, open the round and answer an indicator: the form saves as they go.
    editor = login(INVITED, PASSWORD)
    editor.goto(f"/rounds/{round.pk}/")
    editor.get_by_role("link", name="Fill in the answers").click()
    card = editor.locator("#indicator-HC-01")
    card.get_by_label(re.compile(r"^2 · ")).check()
    expect(card.get_by_role("status")).to_contain_text("Saved at")
    wait_until(lambda: Answer.objects.filter(round=round, indicator__code="HC-01", level=2).exists(), 15, "the answer")

    # The reminders run: the round is due in two days and not submitted.
    assert reminders_send() == 3  # one for each of the three rounds
    reminded = Notification.objects.filter(user__username=INVITED, round=round)
    assert {"opened", "due_3"} <= set(reminded.values_list("kind", flat=True))

    # The navigation counts the two unread notifications (the opening and the reminder); the list shows both.
    editor.reload()
    bell = editor.get_by_role("link", name=re.compile("^Notifications( |$)"))
    expect(bell).to_contain_text("2 unread")
    bell.click()
    expect(editor.get_by_role("heading", level=1)).to_have_text("Notifications")
    main = editor.locator("main")
    expect(main).to_contain_text("2 unread notifications.")
    expect(main).to_contain_text("The round Riobamba 2027 is open")
    expect(main).to_contain_text(MESSAGE)
    reminder = main.get_by_role("link", name="Riobamba 2027 is due in 3 days")
    expect(main).to_contain_text(f"is due on {date_format(due, 'DATE_FORMAT')} and is not submitted yet")

    # Opening the reminder leads to the round and leaves one unread.
    reminder.click()
    editor.wait_for_url(re.compile(rf"/rounds/{round.pk}/$"))
    expect(editor.get_by_role("link", name=re.compile("^Notifications( |$)"))).to_contain_text("1 unread")
