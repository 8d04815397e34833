"""Time a round's PDF report against WeasyPrint alone on the same HTML, and the two-page brief
against the full report; leaves no data behind.

The round is built through the services (answers, evidence, submission, validation) inside a
transaction that is always rolled back. Three earlier validated rounds give the trend chart its
history. A benchmark, not a test: it reports figures and never fails for being slow.
"""

import io
import random
import statistics
import time
from datetime import date

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from assessments import services
from assessments.models import Answer, Authority, Membership, Round
from indicators.models import CatalogueVersion
from reports.rendering import html_to_pdf
from reports.services import render_brief_html, render_report_html

EARLIER_PERIODS = ["2019", "2021", "2023"]
CURRENT_PERIOD = "2025"
LANGUAGE = "en"
TARGET_RATIO = 1.5
BRIEF_TARGET_SECONDS = 2.0


class Command(BaseCommand):
    help = "Benchmark a 36-indicator round's PDF report against WeasyPrint alone on the same HTML."

    def add_arguments(self, parser):
        parser.add_argument("--runs", type=int, default=5, help="Measured runs after one warm-up (default 5).")
        parser.add_argument("--seed", type=int, default=2025, help="Seed for the answers' levels.")

    def handle(self, runs, seed, **options):
        if CatalogueVersion.objects.current() is None:
            raise CommandError("Load the catalogue first: manage.py load_catalogue")
        runs = max(1, runs)
        with transaction.atomic():
            try:
                round = self.build_rounds(random.Random(seed))
                self.stdout.write(f"round: {round} ({Answer.objects.filter(round=round).count()} answers)")
                self.measure(round, runs)
            finally:
                # A benchmark leaves no data: whatever happened, undo every write.
                transaction.set_rollback(True)

    def build_rounds(self, rng: random.Random) -> Round:
        User = get_user_model()
        authority = Authority.objects.create(
            name="Bench City",
            slug="bench-reports",
            kind=Authority.Kind.MUNICIPALITY,
            country="Nowhere",
            region="Europe",
        )
        editor = User.objects.create_user("bench-reports-editor")
        approver = User.objects.create_user("bench-reports-approver")
        reviewer = User.objects.create_user("bench-reports-reviewer")
        Membership.objects.create(user=editor, authority=authority, role=Membership.Role.EDITOR)
        Membership.objects.create(user=approver, authority=authority, role=Membership.Role.APPROVER)
        reviewer.user_permissions.add(
            Permission.objects.get(content_type__app_label="assessments", codename="review_round")
        )
        for lift, period in enumerate(EARLIER_PERIODS):
            round = self.open_round(authority, period, approver)
            self.answer_all(round, editor, rng, lift, evidence_per_answer=1)
            self.submit_and_validate(round, approver, reviewer, rng, adjust=1)
        round = self.open_round(authority, CURRENT_PERIOD, approver)
        self.answer_all(round, editor, rng, len(EARLIER_PERIODS), evidence_per_answer=2)
        self.submit_and_validate(round, approver, reviewer, rng, adjust=4)
        return Round.objects.select_related("authority", "version").get(pk=round.pk)

    def open_round(self, authority: Authority, period: str, approver) -> Round:
        return services.round_create(
            authority=authority, period=period, actor=approver, due_date=date(int(period), 11, 30)
        )

    def answer_all(self, round: Round, editor, rng: random.Random, lift: int, evidence_per_answer: int) -> None:
        """Answer every indicator with a level, a justification and links (later rounds score higher)."""
        for indicator in services.round_indicators(round):
            level = max(0, min(4, int(rng.triangular(0, 4.99, 1 + lift))))
            services.answer_save(
                round=round,
                indicator=indicator,
                actor=editor,
                response=Answer.Response.LEVEL,
                level=level,
                justification=f"{indicator.descriptors[level]} Adopted by the council; see the linked documents.",
                base_revision=0,
            )
            for n in range(1, evidence_per_answer + 1):
                services.evidence_add(
                    round=round,
                    indicator=indicator,
                    actor=editor,
                    description=f"Council minutes and terms of reference, part {n}",
                    url=f"https://example.org/bench/{round.period}/{indicator.code.lower()}/{n}",
                )

    def submit_and_validate(self, round: Round, approver, reviewer, rng: random.Random, adjust: int) -> None:
        """Submit, then validate with a few levels lowered by the reviewer (so the two score sets differ)."""
        services.round_submit(round=round, actor=approver)
        answers = {a.indicator_id: a for a in Answer.objects.filter(round=round)}
        picked = rng.sample(sorted(answers), adjust)
        decisions = {
            pk: services.Decision(
                validated_level=max(0, answers[pk].level - 1), comment="Evidence shows a plan, not yet adopted."
            )
            for pk in picked
        }
        services.round_review(round=round, actor=reviewer, decisions=decisions, action=services.ReviewAction.VALIDATE)

    def measure(self, round: Round, runs: int) -> None:
        # The first call starts kaleido's Chromium and loads WeasyPrint's fonts: not counted.
        html, _fingerprint = render_report_html(round, LANGUAGE)
        pdf = html_to_pdf(html)
        renders, reports, baselines = [], [], []
        for _run in range(runs):
            start = time.perf_counter()
            html, _fingerprint = render_report_html(round, LANGUAGE)
            rendered = time.perf_counter()
            pdf = html_to_pdf(html)
            reported = time.perf_counter()
            html_to_pdf(html)
            baselined = time.perf_counter()
            renders.append(rendered - start)
            reports.append(reported - start)
            baselines.append(baselined - reported)

        report, baseline, render = (statistics.median(times) for times in (reports, baselines, renders))
        ratio = report / baseline
        verdict = "PASS" if ratio <= TARGET_RATIO else "ABOVE"
        self.stdout.write(f"report: {report:.2f} s/report (median of {runs})")
        self.stdout.write(f"baseline WeasyPrint on the same HTML: {baseline:.2f} s")
        self.stdout.write(f"ratio: {ratio:.2f} (target <= {TARGET_RATIO}: {verdict})")
        self.stdout.write(f"breakdown: render_report_html (context + charts + template) {render:.2f} s")
        self.stdout.write(f"html: {len(html) / 1024:.0f} KiB, pdf: {len(pdf) / 1024:.0f} KiB")
        pages = _page_count(pdf)
        if pages is not None:
            self.stdout.write(f"pages: {pages}")
        self.stdout.write(f"target: ratio <= {TARGET_RATIO}: {verdict}")
        self.measure_brief(round, runs, report)

    def measure_brief(self, round: Round, runs: int, report: float) -> None:
        """The two-page brief (context, template, WeasyPrint; no chart) against the full report's time."""
        briefs = []
        for _run in range(runs):
            start = time.perf_counter()
            html, _fingerprint = render_brief_html(round, LANGUAGE)
            pdf = html_to_pdf(html)
            briefs.append(time.perf_counter() - start)
        brief = statistics.median(briefs)
        verdict = "PASS" if brief <= BRIEF_TARGET_SECONDS else "ABOVE"
        pages = _page_count(pdf)
        self.stdout.write(
            f"brief: {brief:.2f} s/brief (median of {runs}) against {report:.2f} s for the full report"
            f" ({brief / report:.0%}){f', {pages} pages' if pages is not None else ''};"
            f" target <= {BRIEF_TARGET_SECONDS:.0f} s: {verdict}"
        )


def _page_count(pdf: bytes) -> int | None:
    try:
        from pypdf import PdfReader
    except ImportError:
        return None
    return len(PdfReader(io.BytesIO(pdf)).pages)
