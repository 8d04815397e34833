"""Create demo authorities and users for the embedded mode. Idempotent; refuses in production."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from assessments.models import Authority, Membership

DEMO_PASSWORD = "coherence-demo"

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
        with transaction.atomic():
            logins = self.seed_people()
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
