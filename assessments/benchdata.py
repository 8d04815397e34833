"""Benchmark data at scale: authorities with rounds in every status, written in bulk.

``populate`` is what the ``bench_*`` commands share: N authorities (slugs ``bench-0000`` …) × the
given periods × every indicator of a catalogue version. Earlier periods are validated (answers,
review items, frozen scores); the latest period holds a mix of drafts (partly answered),
submitted, returned and validated rounds, some of them published, so that every page has work.
Only bulk writes: callers run it inside a transaction they roll back.
"""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.utils import timezone

from coherence_site.bench import analyze
from indicators.models import CatalogueVersion

from . import scoring
from .models import Answer, Authority, Membership, ReviewItem, Round, ScoreSnapshot, SnapshotDimension, StatusEvent

PERIODS = ("2021", "2023", "2025")
S = Round.Status
# The latest period's statuses, authority by authority (the first four cover each status once).
LATEST = (
    S.SUBMITTED,
    S.DRAFT,
    S.RETURNED,
    S.VALIDATED,
    S.SUBMITTED,
    S.DRAFT,
    S.VALIDATED,
    S.SUBMITTED,
    S.VALIDATED,
    S.DRAFT,
)
BATCH = 5000


@dataclass(frozen=True)
class BenchWorld:
    """What ``populate`` made: a programme reviewer, an editor and an approver of the first authority."""

    reviewer: object
    editor: object
    approver: object
    authorities: list[Authority]
    rounds: list[Round]


def populate(
    version: CatalogueVersion, authorities: int, *, periods: tuple[str, ...] = PERIODS, seed: int = 2025
) -> BenchWorld:
    """Bulk-create ``authorities`` authorities × ``periods`` rounds with answers, reviews and snapshots."""
    rng = random.Random(seed)
    now = timezone.now()
    User = get_user_model()
    reviewer, editor, approver = User.objects.bulk_create(
        User(username=f"bench-{name}", email=f"bench-{name}@example.org") for name in ("reviewer", "editor", "approver")
    )
    reviewer.user_permissions.add(Permission.objects.get(codename="review_round"))
    kinds = list(Authority.Kind.values)
    created = Authority.objects.bulk_create(
        (
            Authority(
                name=f"Bench City {n:04d}",
                slug=f"bench-{n:04d}",
                kind=kinds[n % len(kinds)],
                country=f"Country {n % 40}",
                region=f"Region {n % 6}",
            )
            for n in range(authorities)
        ),
        batch_size=BATCH,
    )
    if created:
        Membership.objects.bulk_create(
            [
                Membership(user=editor, authority=created[0], role=Membership.Role.EDITOR),
                Membership(user=approver, authority=created[0], role=Membership.Role.APPROVER),
            ]
        )

    rounds = []
    for n, authority in enumerate(created):
        for p, period in enumerate(periods):
            latest = p == len(periods) - 1
            status = LATEST[n % len(LATEST)] if latest else S.VALIDATED
            submitted = now - timedelta(days=(len(periods) - p) * 700 - n % 300, minutes=n)
            rounds.append(
                Round(
                    authority=authority,
                    version=version,
                    period=period,
                    status=status,
                    submitted_at=None if status == S.DRAFT else submitted,
                    validated_at=submitted + timedelta(days=30) if status == S.VALIDATED else None,
                    submission_count=0 if status == S.DRAFT else 1,
                    publication_consent=status == S.VALIDATED and rng.random() < 0.5,
                )
            )
    rounds = Round.objects.bulk_create(rounds, batch_size=BATCH)

    indicators = list(version.indicators.select_related("dimension").order_by("dimension__order", "order"))
    weights = {i.code: str(i.weight) for i in indicators}
    answers, reviews, events, snapshots, dimension_rows = [], [], [], [], []
    for round in rounds:
        levels = {i.pk: min(4, max(0, int(rng.gauss(2, 1.1)))) for i in indicators}
        answered = rng.uniform(0.2, 0.9) if round.status == S.DRAFT else 1.0
        given = {i.pk for i in indicators if rng.random() < answered}
        answers += [
            Answer(
                round=round,
                indicator=i,
                response=Answer.Response.LEVEL if i.pk in given else Answer.Response.UNANSWERED,
                level=levels[i.pk] if i.pk in given else None,
                justification="bench" if i.pk in given else "",
                revision=1,
                updated_by=editor,
            )
            for i in indicators
        ]
        if round.status != S.DRAFT:
            events.append(StatusEvent(round=round, from_status=S.DRAFT, to_status=S.SUBMITTED, actor=approver))
        if round.status == S.RETURNED:
            returned = {i.pk for i in indicators[:: max(1, len(indicators) // 4)]}
            reviews += [
                ReviewItem(
                    round=round,
                    indicator=i,
                    comment="bench: please add evidence",
                    returned=True,
                    returned_state={
                        "response": "level",
                        "level": levels[i.pk],
                        "justification": "bench",
                        "evidence": [],
                    },
                    returned_comment="bench: please add evidence",
                    returned_cycle=1,
                    reviewer=reviewer,
                )
                for i in indicators
                if i.pk in returned
            ]
            events.append(StatusEvent(round=round, from_status=S.SUBMITTED, to_status=S.RETURNED, actor=reviewer))
        if round.status != S.VALIDATED:
            continue
        events.append(StatusEvent(round=round, from_status=S.SUBMITTED, to_status=S.VALIDATED, actor=reviewer))
        validated = {pk: max(0, level - (rng.random() < 0.2)) for pk, level in levels.items()}
        reviews += [
            ReviewItem(round=round, indicator=i, validated_level=validated[i.pk], reviewer=reviewer) for i in indicators
        ]
        sets = {}
        for name, chosen in (("self", levels), ("validated", validated)):
            dims: dict[str, tuple[bool, list]] = {}
            for i in indicators:
                dims.setdefault(i.dimension.code, (i.dimension.is_core, []))[1].append(
                    scoring.IndicatorInput(i.code, scoring.LEVEL, chosen[i.pk], weight=float(i.weight))
                )
            sets[name] = scoring.score_round(
                [scoring.DimensionInput(code, core, tuple(items)) for code, (core, items) in dims.items()]
            )
        snapshots.append(
            ScoreSnapshot(
                round=round,
                version=version,
                rules_version=scoring.RULES_VERSION,
                weights=weights,
                data={name: asdict(score) for name, score in sets.items()},
                self_headline=sets["self"].headline,
                validated_headline=sets["validated"].headline,
                validated_band=sets["validated"].band or "",
                completeness=sets["validated"].completeness,
                evidence_coverage=sets["validated"].evidence_coverage,
            )
        )
        dimension_rows.append(sets)
    Answer.objects.bulk_create(answers, batch_size=BATCH)
    ReviewItem.objects.bulk_create(reviews, batch_size=BATCH)
    StatusEvent.objects.bulk_create(events, batch_size=BATCH)
    ScoreSnapshot.objects.bulk_create(snapshots, batch_size=2000)
    SnapshotDimension.objects.bulk_create(
        (
            SnapshotDimension(
                snapshot=snapshot,
                score_set=name,
                dimension=d.code,
                core=d.core,
                score=d.score,
                band=d.band or "",
                completeness=d.completeness,
                evidence_coverage=d.evidence_coverage,
            )
            for snapshot, sets in zip(snapshots, dimension_rows, strict=True)
            for name, score in sets.items()
            for d in score.dimensions
        ),
        batch_size=BATCH,
    )
    analyze()
    return BenchWorld(reviewer=reviewer, editor=editor, approver=approver, authorities=created, rounds=rounds)
