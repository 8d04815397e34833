"""Demo improvement plans for ``manage.py seed_demo`` (through ``assessments.slots.DEMO_DATA``).

Most demo authorities get actions on the weakest indicators of their 2021 and 2023 rounds, followed
up in the later rounds: some done with dated progress and evidence links, some late, some on track,
some planned for next year, one or two dropped with a reason; a few public ones (only where a round
is published), a target raised to 4, a dismissed suggestion and reviewers' comments. Everything is
written through ``plans.services``, so that the history exists as if people had typed it. The same
data on every machine (``random.Random(slug)``), and a second run adds nothing: an action is known
by its authority, round and title.
"""

from __future__ import annotations

import calendar
import random
from dataclasses import dataclass, field
from datetime import date

from django.contrib.auth import get_user_model

from assessments.models import Authority, Round
from assessments.sheet import VALIDATED, answer_sheet
from indicators.models import Indicator

from . import services
from .models import Action


@dataclass(frozen=True)
class Template:
    """How a city might answer a weak indicator: the action, who leads it, and how it went."""

    title: str
    owner: str
    description: str
    first_step: str  # the first progress update
    result: str  # the update that closes it


HUMAN_MOBILITY = "Office of Human Mobility"
PLANNING = "Planning Department"
SOCIAL = "Social Services Directorate"
HEALTH = "Health Directorate"
EDUCATION = "Education Department"
HOUSING = "Housing and Urban Development Office"
ECONOMY = "Local Economic Development Office"
LEGAL = "Legal Affairs Office"
STATISTICS = "Statistics and Information Unit"
INTERNATIONAL = "International Relations Office"
FINANCE = "Finance Department"
STAFF = "Human Resources Department"
MAYOR = "Mayor's Office"

TEMPLATES: dict[str, Template] = {
    "HC-01": Template(
        "Set up an inter-departmental committee on human mobility",
        HUMAN_MOBILITY,
        "Bring health, education, housing, social services and planning together every quarter, "
        "with human mobility as a standing item and minutes kept.",
        "Terms of reference drafted with the five departments; a first meeting was held.",
        "The council adopted the committee's terms of reference; it has met every quarter since and keeps minutes.",
    ),
    "HC-02": Template(
        "Include migrants and displaced persons in the local development plan",
        PLANNING,
        "Add objectives, targets and budgeted actions for migrants and displaced persons to the next "
        "revision of the local development plan.",
        "A working group of the planning department reviewed the plan's chapters with migrant associations.",
        "The revised development plan, with a chapter on human mobility and its budget lines, was adopted.",
    ),
    "HC-03": Template(
        "Open municipal health centres to everyone, whatever their status",
        HEALTH,
        "Issue an instruction that no document on migration status is asked for at municipal health "
        "centres, and add migrants' needs to the local health plan.",
        "The instruction was drafted and discussed with the heads of the health centres.",
        "The instruction is in force in every municipal health centre; the health plan now has a section on migrants.",
    ),
    "HC-09": Template(
        "Migrants' health needs in the local health plan",
        HEALTH,
        "Add a chapter on migrants' health needs to the local health plan, with interpreters, outreach "
        "and a budget line, followed with attendance data by migratory status.",
        "The health directorate collected attendance data by migratory status for the first time.",
        "The health plan's chapter on migrants was adopted with its budget line and is reviewed every year.",
    ),
    "HC-04": Template(
        "Language support and school enrolment for migrant children",
        EDUCATION,
        "Enrol children whatever their documents, and fund after-school language classes in the "
        "districts where most newcomers live.",
        "Enrolment rules were simplified; two pilot language classes opened.",
        "Language classes run in six schools; enrolment no longer asks for residence documents.",
    ),
    "HC-05": Template(
        "Map informal settlements and plan services where newcomers live",
        HOUSING,
        "Map where migrants and displaced persons settle and plan water, transport and housing "
        "programmes for those districts.",
        "Field mapping done in three districts with the community health workers.",
        "The settlement map is part of the urban plan; two districts were added to the housing programme.",
    ),
    "HC-06": Template(
        "Open the municipal employment programme to migrants and returnees",
        ECONOMY,
        "Recognise skills acquired abroad, place migrants and returnees in jobs and support "
        "entrepreneurs who invest remittances.",
        "An agreement with the vocational training institute on recognising skills was signed.",
        "The employment desk now serves migrants and returnees; 140 people were placed in the first year.",
    ),
    "HC-07": Template(
        "A firewall between social services and immigration enforcement",
        SOCIAL,
        "Make sure legal aid, protection and anti-trafficking services reach migrants without "
        "anyone being reported to the immigration authorities.",
        "The directorate reviewed its data-sharing rules with the legal affairs office.",
        "A council resolution forbids passing users' data to immigration enforcement; staff were briefed.",
    ),
    "HC-08": Template(
        "Gender analysis of migration in sector policies",
        SOCIAL,
        "Analyse how migration affects women and families left behind in the employment, health "
        "and protection policies, and act on it.",
        "A gender analysis of the employment and protection policies was commissioned.",
        "The analysis was published and its recommendations were added to the sector policies.",
    ),
    "VC-01": Template(
        "A regular coordination table with the national migration authority",
        HUMAN_MOBILITY,
        "Agree with the national migration authority on a coordination table that meets twice a year.",
        "A first meeting with the national migration authority agreed on the table's purpose.",
        "The coordination table is formalised by an exchange of letters and met twice this year.",
    ),
    "VC-02": Template(
        "Align the local approach with the national migration plan",
        PLANNING,
        "Compare the city's measures with the national migration and development plan and send "
        "local findings to the ministry.",
        "The comparison with the national plan was done; gaps were listed.",
        "Local findings were sent to the ministry and two local measures were aligned with the national plan.",
    ),
    "VC-03": Template(
        "Document the city's competencies on migration",
        LEGAL,
        "List the city's competencies on migration in law and by delegation, and the gaps and "
        "overlaps with the province and the state.",
        "The legal affairs office reviewed the laws and delegations in force.",
        "The note on competencies, gaps and overlaps was adopted and shared with the province.",
    ),
    "VC-04": Template(
        "Ask for earmarked national funds for migration services",
        FINANCE,
        "Cost the migration functions the city performs and negotiate a transfer or earmarked "
        "funds with the national government.",
        "The costing of the city's migration functions was completed.",
        "The ministry agreed to an earmarked transfer covering two staff positions.",
    ),
    "VC-05": Template(
        "Exchange migration data with the national statistics office",
        STATISTICS,
        "Obtain disaggregated national data for the city and report local migration indicators in "
        "the voluntary local review.",
        "A data-sharing agreement was drafted with the national statistics office.",
        "The agreement is signed; local migration indicators appear in the voluntary local review.",
    ),
    "VC-06": Template(
        "Join the regional committee on migration and development",
        MAYOR,
        "Take part in the regional committee on migration and development and name a permanent representative.",
        "The city asked to join and named a representative.",
        "The city is a member of the regional committee and attended all its meetings this year.",
    ),
    "SP-01": Template(
        "Consult migrants when services are designed and evaluated",
        HUMAN_MOBILITY,
        "Hold consultations with migrants and displaced persons, including women and young people, "
        "before each plan or service that affects them is adopted.",
        "A consultation method was agreed with migrant associations; the first consultation was held.",
        "Consultations are now part of the planning procedure; three were held this year.",
    ),
    "SP-02": Template(
        "Involve the diaspora in local development",
        INTERNATIONAL,
        "Set up a contact point and an annual meeting with hometown associations abroad.",
        "A directory of hometown associations was compiled.",
        "The first diaspora forum was held; two co-financed projects came out of it.",
    ),
    "SP-03": Template(
        "Formal partnerships with migrant associations",
        SOCIAL,
        "Sign agreements with civil society organisations and migrant associations to deliver services together.",
        "Four organisations were selected after a call for partners.",
        "Partnership agreements with four organisations were signed and are running.",
    ),
    "SP-04": Template(
        "Bring employers and banks into the migration programme",
        ECONOMY,
        "Invite the chamber of commerce and financial institutions to join the employment and remittances initiatives.",
        "Meetings were held with the chamber of commerce and two banks.",
        "The chamber of commerce and one bank signed the programme's charter.",
    ),
    "SP-05": Template(
        "A research partnership on local migration",
        STATISTICS,
        "Work with the university on a yearly study of local migration.",
        "A memorandum of understanding with the university was drafted.",
        "The first joint study was published and presented to the council.",
    ),
    "SP-06": Template(
        "Information for migrants in their languages",
        HUMAN_MOBILITY,
        "Publish the results of consultations and the city's answers, and information on services "
        "in the languages migrants use.",
        "Key service leaflets were translated into three languages.",
        "A multilingual page on the city's website and printed guides are available at every service desk.",
    ),
    "SP-07": Template(
        "A safe complaint channel for migrants",
        MAYOR,
        "Write a complaint procedure for every city service that never reports anyone to the immigration "
        "authorities, and publish it in the languages migrants use.",
        "The ombudsperson's office drafted the procedure with two migrant associations.",
        "Complaints are taken in four languages, answered within 30 days and summarised each year.",
    ),
    "IN-01": Template(
        "Create a human mobility unit in the city administration",
        MAYOR,
        "Create a unit (or at least a mandated focal point) for human mobility, with a decree that "
        "sets out its mandate.",
        "The decree creating the unit was drafted.",
        "The unit was created by decree and has two staff members.",
    ),
    "IN-02": Template(
        "Adopt a municipal ordinance on human mobility",
        LEGAL,
        "Give the city's migration and development policy a legal basis in an ordinance.",
        "The draft ordinance was discussed with civil society.",
        "The council adopted the ordinance on human mobility.",
    ),
    "IN-03": Template(
        "A recurrent budget line for migration and development",
        FINANCE,
        "Move the migration programmes from project money to a recurrent line of the city budget.",
        "The programmes were costed for the next budget cycle.",
        "The budget adopted by the council has a recurrent line for migration and development.",
    ),
    "IN-04": Template(
        "Permanent staff for migration functions",
        STAFF,
        "Turn the project posts of the migration programme into permanent positions.",
        "Two project posts were included in the staffing plan.",
        "Two permanent positions were filled; the functions no longer depend on project funding.",
    ),
    "IN-05": Template(
        "A yearly training plan on migration for all departments",
        STAFF,
        "Train staff of every department on migration and development, every year.",
        "A training module was prepared with an international partner.",
        "120 staff from eight departments were trained; the module is in the yearly training plan.",
    ),
    "IN-06": Template(
        "Adopt a local migration and development action plan",
        PLANNING,
        "Write an action plan with a results framework and named responsibilities.",
        "A draft action plan was discussed with the departments concerned.",
        "The action plan was adopted with its results framework.",
    ),
    "IN-07": Template(
        "Constitute the multi-stakeholder committee formally",
        HUMAN_MOBILITY,
        "Give the multi-stakeholder committee terms of reference, a defined membership and regular minuted meetings.",
        "Terms of reference were drafted with the committee's members.",
        "The committee was formally constituted and now publishes the minutes of its meetings.",
    ),
    "DE-01": Template(
        "Map the local migration context",
        STATISTICS,
        "Carry out a study of immigrants, emigrants, returnees and displaced persons in the city.",
        "Data collection was completed in all districts.",
        "The migration profile of the city was published.",
    ),
    "DE-02": Template(
        "Disaggregate service records by migratory status, sex and age",
        STATISTICS,
        "Add migratory status, sex and age to the registration forms of the main services.",
        "The new fields were added to the social services' registration form.",
        "Health, education and social services now report data disaggregated by migratory status, sex and age.",
    ),
    "DE-03": Template(
        "Publish local migration data",
        STATISTICS,
        "Publish the city's migration data and analyses on its open data portal every year.",
        "A first data set was prepared for publication.",
        "The data sets and a yearly analysis are on the open data portal.",
    ),
    "DE-04": Template(
        "Migration indicators in the monitoring of the development plan",
        PLANNING,
        "Add migration indicators to the monitoring framework of the local development plan and to SDG reporting.",
        "Five indicators were chosen with the statistics unit.",
        "The indicators appear in the development plan's monitoring report and in the voluntary local review.",
    ),
    "DE-05": Template(
        "Evaluate the migration programmes",
        PLANNING,
        "Evaluate the main migration interventions and adjust the plans on the findings.",
        "An external evaluator was contracted.",
        "The evaluation was presented to the council; three recommendations were taken into the plan.",
    ),
    "DC-01": Template(
        "Include migration in city-to-city cooperation agreements",
        INTERNATIONAL,
        "Add a chapter on migration to the cooperation agreements renewed in the coming years.",
        "The chapter was negotiated with the first partner city.",
        "Two renewed cooperation agreements include a chapter on migration.",
    ),
    "DC-02": Template(
        "Diaspora associations in cooperation projects",
        INTERNATIONAL,
        "Involve migrant and diaspora associations in the cooperation projects, in both partner territories.",
        "Associations were invited to the project steering committee.",
        "Diaspora associations co-lead one cooperation project in each partner territory.",
    ),
    "DC-03": Template(
        "Join an international city network on migration",
        INTERNATIONAL,
        "Join an international network of cities on migration and take part in its peer learning.",
        "The city applied to the network.",
        "The city joined the network and hosted a peer-learning visit.",
    ),
    "DC-04": Template(
        "Document joint projects with international organisations",
        INTERNATIONAL,
        "Keep a record of the projects carried out with international organisations, share their "
        "results and plan their follow-up.",
        "A register of joint projects was started.",
        "The register is public and each project has a follow-up plan.",
    ),
}

DELAYS = (
    "Work slowed when the budget was revised mid-year; a new timetable goes to the council at its next session.",
    "The lead officer left and the post stayed vacant for several months; work has restarted.",
    "The partner organisations asked for more consultation than planned; the draft is being revised.",
    "Elections froze new commitments for a while; the new administration confirmed the action.",
)
DROP_REASONS = (
    "Superseded: the national government took over this function under the new mobility law, "
    "so the city no longer leads it.",
    "No budget could be found after the budget revision; the aim moves into the action on a recurrent budget line.",
)
REVIEW_COMMENTS = {
    "late": "This was due some time ago. Please give a new date, or say what stands in the way, before the next review.",
    "done": "Well documented: the adopted text answers what the review asked for.",
}
# Authorities whose plans stay empty (so the empty plan shows too), and who drops what.
WITHOUT_PLAN = ("bicol", "tuscany")
DROPPING = ("kasserine", "sao-paulo")
TARGET_FOUR = "quito"  # raises its target on one indicator to 4
DISMISSING = "naga-city"  # dismisses one suggestion
COMMENTED = {"quito": ("2021", "late"), "kasserine": ("2023", "done")}  # authority: (origin period, kind)


@dataclass
class Story:
    """One action of the demo and what happens to it after it is made."""

    origin: Round
    targets: dict[Indicator, int]
    kind: str  # done, late, dropped, on_track, planned
    start: date
    due: date
    updates: list[tuple[date, Round | None, str, str]] = field(default_factory=list)  # date, round, text, url
    public: bool = False
    raise_target: bool = False  # the authority sets its target level on the indicator to the action's

    @property
    def template(self) -> Template:
        return TEMPLATES[next(iter(self.targets)).code]


def seed(stdout) -> None:
    """Add the demo authorities' improvement plans (idempotent)."""
    User = get_user_model()
    reviewer = User.objects.filter(username="reviewer").first()
    published = set(Round.objects.published().values_list("authority_id", flat=True))
    added = authorities = 0
    for authority in Authority.objects.exclude(slug__in=WITHOUT_PLAN).order_by("slug"):
        rounds = {r.period: r for r in Round.objects.filter(authority=authority).select_related("authority")}
        editor = User.objects.filter(username=f"{authority.slug}-editor").first()
        approver = User.objects.filter(username=f"{authority.slug}-approver").first()
        if "2021" not in rounds or "2023" not in rounds or editor is None or approver is None:
            continue
        rng = random.Random(authority.slug)  # the same plans on every machine
        stories, dismissed = _stories(authority, rounds, rng, authority.pk in published)
        count = 0
        for story in stories:
            if _tell(story, authority, editor, approver, reviewer, rng):
                count += 1
        if dismissed is not None:
            services.suggestion_dismiss(round=rounds["2023"], indicator=dismissed, actor=editor)
        added += count
        authorities += bool(count)
    stdout.write(f"Improvement plans: {added} actions added for {authorities} authorities.")


def _weakest(round: Round, rng: random.Random) -> list[tuple[Indicator, int]]:
    """The round's indicators at level 2 or below, weakest first (ties in a seeded order)."""
    sheet = answer_sheet(round)
    levels = [(indicator, sheet.item(indicator, VALIDATED).level) for indicator in sheet.indicators]
    weak = [(indicator, level) for indicator, level in levels if level is not None and level <= 2]
    keys = {indicator.pk: rng.random() for indicator, _level in weak}
    return sorted(weak, key=lambda pair: (pair[1], keys[pair[0].pk]))


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _target(level: int, rng: random.Random) -> int:
    return 4 if level >= 3 or rng.random() < 0.25 else 3


def _stories(authority: Authority, rounds: dict[str, Round], rng: random.Random, published: bool):
    """What the authority did from its 2021 and 2023 rounds; the stories depend only on its rounds' answers."""
    r21, r23 = rounds["2021"], rounds["2023"]
    later = rounds.get("2025")  # the round in which progress made since 2024 is reported (if there is one)
    stories: list[Story] = []

    weak21 = _weakest(r21, rng)
    kinds21 = ["done", "late", "dropped" if authority.slug in DROPPING else "done"]
    picked21 = weak21[: len(kinds21)]
    used = {indicator.code for indicator, _level in picked21}
    for (indicator, level), kind in zip(picked21, kinds21, strict=False):
        targets = {indicator: _target(level, rng)}
        if kind == "done":  # a second indicator of the same dimension, when one is weak too, moves with it
            extra = next(
                (i for i, _l in weak21 if i.dimension_id == indicator.dimension_id and i.code not in used), None
            )
            if extra is not None and not stories:
                targets[extra] = 3
                used.add(extra.code)
        start = date(2022, rng.randint(1, 4), 1)
        story = Story(r21, targets, kind, start, _month_end(2023, rng.choice((6, 9, 11))))
        template = story.template
        if kind == "done":
            story.updates = [
                (date(2022, start.month + 4, rng.randint(2, 27)), r23, template.first_step, ""),
                (
                    date(2023, story.due.month - 2, rng.randint(2, 27)),
                    r23,
                    template.result,
                    f"https://example.org/{authority.slug}/plan/{indicator.code.lower()}-2023",
                ),
            ]
        elif kind == "late":
            story.due = date(2023, 12, 31)
            story.updates = [
                (date(2023, rng.randint(3, 8), rng.randint(2, 27)), r23, template.first_step, ""),
                (date(2025, rng.randint(2, 10), rng.randint(2, 27)), later, rng.choice(DELAYS), ""),
            ]
        stories.append(story)

    weak23 = [(i, level) for i, level in _weakest(r23, rng) if i.code not in used]
    kinds23 = ["done", "late", "on_track", "planned"] if rng.random() < 0.6 else ["done", "late", "planned"]
    for (indicator, level), kind in zip(weak23, kinds23, strict=False):
        raise_target = authority.slug == TARGET_FOUR and kind == "late"
        target = 4 if raise_target else _target(level, rng)
        story = Story(r23, {indicator: target}, kind, date(2024, rng.randint(1, 6), 1), date(2024, 12, 31))
        story.raise_target = raise_target
        template = story.template
        if kind == "done":
            story.due = date(2025, 6, 30)
            story.public = rng.random() < 0.7 and published  # public only where a round is published
            story.updates = [
                (date(2024, rng.randint(7, 11), rng.randint(2, 27)), later, template.first_step, ""),
                (
                    date(2025, rng.randint(3, 5), rng.randint(2, 27)),
                    later,
                    template.result,
                    f"https://example.org/{authority.slug}/plan/{indicator.code.lower()}-2025",
                ),
            ]
        elif kind == "late":
            story.due = _month_end(2026, rng.choice((3, 6, 9)))
            story.updates = [(date(2025, rng.randint(1, 9), rng.randint(2, 27)), later, template.first_step, "")]
        elif kind == "on_track":
            story.start, story.due = date(2025, 3, 1), date(2026, 12, 31)
            story.updates = [
                (date(2025, rng.randint(5, 12), rng.randint(2, 27)), later, template.first_step, ""),
                (date(2026, rng.randint(4, 10), rng.randint(2, 27)), later, rng.choice(DELAYS[2:]), ""),
            ]
        else:  # planned for next year
            story.start, story.due = date(2027, rng.randint(1, 3), 15), _month_end(2027, rng.choice((9, 12)))
        stories.append(story)
    remaining = weak23[len(kinds23) :]
    dismissed = remaining[0][0] if authority.slug == DISMISSING and remaining else None
    return stories, dismissed


STATUSES = {
    "done": Action.Status.IN_PROGRESS,  # made in progress, then marked done after its updates
    "late": Action.Status.IN_PROGRESS,
    "on_track": Action.Status.IN_PROGRESS,
    "dropped": Action.Status.PLANNED,
    "planned": Action.Status.PLANNED,
}
BUDGETS = {
    "done": Action.Budget.FULL,
    "late": Action.Budget.PARTIAL,
    "on_track": Action.Budget.PARTIAL,
    "dropped": Action.Budget.NONE,
    "planned": Action.Budget.NONE,
}


def _tell(story: Story, authority: Authority, editor, approver, reviewer, rng: random.Random) -> bool:
    """Make the story's action and live through it; nothing when the action exists (a second run)."""
    template = story.template
    # Drawn before the check, so that the next stories draw the same numbers on every run.
    amount = rng.randrange(5, 80) * 1000 if story.kind in ("done", "on_track", "late") else None
    reason = rng.choice(DROP_REASONS)
    if Action.objects.filter(plan__authority=authority, origin_round=story.origin, title=template.title).exists():
        return False
    if story.raise_target:
        for indicator, level in story.targets.items():
            services.target_set(authority=authority, indicator_code=indicator.code, level=level, actor=approver)
    action = services.action_create(
        authority=authority,
        origin_round=story.origin,
        actor=editor,
        title=template.title,
        owner=template.owner,
        description=template.description,
        owner_user=editor if story.kind in ("late", "on_track") else None,
        start_date=story.start,
        due_date=story.due,
        targets=story.targets,
        budget=BUDGETS[story.kind],
        budget_amount=amount,
        public=story.public,
        status=STATUSES[story.kind],
    )
    for day, round, text, url in story.updates:
        services.update_add(action=action, actor=editor, text=text, date=day, round=round, url=url)
    if story.kind == "done":
        services.action_set_status(action=action, actor=editor, status=Action.Status.DONE)
    elif story.kind == "dropped":
        services.action_set_status(action=action, actor=approver, status=Action.Status.DROPPED, reason=reason)
    if reviewer is not None and COMMENTED.get(authority.slug) == (story.origin.period, story.kind):
        round = Round.objects.filter(authority=authority).order_by("-period").first()
        services.comment_add(action=action, actor=reviewer, text=REVIEW_COMMENTS[story.kind], round=round)
    return True
