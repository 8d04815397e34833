"""Demo participation for ``manage.py seed_demo`` (through ``assessments.slots.DEMO_DATA``).

Every demo authority keeps a register of the groups it consults (invented but plausible names, no
persons). Most demo rounds record one to three consultations: workshops, meetings, hearings,
online exchanges, some with migrant, diaspora or refugee-led groups, some only with officials,
employers or researchers, with participants, languages, the indicators discussed and a summary
of what was said. In two draft rounds the city answers two more indicators at level 2 on the
strength of a consultation alone, so that their evidence coverage visibly counts consultations.
Quito's 2025 round has a closed perception survey with eight responses (a median is shown), Naga
City's an open one with three (too few to show).

Writes go through ``participation.services`` (and ``assessments.services`` for the two answers),
as if people had typed them, except the consultations of rounds already submitted or validated:
the service refuses those, rightly, since a round's evidence is frozen once signed off, but demo
data stands for history that happened while the round was open. Those are written with the ORM,
after the same checks the service makes (``services.consultation_checked``).

The same data on every machine (``random.Random`` seeded by authority and period), and a second
run adds nothing: a group is known by its name, a consultation by its round, date and method, a
survey by its round, a response by its respondent key (a ``uuid5`` of a fixed name).
"""

from __future__ import annotations

import datetime
import random
import uuid
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from assessments import services as assessment_services
from assessments.models import Answer, Authority, Round
from indicators.models import Dimension, Indicator

from . import access, services
from .models import Consultation, ConsultationAttachment, Stakeholder, Survey, SurveyResponse

C = Stakeholder.Category

# slug → the groups of the authority's register: (name, category, description).
REGISTERS: dict[str, tuple[tuple[str, str, str], ...]] = {
    "quito": (
        (
            "Asociación Civil Venezolanos Unidos por Quito",
            C.MIGRANT_ASSOCIATION,
            "Venezuelan migrants' association with members in the north and south of the city; "
            "runs a legal-orientation desk on Saturdays.",
        ),
        (
            "Red de Mujeres Refugiadas del Norte",
            C.REFUGEE_LED,
            "Network of refugee women, mostly Colombian and Venezuelan, organised around childcare and small trade.",
        ),
        (
            "Colectivo Retorno Digno",
            C.MIGRANT_ASSOCIATION,
            "Ecuadorians who returned from Spain, Italy and the United States; works on jobs and school places.",
        ),
        (
            "Observatorio de Movilidad Humana, Universidad San Gabriel",
            C.ACADEMIA,
            "University research group that runs a yearly survey of migrants in the metropolitan district.",
        ),
        ("Cámara de Comercio de Quito", C.PRIVATE_SECTOR, "The city's chamber of commerce."),
        (
            "Ministerio de Relaciones Exteriores y Movilidad Humana, Coordinación Zonal 9",
            C.NATIONAL_GOVERNMENT,
            "The ministry's local office for Quito.",
        ),
        (
            "Secretaría de Inclusión Social",
            C.SAME_ADMINISTRATION,
            "The municipal secretariat in charge of social inclusion and the human mobility unit.",
        ),
    ),
    "pichincha": (
        (
            "Asociación de Migrantes Retornados de Cayambe",
            C.MIGRANT_ASSOCIATION,
            "Returnees from Spain and the United States living in the north of the province.",
        ),
        (
            "Fundación Tejido Solidario",
            C.CIVIL_SOCIETY,
            "Foundation offering shelter and legal aid to people in transit along the northern highway.",
        ),
        (
            "Asociación de Floricultores del Norte de Pichincha",
            C.PRIVATE_SECTOR,
            "Flower growers, large employers of migrant and seasonal workers.",
        ),
        (
            "Consejo Provincial de Protección de Derechos",
            C.SAME_ADMINISTRATION,
            "The provincial council's body for the protection of rights.",
        ),
        (
            "Alianza Andina para Personas Refugiadas",
            C.INTERNATIONAL,
            "Regional humanitarian organisation with a field office in the province.",
        ),
    ),
    "cuenca": (
        (
            "Asociación de Familias de Migrantes del Azuay",
            C.MIGRANT_ASSOCIATION,
            "Families of emigrants in the United States and Spain; organises a yearly diaspora meeting.",
        ),
        ("Red de Retornados del Austro", C.MIGRANT_ASSOCIATION, "Network of returnees in Cuenca and nearby cantons."),
        ("Fundación Puentes del Austro", C.CIVIL_SOCIETY, "Psychosocial and legal support for migrants' families."),
        (
            "Centro de Estudios Migratorios, Universidad del Austro",
            C.ACADEMIA,
            "Research centre on emigration and remittances.",
        ),
        (
            "Cooperativa de Ahorro y Crédito Remesas del Sur",
            C.PRIVATE_SECTOR,
            "Savings and credit cooperative that receives many remittances.",
        ),
        (
            "Ministerio de Relaciones Exteriores y Movilidad Humana, Coordinación Zonal 6",
            C.NATIONAL_GOVERNMENT,
            "The ministry's office for the southern highlands.",
        ),
    ),
    "naga-city": (
        (
            "Naga OFW Family Circle",
            C.MIGRANT_ASSOCIATION,
            "Families of overseas Filipino workers; runs financial-literacy sessions in the barangays.",
        ),
        (
            "Metro Naga Returnees Cooperative",
            C.MIGRANT_ASSOCIATION,
            "Cooperative of returned overseas workers that runs small businesses.",
        ),
        (
            "Bicol Kababaihan Network",
            C.CIVIL_SOCIETY,
            "Women's organisations working on violence against women and trafficking.",
        ),
        (
            "Bicol Institute for Social Research",
            C.ACADEMIA,
            "Research institute that studies labour migration from the region.",
        ),
        ("Naga City Chamber of Commerce and Industry", C.PRIVATE_SECTOR, "Local business association."),
        (
            "Department of Migrant Workers, Regional Office V",
            C.NATIONAL_GOVERNMENT,
            "The national department's office for the Bicol region.",
        ),
        (
            "City Social Welfare and Development Office",
            C.SAME_ADMINISTRATION,
            "The city's social welfare office, which runs the migrants' help desk.",
        ),
    ),
    "calabarzon": (
        (
            "Laguna OFW Returnees Federation",
            C.MIGRANT_ASSOCIATION,
            "Federation of returnee associations in Laguna and Batangas.",
        ),
        (
            "Batangas Migrant Family Services Center",
            C.CIVIL_SOCIETY,
            "Counselling and reintegration services for migrants' families.",
        ),
        (
            "Southern Tagalog Workers' Alliance",
            C.TRADE_UNION,
            "Union federation with members in the region's industrial estates.",
        ),
        (
            "Calabarzon Industrial Estates Employers' Council",
            C.PRIVATE_SECTOR,
            "Employers of the region's export-processing zones.",
        ),
        (
            "Department of Migrant Workers, Regional Office IV-A",
            C.NATIONAL_GOVERNMENT,
            "The national department's office for the region.",
        ),
    ),
    "bicol": (
        (
            "Bicol Seafarers' Families Association",
            C.MIGRANT_ASSOCIATION,
            "Families of seafarers from the region's coastal towns.",
        ),
        (
            "Albay Displacement Response Network",
            C.CIVIL_SOCIETY,
            "Community groups supporting people displaced by typhoons and volcanic eruptions.",
        ),
        (
            "Bicol Regional University Consortium for Development Research",
            C.ACADEMIA,
            "Consortium of the region's universities.",
        ),
        (
            "Office of Civil Defense, Region V",
            C.NATIONAL_GOVERNMENT,
            "National agency in charge of evacuation and displacement.",
        ),
    ),
    "kasserine": (
        (
            "Association des Tunisiens de Kasserine en Europe",
            C.MIGRANT_ASSOCIATION,
            "Diaspora association with members in France, Italy and Germany; funds school projects.",
        ),
        (
            "Association des migrants subsahariens du Centre-Ouest",
            C.MIGRANT_ASSOCIATION,
            "Migrants from West and Central Africa living and working in the governorate.",
        ),
        (
            "Association Jeunesse et Avenir de Thala",
            C.CIVIL_SOCIETY,
            "Youth association working on employment and irregular migration.",
        ),
        (
            "Union régionale du travail de Kasserine",
            C.TRADE_UNION,
            "The regional union of workers.",
        ),
        (
            "Laboratoire Territoires et Mobilités, Institut supérieur de Kasserine",
            C.ACADEMIA,
            "Research team on rural exodus and emigration.",
        ),
        (
            "Office des Tunisiens à l'étranger, délégation régionale",
            C.NATIONAL_GOVERNMENT,
            "The national office for Tunisians abroad.",
        ),
        (
            "Chambre de commerce et d'industrie du Centre-Ouest",
            C.PRIVATE_SECTOR,
            "Chamber of commerce of the central-western governorates.",
        ),
    ),
    "tuscany": (
        (
            "Associazione Comunità Senegalese della Toscana",
            C.MIGRANT_ASSOCIATION,
            "Senegalese association with branches in Florence, Pisa and Pontedera.",
        ),
        (
            "Coordinamento Rifugiati Toscana",
            C.REFUGEE_LED,
            "Refugee-led network active in the reception centres of the region.",
        ),
        ("Cooperativa Sociale Approdo", C.CIVIL_SOCIETY, "Social cooperative running reception and language courses."),
        (
            "Sindacato Toscano Lavoratori Agricoli",
            C.TRADE_UNION,
            "Farm workers' union, many of whose members are migrants.",
        ),
        (
            "Centro Interuniversitario di Studi sulle Migrazioni",
            C.ACADEMIA,
            "Research centre shared by the region's universities.",
        ),
        (
            "Prefettura di Firenze, Consiglio territoriale per l'immigrazione",
            C.NATIONAL_GOVERNMENT,
            "The State's territorial council on immigration.",
        ),
    ),
    "accra": (
        (
            "Kayayei Welfare Association",
            C.MIGRANT_ASSOCIATION,
            "Association of head porters who migrated from the northern regions to the city's markets.",
        ),
        (
            "ECOWAS Traders' Union, Accra Branch",
            C.MIGRANT_ASSOCIATION,
            "Traders from Nigeria, Niger, Togo and Burkina Faso working in the central markets.",
        ),
        (
            "Ghana Diaspora Homecoming Network",
            C.MIGRANT_ASSOCIATION,
            "Diaspora association linking Ghanaians abroad with projects in Accra.",
        ),
        (
            "Institute for Urban Migration Research",
            C.ACADEMIA,
            "Independent research institute on internal and cross-border migration.",
        ),
        ("Accra Chamber of Small Businesses", C.PRIVATE_SECTOR, "Association of small and medium-sized businesses."),
        (
            "Ghana Immigration Service, Greater Accra Regional Command",
            C.NATIONAL_GOVERNMENT,
            "The national immigration service's regional command.",
        ),
        (
            "Department of Social Welfare and Community Development",
            C.SAME_ADMINISTRATION,
            "The metropolitan assembly's social welfare department.",
        ),
    ),
    "montreal": (
        (
            "Association des Haïtiens du Nord-Est",
            C.MIGRANT_ASSOCIATION,
            "Haitian community association in the north-east boroughs.",
        ),
        (
            "Collectif des personnes réfugiées de Parc-Extension",
            C.REFUGEE_LED,
            "Refugee-led collective offering peer support to asylum seekers.",
        ),
        (
            "Regroupement montréalais des organismes d'accueil",
            C.CIVIL_SOCIETY,
            "Umbrella body of the organisations that welcome newcomers.",
        ),
        ("Chambre de commerce du Montréal métropolitain", C.PRIVATE_SECTOR, "The metropolitan chamber of commerce."),
        (
            "Ministère de l'Immigration, direction régionale de Montréal",
            C.REGIONAL_GOVERNMENT,
            "The provincial ministry's regional office.",
        ),
        (
            "Service de la diversité et de l'inclusion sociale",
            C.SAME_ADMINISTRATION,
            "The city's department for diversity and social inclusion.",
        ),
    ),
    "sao-paulo": (
        (
            "Associação de Bolivianos da Zona Leste",
            C.MIGRANT_ASSOCIATION,
            "Bolivian community association, many of whose members work in garment workshops.",
        ),
        (
            "Coletivo Refugiadas em Ação",
            C.REFUGEE_LED,
            "Collective of refugee women from Syria, the Democratic Republic of the Congo and Venezuela.",
        ),
        (
            "Centro de Apoio ao Migrante do Glicério",
            C.CIVIL_SOCIETY,
            "Reception and legal-aid centre in the city centre.",
        ),
        (
            "Sindicato das Costureiras e Oficinas de Costura",
            C.TRADE_UNION,
            "Garment workers' union.",
        ),
        (
            "Núcleo de Estudos de Migração, Universidade Paulista de Ciências Sociais",
            C.ACADEMIA,
            "University research group on migration and work.",
        ),
        (
            "Coordenação de Políticas para Migrantes",
            C.SAME_ADMINISTRATION,
            "The municipal coordination of policies for migrants.",
        ),
    ),
}

# The languages a consultation of the authority was held in (user data: written as a city would).
LANGUAGES = {
    "quito": ("Spanish", "Spanish, Kichwa"),
    "pichincha": ("Spanish", "Spanish, Kichwa"),
    "cuenca": ("Spanish", "Spanish, English"),
    "naga-city": ("Bikol, Filipino", "Bikol, Filipino, English"),
    "calabarzon": ("Tagalog, English", "Tagalog"),
    "bicol": ("Bikol, Filipino", "Bikol"),
    "kasserine": ("Arabic", "Arabic, French"),
    "tuscany": ("Italian", "Italian, French, Wolof"),
    "accra": ("English, Twi", "English, Twi, Hausa"),
    "montreal": ("French", "French, English, Haitian Creole"),
    "sao-paulo": ("Portuguese", "Portuguese, Spanish"),
}


@dataclass(frozen=True)
class Template:
    """A kind of consultation a city holds: how, with which kinds of group, on what, and what was said."""

    key: str
    method: str
    categories: tuple[str, ...]
    indicators: tuple[str, ...]
    dimensions: tuple[str, ...]
    summary: str
    crowd: tuple[int, int]  # how many people take part, at least and at most


M = Consultation.Method
VOICES = (C.MIGRANT_ASSOCIATION, C.REFUGEE_LED)
TEMPLATES: dict[str, Template] = {
    t.key: t
    for t in (
        Template(
            "plan",
            M.WORKSHOP,
            (*VOICES, C.CIVIL_SOCIETY, C.SAME_ADMINISTRATION),
            ("HC-02", "SP-01"),
            ("HC",),
            "Participants reviewed the draft chapter of the local development plan on human mobility. Migrant "
            "associations asked for targets on access to health and schooling, not only on employment. The planning "
            "team agreed to circulate the revised targets before the council votes on the plan.",
            (15, 40),
        ),
        Template(
            "employers",
            M.MEETING,
            (C.PRIVATE_SECTOR, C.ACADEMIA, C.SAME_ADMINISTRATION),
            ("HC-06", "SP-04"),
            (),
            "Employers described the paperwork that keeps them from hiring people whose skills were gained abroad. "
            "The chamber offered to co-host a job fair with the municipal employment office. Participants asked the "
            "city to recognise foreign qualifications at its own desk instead of sending people to the capital.",
            (6, 18),
        ),
        Template(
            "services",
            M.HEARING,
            (*VOICES, C.CIVIL_SOCIETY),
            ("HC-03", "HC-07", "SP-06"),
            (),
            "Residents and association members spoke about access to health centres and legal aid. Several said they "
            "avoid municipal services for fear that their details reach the immigration authorities. People asked for "
            "information in their own languages at every service desk.",
            (35, 120),
        ),
        Template(
            "information",
            M.ONLINE,
            (*VOICES, C.CIVIL_SOCIETY),
            ("SP-06", "DE-03"),
            (),
            "An online questionnaire and two video calls gathered views on how the city informs newcomers. Most "
            "respondents learn about services from their associations, not from the city's website. Suggestions "
            "included a multilingual page and short messages through community radio.",
            (25, 90),
        ),
        Template(
            "national",
            M.MEETING,
            (C.NATIONAL_GOVERNMENT, C.REGIONAL_GOVERNMENT, C.SAME_ADMINISTRATION),
            ("VC-01", "VC-05"),
            ("VC",),
            "The city and the national authority's local office compared the figures each holds on new arrivals. "
            "They agreed to exchange quarterly data broken down by sex and age. The national office asked the city "
            "to name one permanent contact person for the exchange.",
            (5, 12),
        ),
        Template(
            "data",
            M.WORKSHOP,
            (C.ACADEMIA, C.SAME_ADMINISTRATION, C.CIVIL_SOCIETY),
            ("DE-01", "DE-02", "SP-05"),
            ("DE",),
            "Researchers presented a first mapping of where migrants, returnees and displaced people live and work. "
            "Departments discussed which of their registers could record migratory status without putting anyone at "
            "risk. The university offered to train the statistics unit in disaggregating its data.",
            (10, 25),
        ),
        Template(
            "diaspora",
            M.ONLINE,
            (C.MIGRANT_ASSOCIATION, C.PRIVATE_SECTOR),
            ("SP-02", "DC-02", "HC-06"),
            (),
            "Members of associations abroad joined by video call to talk about investing in local projects. They "
            "asked for a single contact point in the administration and clear rules for co-financing. Two "
            "associations proposed a vocational training project for young people in their home districts.",
            (12, 45),
        ),
        Template(
            "committee",
            M.MEETING,
            (*VOICES, C.CIVIL_SOCIETY, C.ACADEMIA, C.SAME_ADMINISTRATION, C.TRADE_UNION),
            ("IN-07", "SP-03"),
            ("IN",),
            "The multi-stakeholder committee met to review the year's actions. Associations asked for the minutes "
            "to be published and the agenda to be sent two weeks ahead. The committee agreed to draft terms of "
            "reference for itself and for a working group on housing.",
            (12, 30),
        ),
        Template(
            "women",
            M.WORKSHOP,
            (C.REFUGEE_LED, C.MIGRANT_ASSOCIATION, C.CIVIL_SOCIETY),
            ("HC-08", "SP-01"),
            (),
            "A group discussion with migrant and displaced women covered childcare, safety and work. Participants "
            "said that service opening hours clash with informal work and asked for evening hours at one community "
            "centre. Social services will report back on what can change before the next meeting.",
            (10, 28),
        ),
        Template(
            "housing",
            M.HEARING,
            (*VOICES, C.CIVIL_SOCIETY, C.SAME_ADMINISTRATION),
            ("HC-05",),
            (),
            "Residents of the districts where most newcomers settle described overcrowding and informal rents. "
            "Associations asked for these districts to be included in the housing programme. The housing office "
            "presented its plans and invited written comments for a month.",
            (30, 100),
        ),
        Template(
            "work",
            M.MEETING,
            (C.TRADE_UNION, C.PRIVATE_SECTOR, C.MIGRANT_ASSOCIATION),
            ("HC-06", "HC-07"),
            (),
            "The union presented cases of migrant workers paid below the minimum wage or without contracts. "
            "Employers' representatives and the labour inspectorate discussed joint information visits. "
            "Participants asked the city to cover labour rights in its welcome sessions for newcomers.",
            (8, 20),
        ),
        Template(
            "cooperation",
            M.WORKSHOP,
            (C.INTERNATIONAL, C.NATIONAL_GOVERNMENT, C.SAME_ADMINISTRATION, C.ACADEMIA),
            ("DC-03", "DC-04"),
            ("DC",),
            "Partners reviewed the results of the joint projects on migration of the last two years. They noted that "
            "reports were scattered across offices and agreed to keep one register of projects. A follow-up plan for "
            "the training of municipal staff was discussed but not yet agreed.",
            (8, 22),
        ),
    )
}

# The authority the walkthroughs start from consults more in each round.
SHOWCASE = "quito"
# Rounds without any consultation: the pages show the empty state too.
WITHOUT_CONSULTATIONS = {
    ("bicol", "2021"),
    ("calabarzon", "2021"),
    ("cuenca", "2021"),
    ("montreal", "2025"),
    ("pichincha", "2021"),
    ("sao-paulo", "2021"),
    ("tuscany", "2021"),
}
# Draft rounds in which the city answers two indicators it had left open at level 2, citing only a
# consultation that discussed them: the consultation is their evidence (evidence coverage counts it).
CONSULTED_ANSWERS = {
    "accra": {"committee": "IN-07", "data": "DE-01"},
    "naga-city": {"committee": "IN-07", "data": "DE-01"},
}
CONSULTED_JUSTIFICATION = {
    "IN-07": "A multi-stakeholder committee meets, but its terms of reference are still a draft; "
    "the consultation recorded for this round documents its last meeting.",
    "DE-01": "A first mapping of the local migration context was presented to departments and "
    "civil society; the consultation recorded for this round documents it.",
}


@dataclass(frozen=True)
class SurveyPlan:
    slug: str
    period: str
    respondents: int
    languages: tuple[str, ...]  # one per respondent, cycled
    close: bool  # closed once answered (a survey that ran its course), else left open


SURVEYS = (
    SurveyPlan("quito", "2025", 8, ("es", "es", "en", "es", "es", "es", "en", "es"), close=True),
    SurveyPlan("naga-city", "2025", 3, ("en",), close=False),
)
SURVEY_DAYS = 30  # how long the open demo survey still takes responses
# A few respondents' comments, by indicator code and language.
COMMENTS = {
    ("SP-01", "es"): "Nos invitaron a una reunión, pero no supimos qué pasó después con nuestras propuestas.",
    ("HC-03", "es"): "En el centro de salud de mi barrio me atendieron sin pedirme papeles.",
    ("SP-03", "es"): "La asociación tiene un convenio con el municipio, pero se renueva cada año y tarda mucho.",
    ("HC-07", "en"): "Legal aid exists, but few people know where to find it.",
    ("SP-06", "es"): "La información está en la página web, pero casi nadie de nuestra comunidad la consulta.",
    ("HC-06", "en"): "The job fair was useful; recognising my degree took more than a year.",
    ("SP-02", "en"): "Families of workers abroad are asked to contribute, rarely to decide.",
    ("HC-01", "en"): "I don't see the offices talking to each other: each one asks for the same papers.",
}


def seed(stdout) -> None:
    """Add the demo authorities' stakeholder registers, consultations and perception surveys (idempotent)."""
    User = get_user_model()
    groups = consultations = responses = 0
    for authority in Authority.objects.filter(slug__in=REGISTERS).order_by("slug"):
        editor = User.objects.filter(username=f"{authority.slug}-editor").first()
        if editor is None:
            continue
        register, added = _register(authority, editor)
        groups += added
        # Not the rounds of a period to come (the demo campaign's 2027 rounds): nobody has consulted for them yet.
        rounds = Round.objects.filter(authority=authority, period__lte=str(timezone.localdate().year))
        for round in rounds.select_related("authority").order_by("period"):
            if (authority.slug, round.period) not in WITHOUT_CONSULTATIONS:
                consultations += _consult(round, editor, register)
    for plan in SURVEYS:
        responses += _survey(plan)
    stdout.write(
        f"Participation: {groups} groups, {consultations} consultations and {responses} survey responses added."
    )


def _register(authority: Authority, editor) -> tuple[dict[str, Stakeholder], int]:
    """The authority's groups by name, adding those missing; and how many were added."""
    existing = {s.name: s for s in Stakeholder.objects.filter(authority=authority)}
    added = 0
    for name, category, description in REGISTERS[authority.slug]:
        if name not in existing:
            existing[name] = services.stakeholder_save(
                authority=authority, actor=editor, name=name, category=category, description=description
            )
            added += 1
    return existing, added


def _consult(round: Round, editor, register: dict[str, Stakeholder]) -> int:
    """Record the round's consultations (those missing); return how many were added."""
    slug, year = round.authority.slug, int(round.period)
    rng = random.Random(f"{slug}-{round.period}")  # the same consultations on every machine
    forced = CONSULTED_ANSWERS.get(slug, {}) if round.status == Round.Status.DRAFT and round.period == "2025" else {}
    others = [key for key in TEMPLATES if key not in forced]
    count = rng.choice((1, 2, 2, 3)) + (1 if slug == SHOWCASE else 0)
    keys = [*forced, *rng.sample(others, count)]
    # Spread over the year of the period, before the round's due date, in order.
    days = sorted(datetime.date(year, rng.randint(2, 10), rng.randint(1, 28)) for _key in keys)
    added = 0
    for key, day in zip(keys, days, strict=True):
        template = TEMPLATES[key]
        values = _values(round, template, min(day, timezone.localdate()), register, rng)
        link = f"https://example.org/{slug}/{round.period}/consultation-{key}" if rng.random() < 0.4 else ""
        if Consultation.objects.filter(round=round, date=values["date"], method=template.method).exists():
            continue
        code = forced.get(key)
        if code is not None:
            _answer_from_consultation(round, editor, code)
        if access.can_record_consultations(editor, round):
            consultation = services.consultation_save(round=round, actor=editor, values=values)
            if link:
                services.attachment_add(consultation=consultation, actor=editor, title="Minutes", url=link)
        else:
            _record_history(round, editor, values, link)
        added += 1
    return added


def _values(round: Round, template: Template, day: datetime.date, register: dict[str, Stakeholder], rng) -> dict:
    """A consultation of ``template`` in ``round``: groups of the register, people, languages, what was discussed."""
    names = [name for name, category, _d in REGISTERS[round.authority.slug] if category in template.categories]
    if not names:
        names = [REGISTERS[round.authority.slug][0][0]]
    chosen = sorted(rng.sample(names, min(len(names), rng.randint(1, 3))))
    groups = [register[name] for name in chosen]
    participants = rng.randint(*template.crowd)
    women = men = other = migrants = None
    if rng.random() < 0.6:  # some consultations keep a breakdown of who came
        women = round_share(participants, rng.uniform(0.35, 0.65))
        other = rng.choice((0, 0, 1)) if participants > 15 else 0
        men = participants - women - other
    if any(g.category in VOICES for g in groups) and rng.random() < 0.7:
        migrants = round_share(participants, rng.uniform(0.4, 0.9))
    return {
        "date": day,
        "method": template.method,
        "participants": participants,
        "women": women,
        "men": men,
        "other_gender": other,
        "migrants": migrants,
        "languages": rng.choice(LANGUAGES[round.authority.slug]),
        "summary": template.summary,
        "groups": groups,
        "indicators": list(Indicator.objects.filter(version_id=round.version_id, code__in=template.indicators)),
        "dimensions": list(Dimension.objects.filter(version_id=round.version_id, code__in=template.dimensions)),
    }


def round_share(total: int, share: float) -> int:
    return max(0, min(total, int(total * share + 0.5)))


@transaction.atomic
def _record_history(round: Round, editor, values: dict, link: str) -> Consultation:
    """Write a consultation of a round already signed off, as it was recorded while the round was open.

    ``services.consultation_save`` refuses a submitted or validated round: its evidence is frozen.
    Demo data stands for that earlier time, so it checks the values as the service does and writes
    them directly.
    """
    cleaned = services.consultation_checked(round, values)
    links = {name: cleaned.pop(name) for name in ("groups", "indicators", "dimensions")}
    consultation = Consultation.objects.create(round=round, created_by=editor, **cleaned)
    for name, objects in links.items():
        getattr(consultation, name).set(objects)
    if link:
        ConsultationAttachment.objects.create(consultation=consultation, title="Minutes", url=link, added_by=editor)
    return consultation


def _answer_from_consultation(round: Round, editor, code: str) -> None:
    """Answer an indicator the round left open at level 2, with no file: the consultation is its evidence."""
    indicator = Indicator.objects.get(version_id=round.version_id, code=code)
    if Answer.objects.filter(round=round, indicator=indicator).exists():
        return
    assessment_services.answer_save(
        round=round,
        indicator=indicator,
        actor=editor,
        response=Answer.Response.LEVEL,
        level=2,
        justification=CONSULTED_JUSTIFICATION[code],
        base_revision=0,
    )


def _survey(plan: SurveyPlan) -> int:
    """Open the round's perception survey and let its respondents answer (those missing); return how many did."""
    User = get_user_model()
    round = Round.objects.filter(authority__slug=plan.slug, period=plan.period).select_related("authority").first()
    approver = User.objects.filter(username=f"{plan.slug}-approver").first()
    if round is None or approver is None:
        return 0
    survey = Survey.objects.filter(round=round).first()
    if survey is None:
        expires_on = timezone.localdate() + datetime.timedelta(days=SURVEY_DAYS)
        survey = services.survey_open(round=round, actor=approver, expires_on=expires_on)
    indicators = list(survey.indicators.in_catalogue_order())
    levels = {
        a.indicator_id: a.level
        for a in Answer.objects.filter(round=round, indicator__in=indicators, response=Answer.Response.LEVEL)
    }
    rng = random.Random(f"survey-{plan.slug}-{plan.period}")
    answered = set(SurveyResponse.objects.filter(survey=survey).values_list("respondent", flat=True))
    dont_know = {i.pk: 0 for i in indicators}
    comments = dict(COMMENTS)  # each comment is made once, by the first respondent who makes it
    added = 0
    for n in range(plan.respondents):
        language = plan.languages[n % len(plan.languages)]
        answers = {}
        for indicator in indicators:
            # Around the city's own level, more often below it than above; now and then "don't know".
            city = levels.get(indicator.pk, 2)
            level = max(0, min(4, city + rng.choice((-2, -1, -1, 0, 0, 0, 1))))
            if rng.random() < 0.08 and dont_know[indicator.pk] < 2:
                dont_know[indicator.pk] += 1
                level = None
            comment = comments.pop((indicator.code, language), "") if rng.random() < 0.5 else ""
            answers[indicator.pk] = (level, comment)
        respondent = uuid.uuid5(uuid.NAMESPACE_URL, f"coherence-demo/{plan.slug}/{plan.period}/respondent-{n}")
        if respondent in answered or not survey.is_open():
            continue
        services.survey_respond(survey=survey, respondent=respondent, language=language, answers=answers)
        added += 1
    if plan.close and survey.closed_at is None:
        services.survey_close(survey=survey, actor=approver)
    return added
