"""The canned queries (queries/*.rq): headers, and the exact answers on the seed data.

Every expected row below is written from the two seed texts (Cap Digital:
000_c04aaa27fdb53316; Digital 113: 002_0ebad319901d4998), the French phrase
quoted in a comment, with the graph's English labels and IRIs. Values are the
normalised ones of clusterkg.query.normalise_term: IRIs as str, numbers as
int / Decimal, xsd:date as datetime.date, unbound as None.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from decimal import Decimal

import pyoxigraph as ox
import pytest

from clusterkg import project
from clusterkg import query as q

CK = project.ID_NS
CKG = project.ONTOLOGY_NS
SKOS = "http://www.w3.org/2004/02/skos/core#"


def ck(local: str) -> str:
    return CK + local


CAP = ck("cap-digital")
D113 = ck("digital-113")
NOT_STATED = "not stated"
THINK_TANK = "European think tank of clusters (name not given)"
SISTER = "Digital Sister Cities agreement (San Francisco - Paris)"
MERGER = "merger of DigitalPlace and FrenchSouth.digital into Digital 113"
SUPPORT = "Cap Digital's support of companies abroad"

# « Création de REDICT, réseau inter cluster européen avec les clusters des villes
# d’Amsterdam, Berlin, Bucarest, Copenhague, Dublin et Paris » -- the cluster of
# Paris is Cap Digital, the others are not named: (city, country) of each.
REDICT_OTHERS = [
    ("amsterdam", "Amsterdam", "Netherlands"),
    ("berlin", "Berlin", "Germany"),
    ("bucharest", "Bucharest", "Romania"),
    ("copenhagen", "Copenhagen", "Denmark"),
    ("dublin", "Dublin", "Ireland"),
]


def redict_member(city_label: str) -> str:
    return f"REDICT member cluster of {city_label} (name not given)"


# « Différentes antennes permettront au cluster d’être présent à Perpignan, à Nîmes
# et Carcassonne ainsi qu’à Tarbes, Alès, Mende et Rodez » (sorted by name)
ANTENNA_TOWNS = [
    ("ales", "Alès"),
    ("carcassonne", "Carcassonne"),
    ("mende", "Mende"),
    ("nimes", "Nîmes"),
    ("perpignan", "Perpignan"),
    ("rodez", "Rodez"),
    ("tarbes", "Tarbes"),
]

CASES: list[tuple[str, dict, tuple, list]] = []


def case(name: str, params: dict, columns: tuple, rows: list) -> None:
    CASES.append((name, params, columns, rows))


# ------------------------------------------------------------------ clusters

case(
    "clusters",
    {},
    ("cluster", "clusterLabel", "kind", "city", "region", "country", "founded", "sector", "homepage"),
    [
        # « Cap Digital est le pôle de compétitivité de la filière des contenus et services
        # numériques » ; « la Région Île-de-France » ; « Depuis sa création en 2006 »
        (
            CAP,
            "Cap Digital",
            "competitiveness cluster",
            "Paris",
            "Île-de-France",
            "France",
            "2006",
            "digital content and services",
            "http://www.capdigital.com/",
        ),
        # « cette association » ; « en région Occitanie » ; launched « le 5 février dernier »
        # (2019: the year the press reports give); no seat city is named
        (
            D113,
            "Digital 113",
            "regional digital-cluster association",
            None,
            "Occitania",
            "France",
            dt.date(2019, 2, 5),
            "digital",
            None,
        ),
        # « l’ancien cluster DigitalPlace basé à Toulouse » ; « du FrenchSouth.digital de Montpellier »
        (
            ck("digitalplace"),
            "DigitalPlace",
            "innovation cluster",
            "Toulouse",
            "Occitania",
            "France",
            None,
            "digital",
            None,
        ),
        (
            ck("frenchsouth-digital"),
            "FrenchSouth.digital",
            "innovation cluster",
            "Montpellier",
            "Occitania",
            "France",
            None,
            "digital",
            None,
        ),
    ]
    + [
        (ck(f"redict-cluster-{c}"), redict_member(label), "innovation cluster", label, None, country, None, None, None)
        for c, label, country in REDICT_OTHERS
    ],
)

# ------------------------------------------------------------ cluster-partners

case(
    "cluster-partners",
    {"cluster": CAP},
    ("cluster", "tie", "via", "viaLabel", "partner", "partnerLabel", "city", "country"),
    [
        # « signature de l’accord « Digital Sister Cities » entre la ville de San Francisco
        # et la ville de Paris, qui lui a permis de travailler sur des projets concrets »
        (
            CAP,
            "agreement signatory",
            ck("digital-sister-cities-agreement"),
            SISTER,
            ck("paris"),
            "Paris",
            "Paris",
            "France",
        ),
        (
            CAP,
            "agreement signatory",
            ck("digital-sister-cities-agreement"),
            SISTER,
            ck("san-francisco"),
            "San Francisco",
            "San Francisco",
            "United States",
        ),
    ]
    + [
        # REDICT: the other member clusters
        (
            CAP,
            "fellow network member",
            ck("redict"),
            "REDICT",
            ck(f"redict-cluster-{c}"),
            redict_member(label),
            label,
            country,
        )
        for c, label, country in REDICT_OTHERS
    ]
    + [
        # « via un think tank européen » ; « Création de REDICT »
        (
            CAP,
            "member of network",
            ck("european-think-tank"),
            THINK_TANK,
            ck("european-think-tank"),
            THINK_TANK,
            None,
            None,
        ),
        (CAP, "member of network", ck("redict"), "REDICT", ck("redict"), "REDICT", None, None),
        # « organisation de deux missions INNET à Berlin (logiciel libre et éducation numérique) »
        (
            CAP,
            "mission destination",
            ck("innet-mission-berlin-digital-education"),
            "INNET mission to Berlin on digital education",
            ck("berlin"),
            "Berlin",
            "Berlin",
            "Germany",
        ),
        (
            CAP,
            "mission destination",
            ck("innet-mission-berlin-free-software"),
            "INNET mission to Berlin on free software",
            ck("berlin"),
            "Berlin",
            "Berlin",
            "Germany",
        ),
    ]
    + [
        # « Relations avec les clusters locaux en Angleterre, Italie, Espagne, Pays-Bas,
        # Allemagne, Autriche, Finlande et Danemark via un think tank européen »
        (CAP, "network partner country", ck("european-think-tank"), THINK_TANK, ck(c), label, None, label)
        for c, label in [
            ("austria", "Austria"),
            ("denmark", "Denmark"),
            ("finland", "Finland"),
            ("germany", "Germany"),
            ("italy", "Italy"),
            ("netherlands", "Netherlands"),
            ("spain", "Spain"),
        ]
    ]
    + [
        # England is a region of the United Kingdom
        (
            CAP,
            "network partner region",
            ck("european-think-tank"),
            THINK_TANK,
            ck("england"),
            "England",
            None,
            "United Kingdom",
        ),
    ]
    + [
        # « projet européen « ImMediaTe » en collaboration avec 4 autres clusters
        # (Italie, Espagne, Malte, Pays-Bas) »
        (CAP, "project partner country", ck("immediate"), "ImMediaTe", ck(c), label, None, label)
        for c, label in [("italy", "Italy"), ("malta", "Malta"), ("netherlands", "Netherlands"), ("spain", "Spain")]
    ],
)

case(
    "cluster-partners",
    {"cluster": D113},
    ("cluster", "tie", "via", "viaLabel", "partner", "partnerLabel", "city", "country"),
    [
        # « Les 40 % restants proviennent de subventions de la Région et des collectivités locales »
        (
            D113,
            "funder",
            ck("obs-digital-113-budget"),
            "Digital 113 operating budget",
            ck("occitanie-regional-council"),
            "Occitanie Region (regional council)",
            None,
            "France",
        ),
        (
            D113,
            "funder",
            ck("obs-digital-113-budget"),
            "Digital 113 operating budget",
            ck("occitanie-local-authorities"),
            "local authorities of Occitanie (not named)",
            None,
            "France",
        ),
        # « la fusion de DigitalPlace et de FrenchSouth.digital »
        (
            D113,
            "merged from",
            ck("digital-113-merger"),
            MERGER,
            ck("digitalplace"),
            "DigitalPlace",
            "Toulouse",
            "France",
        ),
        (
            D113,
            "merged from",
            ck("digital-113-merger"),
            MERGER,
            ck("frenchsouth-digital"),
            "FrenchSouth.digital",
            "Montpellier",
            "France",
        ),
    ],
)

# ------------------------------------------------------------- network-members

case(
    "network-members",
    {"network": ck("redict")},
    ("network", "member", "memberLabel", "city", "country", "initiator"),
    [
        (ck("redict"), ck(f"redict-cluster-{c}"), redict_member(label), label, country, False)
        for c, label, country in REDICT_OTHERS
    ]
    # « Création de REDICT » by Cap Digital, the cluster of Paris
    + [(ck("redict"), CAP, "Cap Digital", "Paris", "France", True)],
)

case(
    "network-members",
    {"network": ck("european-think-tank")},
    ("network", "member", "memberLabel", "city", "country", "initiator"),
    # the text names only the countries of the think tank's other clusters
    [(ck("european-think-tank"), CAP, "Cap Digital", "Paris", "France", False)],
)

# ----------------------------------------------------------- countries-reached


def reached(label, code, tie, via_label, via):
    country = ck(label.lower().replace(" ", "-"))
    return (CAP, label, country, code, tie, via_label, ck(via))


case(
    "countries-reached",
    {"cluster": CAP},
    ("cluster", "countryLabel", "country", "code", "tie", "viaLabel", "via"),
    [
        # think tank countries; REDICT member cities' countries; ImMediaTe countries;
        # INNET missions to Berlin; « Accompagnement d’entreprises aux Etats-Unis, Canada,
        # Chine, Corée du Sud, Japon, Israël, Brésil, etc. » ; the agreement with San
        # Francisco. France, Cap Digital's own country (Paris), is left out.
        reached("Austria", "AT", "network", THINK_TANK, "european-think-tank"),
        reached("Brazil", "BR", "company support", SUPPORT, "cap-digital-company-support-abroad"),
        reached("Canada", "CA", "company support", SUPPORT, "cap-digital-company-support-abroad"),
        reached("China", "CN", "company support", SUPPORT, "cap-digital-company-support-abroad"),
        reached("Denmark", "DK", "network", THINK_TANK, "european-think-tank"),
        reached("Denmark", "DK", "network", "REDICT", "redict"),
        reached("Finland", "FI", "network", THINK_TANK, "european-think-tank"),
        reached("Germany", "DE", "network", THINK_TANK, "european-think-tank"),
        reached("Germany", "DE", "network", "REDICT", "redict"),
        reached("Germany", "DE", "programme", "INNET", "innet"),
        reached("Ireland", "IE", "network", "REDICT", "redict"),
        reached("Israel", "IL", "company support", SUPPORT, "cap-digital-company-support-abroad"),
        reached("Italy", "IT", "network", THINK_TANK, "european-think-tank"),
        reached("Italy", "IT", "project", "ImMediaTe", "immediate"),
        reached("Japan", "JP", "company support", SUPPORT, "cap-digital-company-support-abroad"),
        reached("Malta", "MT", "project", "ImMediaTe", "immediate"),
        reached("Netherlands", "NL", "network", THINK_TANK, "european-think-tank"),
        reached("Netherlands", "NL", "network", "REDICT", "redict"),
        reached("Netherlands", "NL", "project", "ImMediaTe", "immediate"),
        reached("Romania", "RO", "network", "REDICT", "redict"),
        reached("South Korea", "KR", "company support", SUPPORT, "cap-digital-company-support-abroad"),
        reached("Spain", "ES", "network", THINK_TANK, "european-think-tank"),
        reached("Spain", "ES", "project", "ImMediaTe", "immediate"),
        reached("United Kingdom", "GB", "network", THINK_TANK, "european-think-tank"),
        reached("United States", "US", "agreement", SISTER, "digital-sister-cities-agreement"),
        reached("United States", "US", "company support", SUPPORT, "cap-digital-company-support-abroad"),
    ],
)

# ---------------------------------------------------------- cluster-programmes

case(
    "cluster-programmes",
    {"cluster": CAP},
    ("cluster", "kind", "programme", "programmeLabel", "relation"),
    [
        # « Cap Digital aide ses membres dans le montage de projets européens (7ème PCRD,
        # Eureka, Eurostars, FEDER) »
        (CAP, "funding scheme", ck("eureka"), "Eureka", "helps its members with"),
        (CAP, "funding scheme", ck("feder"), "European Regional Development Fund (ERDF)", "helps its members with"),
        (CAP, "funding scheme", ck("eurostars"), "Eurostars", "helps its members with"),
        (CAP, "funding scheme", ck("fp7"), "Seventh Framework Programme (FP7)", "helps its members with"),
        # « Participation au programme INNET : organisation de deux missions INNET à Berlin »
        (CAP, "programme", ck("innet"), "INNET", "organises activities of"),
        (CAP, "programme", ck("innet"), "INNET", "takes part in"),
        # « En 2009, dans le cadre du plan filière régional »
        # « En 2009, dans le cadre du plan filière régional, […] plus de 40 sociétés ont participé
        # aux missions internationales pilotées par Cap Digital »: Cap Digital leads a programme
        # of missions within the plan
        (
            CAP,
            "programme",
            ck("regional-sector-plan-2009"),
            "Île-de-France regional sector plan (2009)",
            "organises activities of",
        ),
        (
            CAP,
            "programme",
            ck("regional-sector-plan-2009"),
            "Île-de-France regional sector plan (2009)",
            "takes part in",
        ),
    ],
)

# the Digital 113 text names no programme
case("cluster-programmes", {"cluster": D113}, ("cluster", "kind", "programme", "programmeLabel", "relation"), [])

# -------------------------------------------------------------------- missions

case(
    "missions",
    {},
    ("mission", "missionLabel", "organiser", "programme", "destination", "country", "topic"),
    [
        # « organisation de deux missions INNET à Berlin (logiciel libre et éducation numérique) »
        (
            ck("innet-mission-berlin-digital-education"),
            "INNET mission to Berlin on digital education",
            "Cap Digital",
            "INNET",
            "Berlin",
            "Germany",
            "digital education",
        ),
        (
            ck("innet-mission-berlin-free-software"),
            "INNET mission to Berlin on free software",
            "Cap Digital",
            "INNET",
            "Berlin",
            "Germany",
            "free software",
        ),
    ],
)

# ------------------------------------------------------ sister-city-agreements

case(
    "sister-city-agreements",
    {},
    ("agreement", "agreementLabel", "city1", "country1", "city2", "country2", "beneficiary", "project", "projectLabel"),
    [
        # « l’accord « Digital Sister Cities » entre la ville de San Francisco et la ville de
        # Paris, qui lui a permis de travailler sur des projets concrets comme le projet Sebastian »
        (
            ck("digital-sister-cities-agreement"),
            SISTER,
            "Paris",
            "France",
            "San Francisco",
            "United States",
            "Cap Digital",
            ck("sebastian"),
            "Sebastian",
        ),
    ],
)

# ------------------------------------------------------ cluster-member-figures

MEMBER_COLUMNS = ("cluster", "measure", "category", "value", "qualifier", "reading", "share", "date", "observation")
case(
    "cluster-member-figures",
    {"cluster": CAP},
    MEMBER_COLUMNS,
    [
        # « Ses 9 communautés de domaine regroupent plus de 650 adhérents : 570 PME, 20 grands
        # groupes, 50 établissements publics, écoles, et universités ainsi que 10
        # investisseurs en capital. » No date. Shares of 650: 570/650 = 87.69 %,
        # 50/650 = 7.69 %, 20/650 = 3.08 %, 10/650 = 1.54 %; the categories add up to 650.
        (
            CAP,
            "number of members",
            "total",
            650,
            "more than",
            "more than 650",
            100,
            NOT_STATED,
            ck("obs-cap-digital-members"),
        ),
        (
            CAP,
            "number of members",
            "SME",
            570,
            "exact",
            "570",
            Decimal("87.7"),
            NOT_STATED,
            ck("obs-cap-digital-members-sme"),
        ),
        (
            CAP,
            "number of members",
            "public body, school or university",
            50,
            "exact",
            "50",
            Decimal("7.7"),
            NOT_STATED,
            ck("obs-cap-digital-members-public-body-school-university"),
        ),
        (
            CAP,
            "number of members",
            "large group",
            20,
            "exact",
            "20",
            Decimal("3.1"),
            NOT_STATED,
            ck("obs-cap-digital-members-large-group"),
        ),
        (
            CAP,
            "number of members",
            "capital investor",
            10,
            "exact",
            "10",
            Decimal("1.5"),
            NOT_STATED,
            ck("obs-cap-digital-members-capital-investor"),
        ),
        (CAP, "number of members", "sum of the categories", 650, "computed", "650", 100, None, None),
    ],
)

case(
    "cluster-member-figures",
    {"cluster": D113},
    MEMBER_COLUMNS,
    [
        # « cette association regroupe 400 entreprises du numérique »
        (
            D113,
            "number of member companies",
            "total",
            400,
            "exact",
            "400",
            100,
            NOT_STATED,
            ck("obs-digital-113-member-companies"),
        ),
    ],
)

# ----------------------------------------------------- cluster-project-figures

case(
    "cluster-project-figures",
    {"cluster": CAP},
    ("cluster", "measure", "value", "unit", "qualifier", "reading", "since", "date", "observation"),
    [
        # « Depuis sa création en 2006, Cap Digital a reçu au total plus de 1250 projets et en a
        # labellisé près de 540, parmi lesquels 350 ont été financés. Ces projets représentent
        # un investissement de plus de 650M€, dont la moitié en fonds publics. »
        (
            CAP,
            "projects received",
            1250,
            None,
            "more than",
            "more than 1250",
            "2006",
            NOT_STATED,
            ck("obs-cap-digital-projects-received"),
        ),
        (
            CAP,
            "projects labelled",
            540,
            None,
            "approximately",
            "about 540",
            "2006",
            NOT_STATED,
            ck("obs-cap-digital-projects-labelled"),
        ),
        (
            CAP,
            "projects financed",
            350,
            None,
            "exact",
            "350",
            "2006",
            NOT_STATED,
            ck("obs-cap-digital-projects-financed"),
        ),
        (
            CAP,
            "investment in projects",
            650_000_000,
            "EUR",
            "more than",
            "more than 650000000 EUR",
            "2006",
            NOT_STATED,
            ck("obs-cap-digital-project-investment"),
        ),
        (
            CAP,
            "share of public funding",
            50,
            "%",
            "exact",
            "50 %",
            "2006",
            NOT_STATED,
            ck("obs-cap-digital-project-investment-public-share"),
        ),
    ],
)

# --------------------------------------------------------------- entity-figures

FIGURE_COLUMNS = ("entity", "measure", "category", "value", "unit", "qualifier", "reading", "date", "observation")
case(
    "entity-figures",
    {"entity": ck("occitanie")},
    FIGURE_COLUMNS,
    [
        # « Cette filière connaît également un taux de croissance estimé à 3% par an »
        (
            ck("occitanie"),
            "annual growth rate",
            None,
            3,
            "%/a",
            "approximately",
            "about 3 %/a",
            NOT_STATED,
            ck("obs-occitanie-digital-growth"),
        ),
        # « on recense près de 18 000 entreprises numériques soit 63 000 emplois, sur
        # l’ensemble de la Région »
        (
            ck("occitanie"),
            "number of companies",
            None,
            18000,
            None,
            "approximately",
            "about 18000",
            NOT_STATED,
            ck("obs-occitanie-digital-companies"),
        ),
        (
            ck("occitanie"),
            "number of jobs",
            None,
            63000,
            None,
            "exact",
            "63000",
            NOT_STATED,
            ck("obs-occitanie-digital-jobs"),
        ),
    ],
)

case(
    "entity-figures",
    {"entity": ck("regional-sector-plan-2009")},
    FIGURE_COLUMNS,
    [
        # « En 2009, dans le cadre du plan filière régional, plus de 60 sociétés ont bénéficié
        # d’ateliers d’aide au développement et plus de 40 sociétés ont participé aux missions
        # internationales pilotées par Cap Digital » (said twice, counted once)
        (
            ck("regional-sector-plan-2009"),
            "companies in development workshops",
            None,
            60,
            None,
            "more than",
            "more than 60",
            "2009",
            ck("obs-regional-sector-plan-2009-workshops"),
        ),
        (
            ck("regional-sector-plan-2009"),
            "companies in international missions",
            None,
            40,
            None,
            "more than",
            "more than 40",
            "2009",
            ck("obs-regional-sector-plan-2009-missions"),
        ),
    ],
)

# ---------------------------------------------------------------- cluster-budget

BUDGET_COLUMNS = (
    "cluster",
    "amountMeasure",
    "amount",
    "currency",
    "amountReading",
    "share",
    "source",
    "shareAmount",
    "payer",
    "payerLabel",
)
case(
    "cluster-budget",
    {"cluster": D113},
    BUDGET_COLUMNS,
    [
        # « Elle est dotée d’un budget de fonctionnement de près d’1,2 million d’euros. 60 % de
        # ce dernier est assuré par de l’autofinancement. Les 40 % restants proviennent de
        # subventions de la Région et des collectivités locales. » 60 % of 1 200 000 = 720 000,
        # 40 % = 480 000 (the text does not split the 40 % between its two payers).
        (
            D113,
            "operating budget",
            1_200_000,
            "EUR",
            "about 1200000 EUR",
            60,
            "self-financing",
            720_000,
            D113,
            "Digital 113",
        ),
        (
            D113,
            "operating budget",
            1_200_000,
            "EUR",
            "about 1200000 EUR",
            40,
            "public subsidies",
            480_000,
            ck("occitanie-regional-council"),
            "Occitanie Region (regional council)",
        ),
        (
            D113,
            "operating budget",
            1_200_000,
            "EUR",
            "about 1200000 EUR",
            40,
            "public subsidies",
            480_000,
            ck("occitanie-local-authorities"),
            "local authorities of Occitanie (not named)",
        ),
    ],
)

case(
    "cluster-budget",
    {"cluster": CAP},
    BUDGET_COLUMNS,
    [
        # « un investissement de plus de 650M€, dont la moitié en fonds publics » (payers not named)
        (
            CAP,
            "investment in projects",
            650_000_000,
            "EUR",
            "more than 650000000 EUR",
            50,
            "share of public funding",
            325_000_000,
            None,
            None,
        ),
    ],
)

# --------------------------------------------------------------- cluster-lineage

LINEAGE_COLUMNS = (
    "cluster",
    "merger",
    "date",
    "successor",
    "successorLabel",
    "predecessor",
    "predecessorLabel",
    "predecessorCity",
)


def lineage(cluster):
    # « les deux clusters numériques historiques implantés à Toulouse et à Montpellier ont
    # officiellement fusionné » ; « la fusion de DigitalPlace et de FrenchSouth.digital » ;
    # « le 5 février dernier » (2019 from the press reports)
    return [
        (cluster, ck("digital-113-merger"), dt.date(2019, 2, 5), D113, "Digital 113", ck(p), label, city)
        for p, label, city in [
            ("digitalplace", "DigitalPlace", "Toulouse"),
            ("frenchsouth-digital", "FrenchSouth.digital", "Montpellier"),
        ]
    ]


case("cluster-lineage", {"cluster": D113}, LINEAGE_COLUMNS, lineage(D113))
case("cluster-lineage", {"cluster": ck("digitalplace")}, LINEAGE_COLUMNS, lineage(ck("digitalplace")))
case("cluster-lineage", {"cluster": CAP}, LINEAGE_COLUMNS, [])  # no merger in the Cap Digital text

# ----------------------------------------------------------------- cluster-sites

case(
    "cluster-sites",
    {"cluster": D113},
    ("cluster", "kind", "site", "town", "region", "country"),
    [(D113, "antenna", ck(f"digital-113-antenna-{t}"), label, "Occitania", "France") for t, label in ANTENNA_TOWNS],
)
case(
    "cluster-sites",
    {"cluster": CAP},
    ("cluster", "kind", "site", "town", "region", "country"),
    [(CAP, "seat", None, "Paris", "Île-de-France", "France")],
)

# ------------------------------------------------------------ clusters-by-region

case(
    "clusters-by-region",
    {},
    ("region", "regionLabel", "cluster", "clusterLabel", "town", "kind", "mergedInto"),
    [(ck("occitanie"), "Occitania", D113, "Digital 113", label, "antenna", None) for _, label in ANTENNA_TOWNS]
    + [
        (ck("occitanie"), "Occitania", ck("digitalplace"), "DigitalPlace", "Toulouse", "seat", "Digital 113"),
        (
            ck("occitanie"),
            "Occitania",
            ck("frenchsouth-digital"),
            "FrenchSouth.digital",
            "Montpellier",
            "seat",
            "Digital 113",
        ),
        (ck("ile-de-france"), "Île-de-France", CAP, "Cap Digital", "Paris", "seat", None),
    ],
)

# -------------------------------------------------------------- people-and-roles

case(
    "people-and-roles",
    {},
    ("person", "personLabel", "role", "organisation", "organisationLabel"),
    [
        # « L’association sera co-présidée par Daniel Benchimol et Pierre Deniset,
        # respectivement président de l’ancien cluster DigitalPlace basé à Toulouse et du
        # FrenchSouth.digital de Montpellier »
        (ck("daniel-benchimol"), "Daniel Benchimol", "co-president", D113, "Digital 113"),
        (ck("daniel-benchimol"), "Daniel Benchimol", "president", ck("digitalplace"), "DigitalPlace"),
        (ck("pierre-deniset"), "Pierre Deniset", "co-president", D113, "Digital 113"),
        (ck("pierre-deniset"), "Pierre Deniset", "president", ck("frenchsouth-digital"), "FrenchSouth.digital"),
    ],
)

# -------------------------------------------------------------- cluster-strategy

case(
    "cluster-strategy",
    {"cluster": D113},
    ("cluster", "kind", "statement", "axis"),
    [
        # « L’objectif ? Gagner en visibilité à l’échelle nationale et internationale » ; « Ses
        # membres bénéficieront par exemple d’une plus grande proximité avec les laboratoires de
        # recherche ou les investisseurs » ; « Digital 113 espère voir augmenter rapidement le
        # nombre de ses adhérents ». (« le cluster compte bien aider les entreprises à franchir
        # les paliers de croissance … » is Daniel Benchimol's, quoted: an attributed statement.)
        (D113, "objective", "Gagner en visibilité à l’échelle nationale et internationale", None),
        (
            D113,
            "objective",
            "Ses membres bénéficieront par exemple d’une plus grande proximité avec les laboratoires "
            "de recherche ou les investisseurs",
            None,
        ),
        (D113, "objective", "voir augmenter rapidement le nombre de ses adhérents", None),
        # « 5 axes stratégiques : Innovation & Transformation, Business & Croissance, Stratégie
        # & Financement, Recrutement & Diversité et International »
        (D113, "strategic axis", "Business & Growth", ck("axis-business-growth")),
        (D113, "strategic axis", "Innovation & Transformation", ck("axis-innovation-transformation")),
        (D113, "strategic axis", "International", ck("axis-international")),
        (D113, "strategic axis", "Recruitment & Diversity", ck("axis-recruitment-diversity")),
        (D113, "strategic axis", "Strategy & Financing", ck("axis-strategy-financing")),
    ],
)

case(
    "cluster-strategy",
    {"cluster": CAP},
    ("cluster", "kind", "statement", "axis"),
    [
        # « Le développement de la R&D, la croissance des entreprises, la mise en réseau de ses
        # adhérents et leur promotion à l’international sont autant de missions » ; « Cap
        # Digital œuvre à faire de la Région Île-de-France l’une des références mondiales du
        # numérique, tant d’un point de vue industriel que stratégique » ; « pour soutenir la
        # créativité et la compétitivité de ce secteur industriel »
        (
            CAP,
            "objective",
            "Le développement de la R&D, la croissance des entreprises, la mise en réseau de ses "
            "adhérents et leur promotion à l’international",
            None,
        ),
        (
            CAP,
            "objective",
            "faire de la Région Île-de-France l’une des références mondiales du numérique, tant d’un "
            "point de vue industriel que stratégique",
            None,
        ),
        (CAP, "objective", "soutenir la créativité et la compétitivité de ce secteur industriel", None),
    ],
)

# ------------------------------------------------------------- clusters-two-hops

# REDICT's six members pairwise (15 pairs), each pair once, the smaller IRI first;
# the think tank and the projects have Cap Digital as their only named cluster.
_REDICT_MEMBERS = sorted(
    [(CAP, "Cap Digital")] + [(ck(f"redict-cluster-{c}"), redict_member(label)) for c, label, _ in REDICT_OTHERS]
)
case(
    "clusters-two-hops",
    {},
    ("cluster1", "cluster1Label", "cluster2", "cluster2Label", "tie", "via", "viaLabel"),
    [
        (a, al, b, bl, "network", ck("redict"), "REDICT")
        for (a, al), (b, bl) in itertools.combinations(_REDICT_MEMBERS, 2)
    ],
)

# -------------------------------------------------------------- cities-reachable

REACH_COLUMNS = ("city", "reachable", "reachableLabel", "country", "direct")
# From Paris: San Francisco by the sister-city agreement, and the cities of the other
# REDICT clusters through Cap Digital's network, all one step away.
case(
    "cities-reachable",
    {"city": ck("paris")},
    REACH_COLUMNS,
    sorted(
        [(ck("paris"), ck(c), label, country, True) for c, label, country in REDICT_OTHERS]
        + [(ck("paris"), ck("san-francisco"), "San Francisco", "United States", True)],
        key=lambda r: r[2],
    ),
)
# From San Francisco: Paris directly, the REDICT cities through Paris.
case(
    "cities-reachable",
    {"city": ck("san-francisco")},
    REACH_COLUMNS,
    sorted(
        [(ck("san-francisco"), ck(c), label, country, False) for c, label, country in REDICT_OTHERS]
        + [(ck("san-francisco"), ck("paris"), "Paris", "France", True)],
        key=lambda r: r[2],
    ),
)
# Toulouse: DigitalPlace is in no network, Toulouse signed no agreement.
case("cities-reachable", {"city": ck("toulouse")}, REACH_COLUMNS, [])

# ------------------------------------------------------------------- node-degree

# Neighbours, by hand:
#   Cap Digital (9): REDICT, the think tank, INNET, ImMediaTe, Sebastian, the 2009 regional
#     sector plan, Paris (seat), Berlin (missions), the Digital Sister Cities agreement;
#   Digital 113 (9): its 7 antenna towns, DigitalPlace, FrenchSouth.digital;
#   Paris (2): Cap Digital, the agreement; San Francisco (1): the agreement (the text
#     describes an agreement, not a twinning); Berlin (2): its REDICT cluster, Cap Digital
#     (missions);
#   DigitalPlace, FrenchSouth.digital (2): their city and Digital 113;
#   each other REDICT cluster (2): REDICT and its city;
#   every other city (1): its one cluster (seat or antenna).
_DEGREES = (
    [
        (CAP, "Cap Digital", "cluster", 9),
        (D113, "Digital 113", "cluster", 9),
        (ck("berlin"), "Berlin", "city", 2),
        (ck("paris"), "Paris", "city", 2),
        (ck("digitalplace"), "DigitalPlace", "cluster", 2),
        (ck("frenchsouth-digital"), "FrenchSouth.digital", "cluster", 2),
    ]
    + [(ck(f"redict-cluster-{c}"), redict_member(label), "cluster", 2) for c, label, _ in REDICT_OTHERS]
    + [
        (ck(c), label, "city", 1)
        for c, label in sorted(
            [
                ("amsterdam", "Amsterdam"),
                ("bucharest", "Bucharest"),
                ("copenhagen", "Copenhagen"),
                ("dublin", "Dublin"),
                ("montpellier", "Montpellier"),
                ("san-francisco", "San Francisco"),
                ("toulouse", "Toulouse"),
            ]
            + ANTENNA_TOWNS,
            key=lambda t: t[1],
        )
    ]
)
case(
    "node-degree",
    {"min_degree": "1"},
    ("min_degree", "node", "nodeLabel", "kind", "degree"),
    [(1,) + row for row in _DEGREES],
)
case(
    "node-degree",
    {"min_degree": "3"},
    ("min_degree", "node", "nodeLabel", "kind", "degree"),
    [(3,) + row for row in _DEGREES if row[3] >= 3],
)

# ---------------------------------------------------------- figures-with-sources

_C, _D = ("src-cap-digital", "000_c04aaa27fdb53316"), ("src-digital-113-article", "002_0ebad319901d4998")
# the quote of the support of each figure's value (ckg:value): the phrase that states it
_MEMBERS = (
    "Ses 9 communautés de domaine regroupent plus de 650 adhérents : 570 PME, 20 grands groupes, "
    "50 établissements publics, écoles, et universités ainsi que 10 investisseurs en capital"
)
_FIGURES = [
    (
        "obs-cap-digital-domain-communities",
        "Cap Digital",
        "number of domain communities",
        "9",
        _C,
        "Ses 9 communautés de domaine",
    ),
    (
        "obs-cap-digital-members",
        "Cap Digital",
        "number of members",
        "more than 650",
        _C,
        "Ses 9 communautés de domaine regroupent plus de 650 adhérents",
    ),
    ("obs-cap-digital-members-capital-investor", "Cap Digital", "number of members", "10", _C, _MEMBERS),
    ("obs-cap-digital-members-large-group", "Cap Digital", "number of members", "20", _C, _MEMBERS),
    ("obs-cap-digital-members-public-body-school-university", "Cap Digital", "number of members", "50", _C, _MEMBERS),
    ("obs-cap-digital-members-sme", "Cap Digital", "number of members", "570", _C, _MEMBERS),
    (
        "obs-cap-digital-project-investment",
        "Cap Digital",
        "investment in projects",
        "more than 650000000 EUR",
        _C,
        "Ces projets représentent un investissement de plus de 650M€",
    ),
    (
        "obs-cap-digital-project-investment-public-share",
        "Cap Digital",
        "share of public funding",
        "50 %",
        _C,
        "Ces projets représentent un investissement de plus de 650M€, dont la moitié en fonds publics",
    ),
    (
        "obs-cap-digital-projects-financed",
        "Cap Digital",
        "projects financed",
        "350",
        _C,
        "Depuis sa création en 2006, Cap Digital a reçu au total plus de 1250 projets et en a labellisé près de 540, "
        "parmi lesquels 350 ont été financés",
    ),
    (
        "obs-cap-digital-projects-labelled",
        "Cap Digital",
        "projects labelled",
        "about 540",
        _C,
        "Depuis sa création en 2006, Cap Digital a reçu au total plus de 1250 projets et en a labellisé près de 540",
    ),
    (
        "obs-cap-digital-projects-received",
        "Cap Digital",
        "projects received",
        "more than 1250",
        _C,
        "Depuis sa création en 2006, Cap Digital a reçu au total plus de 1250 projets",
    ),
    (
        "obs-digital-113-budget",
        "Digital 113",
        "operating budget",
        "about 1200000 EUR",
        _D,
        "Elle est dotée d’un budget de fonctionnement de près d’1,2 million d’euros",
    ),
    (
        "obs-digital-113-budget-self-financing",
        "Digital 113",
        "share of budget",
        "60 %",
        _D,
        "Elle est dotée d’un budget de fonctionnement de près d’1,2 million d’euros. 60 % de ce dernier est assuré par "
        "de l’autofinancement",
    ),
    (
        "obs-digital-113-budget-subsidies",
        "Digital 113",
        "share of budget",
        "40 %",
        _D,
        "60 % de ce dernier est assuré par de l’autofinancement. Les 40 % restants proviennent de subventions de la "
        "Région et des collectivités locales",
    ),
    (
        "obs-digital-113-jobs",
        "Digital 113",
        "number of jobs",
        "about 17000",
        _D,
        "Baptisé Digital 113, cette association regroupe 400 entreprises du numérique et près de 17 000 emplois",
    ),
    (
        "obs-digital-113-member-companies",
        "Digital 113",
        "number of member companies",
        "400",
        _D,
        "Baptisé Digital 113, cette association regroupe 400 entreprises du numérique",
    ),
    (
        "obs-digital-113-staff",
        "Digital 113",
        "number of permanent staff",
        "11",
        _D,
        "Pour faire vivre l’association, ils pourront compter sur onze permanents",
    ),
    (
        "obs-digital-content-world-market",
        "digital content and services",
        "world market size",
        "300000000000 EUR",
        _C,
        "ce secteur industriel qui représente à lui seul un marché mondial de 300 milliards d'euros",
    ),
    (
        "obs-immediate-partner-clusters",
        "ImMediaTe",
        "number of partner clusters",
        "4",
        _C,
        "Participation au projet européen « ImMediaTe » en "
        "collaboration avec 4 autres clusters (Italie, Espagne, Malte, "
        "Pays-Bas)",
    ),
    (
        "obs-occitanie-digital-companies",
        "Occitania",
        "number of companies",
        "about 18000",
        _D,
        "on recense près de 18 000 entreprises numériques soit 63 000 emplois, sur l’ensemble de la Région",
    ),
    (
        "obs-occitanie-digital-growth",
        "Occitania",
        "annual growth rate",
        "about 3 %/a",
        _D,
        "Cette filière connaît également un taux de croissance estimé à 3% par an",
    ),
    (
        "obs-occitanie-digital-jobs",
        "Occitania",
        "number of jobs",
        "63000",
        _D,
        "on recense près de 18 000 entreprises numériques soit 63 000 emplois, sur l’ensemble de la Région",
    ),
    (
        "obs-regional-sector-plan-2009-missions",
        "Île-de-France regional sector plan (2009)",
        "companies in international missions",
        "more than 40",
        _C,
        "En 2009, dans le cadre du plan filière régional, plus de 60 sociétés ont bénéficié d’ateliers d’aide au "
        "développement et plus de 40 sociétés ont participé aux missions internationales pilotées par Cap Digital",
    ),
    (
        "obs-regional-sector-plan-2009-workshops",
        "Île-de-France regional sector plan (2009)",
        "companies in development workshops",
        "more than 60",
        _C,
        "En 2009, dans le cadre du plan filière régional, plus de 60 sociétés ont bénéficié d’ateliers d’aide au "
        "développement",
    ),
]
case(
    "figures-with-sources",
    {},
    ("observation", "entityLabel", "measure", "reading", "source", "document", "quote"),
    [(ck(o), e, m, r, ck(src[0]), src[1], quote) for o, e, m, r, src, quote in _FIGURES],
)

# ---------------------------------------------------------------- entity-sources

ES_COLUMNS = ("entity", "predicate", "status", "source", "sourceLabel", "document", "quote")
STATED, ASSUMED = project.VOCAB_NS + "stated", project.VOCAB_NS + "assumed"
ORG = "http://www.w3.org/ns/org#"
case(
    "entity-sources",
    {"entity": ck("redict")},
    ES_COLUMNS,
    [
        (
            ck("redict"),
            CKG + "initiatedBy",
            STATED,
            ck("src-cap-digital"),
            "Cap Digital (source text)",
            "000_c04aaa27fdb53316",
            "Création de REDICT, réseau inter cluster européen",
        ),
    ],
)

_ARTICLE = (
    ck("src-digital-113-article"),
    "Digital 113, the new digital cluster of Occitanie (source article)",
    "002_0ebad319901d4998",
)
_M = ck("digital-113-merger")
case(
    "entity-sources",
    {"entity": _M},
    ES_COLUMNS,
    [
        (_M, ORG + "originalOrganization", STATED)
        + _ARTICLE
        + ("la fusion de DigitalPlace et de FrenchSouth.digital",),
        (_M, ORG + "originalOrganization", STATED)
        + _ARTICLE
        + (
            "les deux clusters numériques historiques implantés à "
            "Toulouse et à Montpellier ont officiellement fusionné. "
            "Baptisé Digital 113, cette association",
        ),
        (_M, ORG + "resultingOrganization", STATED)
        + _ARTICLE
        + (
            "les deux clusters numériques historiques implantés à "
            "Toulouse et à Montpellier ont officiellement fusionné. "
            "Baptisé Digital 113, cette association",
        ),
        # « Cette fusion ne s’est pas faite du jour au lendemain »: the talks before
        (_M, "http://www.w3.org/ns/prov#wasInformedBy", STATED)
        + _ARTICLE
        + ("Cette fusion ne s’est pas faite du jour au lendemain. Si l’idée courrait depuis de nombreux mois",),
        # the date: the article dates the launch, not the merger: an editors' assumption
        (_M, CKG + "date", ASSUMED, None, None, None, None),
    ],
)

# ------------------------------------------------------- entities-without-source

# Every entity with a statement beyond typing and labels has a support (places too).
case("entities-without-source", {}, ("entity", "label", "class"), [])

# ----------------------------------------------------- observations-without-date

# Neither text is dated: every figure but the two « En 2009 » ones has no date.
_UNDATED = [
    ("obs-cap-digital-domain-communities", "Cap Digital domain communities", None),
    ("obs-cap-digital-members", "Cap Digital members", None),
    ("obs-cap-digital-members-capital-investor", "Cap Digital members: capital investors", None),
    ("obs-cap-digital-members-large-group", "Cap Digital members: large groups", None),
    (
        "obs-cap-digital-members-public-body-school-university",
        "Cap Digital members: public bodies, schools and universities",
        None,
    ),
    ("obs-cap-digital-members-sme", "Cap Digital members: SMEs", None),
    # « Depuis sa création en 2006 »: counted since 2006, up to an unstated date
    ("obs-cap-digital-project-investment", "investment of Cap Digital's projects since 2006", "2006"),
    (
        "obs-cap-digital-project-investment-public-share",
        "public share of the investment of Cap Digital's projects",
        "2006",
    ),
    ("obs-cap-digital-projects-financed", "projects labelled by Cap Digital and financed, since 2006", "2006"),
    ("obs-cap-digital-projects-labelled", "projects labelled by Cap Digital since 2006", "2006"),
    ("obs-cap-digital-projects-received", "projects received by Cap Digital since 2006", "2006"),
    ("obs-digital-113-budget", "Digital 113 operating budget", None),
    ("obs-digital-113-budget-self-financing", "self-financed share of Digital 113's budget", None),
    ("obs-digital-113-budget-subsidies", "subsidised share of Digital 113's budget", None),
    ("obs-digital-113-jobs", "jobs in Digital 113 member companies", None),
    ("obs-digital-113-member-companies", "Digital 113 member companies", None),
    ("obs-digital-113-staff", "Digital 113 permanent staff", None),
    ("obs-digital-content-world-market", "world market of digital content and services", None),
    ("obs-immediate-partner-clusters", "other clusters in ImMediaTe", None),
    ("obs-occitanie-digital-companies", "digital companies in Occitanie", None),
    ("obs-occitanie-digital-growth", "growth of the digital sector in Occitanie", None),
    ("obs-occitanie-digital-jobs", "digital jobs in Occitanie", None),
]
case(
    "observations-without-date",
    {},
    ("observation", "label", "status", "since"),
    [(ck(o), label, "not stated by the source", since) for o, label, since in _UNDATED],
)

# ---------------------------------------------------------------------- timeline

TIMELINE_COLUMNS = ("from_year", "date", "event", "subject", "subjectLabel")
case(
    "timeline",
    {"from_year": "2000"},
    TIMELINE_COLUMNS,
    [
        (2000, "2006", "founded", CAP, "Cap Digital"),  # « sa création en 2006 »
        (2000, "2019-02-05", "founded", D113, "Digital 113"),  # « le 5 février dernier »
        (2000, "2019-02-05", "merger", ck("digital-113-merger"), MERGER),
        # « Lors du lancement officiel de la nouvelle association le 5 février dernier » (2019: L’Usine Digitale)
        (2000, "2019-02-05", "official launch", ck("digital-113-launch"), "official launch of Digital 113"),
    ],
)
case(
    "timeline",
    {"from_year": "2007"},
    TIMELINE_COLUMNS,
    [
        (2007, "2019-02-05", "founded", D113, "Digital 113"),
        (2007, "2019-02-05", "merger", ck("digital-113-merger"), MERGER),
        (2007, "2019-02-05", "official launch", ck("digital-113-launch"), "official launch of Digital 113"),
    ],
)
case("timeline", {"from_year": "2020"}, TIMELINE_COLUMNS, [])

# ----------------------------------------------------------------- find-by-label

case(
    "find-by-label",
    {"text": "redict"},
    ("text", "resource", "label", "class"),
    [("redict", ck("redict"), "REDICT", CKG + "InterClusterNetwork")]
    + [("redict", ck(f"redict-cluster-{c}"), redict_member(label), CKG + "Cluster") for c, label, _ in REDICT_OTHERS],
)
# a French label matches too: « Pays-Bas »
case(
    "find-by-label",
    {"text": "pays-bas"},
    ("text", "resource", "label", "class"),
    [("pays-bas", ck("netherlands"), "Netherlands", CKG + "Country")],
)


# ======================================================================= tests


def _case_id(c):
    name, params, _, _ = c
    return name + "".join(f"[{v.rsplit('/', 1)[-1]}]" for v in params.values())


@pytest.mark.parametrize("name,params,columns,rows", CASES, ids=[_case_id(c) for c in CASES])
def test_query_answers_exactly(store, name, params, columns, rows):
    result = q.run(name, params, store=store)
    assert result.columns == columns
    assert result.rows == rows


def test_every_query_has_an_expected_answer():
    assert {c[0] for c in CASES} == set(q.catalogue())


def test_every_query_runs_with_its_defaults_and_its_examples(store):
    """Defaults and examples are valid values: each run answers, projects every
    parameter, and every row carries the value it was asked with."""
    answered = 0
    for name, cq in q.catalogue().items():
        runs = [{p.name: p.example for p in cq.parameters}]
        if all(not p.required for p in cq.parameters):
            runs.append({})
        for params in runs:
            result = q.run(name, params, store=store)
            assert {p.name for p in cq.parameters} <= set(result.columns), name
            for p in cq.parameters:
                asked = params.get(p.name, p.default)
                column = result.columns.index(p.name)
                assert {q.display(row[column]) for row in result.rows} <= {str(asked)}, (name, p.name)
            answered += bool(result.rows)
    assert answered >= len(q.catalogue())


def _param_sets(cq: q.CannedQuery):
    sets = [{p.name: p.example for p in cq.parameters}]
    sets += [c[1] for c in CASES if c[0] == cq.name]
    return sets


@pytest.mark.parametrize("name", sorted(q.catalogue()))
def test_values_block_binds_like_substitution(store, name):
    """A VALUES row at the head of the WHERE group (what the embedded store and a
    remote endpoint receive) answers the same rows as SEP-0007 substitution."""
    cq = q.get(name)
    for params in _param_sets(cq):
        bindings = q.bind_parameters(cq, params, store=store)
        solutions = store.query(
            cq.text,
            use_default_graph_as_union=True,
            substitutions={ox.Variable(k): v for k, v in bindings.items()} or None,
        )
        columns = tuple(v.value for v in solutions.variables)
        terms = [tuple(s) for s in solutions]
        inlined = q.with_values(cq.text, bindings)
        if bindings:
            assert inlined != cq.text and "VALUES (" in inlined
        columns2, terms2 = q.run_embedded(store, inlined)
        assert columns2 == columns
        assert q.normalise_rows(terms2) == q.normalise_rows(terms)


def test_remote_path_through_sparql_json(store, monkeypatch):
    """run(endpoint=...) sends VALUES-bound text and reads SPARQL JSON results:
    the endpoint is stood in for by the embedded store serialising JSON."""
    import json

    sent = []

    def fake_endpoint(endpoint, text):
        sent.append(text)
        answer = store.query(text, use_default_graph_as_union=True)
        return json.loads(answer.serialize(format=ox.QueryResultsFormat.JSON))

    monkeypatch.setattr(q, "_remote_results", fake_endpoint)
    result = q.run("network-members", {"network": ck("redict")}, endpoint="http://example.invalid/sparql")
    expected = next(c for c in CASES if c[0] == "network-members" and c[1] == {"network": ck("redict")})
    assert (result.columns, result.rows) == (expected[2], expected[3])
    assert len(sent) == 2  # the ASK that checks the class, then the query
    assert sent[0].startswith(q.internal_query("param-instance-of")[:40])
    assert f"VALUES (?value ?class) {{ (<{ck('redict')}> <{CKG}InterClusterNetwork>) }}" in sent[0]
    assert f"VALUES (?network) {{ (<{ck('redict')}>) }}" in sent[1]
    with pytest.raises(q.QueryError, match=r"is not a ckg:InterClusterNetwork in the graph"):
        q.run("network-members", {"network": CAP}, endpoint="http://example.invalid/sparql")


# ------------------------------------------------------------------ headers

QUERY_FILES = sorted(project.QUERIES_DIR.glob("*.rq"))


def test_at_least_twenty_queries_all_in_the_catalogue():
    assert len(QUERY_FILES) >= 20
    assert list(q.catalogue()) == sorted(p.stem for p in QUERY_FILES)


@pytest.mark.parametrize("path", QUERY_FILES, ids=[p.stem for p in QUERY_FILES])
def test_header_is_complete(path):
    text = path.read_text(encoding="utf-8")
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", path.stem)
    header = q.parse_header(text, str(path))
    assert header["title"] and header["title"][0].isupper()
    assert len(header["description"]) > 40
    cq = q.load_query(path)
    for p in cq.parameters:
        assert p.type in q.PARAM_TYPES
        assert p.example
        if p.type == "iri" and p.cls_name:
            assert p.cls.startswith(("https://", "http://"))
        # every parameter is a result column (pyoxigraph substitutes projected variables only)
        assert re.search(rf"^SELECT[^\n]*\?{p.name}\b", text, re.MULTILINE)
    # header lines come first, then the PREFIXes, each declared once
    body = [line for line in text.splitlines() if not line.startswith("#")]
    prefixes = re.findall(r"^PREFIX\s+(\w*):", "\n".join(body), re.MULTILINE)
    assert len(prefixes) == len(set(prefixes)) and prefixes == sorted(prefixes)
    for prefix in prefixes:  # declared and used
        assert re.search(rf"(?<![\w<]){prefix}:\w", "\n".join(line for line in body if not line.startswith("PREFIX")))
    code = "\n".join(re.sub(r"#.*$", "", line) for line in body if "<" not in line or "PREFIX" in line)
    assert not re.search(r"\bGRAPH\b", code)  # union default graph only
    assert re.search(r"^ORDER BY ", text, re.MULTILINE)  # deterministic


def test_parse_header_refuses_incomplete_headers():
    with pytest.raises(q.HeaderError, match="no description"):
        q.parse_header("# title: X\n# parameters: none\nSELECT * WHERE {}")
    with pytest.raises(q.HeaderError, match="'parameter:' lines or 'parameters: none'"):
        q.parse_header("# title: X\n# description: Y\nSELECT * WHERE {}")
    with pytest.raises(q.HeaderError, match="unknown header key 'author'"):
        q.parse_header("# title: X\n# author: me\n")
    with pytest.raises(q.HeaderError, match="has no example"):
        q.parse_parameter("c | iri ckg:Cluster | default http://x", {"ckg": CKG})
    with pytest.raises(q.HeaderError, match="unknown type 'float'"):
        q.parse_parameter("c | float | example 1", {})
    with pytest.raises(q.HeaderError, match="undeclared prefix"):
        q.parse_parameter("c | iri zz:Cluster | example http://x", {})


def test_parse_parameter():
    p = q.parse_parameter("cluster | iri ckg:Cluster | default https://a/b | example https://a/c", {"ckg": CKG})
    assert p == q.Parameter("cluster", "iri", CKG + "Cluster", "ckg:Cluster", "https://a/b", "https://a/c")
    assert not p.required and p.type_label == "iri ckg:Cluster"
    assert q.parse_parameter("text | string | example a", {}).required
    with pytest.raises(q.HeaderError, match="got 'b'"):
        q.parse_parameter("text | string | example a | b", {})  # "|" ends a field
    assert q.parse_parameter("d | date | example 2019-02-05", {}).type == "date"


# -------------------------------------------------------------- VALUES block


def test_where_brace_skips_comments_strings_and_iris():
    text = (
        "# WHERE { in a comment\nPREFIX w: <http://x/WHERE#where>\n"
        "SELECT ?where (CONCAT(\"WHERE {\", '''WHERE {''') AS ?s) w:where\nWHERE # here\n { ?a ?b ?c }"
    )
    at = q.where_brace(text)
    assert text[at - 1] == "{" and text[at:] == " ?a ?b ?c }"
    with pytest.raises(q.HeaderError):
        q.where_brace("SELECT * { ?a ?b ?c }")


def test_values_block_escapes_terms():
    block = q.values_block(
        {"s": ox.Literal('x" } ; DROP ALL ; #\n'), "i": ox.NamedNode("http://x/a"), "n": ox.Literal(3)}
    )
    assert block == (
        'VALUES (?s ?i ?n) { ("x\\" } ; DROP ALL ; #\\n" <http://x/a> '
        '"3"^^<http://www.w3.org/2001/XMLSchema#integer>) }'
    )
    with pytest.raises(q.QueryError):
        q.values_block({"a b": ox.Literal("x")})


# ------------------------------------------------------------ normalisation

XSD = "http://www.w3.org/2001/XMLSchema#"


@pytest.mark.parametrize(
    "term,value",
    [
        (ox.Literal("1.0", datatype=ox.NamedNode(XSD + "decimal")), 1),
        (ox.Literal("1"), "1"),
        (ox.Literal("1", datatype=ox.NamedNode(XSD + "integer")), 1),
        (ox.Literal("1E0", datatype=ox.NamedNode(XSD + "double")), 1),
        (ox.Literal("87.70", datatype=ox.NamedNode(XSD + "decimal")), Decimal("87.7")),
        (ox.Literal("8.77E1", datatype=ox.NamedNode(XSD + "double")), Decimal("87.7")),
        (ox.Literal("true", datatype=ox.NamedNode(XSD + "boolean")), True),
        (ox.Literal("0", datatype=ox.NamedNode(XSD + "boolean")), False),
        (ox.Literal("2019-02-05", datatype=ox.NamedNode(XSD + "date")), dt.date(2019, 2, 5)),
        (ox.Literal("2006", datatype=ox.NamedNode(XSD + "gYear")), "2006"),
        (ox.Literal("Paris", language="en"), "Paris"),
        (ox.NamedNode("https://w3id.org/clusterkg/id/paris"), "https://w3id.org/clusterkg/id/paris"),
        (None, None),
    ],
)
def test_normalise_term(term, value):
    got = q.normalise_term(term)
    assert got == value and type(got) is type(value)


def test_normalised_rows_of_two_engines_compare_equal():
    a = [(ox.Literal("1.0", datatype=ox.NamedNode(XSD + "decimal")), ox.Literal("x", language="en"))]
    b = [(ox.Literal("1", datatype=ox.NamedNode(XSD + "integer")), ox.Literal("x", language="en"))]
    assert q.normalise_rows(a) == q.normalise_rows(b) == [(1, "x")]
