"""Pages of the assessment workflow. Every object is fetched through a permission scope.

Who may do what is ``access.GRANTS``'s to say: views fetch rounds with ``_round`` (a 404 for a round
the user may not see, a 403 page for an action their role does not allow now) and hand templates
the user's ``capabilities``, never a role.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import InterfaceError, OperationalError
from django.db.models import CharField, F, Prefetch, TextField, Value, prefetch_related_objects
from django.http import Http404, HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import escape
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from indicators.models import CatalogueVersion, Dimension, Indicator, Level
from indicators.rules import Response

from . import access, moving, scoring, services, slots
from .access import Capability
from .forms import (
    COMMENT_MAX_LENGTH,
    AnswerForm,
    CommentForm,
    EvidenceForm,
    LogoForm,
    QueueFilterForm,
    ReviewDecisionForm,
    RoundCreateForm,
)
from .http import refused_page
from .models import (
    Answer,
    AnswerRevision,
    Authority,
    Band,
    Comment,
    Evidence,
    Membership,
    ReviewItem,
    Round,
    StatusEvent,
    Thread,
    answer_changes,
    is_reviewer,
    threads_by_indicator,
)
from .sheet import (
    SELF,
    VALIDATED,
    AnswerSheet,
    answer_needs,
    answer_sheet,
    is_kept,
    kept,
    last_validated_levels,
    request_sheet,
    round_scores,
    score_rows,
    with_kept_dimensions,
)
from .uploads import LOGO_CONTENT_TYPES, StorageUnavailable, data_uri, file_response

QUEUE_PAGE_SIZE = 25


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _round(request: HttpRequest, pk: int, capability: Capability = Capability.VIEW) -> Round:
    """The round, if the user may see it (a 404 otherwise, whoever owns it) and do ``capability`` now (AccessDenied)."""
    round = access.access_round(
        request.user,
        pk,
        rounds=with_kept_dimensions(Round.objects.select_related("authority", "version", "started_from")),
    )
    if capability not in access.request_capabilities(request, round):  # asked once; the page and its slots reuse it
        access.require(request.user, capability, round)  # refuses, saying why
    return round


def _indicator(round: Round, code: str) -> Indicator:
    return get_object_or_404(
        Indicator.objects.select_related("dimension").prefetch_related("examples", "resources"),
        version_id=round.version_id,
        code=code,
    )


def _denied(request: HttpRequest, denied: access.AccessDenied, pk: int) -> HttpResponse:
    """Refuse an action the user's role does not allow now: a 403 page that says why."""
    return refused_page(request, str(denied), reverse("round_detail", args=[pk]), status=403)


# --- home and rounds -----------------------------------------------------------------------------


def home(request: HttpRequest) -> HttpResponse:
    """Show officials their authorities' rounds and what waits for them; reviewers their queue."""
    rounds = (
        Round.objects.visible_to(request.user)
        .filter(authority__memberships__user=request.user)
        .select_related("authority")
        .with_progress()
        .with_capabilities_of(request.user, Capability.SUBMIT, Capability.CONSENT)
        .order_by("authority__name", "-period")
    )
    waiting = Round.objects.reviewable_by(request.user).count() if is_reviewer(request.user) else None
    can_open = access.authorities_where(request.user, Capability.OPEN_ROUND).exists()
    return render(
        request,
        "assessments/home.html",
        {"rounds": rounds, "review_waiting": waiting, "can_open_round": can_open, "sections": slots.HOME.fill(request)},
    )


def round_create(request: HttpRequest) -> HttpResponse:
    """Open a round for one of the user's authorities (approvers and administrators)."""
    authorities = access.authorities_where(request.user, Capability.OPEN_ROUND)
    if not authorities.exists():
        raise Http404
    # The rounds a new one may start from: those of the user's authorities they may see, newest first.
    earlier_rounds = (
        Round.objects.visible_to(request.user)
        .filter(authority__in=authorities)
        .select_related("authority")
        .order_by("authority__name", "authority_id", "-period")
    )
    form = RoundCreateForm(request.POST or None, authorities=authorities, earlier_rounds=earlier_rounds)
    if request.method == "POST" and form.is_valid():
        try:
            round = services.round_create(actor=request.user, **form.cleaned_data)
        except services.WorkflowError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The round is open."))
            return redirect("round_detail", round.pk)
    return render(request, "assessments/round_form.html", {"form": form})


def _dimension_progress(round: Round, sheet: AnswerSheet, scores: dict | None = None) -> list[dict]:
    """Each dimension of the round: how far it is answered, and its score (live until validated, then frozen).

    Before validation only the self-assessed dimension scores are made (``AnswerSheet.dimension_scores``), not
    both score sets of the whole round; after it, the snapshot's (or ``scores``, when the page has them).
    """
    progress = sheet.progress()
    score_set = VALIDATED if round.status == Round.Status.VALIDATED else SELF
    if scores is not None:
        by_code = {d.code: d for d in scores[score_set].dimensions}
    elif score_set == VALIDATED:
        by_code = {d.code: d for d in round_scores(round, sheet)[VALIDATED].dimensions}
    else:
        by_code = sheet.dimension_scores(SELF)
    bands = dict(Band.choices)
    steps = []
    for d in sheet.dimensions:
        counts, score = progress.get(d.code), by_code.get(d.code)
        steps.append(
            {
                "dimension": d,
                "omitted": d.left_out,
                "progress": counts,
                "answered": counts.answered if counts else 0,
                "dont_know": counts.dont_know if counts else 0,
                "total": counts.indicators if counts else 0,
                "percent": counts.percent if counts else 0,
                "score": score,
                "score_set": score_set,
                "band": bands.get(score.band, "") if score else "",
            }
        )
    return steps


def _score_table(round: Round, sheet: AnswerSheet, scores: dict) -> dict:
    """The round page's scores: live self-assessed ones until validation, then both frozen sets side by side."""
    frozen = round.status == Round.Status.VALIDATED
    official = scores[VALIDATED if frozen else SELF]
    bands = dict(Band.choices)
    rows = score_rows(sheet, scores, validated=frozen)
    return {
        "scores_frozen": frozen,
        "snapshot": round.snapshot if frozen else None,
        "score_rows": rows,
        "self_scores": scores[SELF],
        "validated_scores": scores[VALIDATED] if frozen else None,
        "official_scores": official,
        "self_band": bands.get(scores[SELF].band, ""),
        "validated_band": bands.get(scores[VALIDATED].band, "") if frozen else "",
        "headline_gap": scores[VALIDATED].headline - scores[SELF].headline
        if frozen and scores[VALIDATED].headline is not None and scores[SELF].headline is not None
        else None,
    }


CARRIED_LINKS = 5


def _carried_notice(sheet: AnswerSheet) -> dict:
    """The answers carried over from an earlier round that wait for confirmation: how many, and links to the first."""
    carried = sheet.carried
    return {"count": len(carried), "first": carried[:CARRIED_LINKS], "more": max(0, len(carried) - CARRIED_LINKS)}


def _open_threads(round: Round) -> list[dict]:
    """The round's unresolved threads in catalogue order, each with its latest comment and its length (two queries)."""
    comments = Comment.objects.select_related("author").order_by("at", "id")
    threads = (
        Thread.objects.open()
        .filter(round=round)
        .select_related("indicator__dimension")
        .prefetch_related(Prefetch("comments", queryset=comments))
        .order_by("indicator__dimension__order", "indicator__order", "indicator__code")
    )
    rows = []
    for thread in threads:
        said = list(thread.comments.all())
        rows.append(
            {"thread": thread, "indicator": thread.indicator, "last": said[-1] if said else None, "count": len(said)}
        )
    return rows


SUBMIT_PROBLEM_LINKS = 5


def _who_submits(round: Round, capabilities: frozenset[Capability], sheet: AnswerSheet) -> dict | None:
    """For a member who fills in but cannot sign off: the approvers who can, and what still keeps the round back."""
    if Capability.EDIT_ANSWERS not in capabilities or Capability.SUBMIT in capabilities:
        return None
    approvers = [
        membership.user
        for membership in Membership.objects.filter(
            authority_id=round.authority_id, role=Membership.Role.APPROVER, user__is_active=True
        )
        .select_related("user")
        .order_by("user__last_name", "user__first_name", "user__username")
    ]
    problems = services.round_problems(round, sheet)
    return {
        "approvers": approvers,
        "count": len(problems),
        "first": problems[:SUBMIT_PROBLEM_LINKS],
        "more": max(0, len(problems) - SUBMIT_PROBLEM_LINKS),
    }


def round_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The round's overview: status, progress per dimension, returned items, open threads, actions."""
    round = _round(request, pk)
    returned = (
        ReviewItem.objects.filter(round=round, returned=True)
        .select_related("indicator__dimension")
        .order_by("indicator__dimension__order", "indicator__order")
    )
    sheet = request_sheet(request, round)  # the round page's slot fillers read the same one
    scores = round_scores(round, sheet)
    capabilities = access.request_capabilities(request, round)
    return render(
        request,
        "assessments/round_detail.html",
        {
            "round": round,
            "carried": _carried_notice(sheet),
            "progress": _dimension_progress(round, sheet, scores),
            **_score_table(round, sheet, scores),
            "returned": returned,
            "capabilities": capabilities,
            "open_threads": _open_threads(round) if round.status != Round.Status.VALIDATED else [],
            "who_submits": _who_submits(round, capabilities, sheet),
            "move": _move_offer(round, capabilities),
            "panels": slots.ROUND_PAGE.fill(request, round),
        },
    )


# --- moving to a newer edition of the catalogue ---------------------------------------------------


def _move_offer(round: Round, capabilities: frozenset[Capability]) -> moving.MovePlan | None:
    """What moving the round to the newest edition that continues its own would do, for those who may move it."""
    if not round.is_editable or not moving.may_move(capabilities):
        return None
    editions = moving.newer_editions(round.version)
    return moving.move_plan(round, editions[0]) if editions else None


def round_move(request: HttpRequest, pk: int) -> HttpResponse:
    """Show what moving the round to a newer edition of its catalogue would do (GET); move it (POST).

    Approvers of the authority and administrators, while the round is a draft or returned; a person
    who may not see the round gets a 404, one who may see it but not move it a 403.
    """
    round = _round(request, pk)
    if not moving.may_move(access.request_capabilities(request, round)):
        return _denied(request, access.AccessDenied(moving.move_refused(round)), pk)
    back = reverse("round_detail", args=[round.pk])
    chosen = (request.POST if request.method == "POST" else request.GET).get("version", "")
    if chosen:
        if not chosen.isdigit():
            raise Http404
        version = get_object_or_404(CatalogueVersion, pk=chosen)
        if refusal := moving.edition_refusal(round, version):
            return refused_page(request, refusal, back)
    else:
        editions = moving.newer_editions(round.version)
        if not editions:
            return refused_page(request, _("No newer edition of the catalogue continues this round's."), back, 404)
        version = editions[0]
    if request.method == "POST" and request.POST.get("confirm") == "yes":
        try:
            services.round_move_to_edition(round=round, version=version, actor=request.user)
        except access.AccessDenied as denied:
            return _denied(request, denied, pk)
        except services.WorkflowError as error:
            return refused_page(request, " ".join(error.messages), back)
        messages.success(
            request,
            _("The round is now on edition %(number)d. Check and confirm the answers marked for it.")
            % {"number": version.number},
        )
        return redirect("round_detail", round.pk)
    unconfirmed = request.method == "POST"  # posted without ticking the box that confirms the move
    return render(
        request,
        "assessments/round_move.html",
        {"round": round, "plan": moving.move_plan(round, version), "confirm_missing": unconfirmed},
        status=422 if unconfirmed else 200,
    )


@require_POST
def round_dimension_toggle(request: HttpRequest, pk: int, code: str) -> HttpResponse:
    """Leave an optional dimension out of the round, or take it back in (draft only)."""
    try:
        round = _round(request, pk, Capability.TOGGLE_DIMENSIONS)
    except access.AccessDenied as denied:
        return _denied(request, denied, pk)
    dimension = get_object_or_404(Dimension, version_id=round.version_id, code=code, optional=True)
    try:
        services.round_dimension_toggle(round=round, dimension=dimension, actor=request.user)
    except services.WorkflowError as error:
        return refused_page(request, " ".join(error.messages), reverse("round_detail", args=[round.pk]))
    return redirect("round_detail", round.pk)


# --- the assessment form -------------------------------------------------------------------------


GUIDANCE = "assessments/_indicator_guidance.html"


def _catalogue_key(template: str, round: Round, indicator: Indicator, **context) -> tuple | None:
    """The key of a card's part kept for a published version (``sheet.kept``); None for a draft's (never kept)."""
    version = round.version
    if version.published_at is None:
        return None
    return (version.pk, version.published_at, template, indicator.pk, get_language(), tuple(sorted(context.items())))


def _catalogue_part(template: str, round: Round, indicator: Indicator, **context) -> str:
    """Render a part of an indicator's card made of catalogue text only, once per version and language."""

    def make() -> str:
        return render_to_string(template, {"indicator": indicator, **context})

    key = _catalogue_key(template, round, indicator, **context)
    return make() if key is None else kept(key, make)


# Stand-ins for what a kept part with forms must not keep: the request's CSRF token, the page's path (the forms'
# "next") and the round's primary key (in the forms' URLs). A kept part is rendered with them, once per catalogue
# version, indicator, language and round status, and each request puts its own in (_form_part).
TOKEN_STAND_IN = "kept-part-csrf-token-stand-in"
PATH_STAND_IN = "/kept-part-path-stand-in/"
ROUND_STAND_IN = 987654321


def _filler(request: HttpRequest, round: Round):
    """What puts this request's CSRF token (one for the page), path and round in place of a kept part's stand-ins."""
    token, path = get_token(request), escape(request.get_full_path())  # a token is alphanumeric
    round_in_urls, round_stand_in = f"/{round.pk}/", f"/{ROUND_STAND_IN}/"

    def fill(part: str) -> str:
        filled = part.replace(TOKEN_STAND_IN, token).replace(PATH_STAND_IN, path)
        return mark_safe(filled.replace(round_stand_in, round_in_urls))

    return fill


def _form_part(fill, template: str, round: Round, indicator: Indicator, make_context, **key) -> str:
    """A part of a card with forms that is the same for every round of a status, on every request, but for the CSRF
    token, the page's path and the round's key in its URLs: rendered once per catalogue version, indicator, language,
    round status and ``key`` (in its context too) with stand-ins for those (a token is never kept), and filled with
    this request's (``fill``: _filler). ``make_context()``: the rest of its context, built only to render it.
    """

    def make() -> str:
        context = {
            "indicator": indicator,
            "round": SimpleNamespace(pk=ROUND_STAND_IN, status=round.status),
            "csrf_token": TOKEN_STAND_IN,
            "request": SimpleNamespace(get_full_path=lambda: PATH_STAND_IN),
        }
        return render_to_string(template, {**context, **make_context(), **key})

    cache_key = _catalogue_key(template, round, indicator, status=round.status, **key)
    return fill(make() if cache_key is None else kept(cache_key, make))


def _empty_threads(fill, round: Round, indicator: Indicator, heading_level: int = 3) -> str:
    """The comment section of an indicator without a thread, for someone who may comment (a disclosure and its form)."""
    return _form_part(
        fill,
        "assessments/_threads.html",
        round,
        indicator,
        lambda: {"threads": [], "can_comment": True, "comment_max_length": COMMENT_MAX_LENGTH},
        heading_level=heading_level,
    )


def _evidence_add(fill, round: Round, indicator: Indicator) -> str:
    """The form that adds evidence to an answer, empty, as the form page shows it under each editable card."""
    return _form_part(
        fill,
        "assessments/_evidence_add.html",
        round,
        indicator,
        lambda: {"evidence_form": EvidenceForm(prefix=f"{indicator.code}-evidence")},
    )


def _no_evidence(fill, round: Round, indicator: Indicator, editable: bool) -> str:
    """The evidence section of a card whose answer has none yet (with the empty form to add some if ``editable``)."""
    return _form_part(
        fill,
        "assessments/_evidence.html",
        round,
        indicator,
        lambda: {"evidence": [], "evidence_form": EvidenceForm(prefix=f"{indicator.code}-evidence")},
        editable=editable,
    )


JUSTIFICATION_STAND_IN = "kept-part-justification-stand-in"


def _justification(round: Round, indicator: Indicator, text: str) -> str:
    """The justification field of an editable card: its label and help kept (catalogue text), the answer's text put in."""
    part = _catalogue_part("assessments/_answer_justification.html", round, indicator, text=JUSTIFICATION_STAND_IN)
    return mark_safe(part.replace(JUSTIFICATION_STAND_IN, escape(text), 1))


def _cards(
    request: HttpRequest,
    round: Round,
    indicators,
    can_edit: bool,
    can_comment: bool,
    editable_codes: set[str] | None,
    sheet: AnswerSheet,
) -> list[dict]:
    # The sheet's answers (with who saved them last); the evidence of those that have some (none: no query).
    answers = {i.pk: sheet.answers[i.pk] for i in indicators if i.pk in sheet.answers}
    prefetch_related_objects([a for a in answers.values() if a.evidence_count], "evidence")
    threads = threads_by_indicator(round, indicators)
    keys = [_catalogue_key(GUIDANCE, round, indicator) for indicator in indicators]
    if not all(key is not None and is_kept(key) for key in keys):
        prefetch_related_objects(indicators, "examples", "resources")  # only what the guidance is rendered from
    fill = _filler(request, round)
    cards = []
    for indicator in indicators:
        answer = answers.get(indicator.pk)
        editable = can_edit and (editable_codes is None or indicator.code in editable_codes)
        initial = AnswerForm.initial_for(answer)
        indicator_threads = threads.get(indicator.pk, [])
        has_evidence = bool(answer and answer.evidence_count)
        cards.append(
            {
                "indicator": indicator,
                "answer": answer,
                "review": sheet.reviews.get(indicator.pk),
                "threads": indicator_threads,
                "threads_part": _empty_threads(fill, round, indicator) if can_comment and not indicator_threads else "",
                "editable": editable,
                "revision": initial["revision"],  # the base of the next autosave (a hidden field of the card's form)
                "guidance": _catalogue_part(GUIDANCE, round, indicator),
                "choices": _catalogue_part(
                    "assessments/_answer_choices.html", round, indicator, choice=initial["choice"]
                )
                if editable
                else "",
                "no_evidence": "" if has_evidence else _no_evidence(fill, round, indicator, editable),
                "evidence_add": _evidence_add(fill, round, indicator) if editable and has_evidence else "",
                "justification": _justification(round, indicator, initial["justification"]) if editable else "",
                "needs": answer_needs(indicator, answer, sheet.has_evidence(indicator)),
            }
        )
    return cards


def _editable_codes(round: Round) -> set[str] | None:
    """In a returned round only the returned indicators are editable (None: all of them)."""
    if round.status != Round.Status.RETURNED:
        return None
    return set(ReviewItem.objects.filter(round=round, returned=True).values_list("indicator__code", flat=True))


def round_dimension(request: HttpRequest, pk: int, code: str) -> HttpResponse:
    """One page of the form: every indicator of one dimension, saved as soon as it changes."""
    round = _round(request, pk)
    sheet = request_sheet(request, round)
    # The dimension and its indicators as the answer sheet has them; a dimension left out of the round is not in it.
    dimension = next((d for d in sheet.dimensions if d.code == code and not d.left_out), None)
    if dimension is None:
        dimension = get_object_or_404(Dimension, version_id=round.version_id, code=code)
        indicators = list(dimension.indicators.order_by("order", "code"))
    else:
        indicators = [i for i in sheet.indicators if i.dimension_id == dimension.pk]
    capabilities = access.request_capabilities(request, round)  # one look at the user's roles for the page
    can_edit = Capability.EDIT_ANSWERS in capabilities
    can_comment = Capability.COMMENT in capabilities
    cards = _cards(request, round, indicators, can_edit, can_comment, _editable_codes(round), sheet)
    parts = slots.INDICATOR_CARD.fill(request, round, indicators)
    for card in cards:
        card["panels"] = parts[card["indicator"].pk]
    progress = _dimension_progress(round, sheet)
    codes = [p["dimension"].code for p in progress]
    position = codes.index(code)
    return render(
        request,
        "assessments/round_dimension.html",
        {
            "round": round,
            "dimension": dimension,
            "cards": cards,
            "progress": progress,
            "can_edit": can_edit,
            "can_comment": can_comment,
            "comment_max_length": COMMENT_MAX_LENGTH,
            "previous_code": codes[position - 1] if position > 0 else None,
            "next_code": codes[position + 1] if position + 1 < len(codes) else None,
        },
    )


def _sheet_indicator(sheet: AnswerSheet | None, round: Round, code: str) -> Indicator:
    """The round's indicator ``code``: from the answer sheet if it has it, else from the catalogue (or a 404)."""
    found = next((i for i in sheet.indicators if i.code == code), None) if sheet is not None else None
    return found or get_object_or_404(
        Indicator.objects.select_related("dimension"), version_id=round.version_id, code=code
    )


def _back_to(round: Round, indicator: Indicator) -> str:
    return reverse("round_dimension", args=[round.pk, indicator.dimension.code]) + f"#indicator-{indicator.code}"


@require_POST
def answer_save(request: HttpRequest, pk: int, code: str) -> HttpResponse:
    """Autosave one answer. A stale revision shows both versions instead of overwriting.

    A save sent again with the same save id (the browser retries when an answer is lost) is
    acknowledged with the answer as saved, never shown as a conflict.
    """
    # Who may edit is the service's to say, on the round it locks (AccessDenied): asked once, not here and there.
    # The user's roles came with the request (RolesMiddleware): the round's scope here and the service's check read them.
    round = access.access_round(
        request.user,
        pk,
        rounds=with_kept_dimensions(Round.objects.select_related("authority", "version", "started_from")),
    )
    # The answer sheet, loaded before the save, gives the indicator and then the progress (the saved answer put in).
    sheet = answer_sheet(round, reviews=False) if _is_htmx(request) else None
    indicator = _sheet_indicator(sheet, round, code)
    form = AnswerForm(request.POST, indicator=indicator, prefix=indicator.code)
    if not form.is_valid():
        errors = " ".join(str(e) for errors in form.errors.values() for e in errors)
        return _refuse_indicator(request, round, indicator, errors, status=422)
    data = form.cleaned_data
    # "Keep my version" after a conflict saves over the colleague's revision the user saw.
    base_revision = data["revision"] if data["overwrite"] is None else data["overwrite"]
    try:
        answer = services.answer_save(
            round=round,
            indicator=indicator,
            actor=request.user,
            response=data["response"],
            level=data["level"],
            justification=data["justification"],
            base_revision=base_revision,
            save_id=data["save_id"],
        )
    except services.AnswerConflict as conflict:
        context = {"round": round, "indicator": indicator, "theirs": conflict.current, "mine": data}
        if _is_htmx(request):
            return render(request, "assessments/_answer_conflict.html", context, status=409)
        return render(request, "assessments/answer_conflict.html", context, status=409)
    except access.AccessDenied as denied:
        return _refuse_indicator(request, round, indicator, str(denied), status=403)
    except services.WorkflowError as error:
        return _refuse_indicator(request, round, indicator, " ".join(error.messages), status=409)
    except (OperationalError, InterfaceError):
        # The database connection dropped (a restart, a failover): the save rolled back. A 503 the browser retries
        # (static/js/autosave.js), answered without the database; the next request reconnects.
        message = _("Not saved: the database is unavailable for a moment. Try again.")
        return HttpResponse(message, status=503, content_type="text/plain; charset=utf-8", headers={"Retry-After": "5"})
    if sheet is not None:
        sheet = sheet.with_answer(answer)
        return render(
            request,
            "assessments/_answer_saved.html",
            {
                "round": round,
                "indicator": indicator,
                "answer": answer,
                "progress": _dimension_progress(round, sheet),
                "needs": answer_needs(indicator, answer, sheet.has_evidence(indicator)),
            },
        )
    if data["confirm"]:
        messages.success(request, _("Your answer to %(code)s is confirmed.") % {"code": indicator.code})
    else:
        messages.success(request, _("Your answer to %(code)s is saved.") % {"code": indicator.code})
    return redirect(_back_to(round, indicator))


def _refuse_indicator(
    request: HttpRequest, round: Round, indicator: Indicator, message: str, status: int
) -> HttpResponse:
    """Refuse a change to one indicator: its status line for htmx, a page that says why otherwise."""
    if _is_htmx(request):
        return render(
            request,
            "assessments/_answer_status.html",
            {"indicator": indicator, "error": message},
            status=status,
        )
    return refused_page(request, message, _back_to(round, indicator), status=status)


def _evidence_list(request: HttpRequest, round: Round, indicator: Indicator, form: EvidenceForm, status: int = 200):
    answer = Answer.objects.filter(round=round, indicator=indicator).prefetch_related("evidence").first()
    return render(
        request,
        "assessments/_evidence.html",
        {
            "round": round,
            "indicator": indicator,
            "answer": answer,
            "evidence": answer.evidence.all() if answer else [],
            "evidence_form": form,
            "editable": True,
            # The card's hints say again whether the answer still needs evidence (an out-of-band swap).
            "hints_oob": True,
            "needs": answer_needs(indicator, answer, answer_sheet(round, reviews=False).has_evidence(indicator)),
        },
        status=status,
    )


@require_POST
def evidence_add(request: HttpRequest, pk: int, code: str) -> HttpResponse:
    """Attach a file or a link to one answer."""
    round = _round(request, pk)
    indicator = _indicator(round, code)
    if Capability.EDIT_EVIDENCE not in access.request_capabilities(request, round):
        return _refuse_indicator(request, round, indicator, _("You cannot change this round now."), status=403)
    form = EvidenceForm(request.POST, request.FILES, prefix=f"{indicator.code}-evidence")
    if form.is_valid():
        try:
            services.evidence_add(
                round=round,
                indicator=indicator,
                actor=request.user,
                description=form.cleaned_data["description"],
                file=form.cleaned_data["file"],
                url=form.cleaned_data["url"],
            )
        except (services.WorkflowError, StorageUnavailable) as error:
            # StorageUnavailable: the store refused the file; no evidence was recorded, the form keeps what was typed.
            form.add_error(None, error)
        else:
            if _is_htmx(request):
                return _evidence_list(request, round, indicator, EvidenceForm(prefix=f"{indicator.code}-evidence"))
            messages.success(request, _("Evidence added to %(code)s.") % {"code": indicator.code})
            return redirect(_back_to(round, indicator))
    if _is_htmx(request):
        return _evidence_list(request, round, indicator, form, status=422)
    for error in form.errors.values():
        messages.error(request, " ".join(error))
    return redirect(_back_to(round, indicator))


def _evidence(request: HttpRequest, pk: int) -> Evidence:
    return get_object_or_404(
        Evidence.objects.visible_to(request.user).select_related("answer__round", "answer__indicator__dimension"),
        pk=pk,
    )


@require_POST
def evidence_delete(request: HttpRequest, pk: int) -> HttpResponse:
    evidence = _evidence(request, pk)
    round, indicator = evidence.answer.round, evidence.answer.indicator
    if Capability.EDIT_EVIDENCE not in access.request_capabilities(request, round):
        return _refuse_indicator(request, round, indicator, _("You cannot change this round now."), status=403)
    try:
        services.evidence_remove(evidence=evidence, actor=request.user)
    except services.WorkflowError as error:
        return _refuse_indicator(request, round, indicator, " ".join(error.messages), status=409)
    if _is_htmx(request):
        return _evidence_list(request, round, indicator, EvidenceForm(prefix=f"{indicator.code}-evidence"))
    messages.success(request, _("Evidence removed."))
    return redirect(_back_to(round, indicator))


def evidence_download(request: HttpRequest, pk: int) -> HttpResponse:
    """Send an evidence file as an attachment, to those who may see its round."""
    evidence = _evidence(request, pk)
    if not evidence.file:
        raise Http404
    try:
        access.require(request.user, Capability.DOWNLOAD, evidence.answer.round)
    except access.AccessDenied as denied:
        return _denied(request, denied, evidence.answer.round_id)
    return file_response(evidence.file, evidence.filename)


# --- submission ----------------------------------------------------------------------------------


def round_submit(request: HttpRequest, pk: int) -> HttpResponse:
    """Show what is missing, or sign off and lock the round (approvers)."""
    try:
        round = _round(request, pk, Capability.SUBMIT)
    except access.AccessDenied as denied:
        return _denied(request, denied, pk)
    problems = services.round_problems(round) if round.is_editable else []
    if request.method == "POST":
        try:
            services.round_submit(round=round, actor=request.user)
        except services.SubmissionRefused as refused:
            problems = refused.problems
            messages.error(request, refused.messages[0])
        except services.WorkflowError as error:
            return refused_page(request, " ".join(error.messages), reverse("round_detail", args=[round.pk]))
        else:
            messages.success(request, _("The round is submitted for review. It is locked until the reviewer answers."))
            return redirect("round_detail", round.pk)
    return render(
        request,
        "assessments/round_submit.html",
        {"round": round, "problems": problems},
        status=422 if request.method == "POST" else 200,
    )


@require_POST
def round_consent(request: HttpRequest, pk: int) -> HttpResponse:
    """Give or withdraw the authority's consent to publish a validated round (approvers)."""
    try:
        round = _round(request, pk, Capability.CONSENT)
    except access.AccessDenied as denied:
        return _denied(request, denied, pk)
    try:
        services.round_set_consent(round=round, actor=request.user, consent=request.POST.get("consent") == "yes")
    except services.WorkflowError as error:
        return refused_page(request, " ".join(error.messages), reverse("round_detail", args=[round.pk]))
    messages.success(request, _("Your decision on publication is recorded."))
    return redirect("round_detail", round.pk)


# --- review --------------------------------------------------------------------------------------


def review_queue(request: HttpRequest) -> HttpResponse:
    """The reviewer's queue of rounds, filterable by status, country and period; paginated."""
    if not is_reviewer(request.user):
        raise Http404
    rounds = Round.objects.visible_to(request.user).exclude(status=Round.Status.DRAFT)
    form = QueueFilterForm(
        request.GET or None,
        countries=list(Authority.objects.order_by("country").values_list("country", flat=True).distinct()),
        periods=list(rounds.order_by("-period").values_list("period", flat=True).distinct()),
    )
    if form.is_bound and not form.is_valid():
        rounds = rounds.none()
    elif form.is_bound:
        rounds = form.filter(rounds)
    rounds = rounds.select_related("authority", "version").with_progress().in_queue_order()
    page = Paginator(rounds, QUEUE_PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "assessments/review_queue.html", {"form": form, "page": page, "query": query.urlencode()})


# The review page's filters, in the order of its navigation. "high": the claims of operational practice or more.
REVIEW_FILTERS = ("all", "returned", "changed", "no-evidence", "high")
HIGH_LEVEL = Level.OPERATIONAL
# The note a validation keeps in the history, at most this long.
NOTE_MAX_LENGTH = 5000


def _filter_labels() -> dict[str, str]:
    return {
        "all": _("All"),
        "returned": _("Returned"),
        "changed": _("Changed since return"),
        "no-evidence": _("Without evidence"),
        "high": _("Level %(level)d or above") % {"level": HIGH_LEVEL},
    }


def _validated_text(response: str, level: int | None, na_accepted: bool) -> str:
    """How a validated answer reads beside a later one: "3 · Operational", "Not applicable", "Don't know" …"""
    if response == scoring.LEVEL and level is not None:
        return f"{level} · {Level(level).label}"
    if response == scoring.NOT_APPLICABLE and not na_accepted:
        return _("Not applicable, not accepted (counts as level 0)")
    return str(Response(response).label)


def _last_validated(round: Round) -> tuple[Round | None, dict[str, str]]:
    """The authority's last validated round before this one, and how each indicator code reads there (3 queries)."""
    previous, levels = last_validated_levels(round)
    return previous, {
        code: _validated_text(level.response, level.level, level.na_accepted) for code, level in levels.items()
    }


def _review_row(round: Round, sheet: AnswerSheet, indicator: Indicator, last_levels: dict[str, str]) -> dict:
    """One indicator of the review page: the answer, the review item, what changed since a return, its filters."""
    answer, review = sheet.answers.get(indicator.pk), sheet.reviews.get(indicator.pk)
    # A returned indicator, now resubmitted: what the city changed since (empty: nothing).
    changes = (
        answer_changes(review.returned_state, answer.state() if answer else None)
        if review and review.returned and round.status == Round.Status.SUBMITTED
        else None
    )
    matches = {
        "all": True,
        "returned": bool(review and review.returned),
        "changed": bool(changes),
        "no-evidence": not sheet.has_evidence(indicator),
        "high": bool(answer and answer.response == scoring.LEVEL and answer.level >= HIGH_LEVEL),
    }
    return {
        "indicator": indicator,
        "answer": answer,
        "review": review,
        "changes": changes,
        "unchanged": changes == [],
        "last_level": last_levels.get(indicator.code),
        "filters": {name for name, match in matches.items() if match},
    }


def _decision_initial(review: ReviewItem | None) -> dict:
    if review is None:
        return {}
    return {
        "validated_level": review.validated_level,
        "na_accepted": {True: "yes", False: "no", None: ""}[review.na_accepted],
        "comment": review.comment,
    }


def _error_summary(rows: list[dict]) -> list[dict]:
    """Every decision's error, named by its indicator, with a link to the field it is about."""
    errors = []
    for row in rows:
        form, code = row["form"], row["indicator"].code
        for name, problems in form.errors.items():
            target = form[name].auto_id if name in form.fields else f"indicator-{code}"
            # A message that names its indicator already (``services.return_comment_missing``) is left as it is.
            errors.extend(
                {"target": target, "message": message if message.startswith(f"{code}:") else f"{code}: {message}"}
                for message in problems
            )
    return errors


def round_review(request: HttpRequest, pk: int) -> HttpResponse:
    """Review a round, dimension by dimension: validated levels, N/A decisions, comments; return or validate.

    ``?show=`` filters the indicators (``REVIEW_FILTERS``); the form then carries only the decisions
    of those shown, with their codes (a hidden ``indicator`` each), and the service leaves the others as they are. Validating validates the whole round.
    """
    try:
        round = _round(request, pk, Capability.REVIEW)
    except access.AccessDenied as denied:
        return _denied(request, denied, pk)
    reviewing = round.status == Round.Status.SUBMITTED
    if request.method == "POST" and not reviewing:
        return refused_page(
            request, _("Only a submitted round can be reviewed."), reverse("round_review", args=[round.pk])
        )
    show = request.GET.get("show", "all")
    show = show if show in REVIEW_FILTERS else "all"
    sheet = request_sheet(request, round).with_evidence()  # the slots' fillers below read it too
    last_round, last_levels = _last_validated(round)
    rows = [_review_row(round, sheet, indicator, last_levels) for indicator in sheet.indicators]
    counts = {name: sum(name in row["filters"] for row in rows) for name in REVIEW_FILTERS}
    if request.method == "POST":
        # The decisions of the indicators the page showed, as it said which (a hidden "indicator" per row):
        # never the filter again, which may keep other indicators now, whose decisions were not sent.
        posted = set(request.POST.getlist("indicator"))
        shown = [row for row in rows if row["indicator"].code in posted]
    else:
        shown = [row for row in rows if show in row["filters"]]

    action = request.POST.get("action", services.ReviewAction.SAVE) if request.method == "POST" else ""
    # The note goes with a validation only; until then it stays in its box, a saved review keeps it as a draft.
    draft_key = f"review-note-{round.pk}"
    note = request.POST.get("note", "").strip() if request.method == "POST" else request.session.get(draft_key, "")
    data = request.POST if request.method == "POST" else None
    shown_indicators = [row["indicator"] for row in shown]
    threads = threads_by_indicator(round, shown_indicators)
    parts = slots.REVIEW_INDICATOR.fill(request, round, shown_indicators)
    can_comment = Capability.COMMENT in access.request_capabilities(request, round)
    fill = _filler(request, round)
    for position, row in enumerate(shown):
        code = row["indicator"].code
        row["form"] = ReviewDecisionForm(
            data,
            initial=_decision_initial(row["review"]),
            prefix=code,
            returning=action == services.ReviewAction.RETURN,
        )
        row["threads"] = threads.get(row["indicator"].pk, [])
        answer = row["answer"]
        row["level_text"] = (
            _catalogue_part("assessments/_level.html", round, row["indicator"], level=answer.level)
            if answer and answer.response == Answer.Response.LEVEL
            else ""
        )
        row["threads_part"] = (
            _empty_threads(fill, round, row["indicator"], heading_level=4) if can_comment and not row["threads"] else ""
        )
        row["panels"] = parts[row["indicator"].pk]
        row["previous_code"] = shown[position - 1]["indicator"].code if position else None
        row["next_code"] = shown[position + 1]["indicator"].code if position + 1 < len(shown) else None

    errors: list[dict] = []
    if request.method == "POST":
        valid = all([row["form"].is_valid() for row in shown])  # every form, so that each shows its errors
        errors = _error_summary(shown)
        if len(note) > NOTE_MAX_LENGTH:
            errors.append(
                {
                    "target": "review-note",
                    "message": _("The note can be at most %(max)d characters long.") % {"max": NOTE_MAX_LENGTH},
                }
            )
        if valid and not errors:
            decisions = {row["indicator"].pk: row["form"].decision() for row in shown}
            try:
                services.round_review(
                    round=round,
                    actor=request.user,
                    decisions=decisions,
                    action=action,
                    note=note if action == services.ReviewAction.VALIDATE else "",
                )
            except services.WorkflowError as error:
                errors.append({"target": "", "message": " ".join(error.messages)})
            else:
                done = {
                    services.ReviewAction.SAVE: _("Your review is saved."),
                    services.ReviewAction.RETURN: _("The round is returned to the city with your comments."),
                    services.ReviewAction.VALIDATE: _("The round is validated."),
                }
                messages.success(request, done[action])
                if action == services.ReviewAction.SAVE:
                    if note:
                        request.session[draft_key] = note
                    else:
                        request.session.pop(draft_key, None)
                    query = f"?show={show}" if show != "all" else ""
                    return redirect(reverse("round_review", args=[round.pk]) + query)
                request.session.pop(draft_key, None)
                if note and action == services.ReviewAction.RETURN:
                    messages.warning(
                        request, _("Your note was not sent: a note goes to the city only with a validation.")
                    )
                return redirect("review_queue")

    by_dimension: dict[int, list[dict]] = {}
    for row in shown:
        by_dimension.setdefault(row["indicator"].dimension_id, []).append(row)
    groups = [
        {**step, "rows": by_dimension[step["dimension"].pk]}
        for step in _dimension_progress(round, sheet, round_scores(round, sheet))
        if step["dimension"].pk in by_dimension
    ]
    resubmitted = [row for row in rows if row["changes"] is not None]
    labels = _filter_labels()
    return render(
        request,
        "assessments/round_review.html",
        {
            "round": round,
            "groups": groups,
            "rows": shown,
            "reviewing": reviewing,
            "show": show,
            "filters": [{"name": name, "label": labels[name], "count": counts[name]} for name in REVIEW_FILTERS],
            "hidden_count": len(rows) - len(shown),
            "last_round": last_round,
            "errors": errors,
            "note": note,
            "note_max_length": NOTE_MAX_LENGTH,
            "comment_max_length": COMMENT_MAX_LENGTH,
            "form_id": ReviewDecisionForm.FORM_ID,
            "can_comment": can_comment,
            "returns_changed": [row for row in resubmitted if not row["unchanged"]],
            "returns_unchanged": [row for row in resubmitted if row["unchanged"]],
            "panels": slots.REVIEW_PAGE.fill(request, round),
        },
        status=422 if request.method == "POST" else 200,
    )


# --- comment threads -----------------------------------------------------------------------------


def _comeback(request: HttpRequest, round: Round, indicator: Indicator) -> str:
    """The page a thread form came from (``next``, if it is one of this site's), else the indicator's form page."""
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target.split("#")[0]
    return reverse("round_dimension", args=[round.pk, indicator.dimension.code])


def _threads(
    request: HttpRequest,
    round: Round,
    indicator: Indicator,
    *,
    form: CommentForm | None = None,
    done: str = "",
    error: str = "",
    changed: int | None = None,
    status: int = 200,
) -> HttpResponse:
    """The indicator's threads again: the partial for htmx, a page of their own without JavaScript.

    ``changed``: the thread just resolved, whose summary takes the focus (its button is folded away).
    """
    context = {
        "round": round,
        "indicator": indicator,
        "threads": threads_by_indicator(round, [indicator]).get(indicator.pk, []),
        "can_comment": Capability.COMMENT in access.request_capabilities(request, round),
        "comment_form": form,
        "comment_max_length": COMMENT_MAX_LENGTH,
        "done": done,
        "error": error,
        "changed": changed,
        "next": _comeback(request, round, indicator),
    }
    template = "assessments/_threads.html" if _is_htmx(request) else "assessments/thread_form.html"
    return render(request, template, context, status=status)


def _thread_done(
    request: HttpRequest, round: Round, indicator: Indicator, done: str, changed: Thread | None = None
) -> HttpResponse:
    if _is_htmx(request):
        return _threads(request, round, indicator, done=done, changed=changed.pk if changed else None)
    messages.success(request, done)
    return redirect(_comeback(request, round, indicator) + f"#indicator-{indicator.code}")


def _thread_refused(request: HttpRequest, round: Round, indicator: Indicator, message: str, status: int):
    if _is_htmx(request):
        return _threads(request, round, indicator, error=message, status=status)
    return refused_page(
        request, message, _comeback(request, round, indicator) + f"#indicator-{indicator.code}", status=status
    )


@require_POST
def comment_add(request: HttpRequest, pk: int, code: str) -> HttpResponse:
    """Write in the indicator's thread (continuing the open one, or starting one); ``@username`` mentions."""
    round = _round(request, pk)
    indicator = _indicator(round, code)
    try:
        access.require(request.user, Capability.COMMENT, round)
    except access.AccessDenied as denied:
        return _thread_refused(request, round, indicator, str(denied), status=403)
    form = CommentForm(request.POST)
    if not form.is_valid():
        return _threads(request, round, indicator, form=form, status=422)
    try:
        services.comment_add(round=round, indicator=indicator, actor=request.user, body=form.cleaned_data["body"])
    except access.AccessDenied as denied:  # the round changed status meanwhile
        return _thread_refused(request, round, indicator, str(denied), status=403)
    except services.WorkflowError as error:
        form.add_error(None, error)
        return _threads(request, round, indicator, form=form, status=409)
    return _thread_done(request, round, indicator, _("Your comment on %(code)s is posted.") % {"code": indicator.code})


def _thread(request: HttpRequest, pk: int) -> Thread:
    """The thread, if the user may see its round (a 404 otherwise, whoever's it is)."""
    return get_object_or_404(
        Thread.objects.filter(round__in=Round.objects.visible_to(request.user)).select_related(
            "round__authority", "round__version", "indicator__dimension"
        ),
        pk=pk,
    )


def _thread_change(request: HttpRequest, pk: int, service, done: str) -> HttpResponse:
    thread = _thread(request, pk)
    round, indicator = thread.round, thread.indicator
    try:
        access.require(request.user, Capability.COMMENT, round)
        service(thread=thread, actor=request.user)
    except access.AccessDenied as denied:
        return _thread_refused(request, round, indicator, str(denied), status=403)
    except services.WorkflowError as error:
        return _thread_refused(request, round, indicator, " ".join(error.messages), status=409)
    return _thread_done(request, round, indicator, done % {"code": indicator.code}, changed=thread)


@require_POST
def thread_resolve(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark a thread resolved; it stays in the indicator's history."""
    return _thread_change(request, pk, services.thread_resolve, _("The thread on %(code)s is resolved."))


@require_POST
def thread_reopen(request: HttpRequest, pk: int) -> HttpResponse:
    """Open a resolved thread again (unless the indicator has another open one)."""
    return _thread_change(request, pk, services.thread_reopen, _("The thread on %(code)s is open again."))


# --- history -------------------------------------------------------------------------------------

HISTORY_PAGE_SIZE = 50


def round_history(request: HttpRequest, pk: int) -> HttpResponse:
    """The round's timeline: its status changes, every answer change, and the threads' comments and resolutions.

    Answer changes and the discussion are paginated apart (``page`` and ``cpage``), newest first.
    """
    round = _round(request, pk)
    events = StatusEvent.objects.filter(round=round).select_related("actor").order_by("-at", "-id")
    revisions = (
        AnswerRevision.objects.filter(answer__round=round)
        .select_related("changed_by", "answer__indicator")
        .order_by("-changed_at", "-id")
    )
    page = Paginator(revisions, HISTORY_PAGE_SIZE).get_page(request.GET.get("page"))
    for revision in page:
        revision.changes = answer_changes(revision.old, revision.new)
    discussion = Paginator(_discussion(round), HISTORY_PAGE_SIZE).get_page(request.GET.get("cpage"))
    kinds = dict(Comment.Kind.choices)
    for entry in discussion:
        entry["who"] = f"{entry['first_name']} {entry['last_name']}".strip() or entry["username"]
        entry["kind_label"] = kinds.get(entry["comment_kind"], "")
    return render(
        request,
        "assessments/round_history.html",
        {
            "round": round,
            "events": events,
            "page": page,
            "discussion": discussion,
            # Each list keeps the other's page in its links.
            "query": urlencode({"cpage": discussion.number}),
            "discussion_query": urlencode({"page": page.number}),
        },
    )


def _discussion(round: Round):
    """Every comment written in the round's threads and every resolution, newest first, as plain rows (one query).

    A thread resolved, reopened and resolved again shows its last resolution.
    """
    columns = ("entry", "when", "code", "comment_kind", "comment_body", "username", "first_name", "last_name")
    comments = Comment.objects.filter(thread__round=round).annotate(
        entry=Value("comment", output_field=CharField()),
        when=F("at"),
        code=F("thread__indicator__code"),
        comment_kind=F("kind"),
        comment_body=F("body"),
        username=F("author__username"),
        first_name=F("author__first_name"),
        last_name=F("author__last_name"),
    )
    resolutions = Thread.objects.filter(round=round, resolved_at__isnull=False).annotate(
        entry=Value("resolution", output_field=CharField()),
        when=F("resolved_at"),
        code=F("indicator__code"),
        comment_kind=Value("", output_field=CharField()),
        comment_body=Value("", output_field=TextField()),
        username=F("resolved_by__username"),
        first_name=F("resolved_by__first_name"),
        last_name=F("resolved_by__last_name"),
    )
    # Without their models' default ordering: SQLite allows no ORDER BY inside a compound statement.
    return (
        comments.order_by()
        .values(*columns)
        .union(resolutions.order_by().values(*columns), all=True)
        .order_by("-when", "entry", "code")
    )


# --- the authority -------------------------------------------------------------------------------


def authority_logo(request: HttpRequest, slug: str) -> HttpResponse:
    """Upload, replace or remove the authority's logo (approvers and administrators); members see a 403, others a 404."""
    authority = get_object_or_404(Authority.objects.visible_to(request.user), slug=slug)
    try:
        access.require(request.user, Capability.EDIT_AUTHORITY, authority)
    except access.AccessDenied as denied:
        return refused_page(request, str(denied), reverse("home"), status=403)
    form = LogoForm(request.POST, request.FILES) if request.method == "POST" else LogoForm()
    if request.method == "POST" and "remove" in request.POST:
        services.authority_logo_set(authority=authority, actor=request.user, file=None)
        messages.success(request, _("The logo is removed."))
        return redirect("authority_logo", authority.slug)
    if request.method == "POST" and form.is_valid():
        try:
            services.authority_logo_set(authority=authority, actor=request.user, file=form.cleaned_data["logo"])
        except services.WorkflowError as error:
            form.add_error("logo", error)
        else:
            messages.success(request, _("The logo is saved. It appears on the cover of new reports."))
            return redirect("authority_logo", authority.slug)
    return render(
        request,
        "assessments/authority_logo.html",
        {"authority": authority, "form": form, "logo": _logo_data(authority)},
        status=422 if request.method == "POST" else 200,
    )


def _logo_data(authority: Authority) -> str | None:
    """The stored logo as a ``data:`` URI (media files are never served directly), or None."""
    if not authority.logo:
        return None
    content_type = LOGO_CONTENT_TYPES.get(Path(authority.logo.name).suffix.lower(), "application/octet-stream")
    try:
        return data_uri(authority.logo, content_type)
    except FileNotFoundError:
        return None
