"""Levels and territories in the authority's own data export (``assessments.slots.EXPORT``).

What the city sees and no more: the counterpart's answers once the comparison is open (both sides
submitted, ``access.comparison_open``); a partnership's shared evidence once both sides confirmed
(before that, only what the authority's own side added).
"""

from __future__ import annotations

from django.db.models import Case, F, Q, When
from django.utils.translation import gettext as _

from assessments.export import person_of, query_table, stored_files, stored_path
from assessments.models import Round

from .models import Counterpart, CounterpartAnswer, Partnership, PartnershipEvidence, RollupConsent

SHARED_FILES = "territories/partnership_files"


def _shared_file(row: dict) -> dict:
    name = row["file_in_archive"]
    where = stored_path(str(row["partnership_id"]), row["evidence_id"], row["file_name"] or name)
    row["file_in_archive"] = f"{SHARED_FILES}/{where}" if name else ""
    return row


def territories_export(authority) -> list:
    """Counterparts and their answers, consents to the parent's view, partnerships and their shared evidence."""
    partnerships = Partnership.objects.of(authority.pk)
    # The partner's side and this side, whichever of first and second the authority is.
    mine_first = Q(first_id=authority.pk)
    evidence = PartnershipEvidence.objects.filter(
        Q(partnership__in=partnerships.confirmed()) | Q(partnership__in=partnerships, authority=authority)
    ).order_by("partnership_id", "pk")
    return [
        query_table(
            "territories/counterparts",
            _("National or regional counterparts invited to answer a round's mirrored indicators."),
            Counterpart.objects.filter(round__authority=authority).order_by("round__period"),
            {
                "round_id": "round_id",
                "period": "round__period",
                "level_of_government": "level",
                "organisation": "organisation",
                "person": person_of("user"),
                "invited_by": person_of("invited_by"),
                "invited_at": "invited_at",
                "submitted_at": "submitted_at",
            },
            labels={"level_of_government": dict(Counterpart.Level.choices)},
        ),
        query_table(
            "territories/counterpart_answers",
            _("The counterparts' answers, once both sides have submitted (as the comparison shows them)."),
            CounterpartAnswer.objects.filter(
                counterpart__round__authority=authority,
                counterpart__submitted_at__isnull=False,
                counterpart__round__status__in=(Round.Status.SUBMITTED, Round.Status.VALIDATED),
            ).order_by("counterpart__round__period", "indicator__code"),
            {
                "round_id": "counterpart__round_id",
                "period": "counterpart__round__period",
                "indicator": "indicator__code",
                "response": "response",
                "level": "level",
                "justification": "justification",
                "saved_at": "updated_at",
            },
            labels={"response": dict(CounterpartAnswer.Response.choices)},
        ),
        query_table(
            "territories/parent_consents",
            _("Rounds shared with the region or province the authority belongs to."),
            RollupConsent.objects.filter(round__authority=authority).order_by("round__period"),
            {
                "round_id": "round_id",
                "period": "round__period",
                "shared_with": "parent__name",
                "given_by": person_of("given_by"),
                "given_at": "given_at",
            },
        ),
        query_table(
            "territories/partnerships",
            _("Decentralised-cooperation partnerships: the partner, what it does, who confirmed them and when."),
            partnerships.order_by("pk"),
            {
                "partnership_id": "pk",
                "partner": Case(When(mine_first, then=F("second__name")), default=F("first__name")),
                "description": "description",
                "proposed_by": person_of("proposed_by"),
                "proposed_at": "proposed_at",
                "confirmed_for_the_authority_at": Case(
                    When(mine_first, then=F("first_confirmed_at")), default=F("second_confirmed_at")
                ),
                "confirmed_by_the_partner_at": Case(
                    When(mine_first, then=F("second_confirmed_at")), default=F("first_confirmed_at")
                ),
            },
        ),
        query_table(
            "territories/partnership_evidence",
            _("Evidence shared in partnerships (files and links), by either side once both confirmed."),
            evidence,
            {
                "evidence_id": "pk",
                "partnership_id": "partnership_id",
                "added_for": "authority__name",
                "title": "title",
                "file_in_archive": "file",
                "file_name": "filename",
                "link": "url",
                "added_by": person_of("added_by"),
                "added_at": "created_at",
            },
            row=_shared_file,
        ),
        stored_files(
            SHARED_FILES,
            _("Files shared in partnerships, by partnership (territories/partnership_evidence.csv says which)."),
            evidence.only("pk", "partnership_id", "file", "filename"),
            lambda item: stored_path(str(item.partnership_id), item.pk, item.filename or item.file.name),
        ),
    ]
