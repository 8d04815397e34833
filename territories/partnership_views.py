"""Pages of partner territories: the user's partnerships, a proposal, and two partners side by side.

Every partnership comes through ``access.partnerships_of`` (the user's authorities', or all for
programme staff): anyone else's is a 404. A partnership shows the partners' decentralised
cooperation (DC) only once both approvers have confirmed it (``access.partner_view_open``); before,
its members see its status and nothing of the other side. Proposing, confirming and ending are
the approvers' (``services`` refuses anyone else: a 403 page that says why); shared evidence is any
member's of either side, removed by the side that added it, downloaded by members of both sides.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.db.models import Exists, OuterRef, Subquery
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from assessments.access import AccessDenied
from assessments.http import refused_page
from assessments.models import Answer, Authority, Band, Membership, Round, SnapshotDimension
from assessments.uploads import StorageUnavailable, file_response
from indicators.models import Indicator
from indicators.rules import Level

from . import access, services
from .models import Partnership, PartnershipEvidence
from .partnership_forms import EvidenceForm, ProposeForm

# The dimension partners see of each other: decentralised cooperation.
DC = "DC"
APPROVER = Membership.Role.APPROVER

CONFIRMED, WAITING_PARTNER, WAITING_YOU, PENDING = "confirmed", "waiting_partner", "waiting_you", "pending"


def _memberships(user) -> dict[int, set[str]]:
    """The user's roles on each authority they are a member of (one query)."""
    roles: dict[int, set[str]] = {}
    if user.is_authenticated:
        for authority_id, role in Membership.objects.filter(user=user).values_list("authority_id", "role"):
            roles.setdefault(authority_id, set()).add(role)
    return roles


@dataclass(frozen=True)
class Row:
    """A partnership as the user sees it: their side, the partner, its state, what they may do to it."""

    partnership: Partnership
    mine: Authority
    partner: Authority
    state: str  # CONFIRMED, WAITING_PARTNER, WAITING_YOU, or PENDING (for staff, members of neither side)
    can_confirm: bool
    can_end: bool


def _row(partnership: Partnership, roles: dict[int, set[str]]) -> Row:
    sides = [a for a in (partnership.first, partnership.second) if a.pk in roles]
    mine = sides[0] if sides else partnership.first
    partner = partnership.partner_of(mine.pk)
    if partnership.confirmed:
        state = CONFIRMED
    elif not sides:
        state = PENDING
    else:
        state = WAITING_PARTNER if partnership.confirmed_by_side(mine.pk) else WAITING_YOU
    approves = [a.pk for a in sides if APPROVER in roles[a.pk]]
    return Row(
        partnership=partnership,
        mine=mine,
        partner=partner,
        state=state,
        can_confirm=any(not partnership.confirmed_by_side(pk) for pk in approves),
        can_end=bool(approves),
    )


def _partnership(request: HttpRequest, pk: int) -> Partnership:
    """The partnership, if it is one of the user's authorities' (or the user is programme staff); a 404 otherwise."""
    return get_object_or_404(access.partnerships_of(request.user).select_related("first", "second"), pk=pk)


# --- the list and the proposal -------------------------------------------------------------------


def _propose_form(request: HttpRequest, roles: dict[int, set[str]], data=None) -> ProposeForm | None:
    """The proposal form for the authorities the user approves, or None if they approve none."""
    approves = [pk for pk, held in roles.items() if APPROVER in held]
    if not approves:
        return None
    everyone = list(Authority.objects.only("pk", "name", "slug", "country").order_by("country", "name", "pk"))
    mine = sorted((a for a in everyone if a.pk in approves), key=lambda a: (a.name, a.pk))
    return ProposeForm(data, authorities=mine, partners=everyone)


def _list_page(request: HttpRequest, roles: dict[int, set[str]], form: ProposeForm | None, status: int = 200):
    partnerships = access.partnerships_of(request.user).select_related("first", "second")
    rows = sorted((_row(p, roles) for p in partnerships), key=lambda r: (r.partner.name, r.mine.name, r.partnership.pk))
    groups = {
        state: [r for r in rows if r.state == state] for state in (WAITING_YOU, CONFIRMED, WAITING_PARTNER, PENDING)
    }
    return render(
        request,
        "territories/partnership/list.html",
        {"groups": groups, "any": bool(rows), "member": bool(roles), "form": form},
        status=status,
    )


def partnership_list(request: HttpRequest) -> HttpResponse:
    """The user's authorities' partnerships (confirmed, waiting for the partner, waiting for them), and a proposal."""
    roles = _memberships(request.user)
    if request.method != "POST":
        return _list_page(request, roles, _propose_form(request, roles))
    form = _propose_form(request, roles, request.POST)
    if form is None:
        return refused_page(
            request, _("Only an approver of an authority can propose a partnership."), reverse("partnership_list"), 403
        )
    if form.is_valid():
        try:
            partnership = services.partnership_propose(actor=request.user, **form.values())
        except AccessDenied as denied:
            return refused_page(request, str(denied), reverse("partnership_list"), status=403)
        except services.TerritoryError as error:
            form.add_error(None, error)
        else:
            partner = form.values()["partner"]
            messages.success(
                request,
                _(
                    "The partnership with %(partner)s is proposed. It shows nothing until an approver of %(partner)s confirms it."
                )
                % {"partner": partner.name},
            )
            return redirect("partnership_detail", partnership.pk)
    return _list_page(request, roles, form, status=422)


# --- two partners side by side -------------------------------------------------------------------


@dataclass(frozen=True)
class Side:
    """One partner as the other sees it: its latest submitted or validated round, and its latest validated DC score."""

    authority: Authority
    round: Round | None  # submitted or validated: never a draft, nor a returned round open to changes
    left_out: bool  # that round leaves the DC dimension out
    score: SnapshotDimension | None  # frozen at validation, with its snapshot's round; never recomputed

    @property
    def band(self) -> str:
        return Band(self.score.band).label if self.score and self.score.band else ""


@dataclass(frozen=True)
class Cell:
    """One side's answer to one DC indicator: its level or response in words, and its justification."""

    shown: bool  # the side has a round that keeps the DC dimension
    label: str
    justification: str


@dataclass(frozen=True)
class IndicatorRow:
    code: str
    question: str
    cells: list[Cell]


def _cell(side: Side, answer: Answer | None) -> Cell:
    if side.round is None or side.left_out:
        return Cell(False, "", "")
    if answer is None or not answer.response:
        return Cell(True, _("Not answered"), "")
    if answer.response == Answer.Response.LEVEL:
        label = f"{answer.level} · {Level(answer.level).label}"
    else:
        label = str(Answer.Response(answer.response).label)
    return Cell(True, label, answer.justification)


def partnership_sides(partnership: Partnership, first_id: int) -> tuple[list[Side], list[IndicatorRow]]:
    """Both partners' DC side by side, ``first_id``'s first (five queries, whatever the rounds and indicators)."""
    shared_rounds = Round.objects.filter(
        authority_id=OuterRef("pk"), status__in=[Round.Status.SUBMITTED, Round.Status.VALIDATED]
    )
    scores = SnapshotDimension.objects.filter(
        snapshot__round__authority_id=OuterRef("pk"), score_set=SnapshotDimension.ScoreSet.VALIDATED, dimension=DC
    )
    found = Authority.objects.filter(pk__in=[partnership.first_id, partnership.second_id]).annotate(
        shared_round=Subquery(shared_rounds.order_by("-period", "-pk").values("pk")[:1]),
        dc_score=Subquery(scores.order_by("-snapshot__round__period", "-snapshot__round_id").values("pk")[:1]),
    )
    authorities = sorted(found, key=lambda a: (a.pk != first_id, a.pk))
    left_out = Round.omitted_dimensions.through.objects.filter(round_id=OuterRef("pk"), dimension__code=DC)
    rounds = {
        r.pk: r
        for r in Round.objects.filter(pk__in=[a.shared_round for a in authorities if a.shared_round]).annotate(
            dc_left_out=Exists(left_out)
        )
    }
    frozen = {
        s.pk: s
        for s in SnapshotDimension.objects.filter(
            pk__in=[a.dc_score for a in authorities if a.dc_score]
        ).select_related("snapshot__round")
    }
    sides = [
        Side(
            authority=a,
            round=rounds.get(a.shared_round),
            left_out=bool(a.shared_round and rounds[a.shared_round].dc_left_out),
            score=frozen.get(a.dc_score),
        )
        for a in authorities
    ]
    kept = [s.round for s in sides if s.round and not s.left_out]
    indicators: dict[str, Indicator] = {}
    for indicator in Indicator.objects.filter(version_id__in={r.version_id for r in kept}, dimension__code=DC).order_by(
        "order", "code", "pk"
    ):
        indicators.setdefault(indicator.code, indicator)
    answers = {
        (a.round_id, a.indicator.code): a
        for a in Answer.objects.counted()
        .filter(round__in=kept, indicator__dimension__code=DC)
        .select_related("indicator")
    }
    rows = [
        IndicatorRow(
            code=code,
            question=indicator.question,
            cells=[_cell(side, answers.get((side.round.pk, code)) if side.round else None) for side in sides],
        )
        for code, indicator in indicators.items()
    ]
    return sides, rows


def _detail_page(request: HttpRequest, partnership: Partnership, form: EvidenceForm | None = None, status: int = 200):
    roles = _memberships(request.user)
    row = _row(partnership, roles)
    context = {"partnership": partnership, "row": row, "open": access.partner_view_open(request.user, partnership)}
    if context["open"]:
        sides, indicators = partnership_sides(partnership, row.mine.pk)
        member = partnership.first_id in roles or partnership.second_id in roles
        context |= {
            "sides": sides,
            "indicators": indicators,
            "evidence": list(partnership.evidence.select_related("authority", "added_by")),
            "member": member,
            "my_sides": set(roles) & {partnership.first_id, partnership.second_id},
            "form": (form or EvidenceForm()) if member else None,
        }
    return render(request, "territories/partnership/detail.html", context, status=status)


def partnership_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Once both have confirmed: the two partners' DC answers and validated scores, and their shared evidence."""
    return _detail_page(request, _partnership(request, pk))


@require_POST
def partnership_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    """Confirm the user's side of a proposed partnership (an approver of the partner it was proposed to)."""
    partnership = _partnership(request, pk)
    back = reverse("partnership_detail", args=[pk])
    try:
        partnership = services.partnership_confirm(partnership=partnership, actor=request.user)
    except AccessDenied as denied:
        return refused_page(request, str(denied), back, status=403)
    except services.TerritoryError as error:
        return refused_page(request, " ".join(error.messages), reverse("partnership_list"))
    if partnership.confirmed:
        messages.success(
            request, _("The partnership is confirmed: both partners now see each other's decentralised cooperation.")
        )
    else:
        messages.info(
            request, _("Your side has confirmed; the partnership shows nothing until the partner confirms too.")
        )
    return redirect(back)


def partnership_end(request: HttpRequest, pk: int) -> HttpResponse:
    """Ask for confirmation (GET), then end the partnership, or decline or withdraw the proposal (POST)."""
    partnership = _partnership(request, pk)
    row = _row(partnership, _memberships(request.user))
    back = reverse("partnership_detail", args=[pk])
    if not row.can_end:
        return refused_page(request, _("Only an approver of one of the two partners can do this."), back, status=403)
    if request.method != "POST":
        return render(request, "territories/partnership/confirm_end.html", {"partnership": partnership, "row": row})
    try:
        services.partnership_end(partnership=partnership, actor=request.user)
    except AccessDenied as denied:
        return refused_page(request, str(denied), back, status=403)
    except services.TerritoryError as error:
        return refused_page(request, " ".join(error.messages), reverse("partnership_list"))
    if row.state == CONFIRMED:
        done = _("The partnership with %(partner)s is ended; its shared evidence is removed.")
    elif row.state == WAITING_YOU:
        done = _("The proposal of %(partner)s is declined.")
    else:
        done = _("The proposal to %(partner)s is withdrawn.")
    messages.success(request, done % {"partner": row.partner.name})
    return redirect("partnership_list")


# --- shared evidence -----------------------------------------------------------------------------


@require_POST
def partnership_evidence_add(request: HttpRequest, pk: int) -> HttpResponse:
    """Share a file or a link with the partner (a member of either side, once both have confirmed)."""
    partnership = _partnership(request, pk)
    back = reverse("partnership_detail", args=[pk])
    form = EvidenceForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.partnership_evidence_add(partnership=partnership, actor=request.user, **form.cleaned_data)
        except AccessDenied as denied:
            return refused_page(request, str(denied), back, status=403)
        except StorageUnavailable as error:  # the store refused the file: nothing was shared
            form.add_error(None, error)
        except services.TerritoryError as error:
            if not partnership.confirmed:
                return refused_page(request, " ".join(error.messages), back)
            form.add_error(None, error)
        else:
            messages.success(request, _("The evidence is shared with the partner."))
            return redirect(back + "#evidence")
    if not access.partner_view_open(request.user, partnership):
        return refused_page(request, _("Both partners must confirm the partnership first."), back)
    return _detail_page(request, partnership, form, status=422)


def _evidence(request: HttpRequest, pk: int) -> PartnershipEvidence:
    """Shared evidence of one of the user's authorities' partnerships (a 404 otherwise)."""
    visible = PartnershipEvidence.objects.filter(partnership__in=access.partnerships_of(request.user))
    return get_object_or_404(visible.select_related("partnership"), pk=pk)


@require_POST
def partnership_evidence_remove(request: HttpRequest, pk: int) -> HttpResponse:
    """Remove shared evidence (a member of the side that added it)."""
    evidence = _evidence(request, pk)
    back = reverse("partnership_detail", args=[evidence.partnership_id])
    try:
        services.partnership_evidence_remove(evidence=evidence, actor=request.user)
    except AccessDenied as denied:
        return refused_page(request, str(denied), back, status=403)
    except services.TerritoryError as error:
        return refused_page(request, " ".join(error.messages), reverse("partnership_list"))
    messages.success(request, _("The evidence is removed."))
    return redirect(back + "#evidence")


def partnership_evidence_file(request: HttpRequest, pk: int) -> HttpResponse:
    """Send a shared file as an attachment, to the members of both partners."""
    evidence = _evidence(request, pk)
    partnership = evidence.partnership
    if not evidence.file or not partnership.confirmed:
        raise Http404
    if not (
        access.is_member(request.user, partnership.first_id) or access.is_member(request.user, partnership.second_id)
    ):
        return refused_page(
            request,
            _("Only the members of the two partners can download what they share."),
            reverse("partnership_detail", args=[partnership.pk]),
            status=403,
        )
    return file_response(evidence.file, evidence.filename)
