"""The instance data: declared vocabulary, provenance of every fact, quotes that
really occur in the seed texts, and a sample of facts checked by exact value."""

from __future__ import annotations

import re
from decimal import Decimal

import pyoxigraph as ox
import pytest

from clusterkg import graph, project, terms

from conftest import CK, CKG, CKV, RDF_TYPE, label, objects, subjects

PROV = "http://www.w3.org/ns/prov#"
ORG = "http://www.w3.org/ns/org#"
FOAF = "http://xmlns.com/foaf/0.1/"
DCTERMS = "http://purl.org/dc/terms/"
ONTOLOGY_GRAPHS = [f.graph for f in graph.project_files(data=False)]


# ------------------------------------------------------------- vocabulary

def test_every_class_and_predicate_is_declared(store):
    assert terms.undeclared_terms(store, ONTOLOGY_GRAPHS) == []


def test_a_typo_in_a_predicate_or_class_is_caught(tmp_path):
    bad = tmp_path / "typo.ttl"
    bad.write_text(
        "@prefix ckg: <https://w3id.org/clusterkg/ontology#> .\n"
        "@prefix org: <http://www.w3.org/ns/org#> .\n"
        "<https://w3id.org/clusterkg/id/x> a ckg:Clustre ; ckg:locatedin <https://w3id.org/clusterkg/id/paris> ;\n"
        "    org:memberof <https://w3id.org/clusterkg/id/redict> .\n",
        encoding="utf-8")
    files = graph.project_files(data=False) + [graph.GraphFile.for_path(bad)]
    found = terms.undeclared_terms(graph.build_store(files), ONTOLOGY_GRAPHS)
    g = bad.resolve().as_uri()
    assert found == [
        terms.UndeclaredTerm(g, ORG + "memberof", "predicate"),
        terms.UndeclaredTerm(g, CKG + "Clustre", "class"),
        terms.UndeclaredTerm(g, CKG + "locatedin", "predicate"),
    ]


# ------------------------------------------------------------- provenance

def fact_nodes(store: ox.Store) -> set[str]:
    nodes = set()
    data_graphs = {f.graph for f in graph.project_files(ontology=False)}
    for q in store.quads_for_pattern(None, RDF_TYPE, None, None):
        cls = q.object.value
        if q.graph_name.value not in data_graphs:
            continue
        concept_classes = {CKG + c for c in ("StrategicAxis", "SourceDocument")}
        if (cls.startswith(CKG) and cls not in concept_classes) or cls in (FOAF + "Person", ORG + "Membership"):
            nodes.add(q.subject.value)
    return nodes


def derivations(store: ox.Store, node: str) -> list[tuple[str, str]]:
    out = []
    for q in store.quads_for_pattern(ox.NamedNode(node), ox.NamedNode(PROV + "qualifiedDerivation"), None, None):
        entities = [e.object.value for e in store.quads_for_pattern(q.object, ox.NamedNode(PROV + "entity"), None, None)]
        quotes = [e.object.value for e in store.quads_for_pattern(q.object, ox.NamedNode(CKG + "quote"), None, None)]
        for entity in entities:
            for quote in quotes:
                out.append((entity, quote))
    return out


def test_every_fact_bearing_node_has_a_source_and_a_quote(store):
    nodes = fact_nodes(store)
    assert len(nodes) > 100
    sources = subjects(store, RDF_TYPE.value, CKG + "SourceDocument")
    lacking = sorted(n for n in nodes if not any(e in sources and q.strip() for e, q in derivations(store, n)))
    assert lacking == []


def _normalise(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


@pytest.mark.skipif(not project.SEEDS_DIR.is_dir(), reason="the seed texts are not beside the repository")
def test_every_quote_occurs_in_the_text_it_cites(store):
    seeds = {p.stem: _normalise(p.read_text(encoding="utf-8")) for p in project.SEEDS_DIR.glob("*.txt")}
    checked, missing = 0, []
    for node in sorted(fact_nodes(store)):
        for entity, quote in derivations(store, node):
            ids = objects(store, entity, DCTERMS + "identifier")
            for seed_id in ids:
                checked += 1
                if _normalise(quote) not in seeds[seed_id]:
                    missing.append((node, quote))
    assert checked > 100
    assert missing == []


def test_launch_year_has_its_own_press_provenance(store):
    sources = {e for e, _ in derivations(store, CK + "digital-113-merger")}
    assert sources == {CK + "src-digital-113-article", CK + "src-touleco-digital-113", CK + "src-usine-digitale-digital-113"}
    assert objects(store, CK + "digital-113-merger", CKG + "date") == {"2019-02-05"}


# ------------------------------------------------------- facts by value

def observation(store, entity: str, measure: str, category: str | None = None) -> str:
    found = subjects(store, CKG + "observedEntity", CK + entity if ":" not in entity else entity) & subjects(
        store, CKG + "measure", CKV + measure)
    if category:
        found &= subjects(store, CKG + "memberCategory", CKV + category)
    else:
        found = {o for o in found if not objects(store, o, CKG + "memberCategory")}
    assert len(found) == 1, (entity, measure, category, found)
    return found.pop()


def value(store, obs: str) -> tuple[Decimal, str]:
    (v,) = objects(store, obs, CKG + "value")
    (q,) = objects(store, obs, CKG + "qualifier")
    return Decimal(v), q[len(CKV):]


@pytest.mark.parametrize("entity, measure, category, expected", [
    ("cap-digital", "member-count", None, (650, "lower-bound")),
    ("cap-digital", "member-count", "sme", (570, "exact")),
    ("cap-digital", "member-count", "large-group", (20, "exact")),
    ("cap-digital", "member-count", "public-body-school-university", (50, "exact")),
    ("cap-digital", "member-count", "capital-investor", (10, "exact")),
    ("cap-digital", "domain-community-count", None, (9, "exact")),
    ("cap-digital", "projects-received", None, (1250, "lower-bound")),
    ("cap-digital", "projects-labelled", None, (540, "approximate")),
    ("cap-digital", "projects-financed", None, (350, "exact")),
    ("cap-digital", "project-investment", None, (650_000_000, "lower-bound")),
    ("cap-digital", "public-funding-share", None, (50, "exact")),
    ("regional-sector-plan-2009", "companies-in-workshops", None, (60, "lower-bound")),
    ("regional-sector-plan-2009", "companies-in-missions", None, (40, "lower-bound")),
    (CKV + "digital-content-and-services", "world-market-size", None, (300_000_000_000, "exact")),
    ("immediate", "partner-cluster-count", None, (4, "exact")),
    ("digital-113", "member-company-count", None, (400, "exact")),
    ("digital-113", "jobs", None, (17_000, "approximate")),
    ("digital-113", "operating-budget", None, (1_200_000, "approximate")),
    ("digital-113", "staff-count", None, (11, "exact")),
    ("occitanie", "company-count", None, (18_000, "approximate")),
    ("occitanie", "jobs", None, (63_000, "exact")),
    ("occitanie", "annual-growth-rate", None, (3, "approximate")),
])
def test_figures(store, entity, measure, category, expected):
    assert value(store, observation(store, entity, measure, category)) == (Decimal(expected[0]), expected[1])


def test_the_repeated_2009_paragraph_is_one_fact(store):
    plan = CK + "regional-sector-plan-2009"
    assert len(subjects(store, CKG + "observedEntity", plan)) == 2
    assert objects(store, CK + "obs-regional-sector-plan-2009-workshops", CKG + "referenceYear") == {"2009"}


def test_budget_split_and_who_pays(store):
    shares = subjects(store, CKG + "shareOf", CK + "obs-digital-113-budget")
    split = {(value(store, s)[0], frozenset(objects(store, s, CKG + "paidBy"))) for s in shares}
    assert split == {
        (Decimal(60), frozenset({CK + "digital-113"})),
        (Decimal(40), frozenset({CK + "occitanie-regional-council", CK + "occitanie-local-authorities"})),
    }
    assert objects(store, CK + "obs-digital-113-budget", CKG + "currency") == {"EUR"}


def test_digital_113_has_seven_antenna_towns(store):
    sites = objects(store, CK + "digital-113", ORG + "hasSite")
    towns = {label(store, next(iter(objects(store, s, CKG + "city")))) for s in sites}
    assert towns == {"Perpignan", "Nîmes", "Carcassonne", "Tarbes", "Alès", "Mende", "Rodez"}


def test_redict_has_six_cities(store):
    members = subjects(store, ORG + "memberOf", CK + "redict")
    cities = {label(store, next(iter(objects(store, m, CKG + "city")))) for m in members}
    assert cities == {"Amsterdam", "Berlin", "Bucharest", "Copenhagen", "Dublin", "Paris"}
    assert objects(store, CK + "redict", CKG + "initiatedBy") == {CK + "cap-digital"}


def test_merger_predecessors_successor_and_cities(store):
    m = CK + "digital-113-merger"
    assert objects(store, m, ORG + "originalOrganization") == {CK + "digitalplace", CK + "frenchsouth-digital"}
    assert objects(store, m, ORG + "resultingOrganization") == {CK + "digital-113"}
    assert objects(store, CK + "digitalplace", CKG + "city") == {CK + "toulouse"}
    assert objects(store, CK + "frenchsouth-digital", CKG + "city") == {CK + "montpellier"}
    assert objects(store, CK + "digital-113", CKG + "namedAfter") == {CK + "rn113"}


def test_sister_city_agreement(store):
    a = CK + "digital-sister-cities-agreement"
    assert objects(store, a, CKG + "signatory") == {CK + "paris", CK + "san-francisco"}
    assert objects(store, a, CKG + "enabledProject") == {CK + "sebastian"}
    assert objects(store, CK + "paris", CKG + "twinnedWith") == {CK + "san-francisco"}


def test_countries_named_as_partners_stay_countries(store):
    think_tank = CK + "european-think-tank"
    assert {label(store, c) for c in objects(store, think_tank, CKG + "partnerCountry")} == {
        "Italy", "Spain", "Netherlands", "Germany", "Austria", "Finland", "Denmark"}
    assert objects(store, think_tank, CKG + "partnerRegion") == {CK + "england"}
    assert {label(store, c) for c in objects(store, CK + "immediate", CKG + "partnerCountry")} == {
        "Italy", "Spain", "Malta", "Netherlands"}
    support = CK + "cap-digital-company-support-abroad"
    assert {label(store, c) for c in objects(store, support, CKG + "targetCountry")} == {
        "United States", "Canada", "China", "South Korea", "Japan", "Israel", "Brazil"}
    assert objects(store, support, CKG + "listIsComplete") == {"false"}


def test_innet_missions_and_schemes(store):
    missions = subjects(store, CKG + "partOfProgramme", CK + "innet")
    assert {(next(iter(objects(store, m, CKG + "destination"))), next(iter(objects(store, m, CKG + "topic"))))
            for m in missions} == {(CK + "berlin", CKV + "free-software"), (CK + "berlin", CKV + "digital-education")}
    assert objects(store, CK + "cap-digital", CKG + "helpsMembersWith") == {
        CK + "fp7", CK + "eureka", CK + "eurostars", CK + "feder"}


def test_people_and_roles(store):
    rows = set()
    for m in subjects(store, RDF_TYPE.value, ORG + "Membership"):
        (person,) = objects(store, m, ORG + "member")
        (org_,) = objects(store, m, ORG + "organization")
        (role,) = objects(store, m, ORG + "role")
        rows.add((label(store, person), label(store, org_), role[len(CKV):]))
    assert rows == {
        ("Daniel Benchimol", "Digital 113", "co-president"),
        ("Pierre Deniset", "Digital 113", "co-president"),
        ("Daniel Benchimol", "DigitalPlace", "president"),
        ("Pierre Deniset", "FrenchSouth.digital", "president"),
    }


def test_nine_communities_are_counted_not_named(store):
    community_nodes = [s for s in subjects(store, RDF_TYPE.value, CKG + "Cluster") if "communaut" in s]
    assert community_nodes == []


def test_countries_carry_iso_codes(store):
    countries = subjects(store, RDF_TYPE.value, CKG + "Country")
    codes = {next(iter(objects(store, c, CKG + "iso3166Alpha2"))) for c in countries}
    assert len(countries) == 19
    assert codes == {"AT", "BR", "CA", "CN", "DK", "FI", "FR", "DE", "IE", "IL", "IT", "JP", "MT", "NL", "RO",
                     "KR", "ES", "GB", "US"}
