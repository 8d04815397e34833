"""How far each assignment is answered, by the answer sheet's own count (``AnswerSheet.item``, ``scoring.progress``).

An assignment covers its indicator, or its dimension's indicators less those assigned on their own
(they go to whoever has them, even when the dimension is someone else's). Indicators of a dimension
left out of the round are not counted: the sheet leaves them out.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Count
from django.urls import reverse

from assessments import scoring
from assessments.models import Answer, Round
from assessments.sheet import SELF, AnswerSheet
from indicators.models import Indicator

from .models import Assignment


@dataclass(frozen=True)
class AssignmentRow:
    """One assignment as the pages show it: how far it is answered, whether it is late, where to answer it."""

    assignment: Assignment
    progress: scoring.Progress
    overdue: bool
    url: str

    @property
    def done(self) -> bool:
        return self.progress.answered == self.progress.indicators


def covered(assignment: Assignment, sheet: AnswerSheet, taken: set[int]) -> list[Indicator]:
    """The indicators of the round the assignment covers (``taken``: those assigned on their own)."""
    if assignment.indicator_id:
        return [i for i in sheet.indicators if i.pk == assignment.indicator_id]
    return [i for i in sheet.indicators if i.dimension_id == assignment.dimension_id and i.pk not in taken]


def _url(assignment: Assignment) -> str:
    if assignment.indicator_id:
        indicator = assignment.indicator
        return reverse("round_dimension", args=[assignment.round_id, indicator.dimension.code]) + (
            f"#indicator-{indicator.code}"
        )
    return reverse("round_dimension", args=[assignment.round_id, assignment.dimension.code])


def assignment_rows(
    assignments: Iterable[Assignment],
    sheets: dict[int, AnswerSheet],
    today: datetime.date,
    *,
    of_round: Iterable[Assignment] | None = None,
) -> list[AssignmentRow]:
    """Each assignment with its progress, read from its round's sheet (``sheets``: round id → sheet).

    ``of_round``: every assignment of those rounds, when ``assignments`` are only some of them (one
    person's), so that a dimension's count leaves out the indicators someone has on their own.
    """
    assignments = list(assignments)
    taken: dict[int, set[int]] = {}
    for other in assignments if of_round is None else of_round:
        if other.indicator_id:
            taken.setdefault(other.round_id, set()).add(other.indicator_id)
    rows = []
    for assignment in assignments:
        sheet = sheets[assignment.round_id]
        indicators = covered(assignment, sheet, taken.get(assignment.round_id, set()))
        progress = scoring.progress([sheet.item(indicator, SELF) for indicator in indicators])
        late = assignment.due_date is not None and assignment.due_date < today
        rows.append(
            AssignmentRow(
                assignment=assignment,
                progress=progress,
                overdue=late and progress.answered < progress.indicators,
                url=_url(assignment),
            )
        )
    return rows


def progress_sheets(rounds: Iterable[Round]) -> dict[int, AnswerSheet]:
    """The answer sheets of several rounds, enough for progress, in three queries whatever their number.

    Like ``assessments.sheet.answer_sheet`` less the review items and the evidence kept by other apps,
    which progress does not read.
    """
    rounds = {round.pk: round for round in rounds}
    if not rounds:
        return {}
    left_out: dict[int, set[int]] = {}
    for round_id, dimension_id in Round.omitted_dimensions.through.objects.filter(round_id__in=rounds).values_list(
        "round_id", "dimension_id"
    ):
        left_out.setdefault(round_id, set()).add(dimension_id)
    indicators = list(
        Indicator.objects.filter(version_id__in={r.version_id for r in rounds.values()})
        .select_related("dimension")
        .in_catalogue_order()
    )
    answers: dict[int, dict[int, Answer]] = {round_id: {} for round_id in rounds}
    for answer in Answer.objects.filter(round_id__in=rounds).annotate(evidence_count=Count("evidence")):
        answers[answer.round_id][answer.indicator_id] = answer
    sheets = {}
    for round_id, round in rounds.items():
        kept = [
            i
            for i in indicators
            if i.version_id == round.version_id and i.dimension_id not in left_out.get(round_id, set())
        ]
        dimensions = {i.dimension_id: i.dimension for i in indicators if i.version_id == round.version_id}
        sheets[round_id] = AnswerSheet(
            round=round,
            dimensions=tuple(dimensions.values()),
            indicators=tuple(kept),
            answers=answers[round_id],
            reviews={},
        )
    return sheets
