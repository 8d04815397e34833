"""Demo levels and territories for ``manage.py seed_demo`` (through ``assessments.slots.DEMO_DATA``).

- **A region and its municipalities.** Calabarzon (a demo region) is the parent of two municipalities
  the demo adds for it, Batangas City and Lipa City, each with an editor and an approver like every
  demo authority, and validated rounds for 2021, 2023 and 2025 (seed_demo gives every authority a
  2021 round; these have theirs too, so that a second run of seed_demo opens none). Both consent to
  their region's view of their 2023 and 2025 rounds, not of 2021. Batangas City sits on a regional
  committee on migration (VC-06 at 3) without a migration unit (IN-01 at 2); Lipa City has a unit and
  no committee seat, so that the roll-up's two flags differ between them.
- **Partner territories.** Kasserine proposes a decentralised-cooperation partnership to Tuscany,
  Tuscany confirms it, and Kasserine shares the cooperation agreement (a link) with it.
- **A national counterpart.** The first submitted round among ``COUNTERPARTS`` (Pichincha's 2025
  round in the demo) gets a national counterpart, invited by the authority's approver, who answers
  every mirrored indicator around the city's own levels (some a level or two apart, one "don't
  know") and submits, so that the comparison is open. The counterpart logs in with their e-mail
  address and the demo password. The invitation mail goes to the outbox like any other.

Everything is written through ``assessments.services`` and ``territories.services`` as if people had
typed it. The same data on every machine (``random.Random`` seeded by slug and period), and a second
run adds nothing: a municipality is known by its slug, a round by its period, the partnership by its
pair, the counterpart by its e-mail address.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date

from django.contrib.auth import get_user_model

from assessments import services as assessment_services
from assessments.management.commands.seed_demo import DEMO_PASSWORD, demo_edition
from assessments.management.commands.seed_demo import Command as AssessmentDemo
from assessments.models import Answer, Authority, Membership, Round
from indicators.rules import HIGHEST_LEVEL, LOWEST_LEVEL

from . import services
from .models import Counterpart, CounterpartAnswer, Partnership

REGION = "calabarzon"


@dataclass(frozen=True)
class Municipality:
    """A municipality of the demo region: its validated levels of VC-06 and IN-01 by period, and how high it sits."""

    name: str
    slug: str
    lift: int  # added to the demo's usual spread of levels (seed_demo's ``round_level``)
    levels: dict[str, dict[str, int]]  # period → indicator code → level


MUNICIPALITIES = (
    Municipality(
        "Batangas City",
        "batangas-city",
        lift=1,
        levels={
            "2021": {"VC-06": 2, "IN-01": 1},
            "2023": {"VC-06": 3, "IN-01": 2},
            "2025": {"VC-06": 3, "IN-01": 2},
        },
    ),
    Municipality(
        "Lipa City",
        "lipa-city",
        lift=0,
        levels={
            "2021": {"VC-06": 1, "IN-01": 2},
            "2023": {"VC-06": 1, "IN-01": 3},
            "2025": {"VC-06": 2, "IN-01": 4},
        },
    ),
)
PERIODS = ("2021", "2023", "2025")
CONSENTED = ("2023", "2025")  # 2021 stays the municipality's own: the region does not see it

PARTNERS = ("kasserine", "tuscany")  # the first proposes, the second confirms
PARTNERSHIP_DESCRIPTION = (
    "Decentralised cooperation between the Governorate of Kasserine and the Tuscany Region on youth "
    "employment and mobility: vocational training with Tuscan schools, seasonal-work placements with "
    "fair recruitment, and a fund that matches the investments of Kasserine's diaspora in Tuscany."
)
PARTNERSHIP_EVIDENCE = (
    "Cooperation agreement between the Governorate of Kasserine and the Tuscany Region, 2024–2027",
    "https://example.org/kasserine-tuscany/cooperation-agreement-2024-2027.pdf",
)


@dataclass(frozen=True)
class CounterpartPlan:
    """Who answers for the national level when the authority's round is the one picked."""

    slug: str
    name: str
    organisation: str


# By preference: the first of these authorities with a submitted round gets the counterpart.
COUNTERPARTS = (
    CounterpartPlan("quito", "Daniela Andrade", "Ministry of Foreign Affairs and Human Mobility, Ecuador"),
    CounterpartPlan("pichincha", "Daniela Andrade", "Ministry of Foreign Affairs and Human Mobility, Ecuador"),
    CounterpartPlan("cuenca", "Daniela Andrade", "Ministry of Foreign Affairs and Human Mobility, Ecuador"),
    CounterpartPlan("kasserine", "Sami Trabelsi", "Ministry of Social Affairs, Tunisia"),
    CounterpartPlan("bicol", "Maria Santos", "Department of Migrant Workers, Philippines"),
)

# What the national level sees, indicator by indicator: how far from the city's level (None: don't
# know) and why. Written as a ministry official would, whatever the city answered.
COUNTERPART_VIEW: dict[str, tuple[int | None, str]] = {
    "VC-01": (
        -1,
        "The protocol with the ministry is signed, but the joint committee met once last year and kept no minutes.",
    ),
    "VC-02": (0, "The local plan cites the national human mobility plan; the local data reached us for its review."),
    "VC-03": (
        -2,
        "The law names the competencies only in general terms; no mapping of overlaps has been shared with us.",
    ),
    "VC-04": (
        1,
        "Our budget funds two posts of the local human mobility office and the reception centre, every year since 2023.",
    ),
    "VC-05": (-1, "We send quarterly figures for the territory; local indicators have come back to us only once."),
    "VC-06": (0, "The city attends the zonal committee on human mobility and co-chaired two of its working groups."),
    "DE-02": (1, "The city's social services report by nationality, sex and age through the national registry."),
    "DE-04": (-1, "The city's voluntary local review mentions migration, but without the agreed indicators."),
    "DC-04": (None, "The ministry keeps no record of the city's projects with international organisations."),
}
DEFAULT_VIEW = (0, "Consistent with the ministry's records.")


def seed(stdout) -> None:
    """Add the demo region's municipalities, the Kasserine–Tuscany partnership and a national counterpart (idempotent)."""
    User = get_user_model()
    admin = User.objects.filter(username="admin", is_superuser=True).first()
    reviewer = User.objects.filter(username="reviewer").first()
    if admin is None or reviewer is None:  # seed_demo's people are missing: nothing to build on
        return
    # Registered first on DEMO_DATA (order=50), so that the other apps' demo data find its municipalities.
    region, rounds = _municipalities(admin, reviewer)
    partnership = _partnership()
    counterpart = _counterpart()

    done = []
    if region is not None:
        children = ", ".join(region.children.order_by("name").values_list("name", flat=True))
        done.append(f"{region} is the parent of {children} ({rounds} rounds added)")
    if partnership is not None:
        done.append(f"{partnership.first} and {partnership.second} are partners")
    if counterpart is not None:
        done.append(f"{counterpart.round} has a national counterpart who answered")
    stdout.write("Territories: " + "; ".join(done) + ".")
    logins = [f"{m.slug}-{role.value}" for m in MUNICIPALITIES for role in Membership.Role]
    if counterpart is not None:
        logins.append(counterpart.user.username)
    stdout.write("More logins: " + ", ".join(logins))


# --- the region and its municipalities -----------------------------------------------------------


def _municipalities(admin, reviewer) -> tuple[Authority | None, int]:
    """The region's municipalities, their people and validated rounds, their parent and consents; rounds added."""
    region = Authority.objects.filter(slug=REGION).first()
    if region is None:
        return None, 0
    added = 0
    for plan in MUNICIPALITIES:
        authority, _created = Authority.objects.get_or_create(
            slug=plan.slug,
            defaults={
                "name": plan.name,
                "kind": Authority.Kind.MUNICIPALITY,
                "country": region.country,
                "region": region.region,
            },
        )
        people = {role: _person(authority, role) for role in Membership.Role}
        editor, approver = people[Membership.Role.EDITOR], people[Membership.Role.APPROVER]
        for period in PERIODS:
            if not Round.objects.filter(authority=authority, period=period).exists():
                _validated_round(authority, period, plan, editor, approver, reviewer)
                added += 1
        if authority.parent_id != region.pk:
            services.authority_set_parent(authority=authority, parent=region, actor=admin)
        for round in Round.objects.filter(authority=authority, period__in=CONSENTED, rollup_consent__isnull=True):
            services.rollup_consent_give(round=round, actor=approver)
    return region, added


def _person(authority: Authority, role: Membership.Role):
    """The authority's demo editor or approver, named like every demo login, with the demo password."""
    User = get_user_model()
    account, created = User.objects.update_or_create(
        username=f"{authority.slug}-{role.value}", defaults={"first_name": authority.name, "last_name": role.label}
    )
    if created:  # hashing is slow on purpose: once per account
        account.set_password(DEMO_PASSWORD)
        account.save(update_fields=["password"])
    Membership.objects.update_or_create(user=account, authority=authority, defaults={"role": role})
    return account


def _validated_round(authority: Authority, period: str, plan: Municipality, editor, approver, reviewer) -> Round:
    """Open, answer (with evidence), submit and validate one round, as seed_demo does for every authority."""
    rng = random.Random(f"{authority.slug}-{period}")  # the same demo data on every machine
    round = assessment_services.round_create(
        authority=authority,
        period=period,
        actor=approver,
        due_date=date(int(period), 11, 30),
        version=demo_edition(period),
    )
    AssessmentDemo().answer_all(round, editor, rng, plan.lift, partial=False)
    for code, level in plan.levels[period].items():
        _answer_at(round, code, level, editor)
    assessment_services.round_submit(round=round, actor=approver)
    # Validated as the city gave it, so that the roll-up shows the levels planned above.
    assessment_services.round_review(
        round=round, actor=reviewer, decisions={}, action=assessment_services.ReviewAction.VALIDATE
    )
    return round


def _answer_at(round: Round, code: str, level: int, editor) -> None:
    """Set one answer to ``level``, with the evidence that level needs."""
    answer = Answer.objects.select_related("indicator").get(round=round, indicator__code=code)
    indicator = answer.indicator
    assessment_services.answer_save(
        round=round,
        indicator=indicator,
        actor=editor,
        response=Answer.Response.LEVEL,
        level=level,
        justification=f"{indicator.descriptors[level]} (demo answer)",
        base_revision=answer.revision,
    )
    if level >= indicator.evidence_from_level and not answer.evidence.exists():
        assessment_services.evidence_add(
            round=round,
            indicator=indicator,
            actor=editor,
            description="Executive order and minutes of the last meeting",
            url=f"https://example.org/{round.authority.slug}/{round.period}/{code.lower()}",
        )


# --- partner territories -------------------------------------------------------------------------


def _partnership() -> Partnership | None:
    """Kasserine proposes, Tuscany confirms, Kasserine shares the agreement; None without them."""
    User = get_user_model()
    authorities = {a.slug: a for a in Authority.objects.filter(slug__in=PARTNERS)}
    if len(authorities) < len(PARTNERS):
        return None
    proposer, partner = (authorities[slug] for slug in PARTNERS)
    first, second = sorted((proposer, partner), key=lambda a: a.pk)
    existing = Partnership.objects.filter(first=first, second=second).select_related("first", "second").first()
    if existing is not None:
        return existing
    proposer_approver = User.objects.get(username=f"{proposer.slug}-approver")
    partnership = services.partnership_propose(
        authority=proposer, partner=partner, actor=proposer_approver, description=PARTNERSHIP_DESCRIPTION
    )
    partnership = services.partnership_confirm(
        partnership=partnership, actor=User.objects.get(username=f"{partner.slug}-approver")
    )
    title, url = PARTNERSHIP_EVIDENCE
    services.partnership_evidence_add(partnership=partnership, actor=proposer_approver, title=title, url=url)
    return partnership


# --- the national counterpart --------------------------------------------------------------------


def _email(plan: CounterpartPlan) -> str:
    return f"counterpart-{plan.slug}@example.org"


def _counterpart() -> Counterpart | None:
    """Invite, answer and submit the counterpart of the first submitted round among COUNTERPARTS."""
    existing = (
        Counterpart.objects.filter(user__email__in=[_email(plan) for plan in COUNTERPARTS])
        .select_related("round__authority", "user")
        .first()
    )
    if existing is not None:
        return existing
    rounds = {
        r.authority.slug: r
        for r in Round.objects.filter(
            authority__slug__in=[plan.slug for plan in COUNTERPARTS], status=Round.Status.SUBMITTED
        )
        .select_related("authority")
        .order_by("period")  # the latest submitted round of each authority wins
    }
    plan = next((plan for plan in COUNTERPARTS if plan.slug in rounds), None)
    if plan is None:
        return None
    round = rounds[plan.slug]
    approver = get_user_model().objects.get(username=f"{plan.slug}-approver")
    counterpart = services.counterpart_invite(
        round=round,
        actor=approver,
        email=_email(plan),
        name=plan.name,
        organisation=plan.organisation,
        level=Counterpart.Level.NATIONAL,
    )
    user = counterpart.user  # the invitation lets them set a password; the demo gives them the usual one
    user.set_password(DEMO_PASSWORD)
    user.save(update_fields=["password"])

    city = dict(Answer.objects.filter(round=round).values_list("indicator_id", "level"))
    for indicator in services.mirrored_indicators(round):
        offset, justification = COUNTERPART_VIEW.get(indicator.code, DEFAULT_VIEW)
        if offset is None:
            response, level = CounterpartAnswer.Response.DONT_KNOW, None
        else:
            own = city.get(indicator.pk)  # None where the city answered "don't know" or N/A
            level = max(LOWEST_LEVEL, min(HIGHEST_LEVEL, (2 if own is None else own) + offset))
            response = CounterpartAnswer.Response.LEVEL
        services.counterpart_answer_save(
            counterpart=counterpart,
            actor=user,
            indicator=indicator,
            response=response,
            level=level,
            justification=justification,
        )
    return services.counterpart_submit(counterpart=counterpart, actor=user)
