"""Who is told what, in which language: the events of assessments written as notifications and mails."""

from datetime import date, timedelta
from email import message_from_string

import pytest
from django.contrib.auth.models import Group, Permission
from django.core import mail as django_mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation
from django.utils.translation import gettext

from assessments import services
from assessments.events import Event, Kind
from assessments.models import Preference
from notifications.models import MailSetting, Notification
from notifications.services import notify
from outbox.models import Mail
from outbox.services import mail_send
from programme.services import campaign_open
from tests.factories import AuthorityFactory, MembershipFactory, UserFactory
from tests.world import answer_everything


def _with(user, *, email: str, language: str = ""):
    user.email = email
    user.save(update_fields=["email"])
    if language:
        Preference.objects.update_or_create(user=user, defaults={"language": language})
    return user


def test_a_return_tells_each_member_in_their_own_language_with_text_and_html(submitted, quito, reviewer):
    _with(quito.editor, email="ed@quito.example", language="es")
    _with(quito.approver, email="ap@quito.example", language="fr")
    Mail.objects.all().delete()

    hc01 = submitted.version.indicators.get(code="HC-01")
    with translation.override("en"):  # the reviewer works in English: nobody else reads it
        services.round_review(
            round=submitted,
            actor=reviewer,
            decisions={hc01.pk: services.Decision(comment="Which ministry?", send_back=True)},
            action=services.ReviewAction.RETURN,
        )

    mails = {m.to: m for m in Mail.objects.all()}
    assert set(mails) == {"ed@quito.example", "ap@quito.example"}  # not the reviewer, whose doing it is
    for to, language in (("ed@quito.example", "es"), ("ap@quito.example", "fr")):
        with translation.override(language):
            headline = gettext("%(round)s was returned with comments") % {"round": submitted}
            settings_link = gettext("Choose which mails you receive")
        assert headline in mails[to].subject
        assert headline in mails[to].body and headline in mails[to].html
        assert f'<html lang="{language}" dir="{"rtl" if language == "ar" else "ltr"}">' in mails[to].html
        assert settings_link in mails[to].html
        assert "/notifications/preferences/" in mails[to].body
    assert mails["ed@quito.example"].subject != mails["ap@quito.example"].subject  # two languages, really
    assert Notification.objects.filter(kind=Kind.RETURNED).count() == 2


def test_a_mail_goes_out_with_both_parts(submitted, quito, reviewer):
    _with(quito.editor, email="ed@quito.example")
    Mail.objects.all().delete()
    services.round_review(
        round=submitted, actor=reviewer, decisions={}, action=services.ReviewAction.VALIDATE, note="Well done"
    )

    mail = Mail.objects.get(to="ed@quito.example")
    assert mail_send(ids=[mail.pk])
    sent = message_from_string(django_mail.outbox[-1].message().as_string())
    assert sent.get_content_type() == "multipart/alternative"
    parts = {part.get_content_type(): part.get_payload(decode=True).decode() for part in sent.get_payload()}
    assert "Well done" in parts["text/plain"] and "Well done" in parts["text/html"]


def test_the_actor_is_never_told_of_their_own_doing_and_people_without_address_only_in_the_list(draft, quito):
    _with(quito.approver, email="ap@quito.example")  # the editor has no address
    answer_everything(draft, quito.editor)
    Mail.objects.all().delete()

    services.round_submit(round=draft, actor=quito.approver)

    told = dict(Notification.objects.filter(kind=Kind.SUBMITTED).values_list("user__username", "mail"))
    assert told == {"quito-editor": Notification.Mail.NONE}  # the approver submitted it
    assert not Mail.objects.exists()


def test_a_person_who_turned_a_kind_off_is_told_in_the_list_only(submitted, quito, reviewer):
    _with(quito.editor, email="ed@quito.example")
    _with(quito.approver, email="ap@quito.example")
    MailSetting.objects.create(user=quito.editor, kind=Kind.VALIDATED, delivery=MailSetting.Delivery.OFF)
    Mail.objects.all().delete()

    services.round_review(round=submitted, actor=reviewer, decisions={}, action=services.ReviewAction.VALIDATE)

    assert list(Mail.objects.values_list("to", flat=True)) == ["ap@quito.example"]
    assert Notification.objects.filter(user=quito.editor, kind=Kind.VALIDATED, mail=Notification.Mail.NONE).exists()


def test_a_reviewer_on_the_digest_gets_no_mail_at_submission(draft, quito, reviewer):
    MailSetting.objects.create(user=reviewer, kind=Kind.SUBMITTED, delivery=MailSetting.Delivery.DIGEST)
    answer_everything(draft, quito.editor)
    Mail.objects.all().delete()

    services.round_submit(round=draft, actor=quito.approver)

    assert not Mail.objects.filter(to=reviewer.email).exists()
    assert Notification.objects.get(user=reviewer).mail == Notification.Mail.DIGEST


def test_a_mention_links_to_the_indicators_thread_and_names_who_wrote(draft, quito):
    _with(quito.approver, email="ap@quito.example", language="fr")
    Mail.objects.all().delete()
    indicator = draft.version.indicators.get(code="HC-01")

    services.comment_add(round=draft, indicator=indicator, actor=quito.editor, body="@quito-approver please sign")

    mail = Mail.objects.get()
    assert "quito-editor" in mail.subject and "HC-01" in mail.subject
    assert f"/rounds/{draft.pk}/dimensions/HC/#threads-HC-01" in mail.body
    assert "please sign" in mail.body and "please sign" in mail.html


def test_an_inactive_person_is_not_told(draft, quito):
    quito.editor.is_active = False
    quito.editor.save()
    Notification.objects.all().delete()

    notify([Event(Kind.RETURNED, draft, None, (quito.editor.pk, quito.approver.pk), {})])

    assert list(Notification.objects.values_list("user", flat=True)) == [quito.approver.pk]


@pytest.fixture
def coordinator(db):
    group, _created = Group.objects.get_or_create(name="Programme coordinators")
    group.permissions.add(Permission.objects.get(codename="open_rounds"))
    return UserFactory(username="cora-coordinator")


def _authorities_with_people(count: int, start: int = 0):
    authorities = []
    for n in range(start, start + count):
        authority = AuthorityFactory(slug=f"town-{n}", name=f"Town {n}")
        for role in ("editor", "approver"):
            MembershipFactory(
                authority=authority,
                user=UserFactory(username=f"town-{n}-{role}", email=f"{role}@town-{n}.example"),
                role=role,
            )
        authorities.append(authority)
    return authorities


def test_a_campaign_tells_every_member_with_its_message_in_a_constant_number_of_queries(coordinator, catalogue):
    coordinator.groups.add(Group.objects.get(name="Programme coordinators"))
    due = timezone.localdate() + timedelta(days=30)

    def open_for(authorities, period):
        with CaptureQueriesContext(connection) as queries:
            campaign_open(
                actor=coordinator,
                name=period,
                period=period,
                version=catalogue,
                due_date=due,
                authorities=authorities,
                message="Please answer before the regional meeting.",
            )
        return len(queries)

    open_for(_authorities_with_people(1, start=100), "2026")  # the coordinator's permissions are cached after this
    few = open_for(_authorities_with_people(2), "2027")
    many = open_for(_authorities_with_people(12, start=2), "2028")

    assert many == few
    assert Notification.objects.filter(kind=Kind.OPENED).count() == 2 + 2 * 2 + 12 * 2
    mail = Mail.objects.get(to="editor@town-5.example")
    assert "Please answer before the regional meeting." in mail.body
    with translation.override("en"):
        from django.utils.formats import date_format

        assert date_format(due, "DATE_FORMAT") in mail.body


def test_a_person_given_a_dimension_is_told_once_with_a_link_to_it(draft, quito):
    from collaboration.services import assignment_set

    _with(quito.editor, email="ed@quito.example", language="fr")
    dimension = draft.version.dimensions.get(code="HC")
    Mail.objects.all().delete()

    assignment_set(round=draft, actor=quito.approver, assignee=quito.editor, dimension=dimension)
    assignment_set(round=draft, actor=quito.approver, assignee=quito.editor, dimension=dimension)  # no change

    notification = Notification.objects.get(kind=Kind.ASSIGNED)
    assert notification.user == quito.editor
    mail = Mail.objects.get()
    assert f"/rounds/{draft.pk}/dimensions/HC/" in mail.body
    assert 'lang="fr"' in mail.html

    # A moved due date is news too: the assignee hears of it, with the new date.
    moved = date(2026, 6, 30)
    assignment_set(round=draft, actor=quito.approver, assignee=quito.editor, dimension=dimension, due_date=moved)
    latest = Notification.objects.filter(kind=Kind.ASSIGNED).latest("pk")
    assert Notification.objects.filter(kind=Kind.ASSIGNED).count() == 2
    assert (latest.user, latest.data["due_date"]) == (quito.editor, "2026-06-30")
    assert Mail.objects.count() == 2
