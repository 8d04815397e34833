"""Pages of the improvement plans. Every object is fetched through the plan's permission scope.

``_authority`` finds the authority among those whose plan the user may see (a 404 otherwise) and
asks ``access.require`` for anything more than reading (a 403 page that says why). Actions,
updates and files are then looked up under that authority only: another authority's id under
this slug is a 404.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from assessments.access import AccessDenied, programme_roles
from assessments.http import refused_page
from assessments.models import Authority, Round
from assessments.uploads import StorageUnavailable, file_response
from indicators.models import Indicator

from . import access, services
from .access import PlanCapability
from .forms import ActionEditForm, ActionForm, CommentForm, StatusFilterForm, StatusForm, UpdateForm
from .models import (
    DEFAULT_TARGET_LEVEL,
    Action,
    ActionComment,
    ActionIndicator,
    ActionRevision,
    ActionUpdate,
    PlanTarget,
    with_action_counts,
)

LIST_PAGE_SIZE = 25
HISTORY_PAGE_SIZE = 50


def _authority(request: HttpRequest, slug: str, capability: PlanCapability = PlanCapability.VIEW) -> Authority:
    """The authority whose plan the user may see (a 404 otherwise), if they may also do ``capability`` (AccessDenied)."""
    authority = get_object_or_404(access.visible_authorities(request.user), slug=slug)
    access.require(request.user, capability, authority)
    return authority


def _action(authority: Authority, pk: int, actions=None) -> Action:
    """The authority's action ``pk`` (a 404 for another authority's)."""
    return get_object_or_404((Action.objects if actions is None else actions).filter(plan__authority=authority), pk=pk)


def _next(request: HttpRequest, default: str) -> str:
    """Where to go after a POST: the ``next`` it names if it is a local URL, else ``default``."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        return target
    return default


def _safe_next(request: HttpRequest) -> str:
    return _next(request, "")


# --- the list of plans ---------------------------------------------------------------------------


def plan_list(request: HttpRequest) -> HttpResponse:
    """The plans the user may see, with their actions counted by status (counts, never a ranking).

    A member of one authority goes straight to its plan; someone who may see no plan gets a 404.
    """
    authorities = access.visible_authorities(request.user)
    if not programme_roles(request.user):
        mine = list(authorities.values_list("slug", flat=True)[:2])
        if not mine:
            raise Http404
        if len(mine) == 1:
            return redirect("plan_detail", mine[0])
    rows = with_action_counts(authorities).order_by("name", "pk")
    page = Paginator(rows, LIST_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "plans/plan_list.html", {"page": page, "statuses": Action.Status})


# --- one plan ------------------------------------------------------------------------------------


def plan_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """The authority's plan: its actions by status (filterable), overdue ones flagged, and its target levels."""
    authority = _authority(request, slug)
    capabilities = access.plan_capabilities(request.user, authority.pk)
    actions = Action.objects.filter(plan__authority=authority).with_details()
    form = StatusFilterForm(request.GET or None)
    chosen = form.cleaned_data["status"] if form.is_bound and form.is_valid() else ""
    if chosen == "overdue":
        actions = actions.overdue()
    elif chosen:
        actions = actions.filter(status=chosen)
    actions = list(actions)
    groups = [
        {"status": value, "label": label, "actions": [a for a in actions if a.status == value]}
        for value, label in Action.Status.choices
    ]
    counts = Action.objects.filter(plan__authority=authority).counts()
    return render(
        request,
        "plans/plan_detail.html",
        {
            "authority": authority,
            "groups": [group for group in groups if group["actions"]],
            "counts": counts,
            "total": sum(counts[status] for status in Action.Status.values),
            "filter_form": form,
            "filtered": bool(chosen),
            "targets": PlanTarget.objects.filter(plan__authority=authority).order_by("indicator_code"),
            "default_target": DEFAULT_TARGET_LEVEL,
            "can_edit": PlanCapability.EDIT in capabilities,
            "latest_round": Round.objects.filter(authority=authority).order_by("-period").first(),
        },
    )


# --- making and changing actions -----------------------------------------------------------------


def _origin_round(request: HttpRequest, authority: Authority) -> Round | None:
    """The round named by ``?round=`` among the authority's (a 404 for any other), else its latest."""
    rounds = Round.objects.filter(authority=authority).select_related("version")
    pk = request.GET.get("round")
    if pk:
        if not pk.isdigit():
            raise Http404
        return get_object_or_404(rounds, pk=pk)
    return rounds.order_by("-period").first()


def _initial_for_indicator(authority: Authority, round: Round, code: str | None) -> dict:
    """Pre-fill a new action from ``?indicator=``: the first link, its target level, and the catalogue's suggestion."""
    if not code:
        return {}
    indicator = Indicator.objects.filter(version_id=round.version_id, code=code).first()
    if indicator is None:
        return {}
    target = PlanTarget.objects.filter(plan__authority=authority, indicator_code=code).first()
    level = target.level if target else DEFAULT_TARGET_LEVEL
    return {"description": indicator.suggestion, "links": [{"indicator": code, "target_level": level}]}


def action_create(request: HttpRequest, slug: str) -> HttpResponse:
    """Add an action to the plan, from one of the authority's rounds (its latest unless ``?round=`` says)."""
    try:
        authority = _authority(request, slug, PlanCapability.EDIT)
    except AccessDenied as denied:
        return refused_page(request, str(denied), reverse("plan_detail", args=[slug]), status=403)
    round = _origin_round(request, authority)
    if round is None:
        return refused_page(
            request,
            _("Actions answer the gaps a round found: open a round for %(authority)s first.")
            % {"authority": authority.name},
            reverse("plan_detail", args=[slug]),
        )
    initial = {
        "start_date": timezone.localdate(),
        **_initial_for_indicator(authority, round, request.GET.get("indicator")),
    }
    form = ActionForm(request.POST or None, authority=authority, round=round, initial=initial)
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            try:
                action = services.action_create(
                    authority=authority, origin_round=round, actor=request.user, **form.values()
                )
            except services.PlanError as error:
                form.add_error(None, error)
            else:
                messages.success(request, _("The action is added to the plan."))
                return redirect(_next(request, reverse("plan_action_detail", args=[slug, action.pk])))
    return render(
        request,
        "plans/action_form.html",
        {"authority": authority, "round": round, "form": form, "action": None, "next": _safe_next(request)},
        status=status,
    )


def action_edit(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """Change an action; a change made on a stale copy (someone saved since) is refused and nothing is written."""
    try:
        authority = _authority(request, slug, PlanCapability.EDIT)
    except AccessDenied as denied:
        return refused_page(request, str(denied), reverse("plan_detail", args=[slug]), status=403)
    action = _action(authority, pk, Action.objects.select_related("origin_round").prefetch_related("links__indicator"))
    initial = {**ActionForm.initial_for(action), "base_revision": action.revision}
    form = ActionEditForm(
        request.POST or None, authority=authority, round=action.origin_round, action=action, initial=initial
    )
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            values = form.values()
            base_revision = values.pop("base_revision")
            try:
                services.action_change(action=action, actor=request.user, base_revision=base_revision, **values)
            except services.ActionConflict as conflict:
                form.add_error(None, conflict)
                status = 409
            except services.PlanError as error:
                form.add_error(None, error)
            else:
                messages.success(request, _("The action is saved."))
                return redirect(_next(request, reverse("plan_action_detail", args=[slug, action.pk])))
    return render(
        request,
        "plans/action_form.html",
        {
            "authority": authority,
            "round": action.origin_round,
            "form": form,
            "action": action,
            "next": _safe_next(request),
        },
        status=status,
    )


# --- one action ----------------------------------------------------------------------------------


def _action_page(
    request: HttpRequest,
    authority: Authority,
    action: Action,
    *,
    update_form: UpdateForm | None = None,
    comment_form: CommentForm | None = None,
    status_form: StatusForm | None = None,
    status: int = 200,
) -> HttpResponse:
    capabilities = access.plan_capabilities(request.user, authority.pk)
    return render(
        request,
        "plans/action_detail.html",
        {
            "authority": authority,
            "action": action,
            "updates": action.updates.all(),
            "comments": ActionComment.objects.filter(action=action).select_related("author", "round"),
            "can_edit": PlanCapability.EDIT in capabilities,
            "can_comment": PlanCapability.COMMENT in capabilities,
            "update_form": update_form or UpdateForm(action=action),
            "comment_form": comment_form or CommentForm(action=action),
            "status_form": status_form or StatusForm(initial={"status": action.status, "reason": action.drop_reason}),
            "next": _safe_next(request),
        },
        status=status,
    )


def _details(authority: Authority, pk: int) -> Action:
    """The action with what its page shows: links, and updates with their authors and rounds."""
    actions = Action.objects.select_related("plan__authority", "origin_round", "owner_user").prefetch_related(
        Prefetch("links", ActionIndicator.objects.select_related("indicator").order_by("indicator__code")),
        Prefetch("updates", ActionUpdate.objects.select_related("author", "round")),
    )
    return _action(authority, pk, actions)


def action_detail(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """An action: its fields, linked indicators, progress updates and comments, and the forms to add to them."""
    authority = _authority(request, slug)
    return _action_page(request, authority, _details(authority, pk))


def _post_to_action(request: HttpRequest, slug: str, pk: int, capability: PlanCapability):
    """The authority and action a POST acts on, or the 403 page that says why it may not."""
    try:
        authority = _authority(request, slug, capability)
    except AccessDenied as denied:
        return (
            None,
            None,
            refused_page(request, str(denied), reverse("plan_action_detail", args=[slug, pk]), status=403),
        )
    return authority, _details(authority, pk), None


@require_POST
def action_status(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """Move an action to another status (dropping needs a reason)."""
    authority, action, refused = _post_to_action(request, slug, pk, PlanCapability.EDIT)
    if refused:
        return refused
    form = StatusForm(request.POST)
    if form.is_valid():
        try:
            services.action_set_status(
                action=action,
                actor=request.user,
                status=form.cleaned_data["status"],
                reason=form.cleaned_data["reason"],
            )
        except services.PlanError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The action's status is saved."))
            return redirect(_next(request, reverse("plan_action_detail", args=[slug, pk])))
    return _action_page(request, authority, action, status_form=form, status=422)


@require_POST
def update_add(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """Report progress on an action, with a file or a link as evidence."""
    authority, action, refused = _post_to_action(request, slug, pk, PlanCapability.EDIT)
    if refused:
        return refused
    form = UpdateForm(request.POST, request.FILES, action=action)
    if form.is_valid():
        try:
            services.update_add(action=action, actor=request.user, **form.cleaned_data)
        except (services.PlanError, StorageUnavailable) as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Your progress update is added."))
            return redirect(_next(request, reverse("plan_action_detail", args=[slug, pk]) + "#updates"))
    return _action_page(request, authority, action, update_form=form, status=422)


@require_POST
def comment_add(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """Comment on an action (programme reviewers)."""
    authority, action, refused = _post_to_action(request, slug, pk, PlanCapability.COMMENT)
    if refused:
        return refused
    form = CommentForm(request.POST, action=action)
    added = False
    if form.is_valid():
        try:
            services.comment_add(action=action, actor=request.user, **form.cleaned_data)
        except services.PlanError as error:
            form.add_error(None, error)
        else:
            added = True
    if request.headers.get("HX-Request") == "true":
        # From the review page: only the action's comment box changes, so the review decisions stay as they are.
        action = Action.objects.prefetch_related(
            Prefetch("comments", ActionComment.objects.select_related("author"))
        ).get(pk=action.pk)
        context = {"action": action, "added": added, "form": None if added else form}
        return render(request, "plans/panels/_review_comment_box.html", context, status=200 if added else 422)
    if added:
        messages.success(request, _("Your comment is added."))
        return redirect(_next(request, reverse("plan_action_detail", args=[slug, pk]) + "#comments"))
    return _action_page(request, authority, action, comment_form=form, status=422)


def action_history(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """Every change to an action, newest first, field by field in words (paginated)."""
    authority = _authority(request, slug)
    action = _action(authority, pk)
    revisions = ActionRevision.objects.filter(action=action).select_related("changed_by").order_by("-changed_at", "-id")
    page = Paginator(revisions, HISTORY_PAGE_SIZE).get_page(request.GET.get("page"))
    people = _people(page.object_list)
    for revision in page:
        revision.change_list = revision.changes(people)
    return render(request, "plans/action_history.html", {"authority": authority, "action": action, "page": page})


def _people(revisions) -> dict[int, str]:
    """The names of the people responsible that a page of revisions mentions, in one query."""
    ids = {state.get("owner_user") for r in revisions for state in (r.old or {}, r.new) if state.get("owner_user")}
    return {user.pk: user.get_full_name() or user.username for user in get_user_model().objects.filter(pk__in=ids)}


def update_file(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """Send a progress update's file as an attachment, to those who may see the plan."""
    authority = _authority(request, slug)
    update = get_object_or_404(ActionUpdate.objects.filter(action__plan__authority=authority), pk=pk)
    return file_response(update.file, update.filename)
