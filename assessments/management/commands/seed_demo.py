"""Create demo authorities, users and rounds for the embedded mode. Idempotent; refuses in production."""

import io
import random
from datetime import date

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from PIL import Image, ImageDraw

from assessments import services, slots
from assessments.models import Answer, Authority, Membership, Round, Thread
from indicators.models import CatalogueVersion

DEMO_PASSWORD = "coherence-demo"
# The catalogue's second edition (HC-01 and HC-04 reworded, HC-03 split into HC-03 and HC-09, SP-07 new,
# DE-05 retired), so that trends span two editions and a draft can be moved to the newer one.
SECOND_EDITION = settings.BASE_DIR / "fixtures" / "catalogue_v2.json"
SECOND_EDITION_FROM = "2025"  # the first period assessed on it


def demo_edition(period: str) -> CatalogueVersion:
    """The edition a demo round of ``period`` is on: the first before 2025, the current one from then."""
    published = CatalogueVersion.objects.filter(status=CatalogueVersion.Status.PUBLISHED)
    if period >= SECOND_EDITION_FROM:
        return CatalogueVersion.objects.current()
    return published.order_by("number").first()


# (name, slug, kind, country, world region): the brief's real cases and their peers.
AUTHORITIES = [
    ("Pichincha", "pichincha", Authority.Kind.PROVINCE, "Ecuador", "Latin America and the Caribbean"),
    ("Quito", "quito", Authority.Kind.MUNICIPALITY, "Ecuador", "Latin America and the Caribbean"),
    ("Naga City", "naga-city", Authority.Kind.MUNICIPALITY, "Philippines", "Asia and the Pacific"),
    ("Calabarzon", "calabarzon", Authority.Kind.REGION, "Philippines", "Asia and the Pacific"),
    ("Bicol", "bicol", Authority.Kind.REGION, "Philippines", "Asia and the Pacific"),
    ("Kasserine", "kasserine", Authority.Kind.PROVINCE, "Tunisia", "Africa"),
    ("Tuscany", "tuscany", Authority.Kind.REGION, "Italy", "Europe"),
    ("Accra", "accra", Authority.Kind.MUNICIPALITY, "Ghana", "Africa"),
    ("Montréal", "montreal", Authority.Kind.MUNICIPALITY, "Canada", "North America"),
    ("São Paulo", "sao-paulo", Authority.Kind.MUNICIPALITY, "Brazil", "Latin America and the Caribbean"),
    ("Cuenca", "cuenca", Authority.Kind.MUNICIPALITY, "Ecuador", "Latin America and the Caribbean"),
]
REVIEWERS_GROUP = "Programme reviewers"


class Command(BaseCommand):
    help = "Create demo authorities and users (embedded mode only). Safe to run again."

    def handle(self, **options):
        if not settings.DEBUG:
            raise CommandError("seed_demo creates users with a known password: it runs only with DEBUG on.")
        if CatalogueVersion.objects.current() is None:
            raise CommandError("Load the catalogue first: manage.py load_catalogue")
        with transaction.atomic():
            logins = self.seed_people()
            call_command("load_catalogue", str(SECOND_EDITION), verbosity=0)
            self.seed_rounds()
            self.seed_logos()
            for seed in slots.DEMO_DATA.fillers():  # plans, consultations … from the apps above
                seed(self.stdout)
        self.stdout.write(self.style.SUCCESS(f"Demo data ready. Every demo user's password: {DEMO_PASSWORD}"))
        self.stdout.write("Logins: " + ", ".join(logins))

    def seed_people(self) -> list[str]:
        User = get_user_model()
        reviewers, _created = Group.objects.get_or_create(name=REVIEWERS_GROUP)
        reviewers.permissions.add(Permission.objects.get(codename="review_round"))

        def user(username: str, **fields) -> "User":
            account, created = User.objects.update_or_create(username=username, defaults=fields)
            if created:  # hashing is slow on purpose: do it once per account
                account.set_password(DEMO_PASSWORD)
                account.save(update_fields=["password"])
            return account

        user("admin", is_staff=True, is_superuser=True, first_name="Ada", last_name="Admin")
        user("reviewer", first_name="Rita", last_name="Reviewer").groups.add(reviewers)
        logins = ["admin", "reviewer"]
        for name, slug, kind, country, region in AUTHORITIES:
            authority, _created = Authority.objects.update_or_create(
                slug=slug, defaults={"name": name, "kind": kind, "country": country, "region": region}
            )
            for role in Membership.Role:
                account = user(f"{slug}-{role.value}", first_name=name, last_name=role.label)
                Membership.objects.update_or_create(user=account, authority=authority, defaults={"role": role})
                logins.append(account.username)
        return logins

    # Each authority gets rounds for 2021 and 2023 (validated) and 2025 in a state that
    # rotates through the workflow, so that every page has real content. A "carried" round starts
    # from the authority's 2023 round: its answers wait for confirmation, a few already confirmed.
    # The 2021 and 2023 rounds are on the first edition, the 2025 ones on the second, but for the
    # carried rounds and the drafts with answers, left on the first for their city to move.
    STATES_2025 = ["draft", "submitted", "returned", "validated", "carried", "draft-empty"]
    ON_FIRST_EDITION = {"draft", "carried"}

    def seed_rounds(self) -> None:
        User = get_user_model()
        reviewer = User.objects.get(username="reviewer")
        for index, authority in enumerate(Authority.objects.order_by("slug")):
            editor = User.objects.get(username=f"{authority.slug}-editor")
            approver = User.objects.get(username=f"{authority.slug}-approver")
            rng = random.Random(authority.slug)  # the same demo data on every machine
            base = rng.randint(0, 2)
            plan = [("2021", "validated", base), ("2023", "validated", base + 1)]
            plan.append(("2025", self.STATES_2025[index % len(self.STATES_2025)], base + 1))
            for period, state, lift in plan:
                if Round.objects.filter(authority=authority, period=period).exists():
                    continue
                start_from = Round.objects.get(authority=authority, period="2023") if state == "carried" else None
                round = services.round_create(
                    authority=authority,
                    period=period,
                    actor=approver,
                    due_date=date(int(period), 11, 30),
                    version=demo_edition("2023" if state in self.ON_FIRST_EDITION else period),
                    start_from=start_from,
                )
                if state == "carried":
                    self.confirm_some(round, editor, count=5)
                if state in ("draft-empty", "carried"):
                    continue
                self.answer_all(round, editor, rng, lift, partial=state == "draft")
                if state == "draft":
                    continue
                services.round_submit(round=round, actor=approver)
                if state == "submitted":
                    continue
                self.review(round, reviewer, rng, state, approver, editor)
                if state == "validated" and rng.random() < 0.6:
                    services.round_set_consent(round=round, actor=approver, consent=True)

    # A few authorities show a logo on their reports' covers and public profiles (drawn here: no files to ship).
    LOGO_COLOURS = {
        "quito": ("#0b5ed7", "#dc4c0f"),
        "kasserine": ("#b02a37", "#198754"),
        "accra": ("#6f42c1", "#ffc107"),
    }

    def seed_logos(self) -> None:
        for slug, (disc, bar) in self.LOGO_COLOURS.items():
            authority = Authority.objects.get(slug=slug)
            if authority.logo:
                continue
            image = Image.new("RGB", (360, 120), "white")
            draw = ImageDraw.Draw(image)
            draw.ellipse((10, 10, 110, 110), fill=disc)
            draw.rectangle((130, 45, 350, 85), fill=bar)
            data = io.BytesIO()
            image.save(data, "PNG")
            approver = get_user_model().objects.get(username=f"{slug}-approver")
            upload = SimpleUploadedFile("logo.png", data.getvalue(), content_type="image/png")
            services.authority_logo_set(authority=authority, actor=approver, file=upload)

    def confirm_some(self, round, editor, count: int) -> None:
        """Confirm the first ``count`` carried answers as they came, as an official revisiting them would."""
        for answer in Answer.objects.filter(round=round, carried_over=True).order_by(
            "indicator__dimension__order", "indicator__order"
        )[:count]:
            services.answer_save(
                round=round,
                indicator=answer.indicator,
                actor=editor,
                response=answer.response,
                level=answer.level,
                justification=answer.justification,
                base_revision=answer.revision,
            )

    def answer_all(self, round, editor, rng, lift: int, partial: bool) -> None:
        indicators = list(services.round_indicators(round))
        if partial:
            indicators = indicators[: len(indicators) * 2 // 3]
        for indicator in indicators:
            roll = rng.random()
            if indicator.na_allowed and roll < 0.08:
                response, level, text = (
                    Answer.Response.NOT_APPLICABLE,
                    None,
                    "Outside our mandate: a national competence.",
                )
            elif roll < 0.12:
                response, level, text = (
                    Answer.Response.DONT_KNOW,
                    None,
                    "The department responsible has not answered yet.",
                )
            else:
                level = max(0, min(4, round_level(rng, lift)))
                response, text = Answer.Response.LEVEL, f"{indicator.descriptors[level]} (demo answer)"
            services.answer_save(
                round=round,
                indicator=indicator,
                actor=editor,
                response=response,
                level=level,
                justification=text,
                base_revision=0,
            )
            if level is not None and level >= indicator.evidence_from_level:
                services.evidence_add(
                    round=round,
                    indicator=indicator,
                    actor=editor,
                    description="Council minutes and terms of reference",
                    url=f"https://example.org/{round.authority.slug}/{round.period}/{indicator.code.lower()}",
                )

    def review(self, round, reviewer, rng, state, approver, editor) -> None:
        indicators = list(services.round_indicators(round))
        picked = rng.sample(indicators, 2)
        decisions = {
            i.pk: services.Decision(comment="Please attach the adopted text, not the draft.", send_back=True)
            for i in picked
        }
        services.round_review(round=round, actor=reviewer, decisions=decisions, action=services.ReviewAction.RETURN)
        # The return comments opened a thread on each indicator; the city answers in it.
        for indicator in picked:
            services.comment_add(
                round=round,
                indicator=indicator,
                actor=editor,
                body=f"The council adopted it in March. @{approver.username}, could you find the signed copy?",
            )
        if state == "returned":
            return
        for indicator in picked:
            answer = Answer.objects.get(round=round, indicator=indicator)
            services.answer_save(
                round=round,
                indicator=indicator,
                actor=editor,
                response=answer.response,
                level=answer.level,
                justification=answer.justification + " The adopted text is now attached.",
                base_revision=answer.revision,
            )
        services.round_submit(round=round, actor=approver)
        for thread in Thread.objects.open().filter(round=round):
            services.comment_add(
                round=round, indicator=thread.indicator, actor=reviewer, body="Thank you: the adopted text is enough."
            )
            services.thread_resolve(thread=thread, actor=reviewer)
        adjust = rng.choice(indicators)
        decisions = {adjust.pk: services.Decision(validated_level=1, comment="Evidence shows a plan, not yet adopted.")}
        services.round_review(
            round=round,
            actor=reviewer,
            decisions=decisions,
            action=services.ReviewAction.VALIDATE,
            note="Validated after the return: the adopted texts are attached. Well documented overall.",
        )


def round_level(rng: random.Random, lift: int) -> int:
    """A plausible level: most cities sit around Partial, older rounds lower."""
    return int(rng.triangular(0, 4.99, 1 + lift))
