"""Benchmark one page of the form (a dimension of 8 indicators) and the autosave POST against their floors.

Figures, all measured in the same run through the test client and the whole middleware stack, logged in as
an editor of a draft round of the current catalogue (its largest dimension), half of whose answers are given:

- the form page: median server time and requests/s, beside the same template rendered from a context built
  once and kept in memory (served by a view of this command through the same middleware), and their ratio
  (the goal: at least 0.6); and the template's render time alone (``render_to_string`` of the kept context,
  no middleware), which is what "the template 3x faster" compares;
- the autosave POST (``answer_save`` as ``static/js/autosave.js`` sends it, htmx): requests/s and queries,
  beside a minimal view that does the same locked update of the answer and its revision row in a transaction,
  and a bare view, both through the same middleware (the goal: at least 0.5 of the minimal view, at most 10
  queries).

The minimal and bare views live in this command: ``settings.ROOT_URLCONF`` is swapped for a module built
here, which includes the site's URLs, so nothing is added to the product's. The data is made inside a
transaction rolled back at the end. A benchmark, not a test: it never fails for being slow.
"""

from __future__ import annotations

import os
import re
import sys
import types
from itertools import count

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.http import HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.test.utils import override_settings
from django.urls import include, path, reverse

from assessments import views
from assessments.models import Answer, AnswerRevision, Authority, Membership
from assessments.services import round_create
from coherence_site.bench import analyze, median_ms, site_client, vacuum
from indicators.models import CatalogueVersion

PREFIX = "bench-form-"
URLCONF = "assessments.management.commands._bench_form_urls"
REVISION = re.compile(r'id="revision-[^"]+" value="(\d+)"')


class Kept:
    """What the form view renders, captured once: the template and its context."""

    template: str = ""
    context: dict = {}


def _kept_form(request):
    """The form page's template rendered from the context captured once (the page without building it)."""
    return render(request, Kept.template, Kept.context)


def _minimal_save(request, answer_pk: int):
    """The floor of an autosave: lock the answer, update it and write its revision row, in one transaction."""
    with transaction.atomic():
        answer = Answer.objects.select_for_update().get(pk=answer_pk)
        old = answer.state()
        answer.justification = request.POST.get("justification", "")
        answer.revision += 1
        answer.updated_by = request.user
        answer.save(update_fields=["justification", "revision", "updated_by", "updated_at"])
        AnswerRevision.objects.create(
            answer=answer, changed_by=request.user, old=old, new=answer.state(old["evidence"])
        )
    return HttpResponse(str(answer.revision))


def _bare(request):
    return HttpResponse("ok")


def _urlconf() -> types.ModuleType:
    module = types.ModuleType(URLCONF)
    module.urlpatterns = [
        path("_bench/form/", _kept_form, name="bench_kept_form"),
        path("_bench/save/<int:answer_pk>/", _minimal_save, name="bench_minimal_save"),
        path("_bench/bare/", _bare, name="bench_bare"),
        path("", include("coherence_site.urls")),
    ]
    sys.modules[URLCONF] = module
    return module


def _queries(action) -> int:
    """How many queries ``action`` makes (counted as they run: a request empties Django's query log).

    Savepoints are left out: they are there only because this command runs inside a transaction of its own
    (rolled back at the end), where each ``atomic()`` of the view becomes a savepoint; served, it is one
    transaction, whose BEGIN and COMMIT are not queries.
    """
    made = []

    def counting(execute, sql, params, many, context):
        if not sql.startswith(("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT")):
            made.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(counting):
        action()
    if os.environ.get("BENCH_FORM_SQL"):
        print("\n".join(made))
    return len(made)


def _rate(ms: float) -> float:
    return 1000 / ms if ms else float("inf")


class Command(BaseCommand):
    help = "Benchmark a form page of 8 indicators and the autosave POST against their floors (data rolled back)."

    def add_arguments(self, parser):
        parser.add_argument("--runs", type=int, default=60, help="Measured runs of each figure (default 60).")
        parser.add_argument(
            "--template-only", action="store_true", help="Print only the template's render time from a kept context."
        )

    def handle(self, runs: int, template_only: bool, **options):
        vacuum()  # earlier benches' dead rows out of the planner's way, as autovacuum keeps production's
        version = CatalogueVersion.objects.current()
        if version is None:
            raise CommandError("Load the catalogue first: manage.py load_catalogue")
        if connection.vendor != "postgresql":
            self.stdout.write(f"note: running on {connection.vendor}; figures are for PostgreSQL (set DATABASE_URL)")
        _urlconf()
        with transaction.atomic(), override_settings(ROOT_URLCONF=URLCONF):
            try:
                self.run(version, runs, template_only)
            finally:
                transaction.set_rollback(True)  # leave no data behind, whatever happened

    def world(self, version):
        """An editor of a draft round of ``version``; the largest dimension; half of its answers given."""
        User = get_user_model()
        editor = User.objects.create_user(username=f"{PREFIX}editor", first_name="Bench", last_name="Editor")
        approver = User.objects.create_user(username=f"{PREFIX}approver")
        authority = Authority.objects.create(
            name="Bench Form City", slug=f"{PREFIX}city", kind=Authority.Kind.MUNICIPALITY
        )
        Membership.objects.create(user=editor, authority=authority, role=Membership.Role.EDITOR)
        Membership.objects.create(user=approver, authority=authority, role=Membership.Role.APPROVER)
        round = round_create(authority=authority, period="2031", actor=approver, version=version)
        dimension = max(version.dimensions.all(), key=lambda d: (d.indicators.count(), -d.order))
        indicators = list(version.indicators.select_related("dimension").order_by("dimension__order", "order"))
        for n, indicator in enumerate(indicators):
            if n % 2 == 0:
                Answer.objects.create(
                    round=round,
                    indicator=indicator,
                    response=Answer.Response.LEVEL,
                    level=1 + n % 4,
                    justification=f"What exists for {indicator.code}, and where.",
                    revision=1,
                    updated_by=editor,
                )
        analyze()
        return editor, round, dimension

    def run(self, version, runs: int, template_only: bool) -> None:
        editor, round, dimension = self.world(version)
        client = site_client()
        client.defaults["wsgi.url_scheme"] = "https"  # as behind the proxy: with DEBUG off, http is redirected
        client.force_login(editor)
        page = reverse("round_dimension", args=[round.pk, dimension.code])
        indicators = dimension.indicators.count()

        # The context the view renders, captured once through the view itself.
        original = views.render

        def capture(request, template, context=None, *args, **kwargs):
            if template == "assessments/round_dimension.html":
                Kept.template, Kept.context = template, dict(context)
            return original(request, template, context, *args, **kwargs)

        views.render = capture
        try:
            response = client.get(page)
        finally:
            views.render = original
        assert response.status_code == 200, response.status_code
        size = len(response.content)
        factory_request = RequestFactory().get(page)
        factory_request.user = editor

        def template_alone():
            return render_to_string(Kept.template, Kept.context, factory_request)

        template_ms = median_ms(template_alone, runs)
        self.stdout.write(
            f"form template alone ({dimension.code}, {indicators} indicators, {size / 1024:.0f} KB), "
            f"rendered from a kept context: {template_ms:.1f} ms"
        )
        if template_only:
            return

        queries = _queries(lambda: client.get(page))
        kept = reverse("bench_kept_form")
        assert client.get(kept).status_code == 200
        # Interleaved: each figure is the median of windows taken in turn, so that noise falls on both alike.
        windows = 3
        view_list, kept_list = [], []
        for _ in range(windows):
            view_list.append(median_ms(lambda: client.get(page), max(1, runs // windows)))
            kept_list.append(median_ms(lambda: client.get(kept), max(1, runs // windows)))
        view_ms, kept_ms = sorted(view_list)[windows // 2], sorted(kept_list)[windows // 2]
        self.stdout.write(
            f"form page: {view_ms:.1f} ms median ({_rate(view_ms):.0f} req/s, {queries} queries) · "
            f"its template from a kept context through the same middleware: {kept_ms:.1f} ms "
            f"({_rate(kept_ms):.0f} req/s) · ratio {kept_ms / view_ms:.2f} (goal >= 0.6)"
        )
        self.autosave(client, round, dimension, runs)

    def autosave(self, client, round, dimension, runs: int) -> None:
        indicator = dimension.indicators.order_by("order").first()
        url = reverse("answer_save", args=[round.pk, indicator.code])
        prefix = indicator.code
        revision = [
            Answer.objects.filter(round=round, indicator=indicator).values_list("revision", flat=True).first() or 0
        ]
        n = count()

        def save():
            response = client.post(
                url,
                {
                    f"{prefix}-choice": "2",
                    f"{prefix}-justification": f"Saved {next(n)} times.",
                    f"{prefix}-revision": revision[0],
                    f"{prefix}-save_id": "",
                },
                HTTP_HX_REQUEST="true",
            )
            assert response.status_code == 200, (response.status_code, response.content[:300])
            revision[0] = int(REVISION.search(response.content.decode()).group(1))
            return response

        queries = _queries(save)
        answer = Answer.objects.get(round=round, indicator=indicator)
        minimal = reverse("bench_minimal_save", args=[answer.pk])
        bare = reverse("bench_bare")

        def minimal_save():
            response = client.post(minimal, {"justification": f"Saved {next(n)} times."})
            assert response.status_code == 200, response.status_code
            revision[0] = int(response.content)  # the autosave's next base revision

        minimal_queries = _queries(minimal_save)
        windows = 3
        save_list, minimal_list, bare_list = [], [], []
        for _ in range(windows):
            save_list.append(median_ms(save, max(1, runs // windows)))
            minimal_list.append(median_ms(minimal_save, max(1, runs // windows)))
            bare_list.append(median_ms(lambda: client.post(bare), max(1, runs // windows)))
        save_ms, minimal_ms, bare_ms = (sorted(v)[windows // 2] for v in (save_list, minimal_list, bare_list))
        self.stdout.write(
            f"autosave POST: {save_ms:.1f} ms ({_rate(save_ms):.0f} req/s, {queries} queries; goal <= 10) · "
            f"minimal locked update + revision: {minimal_ms:.1f} ms ({_rate(minimal_ms):.0f} req/s, "
            f"{minimal_queries} queries) · ratio {minimal_ms / save_ms:.2f} (goal >= 0.5) · "
            f"bare view: {bare_ms:.1f} ms ({_rate(bare_ms):.0f} req/s)"
        )
