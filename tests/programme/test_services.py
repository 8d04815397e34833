"""Campaigns: opening rounds for many authorities at once, moving one authority's due date, closing."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from assessments.access import AccessDenied
from assessments.models import Authority, Round, StatusEvent
from assessments.services import WorkflowError, round_set_due_date, rounds_open
from programme.models import Campaign, Extension, Participant
from programme.services import campaign_close, campaign_extend, campaign_open
from tests.factories import AuthorityFactory, UserFactory, VersionFactory


@pytest.fixture
def coordinator(db):
    group, _created = Group.objects.get_or_create(name="Programme coordinators")
    group.permissions.add(Permission.objects.get(codename="open_rounds"))
    user = UserFactory(username="cora-coordinator")
    user.groups.add(group)
    return user


def in_days(days: int):
    return timezone.localdate() + timedelta(days=days)


def open_campaign(actor, authorities, catalogue, *, period="2027", due_date=None, name="2027 cycle"):
    return campaign_open(
        actor=actor,
        name=name,
        period=period,
        version=catalogue,
        due_date=due_date or in_days(90),
        authorities=authorities,
        message="Please fill in by the due date.",
    )


def written() -> dict[str, int]:
    return {
        "campaigns": Campaign.objects.count(),
        "participants": Participant.objects.count(),
        "rounds": Round.objects.count(),
        "events": StatusEvent.objects.count(),
        "extensions": Extension.objects.count(),
    }


# --- campaign_open --------------------------------------------------------------------------------


def test_opening_a_campaign_opens_a_draft_round_per_authority_each_with_its_history(coordinator, catalogue):
    authorities = AuthorityFactory.create_batch(3)
    due = in_days(90)

    campaign, participants = open_campaign(coordinator, authorities, catalogue, due_date=due)

    assert (campaign.period, campaign.version, campaign.due_date, campaign.created_by) == (
        "2027",
        catalogue,
        due,
        coordinator,
    )
    assert campaign.is_open
    rounds = Round.objects.filter(period="2027")
    assert {r.authority_id for r in rounds} == {a.pk for a in authorities}
    assert {(r.status, r.due_date, r.version_id) for r in rounds} == {(Round.Status.DRAFT, due, catalogue.pk)}
    assert all(p.opened for p in participants)
    assert set(Participant.objects.filter(campaign=campaign).values_list("round_id", flat=True)) == {
        r.pk for r in rounds
    }
    events = StatusEvent.objects.filter(round__in=rounds)
    assert events.count() == 3
    assert {(e.from_status, e.to_status, e.actor_id) for e in events} == {("", Round.Status.DRAFT, coordinator.pk)}
    assert all("2027 cycle" in e.note for e in events)


def test_an_authority_that_has_a_round_for_the_period_is_skipped_and_kept_as_not_opened(
    coordinator, catalogue, quito, draft
):
    others = AuthorityFactory.create_batch(2)
    events_before = StatusEvent.objects.filter(round=draft).count()

    campaign, participants = open_campaign(coordinator, [quito.authority, *others], catalogue, period="2025")

    by_authority = {p.authority_id: p for p in participants}
    assert by_authority[quito.authority.pk].opened is False
    assert by_authority[quito.authority.pk].round == draft
    assert all(by_authority[a.pk].opened for a in others)
    assert Round.objects.filter(authority=quito.authority, period="2025").count() == 1
    draft.refresh_from_db()
    assert draft.due_date is None  # the round it already had is left as it was
    assert StatusEvent.objects.filter(round=draft).count() == events_before
    assert Participant.objects.filter(campaign=campaign).count() == 3


def test_the_same_authority_given_twice_is_opened_once(coordinator, catalogue):
    authority = AuthorityFactory()

    _campaign, participants = open_campaign(coordinator, [authority, authority], catalogue)

    assert len(participants) == 1
    assert Round.objects.filter(authority=authority).count() == 1


@pytest.mark.parametrize(
    "change, message",
    [
        ({"due_date": timezone.localdate() - timedelta(days=1)}, "past"),
        ({"authorities": []}, "at least one authority"),
        ({"period": "  "}, "period"),
    ],
    ids=["past-due-date", "no-authority", "blank-period"],
)
def test_a_campaign_is_refused_with_nothing_written(coordinator, catalogue, change, message):
    values = {
        "actor": coordinator,
        "name": "2027 cycle",
        "period": "2027",
        "version": catalogue,
        "due_date": in_days(30),
        "authorities": AuthorityFactory.create_batch(2),
    } | change
    before = written()

    with pytest.raises(WorkflowError, match=message):
        campaign_open(**values)

    assert written() == before


def test_a_campaign_on_an_unpublished_catalogue_version_is_refused_with_nothing_written(coordinator, catalogue):
    draft_version = VersionFactory()
    before = written()

    with pytest.raises(WorkflowError, match="published"):
        open_campaign(coordinator, AuthorityFactory.create_batch(2), draft_version)

    assert written() == before


@pytest.mark.parametrize("who", ["reviewer", "approver", "editor"])
def test_only_a_coordinator_may_open_a_campaign(catalogue, quito, reviewer, who):
    actor = {"reviewer": reviewer, "approver": quito.approver, "editor": quito.editor}[who]
    before = written()

    with pytest.raises(AccessDenied):
        open_campaign(actor, [quito.authority], catalogue)

    assert written() == before


def test_an_administrator_may_open_a_campaign(catalogue):
    admin = UserFactory(username="root", is_superuser=True)

    _campaign, participants = open_campaign(admin, AuthorityFactory.create_batch(2), catalogue)

    assert len(participants) == 2


def test_opening_a_campaign_takes_as_many_queries_for_thirty_authorities_as_for_three(coordinator, catalogue):
    AuthorityFactory.create_batch(33)
    few = list(Authority.objects.order_by("pk")[:3])
    many = list(Authority.objects.order_by("pk")[3:])
    # An authority of each list already has a round for the period: skips are read in bulk too.
    for authority in (few[0], many[0]):
        Round.objects.create(authority=authority, period="2027", version=catalogue)

    counts = []
    for authorities, name in ((few, "few"), (many, "many")):
        actor = type(coordinator).objects.get(pk=coordinator.pk)  # no permission cache carried between the two
        with CaptureQueriesContext(connection) as queries:
            open_campaign(actor, authorities, catalogue, name=name)
        counts.append(len(queries))

    assert Participant.objects.filter(campaign__name="many", opened=True).count() == 29
    assert counts[0] == counts[1], counts


# --- rounds_open (assessments) --------------------------------------------------------------------


def test_rounds_open_returns_the_opened_and_the_skipped_rounds(coordinator, catalogue, quito, draft):
    other = AuthorityFactory()

    result = rounds_open(authorities=[quito.authority, other], period="2025", actor=coordinator, note="Campaign")

    assert result.skipped == [draft]
    assert [r.authority_id for r in result.opened] == [other.pk]
    assert result.opened[0].version == catalogue
    assert StatusEvent.objects.get(round=result.opened[0]).note == "Campaign"


def test_rounds_open_refuses_an_approver_of_one_authority(quito, catalogue):
    with pytest.raises(AccessDenied):
        rounds_open(authorities=[quito.authority], period="2027", actor=quito.approver)

    assert not Round.objects.exists()


# --- campaign_extend and round_set_due_date -------------------------------------------------------


@pytest.fixture
def campaign(coordinator, catalogue, quito):
    campaign, _participants = open_campaign(coordinator, [quito.authority, AuthorityFactory()], catalogue)
    return campaign


def quito_in(campaign, quito) -> Participant:
    return Participant.objects.select_related("round").get(campaign=campaign, authority=quito.authority)


def test_extending_moves_the_rounds_due_date_and_records_the_extension_and_the_history(campaign, coordinator, quito):
    participant = quito_in(campaign, quito)
    old, new = campaign.due_date, campaign.due_date + timedelta(days=21)

    extension = campaign_extend(participant=participant, actor=coordinator, due_date=new, reason="Elections in May")

    participant.round.refresh_from_db()
    assert participant.round.due_date == new
    assert (extension.old_date, extension.new_date, extension.reason, extension.by) == (
        old,
        new,
        "Elections in May",
        coordinator,
    )
    event = StatusEvent.objects.filter(round=participant.round).last()
    assert (event.from_status, event.to_status, event.actor) == (Round.Status.DRAFT, Round.Status.DRAFT, coordinator)
    assert str(old) in event.note and str(new) in event.note and "Elections in May" in event.note
    # The other authority of the campaign keeps its date.
    other = Participant.objects.filter(campaign=campaign).exclude(pk=participant.pk).get()
    assert other.round.due_date == old


def test_extending_a_closed_campaign_is_refused_with_nothing_written(campaign, coordinator, quito):
    campaign_close(campaign=campaign, actor=coordinator)
    before = written()

    with pytest.raises(WorkflowError, match="closed"):
        campaign_extend(participant=quito_in(campaign, quito), actor=coordinator, due_date=in_days(200))

    assert written() == before


def test_extending_a_validated_round_is_refused_with_nothing_written(campaign, coordinator, quito):
    Round.objects.filter(pk=quito_in(campaign, quito).round_id).update(
        status=Round.Status.VALIDATED, validated_at=timezone.now()
    )
    before = written()

    with pytest.raises(WorkflowError, match="validated"):
        campaign_extend(participant=quito_in(campaign, quito), actor=coordinator, due_date=in_days(200))

    assert written() == before


@pytest.mark.parametrize("by", ["hand", "another campaign"])
def test_extending_a_skipped_authority_is_refused_with_nothing_written(coordinator, catalogue, quito, draft, by):
    if by == "another campaign":
        Round.objects.filter(pk=draft.pk).delete()
        _first, (first,) = open_campaign(coordinator, [quito.authority], catalogue, period=draft.period, name="First")
        draft = first.round
    campaign, _participants = open_campaign(coordinator, [quito.authority], catalogue, period=draft.period)
    participant = quito_in(campaign, quito)
    assert (participant.opened, participant.round_id) == (False, draft.pk)
    due_date = Round.objects.get(pk=draft.pk).due_date
    before = written()

    with pytest.raises(WorkflowError, match="skipped"):
        campaign_extend(participant=participant, actor=coordinator, due_date=in_days(200))

    assert written() == before
    assert Round.objects.get(pk=draft.pk).due_date == due_date


@pytest.mark.parametrize("days, message", [(-1, "past"), (None, "already due")], ids=["past-date", "unchanged-date"])
def test_extending_to_a_past_or_the_same_date_is_refused_with_nothing_written(
    campaign, coordinator, quito, days, message
):
    due_date = campaign.due_date if days is None else in_days(days)
    before = written()

    with pytest.raises(WorkflowError, match=message):
        campaign_extend(participant=quito_in(campaign, quito), actor=coordinator, due_date=due_date)

    assert written() == before


@pytest.mark.parametrize("who", ["reviewer", "approver"])
def test_only_a_coordinator_may_extend_a_due_date(campaign, quito, reviewer, who):
    actor = {"reviewer": reviewer, "approver": quito.approver}[who]
    before = written()

    with pytest.raises(AccessDenied):
        campaign_extend(participant=quito_in(campaign, quito), actor=actor, due_date=in_days(200))

    assert written() == before


def test_round_set_due_date_refuses_an_approver_even_of_the_round(draft, quito):
    with pytest.raises(AccessDenied):
        round_set_due_date(round=draft, actor=quito.approver, due_date=in_days(10))

    draft.refresh_from_db()
    assert draft.due_date is None


def test_round_set_due_date_gives_a_round_without_one_its_first_due_date(draft, coordinator):
    round = round_set_due_date(round=draft, actor=coordinator, due_date=in_days(10))

    assert Round.objects.get(pk=draft.pk).due_date == round.due_date == in_days(10)
    assert "—" in StatusEvent.objects.filter(round=draft).last().note


# --- campaign_close -------------------------------------------------------------------------------


def test_closing_a_campaign_records_who_and_when_and_leaves_its_rounds_as_they_are(campaign, coordinator):
    statuses = dict(Round.objects.values_list("pk", "status"))

    campaign_close(campaign=campaign, actor=coordinator)

    campaign.refresh_from_db()
    assert not campaign.is_open
    assert campaign.closed_by == coordinator and campaign.closed_at is not None
    assert dict(Round.objects.values_list("pk", "status")) == statuses
    assert Campaign.objects.open().count() == 0


def test_a_closed_campaign_cannot_be_closed_again(campaign, coordinator):
    campaign_close(campaign=campaign, actor=coordinator)

    with pytest.raises(WorkflowError, match="already closed"):
        campaign_close(campaign=campaign, actor=coordinator)


def test_only_a_coordinator_may_close_a_campaign(campaign, reviewer):
    with pytest.raises(AccessDenied):
        campaign_close(campaign=campaign, actor=reviewer)

    campaign.refresh_from_db()
    assert campaign.is_open


def test_a_round_opened_by_a_campaign_is_the_citys_to_fill_in_and_not_the_coordinators_to_read(
    campaign, quito, coordinator
):
    round = quito_in(campaign, quito).round

    assert Round.objects.editable_by(quito.editor).filter(pk=round.pk).exists()
    assert not Round.objects.visible_to(coordinator).exists()
