"""The instance data: declared vocabulary, provenance of every fact, quotes that
really occur in the seed texts, and a sample of facts checked by exact value."""

from __future__ import annotations

import re
from decimal import Decimal

import pyoxigraph as ox
import pytest
from conftest import CK, CKG, CKV, RDF_TYPE, label, objects, subjects

from clusterkg import graph, project, terms

PROV = "http://www.w3.org/ns/prov#"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
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
        encoding="utf-8",
    )
    files = graph.project_files(data=False) + [graph.GraphFile.for_path(bad)]
    found = terms.undeclared_terms(graph.build_store(files), ONTOLOGY_GRAPHS)
    g = graph.GraphFile.for_path(bad).graph  # a file outside the project: .../graph/user/typo
    assert found == [
        terms.UndeclaredTerm(g, ORG + "memberof", "predicate"),
        terms.UndeclaredTerm(g, CKG + "Clustre", "class"),
        terms.UndeclaredTerm(g, CKG + "locatedin", "predicate"),
    ]


# ------------------------------------------------------------- provenance


def data_graphs() -> set[str]:
    return {f.graph for f in graph.project_files(ontology=False)}


def supports(store: ox.Store) -> dict[str, dict]:
    """Every ckg:Support of the data: status, source, quote, and the triples it names."""
    out = {}
    for q in store.quads_for_pattern(None, RDF_TYPE, ox.NamedNode(CKG + "Support"), None):
        s = q.subject

        def one(p, s=s):
            found = [x.object for x in store.quads_for_pattern(s, ox.NamedNode(p), None, None)]
            return found[0] if found else None

        triples = set()
        for st in store.quads_for_pattern(s, ox.NamedNode(CKG + "supports"), None, None):
            parts = [
                next(iter(store.quads_for_pattern(st.object, ox.NamedNode(RDF + x), None, None))).object
                for x in ("subject", "predicate", "object")
            ]
            triples.add(tuple(parts))
        out[s.value] = {
            "status": one(CKG + "supportStatus"),
            "source": one(PROV + "wasQuotedFrom"),
            "quote": one(CKG + "quote"),
            "comment": one(RDFS + "comment"),
            "triples": triples,
        }
    return out


def test_every_data_triple_but_typing_and_labels_has_a_support(store):
    backed = {t for sp in supports(store).values() for t in sp["triples"]}
    exempt_subjects = {
        q.subject
        for q in store.quads_for_pattern(None, RDF_TYPE, None, None)
        if q.object.value in (CKG + "Support", CKG + "SourceDocument")
    }
    places = graph.GraphFile.for_path(project.DATA_DIR / "places.ttl").graph
    lacking, checked = [], 0
    for q in store.quads_for_pattern(None, None, None, None):
        g = q.graph_name.value
        if g not in data_graphs() or g == places or not isinstance(q.subject, ox.NamedNode):
            continue
        if q.predicate.value in (RDF_TYPE.value, RDFS + "label") or q.subject in exempt_subjects:
            continue
        checked += 1
        if (q.subject, q.predicate, q.object) not in backed:
            lacking.append(q)
    assert checked > 250
    assert lacking == []


def test_every_support_names_triples_of_the_graph(store):
    absent = [
        (iri, t)
        for iri, sp in supports(store).items()
        for t in sp["triples"]
        if not list(store.quads_for_pattern(*t, None))
    ]
    assert absent == []


def test_statuses_carry_their_evidence(store):
    sps = supports(store)
    assert len(sps) > 70
    sources = subjects(store, RDF_TYPE.value, CKG + "SourceDocument")
    for iri, sp in sps.items():
        status = sp["status"].value[len(CKV) :]
        if status in ("stated", "external"):
            assert sp["source"].value in sources and sp["quote"].value.strip(), iri
        else:
            assert status == "assumed" and sp["comment"].value.strip(), iri


def _normalise(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


@pytest.mark.skipif(not project.SEEDS_DIR.is_dir(), reason="the seed texts are not beside the repository")
def test_every_quote_occurs_in_the_text_it_cites(store):
    seeds = {p.stem: _normalise(p.read_text(encoding="utf-8")) for p in project.SEEDS_DIR.glob("*.txt")}
    checked, missing = 0, []
    for iri, sp in sorted(supports(store).items()):
        if sp["status"].value != CKV + "stated":
            continue
        for seed_id in objects(store, sp["source"].value, DCTERMS + "identifier"):
            checked += 1
            if _normalise(sp["quote"].value) not in seeds[seed_id]:
                missing.append((iri, sp["quote"].value))
    # the words of attributed statements, too
    for q in store.quads_for_pattern(None, ox.NamedNode(CKG + "wording"), None, None):
        checked += 1
        if _normalise(q.object.value) not in seeds["002_0ebad319901d4998"]:
            missing.append((q.subject.value, q.object.value))
    assert checked > 70
    assert missing == []


def test_the_texts_unstated_claims_are_marked_as_assumptions(store):
    """Cap Digital's seat and its REDICT membership: no text says so."""
    sps = supports(store)

    def statuses(s, p, o):
        t = (ox.NamedNode(s), ox.NamedNode(p), ox.NamedNode(o))
        return {sp["status"].value[len(CKV) :] for sp in sps.values() if t in sp["triples"]}

    assert statuses(CK + "cap-digital", CKG + "city", CK + "paris") == {"assumed"}
    assert statuses(CK + "cap-digital", ORG + "memberOf", CK + "redict") == {"assumed"}
    assert statuses(CK + "cap-digital", ORG + "memberOf", CK + "european-think-tank") == {"stated"}
    assert objects(store, CK + "paris", CKG + "twinnedWith") == set()


def test_launch_year_has_its_own_press_provenance(store):
    launch = (
        ox.NamedNode(CK + "digital-113-launch"),
        ox.NamedNode(CKG + "date"),
        ox.Literal("2019-02-05", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#date")),
    )
    backing = {
        (sp["status"].value[len(CKV) :], sp["source"].value)
        for sp in supports(store).values()
        if launch in sp["triples"]
    }
    assert backing == {
        ("stated", CK + "src-digital-113-article"),
        ("external", CK + "src-usine-digitale-digital-113"),
        ("external", CK + "src-touleco-digital-113"),
    }
    assert objects(store, CK + "src-usine-digitale-digital-113", "https://schema.org/url") == {
        "https://www.usine-digitale.fr/article/coup-d-envoi-a-toulouse-et-montpellier-de-digital113-un-grand-"
        "cluster-numerique-pour-toute-l-occitanie.N803010"
    }


def test_what_the_launch_announced_is_marked_announced(store):
    announced = {
        t[1].value[len(CKG) :] if t[1].value.startswith(CKG) else t[1].value
        for sp_iri, sp in supports(store).items()
        for t in sp["triples"]
        if objects(store, sp_iri, CKG + "modality") == {CKV + "announced"}
    }
    assert {"strategicAxis", ORG + "hasSite", ORG + "role", "value", "region", "sector"} <= announced


def test_attributed_statements(store):
    said = {
        (
            next(iter(objects(store, s, PROV + "wasAttributedTo"))),
            frozenset(objects(store, s, CKG + "saidTo")),
            frozenset(objects(store, s, CKG + "occasion")),
        )
        for s in subjects(store, RDF_TYPE.value, CKG + "AttributedStatement")
    }
    launch = frozenset({CK + "digital-113-launch"})
    assert said == {
        (CK + "daniel-benchimol", frozenset(), launch),
        (CK + "pierre-deniset", frozenset(), launch),
        (CK + "daniel-benchimol", frozenset({CK + "la-tribune"}), frozenset()),
        (CK + "pierre-deniset", frozenset(), frozenset()),
    }
    assert objects(store, CK + "statement-benchimol-la-tribune", CKG + "mentions") == {
        CKV + "fintech",
        CKV + "deep-tech",
    }


# ------------------------------------------------------- facts by value


def observation(store, entity: str, measure: str, category: str | None = None) -> str:
    found = subjects(store, CKG + "observedEntity", CK + entity if ":" not in entity else entity) & subjects(
        store, CKG + "measure", CKV + measure
    )
    if category:
        found &= subjects(store, CKG + "memberCategory", CKV + category)
    else:
        found = {o for o in found if not objects(store, o, CKG + "memberCategory")}
    assert len(found) == 1, (entity, measure, category, found)
    return found.pop()


def value(store, obs: str) -> tuple[Decimal, str]:
    (v,) = objects(store, obs, CKG + "value")
    (q,) = objects(store, obs, CKG + "qualifier")
    return Decimal(v), q[len(CKV) :]


@pytest.mark.parametrize(
    "entity, measure, category, expected",
    [
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
    ],
)
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
    # a cooperation agreement, not a twinning
    assert objects(store, CK + "paris", CKG + "twinnedWith") == set()
    assert objects(store, a, CKG + "listIsComplete") == {"false"}


def test_countries_named_as_partners_stay_countries(store):
    think_tank = CK + "european-think-tank"
    assert {label(store, c) for c in objects(store, think_tank, CKG + "partnerCountry")} == {
        "Italy",
        "Spain",
        "Netherlands",
        "Germany",
        "Austria",
        "Finland",
        "Denmark",
    }
    assert objects(store, think_tank, CKG + "partnerRegion") == {CK + "england"}
    assert {label(store, c) for c in objects(store, CK + "immediate", CKG + "partnerCountry")} == {
        "Italy",
        "Spain",
        "Malta",
        "Netherlands",
    }
    support = CK + "cap-digital-company-support-abroad"
    assert {label(store, c) for c in objects(store, support, CKG + "targetCountry")} == {
        "United States",
        "Canada",
        "China",
        "South Korea",
        "Japan",
        "Israel",
        "Brazil",
    }
    assert objects(store, support, CKG + "listIsComplete") == {"false"}


def test_innet_missions_and_schemes(store):
    missions = subjects(store, CKG + "partOfProgramme", CK + "innet")
    assert {
        (next(iter(objects(store, m, CKG + "destination"))), next(iter(objects(store, m, CKG + "topic"))))
        for m in missions
    } == {(CK + "berlin", CKV + "free-software"), (CK + "berlin", CKV + "digital-education")}
    assert objects(store, CK + "cap-digital", CKG + "helpsMembersWith") == {
        CK + "fp7",
        CK + "eureka",
        CK + "eurostars",
        CK + "feder",
    }


def test_people_and_roles(store):
    rows = set()
    for m in subjects(store, RDF_TYPE.value, ORG + "Membership"):
        (person,) = objects(store, m, ORG + "member")
        (org_,) = objects(store, m, ORG + "organization")
        (role,) = objects(store, m, ORG + "role")
        rows.add((label(store, person), label(store, org_), role[len(CKV) :]))
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
    assert codes == {
        "AT",
        "BR",
        "CA",
        "CN",
        "DK",
        "FI",
        "FR",
        "DE",
        "IE",
        "IL",
        "IT",
        "JP",
        "MT",
        "NL",
        "RO",
        "KR",
        "ES",
        "GB",
        "US",
    }


# ------------------------------------------------- PROV-O and ORG axioms


def _types(store: ox.Store) -> dict[str, set[str]]:
    """Each node's classes, closed over the ontology's rdfs:subClassOf."""
    sub = {}
    for q in store.quads_for_pattern(None, ox.NamedNode(RDFS + "subClassOf"), None, None):
        if isinstance(q.object, ox.NamedNode):
            sub.setdefault(q.subject.value, set()).add(q.object.value)

    def up(cls, seen):
        for sup in sub.get(cls, ()):
            if sup not in seen:
                seen.add(sup)
                up(sup, seen)
        return seen

    types = {}
    for q in store.quads_for_pattern(None, RDF_TYPE, None, None):
        types.setdefault(q.subject.value, set()).update(up(q.object.value, {q.object.value}))
    return types


def test_no_node_is_both_a_prov_entity_and_a_prov_activity(store):
    """PROV-O: prov:Activity owl:disjointWith prov:Entity (HermiT with the W3C files
    loaded says the same; this check needs no download)."""
    types = _types(store)
    both = sorted(n for n, ts in types.items() if {PROV + "Entity", PROV + "Activity"} <= ts)
    assert both == []
    # prov:qualifiedDerivation (domain prov:Entity) made activities entities: gone
    assert list(store.quads_for_pattern(None, ox.NamedNode(PROV + "qualifiedDerivation"), None, None)) == []


@pytest.mark.parametrize(
    "prop, subject_class, object_class",
    [
        # PROV-O's domains and ranges of the PROV properties the data uses
        (PROV + "wasQuotedFrom", PROV + "Entity", PROV + "Entity"),
        (PROV + "wasAttributedTo", PROV + "Entity", None),
        (PROV + "wasAssociatedWith", PROV + "Activity", None),
        (PROV + "wasInformedBy", PROV + "Activity", PROV + "Activity"),
        # ORG: a change event is a prov:Activity
        (ORG + "originalOrganization", PROV + "Activity", ORG + "Organization"),
    ],
)
def test_prov_and_org_domains_hold(store, prop, subject_class, object_class):
    types = _types(store)
    uses = list(store.quads_for_pattern(None, ox.NamedNode(prop), None, None))
    assert uses
    for q in uses:
        assert subject_class in types.get(q.subject.value, set()), (prop, q.subject.value)
        if object_class:
            assert object_class in types.get(q.object.value, set()), (prop, q.object.value)
