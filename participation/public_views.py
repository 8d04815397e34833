"""The survey's public pages: a respondent, without an account, answers through the survey's secret link.

Nothing here knows who the respondent is. When the form is shown the session gets a random key for
this survey (``SurveyResponse.respondent``): one response per key, a replay shows the thanks page.
A post whose session has no key (its cookie dropped, or the session ended) stores nothing: the form
comes back, as typed, with a key to send it again. No address is read or stored, not even to
count: the rate limit counts posts per respondent key, and valid answers per survey, in the cache;
a post without a key or with errors never counts against the survey's other respondents. The only
cookies are the session's and CSRF's; the language chosen with ``?lang=`` is kept in the session,
not in Django's language cookie.

Every answer from here is ``no-store`` (a shared computer keeps no copy) and ``noindex``, and sends
no referrer (the token is in the URL): ``no-referrer``, except on the page that holds the form,
which says ``same-origin``. Under ``no-referrer`` a browser posts the form with ``Origin: null``,
which Django's CSRF check refuses; ``same-origin`` sends the address only to this site, which knows
the token already, and the survey's pages link nowhere else. An unknown token is a 404 page, a closed or expired survey a 410,
too many answers at once a 429 with Retry-After; a form that is not the survey's a 400.
"""

from __future__ import annotations

import functools
import logging
import time
import uuid

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.views.decorators.http import require_http_methods, require_safe

from . import services
from .models import Survey, SurveyResponse
from .survey_forms import SurveyResponseForm, catalogue_order, scale

logger = logging.getLogger(__name__)

LANGUAGE_KEY = "survey-language"
TOKEN_CHARACTERS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
TOKEN_MAX = Survey._meta.get_field("token").max_length
RATE_WINDOW_SECONDS = 60
PUBLIC_HEADERS = {"Cache-Control": "no-store", "X-Robots-Tag": "noindex"}
FORM_REFERRER_POLICY = "same-origin"  # see above: the form must post with its origin


def _find(token: str) -> Survey | None:
    """The survey of ``token``, or None for a token no survey has (or one no survey could have)."""
    if not token or len(token) > TOKEN_MAX or not set(token) <= TOKEN_CHARACTERS:
        return None
    return Survey.objects.select_related("round__authority").filter(token=token).first()


def _language(request: HttpRequest, survey: Survey | None) -> str:
    """The page's language: the one chosen with ``?lang=`` (kept in the session), else the browser's."""
    codes = {code for code, _name in settings.LANGUAGES}
    chosen = request.GET.get("lang", "")
    if chosen in codes:
        if survey is not None:  # a visitor with a wrong link gets no session
            request.session[LANGUAGE_KEY] = chosen
        return chosen
    return _kept_language(request) if survey is not None else translation.get_language()


def _kept_language(request: HttpRequest) -> str:
    """The language chosen earlier and kept in the session, else the browser's."""
    codes = {code for code, _name in settings.LANGUAGES}
    session = getattr(request, "session", None)
    kept = session.get(LANGUAGE_KEY) if session is not None else None
    return kept if kept in codes else translation.get_language()


def _public_headers(response: HttpResponse, language: str) -> HttpResponse:
    for name, value in {**PUBLIC_HEADERS, "Content-Language": language}.items():
        response[name] = value
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    return response


def public(view):
    """A public survey page: no login; the survey found by its token (or a 404 page), in the respondent's language."""

    @login_not_required
    @functools.wraps(view)
    def page(request: HttpRequest, token: str) -> HttpResponse:
        survey = _find(token)
        language = _language(request, survey)
        with translation.override(language):
            response = _not_found(request) if survey is None else view(request, survey, language)
        return _public_headers(response, language)

    return page


def is_public_path(request: HttpRequest) -> bool:
    """Whether the request is for the survey's public pages (under /survey/)."""
    prefix = reverse("survey_respond", args=["-"]).removesuffix("-/")
    return request.path.startswith(prefix)


def public_error(request: HttpRequest, template: str, context: dict, *, status: int) -> HttpResponse:
    """An error page in the survey's public layout, for the site's error handlers under /survey/.

    In the language the respondent chose (kept in their session), with the public pages' headers.
    """
    language = _kept_language(request)
    with translation.override(language):
        response = render(request, template, context, status=status)
    return _public_headers(response, language)


def _session_key(survey: Survey) -> str:
    return f"survey-{survey.pk}"


def _known_respondent(request: HttpRequest, survey: Survey) -> uuid.UUID | None:
    """The respondent's key for this survey kept in their session, or None if it has none."""
    try:
        return uuid.UUID(request.session[_session_key(survey)])
    except (KeyError, ValueError, TypeError, AttributeError):
        return None


def _respondent(request: HttpRequest, survey: Survey) -> uuid.UUID:
    """The respondent's key for this survey, kept in their session: made when the form is first shown."""
    respondent = _known_respondent(request, survey)
    if respondent is None:
        respondent = uuid.uuid4()
        request.session[_session_key(survey)] = str(respondent)
    return respondent


def _answered(survey: Survey, respondent: uuid.UUID) -> bool:
    return SurveyResponse.objects.filter(survey=survey, respondent=respondent).exists()


def _not_found(request: HttpRequest) -> HttpResponse:
    return render(request, "participation/public/not_found.html", status=404)


def _gone(request: HttpRequest, survey: Survey) -> HttpResponse:
    """The page of a survey that takes no more answers: closed, or past its last day."""
    return render(request, "participation/public/gone.html", {"survey": survey}, status=410)


def _indicators(survey: Survey) -> list:
    return list(catalogue_order(survey.indicators.all()))


def _form_page(request: HttpRequest, survey: Survey, form: SurveyResponseForm, status: int = 200, **extra):
    response = render(
        request,
        "participation/public/respond.html",
        {"survey": survey, "form": form, "questions": form.questions(), "scale": scale(), **extra},
        status=status,
    )
    response["Referrer-Policy"] = FORM_REFERRER_POLICY
    return response


@public
@require_http_methods(["GET", "HEAD", "POST"])
def survey_respond(request: HttpRequest, survey: Survey, language: str) -> HttpResponse:
    """The survey's questions (GET) and the respondent's answers (POST), stored once per respondent."""
    if not survey.is_open():
        return _gone(request, survey)
    posted = request.method == "POST"
    respondent = _known_respondent(request, survey) if posted else _respondent(request, survey)
    if respondent is not None and _answered(survey, respondent):
        if posted:  # a replay: the answers are stored already
            return redirect("survey_thanks", survey.token)
        return render(request, "participation/public/thanks.html", {"survey": survey, "already": True})
    form = SurveyResponseForm(request.POST if posted else None, indicators=_indicators(survey))
    if not posted:
        return _form_page(request, survey, form)
    if form.unexpected_fields():
        return render(request, "participation/public/bad_request.html", {"survey": survey}, status=400)
    if respondent is None:
        # No key: the session ended, or its cookie was dropped (a replay). Nothing is stored or
        # counted; the form comes back as typed, with a key now, so that sending it again works.
        _respondent(request, survey)
        return _form_page(request, survey, form, status=400, session_ended=True)
    wait = _over_limit(survey, respondent, valid=False)
    if wait:
        return _throttled(request, survey, form, wait)
    if not form.is_valid():
        return _form_page(request, survey, form, status=422)
    wait = _over_limit(survey, respondent, valid=True)
    if wait:
        return _throttled(request, survey, form, wait)
    try:
        services.survey_respond(survey=survey, respondent=respondent, language=language, answers=form.answers())
    except services.ParticipationError as refused:
        current = _find(survey.token)
        if current is None:  # removed while the respondent was answering
            return _not_found(request)
        if not current.is_open():  # closed while the respondent was answering
            return _gone(request, current)
        form.add_error(None, refused)
        return _form_page(request, survey, form, status=422)
    return redirect("survey_thanks", survey.token)


def _throttled(request: HttpRequest, survey: Survey, form: SurveyResponseForm, wait: int) -> HttpResponse:
    response = _form_page(request, survey, form, status=429, throttled=True)
    response["Retry-After"] = str(wait)
    return response


@public
@require_safe
def survey_thanks(request: HttpRequest, survey: Survey, language: str) -> HttpResponse:
    """Thank a respondent who answered; send one who has not to the questions (or say the survey is over)."""
    respondent = request.session.get(_session_key(survey))
    try:
        answered = respondent is not None and _answered(survey, uuid.UUID(respondent))
    except (ValueError, TypeError, AttributeError):
        answered = False
    if answered:
        return render(request, "participation/public/thanks.html", {"survey": survey, "already": False})
    if not survey.is_open():
        return _gone(request, survey)
    return redirect("survey_respond", survey.token)


# --- the rate limit ------------------------------------------------------------------------------


def _over_limit(survey: Survey, respondent: uuid.UUID, *, valid: bool) -> int:
    """Count one more post from this respondent, or (``valid``) one more valid answer to the survey.

    Return the seconds to wait if that is over its limit, else 0. Every post of a respondent key
    counts against that key; only valid answers count against the survey's limit, so that made-up
    or broken posts cannot lock its real respondents out. Fixed one-minute windows in the cache,
    keyed by survey and by respondent key, never by address. If the cache is down the answer goes
    through: a survey must not stop because Redis did.
    """
    now = time.time()
    window = int(now // RATE_WINDOW_SECONDS)
    if valid:
        key, limit = f"survey-rate:{survey.pk}:{window}", settings.SURVEY_RATE_LIMIT
    else:
        key, limit = f"survey-rate:{survey.pk}:{respondent.hex}:{window}", settings.SURVEY_SESSION_RATE_LIMIT
    try:
        count = _count(key)  # counted even over the limit
    except Exception:  # any cache failure: the survey stays open
        logger.warning("The survey rate limit could not be counted: the cache did not answer.")
        return 0
    if count > limit:
        return max(1, RATE_WINDOW_SECONDS - int(now % RATE_WINDOW_SECONDS))
    return 0


def _count(key: str) -> int:
    """Count one more request under ``key`` in its window, and return the count."""
    cache.add(key, 0, timeout=RATE_WINDOW_SECONDS * 2)
    try:
        return cache.incr(key)
    except ValueError:  # the key expired between add and incr
        cache.set(key, 1, timeout=RATE_WINDOW_SECONDS * 2)
        return 1
