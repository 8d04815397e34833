"""Pages of the stakeholder register and of a round's consultations. Every object comes through a scope.

The register is the authority's: ``_authority`` finds it among those the user may read
(``access.visible_authorities``, a 404 otherwise) and asks ``access.require`` for more than reading
(a 403 page that says why). A round's consultations are read by whoever may read the round
(``assessments.access.access_round``: a 404 for another city's round, or for a reviewer on a draft)
and changed while the round's evidence may change (``access.can_record_consultations``, a 403
otherwise). Consultations and attachments are looked up through the rounds the user may see, so
another city's id is a 404. Every write is a service's; its refusal is a form error or a 4xx page.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, IntegerField, OuterRef, Prefetch, Q, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from assessments.access import AccessDenied, Capability, access_round, programme_roles
from assessments.access import require as require_on_round
from assessments.http import refused_page
from assessments.models import Authority, Round
from assessments.uploads import StorageUnavailable, file_response
from indicators.models import Dimension, Indicator

from . import access, services
from .access import ParticipationCapability
from .forms import AttachmentForm, ConsultationForm, StakeholderForm
from .models import Consultation, ConsultationAttachment, Stakeholder
from .panels import who_took_part

HOME_PAGE_SIZE = 25


def _count(queryset, field: str = "pk") -> Subquery:
    """A correlated count, for annotating rows without joining several tables into one another."""
    counted = queryset.order_by().values(field).annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


# --- the register of groups ----------------------------------------------------------------------


def _authority(request: HttpRequest, slug: str, capability=ParticipationCapability.VIEW) -> Authority:
    """The authority whose register the user may read (a 404 otherwise), if they may also do ``capability`` (AccessDenied)."""
    authority = get_object_or_404(access.visible_authorities(request.user), slug=slug)
    access.require(request.user, capability, authority)
    return authority


def participation_home(request: HttpRequest) -> HttpResponse:
    """The authorities whose register the user may read; a member of one authority goes straight to it."""
    authorities = access.visible_authorities(request.user)
    if not programme_roles(request.user):
        mine = list(authorities.values_list("slug", flat=True)[:2])
        if not mine:
            raise Http404
        if len(mine) == 1:
            return redirect("stakeholder_list", mine[0])
    # Only the consultations of rounds the user may see count: a reviewer learns nothing of a draft.
    consultations = Consultation.objects.filter(round__in=Round.objects.visible_to(request.user))
    rows = authorities.annotate(
        n_groups=_count(Stakeholder.objects.filter(authority=OuterRef("pk")), "authority"),
        n_consultations=_count(consultations.filter(round__authority=OuterRef("pk")), "round__authority"),
    ).order_by("name", "pk")
    page = Paginator(rows, HOME_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "participation/home.html", {"page": page})


def _register_page(request: HttpRequest, authority: Authority, form: StakeholderForm, status: int = 200):
    visible = Round.objects.visible_to(request.user).filter(authority=authority)
    # Only the consultations of rounds the user may see count: a reviewer learns nothing of a draft.
    groups = Stakeholder.objects.filter(authority=authority).annotate(
        n_consultations=Count("consultations", filter=Q(consultations__round__in=visible))
    )
    rounds = visible.annotate(
        n_consultations=_count(Consultation.objects.filter(round=OuterRef("pk")), "round")
    ).order_by("-period")
    can_record = ParticipationCapability.RECORD in access.participation_capabilities(request.user, authority.pk)
    return render(
        request,
        "participation/stakeholder_list.html",
        {"authority": authority, "groups": groups, "rounds": rounds, "form": form, "can_record": can_record},
        status=status,
    )


def stakeholder_list(request: HttpRequest, slug: str) -> HttpResponse:
    """The authority's register of groups, the rounds whose consultations the user may read, and a form to add a group."""
    if request.method != "POST":
        return _register_page(request, _authority(request, slug), StakeholderForm())
    try:
        authority = _authority(request, slug, ParticipationCapability.RECORD)
    except AccessDenied as denied:
        return refused_page(request, str(denied), reverse("stakeholder_list", args=[slug]), status=403)
    form = StakeholderForm(request.POST)
    if form.is_valid():
        try:
            group = services.stakeholder_save(authority=authority, actor=request.user, **form.cleaned_data)
        except services.ParticipationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("%(name)s is added to the register.") % {"name": group.name})
            return redirect("stakeholder_list", slug)
    return _register_page(request, authority, form, status=422)


def stakeholder_edit(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """Change a group of the register."""
    try:
        authority = _authority(request, slug, ParticipationCapability.RECORD)
    except AccessDenied as denied:
        return refused_page(request, str(denied), reverse("stakeholder_list", args=[slug]), status=403)
    group = get_object_or_404(Stakeholder.objects.filter(authority=authority), pk=pk)
    form = StakeholderForm(request.POST or None, initial=StakeholderForm.initial_for(group))
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            try:
                services.stakeholder_save(
                    authority=authority, actor=request.user, stakeholder=group, **form.cleaned_data
                )
            except services.ParticipationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, _("The group is saved."))
                return redirect("stakeholder_list", slug)
    return render(
        request,
        "participation/stakeholder_form.html",
        {"authority": authority, "group": group, "form": form},
        status=status,
    )


@require_POST
def stakeholder_delete(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """Remove a group from the register; refused (409) once it took part in a consultation."""
    back = reverse("stakeholder_list", args=[slug])
    try:
        authority = _authority(request, slug, ParticipationCapability.RECORD)
    except AccessDenied as denied:
        return refused_page(request, str(denied), back, status=403)
    group = get_object_or_404(Stakeholder.objects.filter(authority=authority), pk=pk)
    try:
        services.stakeholder_delete(stakeholder=group, actor=request.user)
    except AccessDenied as denied:
        return refused_page(request, str(denied), back, status=403)
    except services.ParticipationError as error:
        return refused_page(request, " ".join(error.messages), back)
    messages.success(request, _("%(name)s is removed from the register.") % {"name": group.name})
    return redirect(back)


# --- a round's consultations ---------------------------------------------------------------------


def _round(request: HttpRequest, pk: int) -> Round:
    """The round, if the user may see it (a 404 otherwise)."""
    return access_round(request.user, pk, rounds=Round.objects.select_related("authority", "version"))


def _recording_round(request: HttpRequest, round: Round) -> HttpResponse | None:
    """The 403 page that says why, unless the user may record the round's consultations now."""
    if access.can_record_consultations(request.user, round):
        return None
    return refused_page(
        request,
        _("The consultations of this round cannot be changed now."),
        reverse("consultation_list", args=[round.pk]),
        status=403,
    )


def _with_details(consultations):
    """Consultations with what their pages show: groups, indicators and dimensions in order, attachments (four queries)."""
    return consultations.select_related("created_by").prefetch_related(
        Prefetch("groups", Stakeholder.objects.order_by("name", "id")),
        Prefetch(
            "indicators",
            Indicator.objects.select_related("dimension").in_catalogue_order(),
        ),
        Prefetch("dimensions", Dimension.objects.order_by("order", "code")),
        "attachments",
    )


def _consultation(request: HttpRequest, pk: int) -> Consultation:
    """The consultation, if the user may see its round (a 404 otherwise, whoever holds it)."""
    visible = Consultation.objects.filter(round__in=Round.objects.visible_to(request.user))
    return get_object_or_404(_with_details(visible).select_related("round__authority", "round__version"), pk=pk)


def consultation_list(request: HttpRequest, pk: int) -> HttpResponse:
    """The round's consultations, newest first, with the totals of who took part."""
    round = _round(request, pk)
    consultations = list(_with_details(Consultation.objects.filter(round=round)))
    return render(
        request,
        "participation/consultation_list.html",
        {
            "round": round,
            "consultations": consultations,
            "summary": who_took_part(consultations),
            "can_record": access.can_record_consultations(request.user, round),
        },
    )


def _consultation_form(request, round: Round, consultation: Consultation | None) -> HttpResponse:
    """Record a consultation of the round, or change one: the form, and the service on a valid POST."""
    refused = _recording_round(request, round)
    if refused:
        return refused
    initial = ConsultationForm.initial_for(consultation) if consultation else {}
    form = ConsultationForm(request.POST or None, round=round, initial=initial)
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            try:
                saved = services.consultation_save(
                    round=round, actor=request.user, values=form.values(), consultation=consultation
                )
            except AccessDenied as denied:
                return refused_page(request, str(denied), reverse("consultation_list", args=[round.pk]), status=403)
            except services.ParticipationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, _("The consultation is saved."))
                return redirect("consultation_detail", saved.pk)
    return render(
        request,
        "participation/consultation_form.html",
        {"round": round, "consultation": consultation, "form": form},
        status=status,
    )


def consultation_create(request: HttpRequest, pk: int) -> HttpResponse:
    """Record a consultation of the round (members, while its evidence may change)."""
    return _consultation_form(request, _round(request, pk), None)


def consultation_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Change a consultation (members, while its round's evidence may change)."""
    consultation = _consultation(request, pk)
    return _consultation_form(request, consultation.round, consultation)


def _detail_page(request, consultation: Consultation, form: AttachmentForm | None = None, status: int = 200):
    round = consultation.round
    return render(
        request,
        "participation/consultation_detail.html",
        {
            "round": round,
            "consultation": consultation,
            "can_record": access.can_record_consultations(request.user, round),
            "attachment_form": form or AttachmentForm(),
        },
        status=status,
    )


def consultation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A consultation: who took part, what was discussed and said, its attachments."""
    return _detail_page(request, _consultation(request, pk))


def consultation_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """Ask for confirmation (GET), then remove the consultation and its attachments (POST)."""
    consultation = _consultation(request, pk)
    round = consultation.round
    refused = _recording_round(request, round)
    if refused:
        return refused
    if request.method == "POST":
        try:
            services.consultation_delete(consultation=consultation, actor=request.user)
        except AccessDenied as denied:
            return refused_page(request, str(denied), reverse("consultation_list", args=[round.pk]), status=403)
        messages.success(request, _("The consultation is removed."))
        return redirect("consultation_list", round.pk)
    return render(
        request, "participation/consultation_confirm_delete.html", {"round": round, "consultation": consultation}
    )


@require_POST
def attachment_add(request: HttpRequest, pk: int) -> HttpResponse:
    """Attach a file or a link to a consultation, checked as answer evidence is."""
    consultation = _consultation(request, pk)
    refused = _recording_round(request, consultation.round)
    if refused:
        return refused
    form = AttachmentForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.attachment_add(consultation=consultation, actor=request.user, **form.cleaned_data)
        except AccessDenied as denied:
            return refused_page(request, str(denied), reverse("consultation_detail", args=[pk]), status=403)
        except (services.ParticipationError, StorageUnavailable) as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The attachment is added."))
            return redirect(reverse("consultation_detail", args=[pk]) + "#attachments")
    return _detail_page(request, consultation, form, status=422)


def _attachment(request: HttpRequest, pk: int) -> ConsultationAttachment:
    """The attachment, if the user may see its consultation's round (a 404 otherwise)."""
    visible = ConsultationAttachment.objects.filter(consultation__round__in=Round.objects.visible_to(request.user))
    return get_object_or_404(visible.select_related("consultation__round__authority"), pk=pk)


@require_POST
def attachment_remove(request: HttpRequest, pk: int) -> HttpResponse:
    """Remove an attachment from a consultation."""
    attachment = _attachment(request, pk)
    consultation = attachment.consultation
    refused = _recording_round(request, consultation.round)
    if refused:
        return refused
    try:
        services.attachment_remove(attachment=attachment, actor=request.user)
    except AccessDenied as denied:
        return refused_page(request, str(denied), reverse("consultation_detail", args=[consultation.pk]), status=403)
    messages.success(request, _("The attachment is removed."))
    return redirect(reverse("consultation_detail", args=[consultation.pk]) + "#attachments")


def attachment_file(request: HttpRequest, pk: int) -> HttpResponse:
    """Send an attachment's file as an attachment, to those who may see (and download from) its round."""
    attachment = _attachment(request, pk)
    if not attachment.file:
        raise Http404
    round = attachment.consultation.round
    try:
        require_on_round(request.user, Capability.DOWNLOAD, round)
    except AccessDenied as denied:
        return refused_page(
            request, str(denied), reverse("consultation_detail", args=[attachment.consultation_id]), 403
        )
    return file_response(attachment.file, attachment.filename)
